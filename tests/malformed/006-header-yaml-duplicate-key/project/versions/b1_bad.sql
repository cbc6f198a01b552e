/*
revision: b1
revision: b2
down_revision: a2
*/

-- retort:upgrade
SELECT 1;
