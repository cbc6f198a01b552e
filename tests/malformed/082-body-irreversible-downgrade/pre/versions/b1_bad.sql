/*
revision: b1
down_revision: a2
*/

-- retort:upgrade
CREATE TABLE t_b1 (id int);
