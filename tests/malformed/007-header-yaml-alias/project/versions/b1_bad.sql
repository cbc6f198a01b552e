/*
revision: b1
down_revision: a2
message: &m hello
create_date: *m
*/

-- retort:upgrade
SELECT 1;
