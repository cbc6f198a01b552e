/*
revision: b11111111111111111111111111111111
down_revision: a2
*/

-- retort:upgrade
SELECT 1;
