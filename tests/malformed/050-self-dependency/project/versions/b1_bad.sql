/*
revision: b1
down_revision: a2
depends_on: b1
*/

-- retort:upgrade
SELECT 1;
