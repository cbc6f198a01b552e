/*
revision: b1
down_revision: a2
message: x
create_date: À¯
*/

-- retort:upgrade
SELECT 1;
