/*
revision: b1
down_revision: a2
message: café
*/

-- retort:upgrade
SELECT 1;
