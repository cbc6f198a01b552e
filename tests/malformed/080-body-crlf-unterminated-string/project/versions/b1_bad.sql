/*
revision: b1
down_revision: a2
message: crlf
*/

-- retort:upgrade
SELECT 1;
SELECT 'oops;
