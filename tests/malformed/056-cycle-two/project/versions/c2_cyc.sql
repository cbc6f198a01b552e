/*
revision: c2
down_revision: c1
*/

-- retort:upgrade
SELECT 1;
