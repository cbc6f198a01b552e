/*
revision: b1
down_revision: a2
message: bad body
*/

-- retort:upgrade
/* outer /* inner */ still open
SELECT 1;
