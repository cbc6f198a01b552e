/*
revision: bß1
down_revision: a2
*/

-- retort:upgrade
SELECT 1;
