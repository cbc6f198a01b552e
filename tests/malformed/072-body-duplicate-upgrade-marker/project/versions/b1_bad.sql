/*
revision: b1
down_revision: a2
message: bad body
*/

-- retort:upgrade
CREATE TABLE t_b1 (id int);
-- retort:upgrade
SELECT 1;
