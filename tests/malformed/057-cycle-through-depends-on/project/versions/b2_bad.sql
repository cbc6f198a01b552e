/*
revision: b2
down_revision: b1
*/

-- retort:upgrade
SELECT 1;
