/*
revision: b1
down_revision: a2
message: bad body
*/

-- retort:upgrade
CREATE TRIGGER tr AFTER INSERT ON t_a1 BEGIN
  UPDATE t_a1 SET id = id;
