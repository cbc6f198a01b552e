/*
revision: b1
down_revision: a2
message
*/

-- retort:upgrade
SELECT 1;
