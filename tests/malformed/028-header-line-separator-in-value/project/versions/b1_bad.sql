/*
revision: b1
down_revision: a2
message: "a b"
colour: red
*/

-- retort:upgrade
SELECT 1;
