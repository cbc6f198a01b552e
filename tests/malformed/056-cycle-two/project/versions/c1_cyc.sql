/*
revision: c1
down_revision: c2
*/

-- retort:upgrade
SELECT 1;
