/*
revision: b1
down_revision: a2
message: bad body
*/

-- retort:upgrade
CREATE TABLE t_kept (id int);
-- written by an old editorCREATE TABLE t_lost (id int);
CREATE TABLE t_after (id int);
