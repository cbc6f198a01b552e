/*
revision: b1
  down_revision: a2
message: x
*/

-- retort:upgrade
SELECT 1;
