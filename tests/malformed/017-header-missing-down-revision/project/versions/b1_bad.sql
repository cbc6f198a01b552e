/*
revision: b1
message: x
*/

-- retort:upgrade
SELECT 1;
