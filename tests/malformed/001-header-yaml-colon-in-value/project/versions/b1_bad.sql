/*
revision: b1
down_revision: a2
message: add: accounts
*/

-- retort:upgrade
SELECT 1;
