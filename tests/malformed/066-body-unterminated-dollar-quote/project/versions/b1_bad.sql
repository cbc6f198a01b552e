/*
revision: b1
down_revision: a2
message: bad body
*/

-- retort:upgrade
SELECT 1;
CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1;
-- forgot the end
