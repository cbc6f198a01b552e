/*
revision: b1
down_revision: a2
message: x
colour: red
*/

-- retort:upgrade
SELECT 1;
