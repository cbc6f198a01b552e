/*
*/
-- retort:upgrade
SELECT 1;
