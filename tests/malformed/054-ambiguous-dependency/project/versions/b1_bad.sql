/*
revision: b1
down_revision: a2
depends_on: a
*/

-- retort:upgrade
SELECT 1;
