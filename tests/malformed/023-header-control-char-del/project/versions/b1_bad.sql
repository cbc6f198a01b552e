/*
revision: b1
down_revision: a2
message: ab
*/

-- retort:upgrade
SELECT 1;
