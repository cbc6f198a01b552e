/*
revision: b1
down_revison: a2
*/

-- retort:upgrade
SELECT 1;
