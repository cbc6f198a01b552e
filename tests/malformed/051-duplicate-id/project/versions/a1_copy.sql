/*
revision: a1
down_revision: null
*/

-- retort:upgrade
SELECT 1;
