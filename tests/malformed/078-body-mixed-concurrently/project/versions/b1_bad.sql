/*
revision: b1
down_revision: a2
message: bad body
*/

-- retort:upgrade
CREATE TABLE t_b1 (id int);
CREATE INDEX CONCURRENTLY i_b1 ON t_b1 (id);
