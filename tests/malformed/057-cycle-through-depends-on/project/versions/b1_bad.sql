/*
revision: b1
down_revision: a2
depends_on: b2
*/

-- retort:upgrade
SELECT 1;
