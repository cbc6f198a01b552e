/*
revision: b1
down_revision: a2
message: red [31m text
*/

-- retort:upgrade
SELECT 1;
