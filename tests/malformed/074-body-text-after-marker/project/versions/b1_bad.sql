/*
revision: b1
down_revision: a2
*/

-- retort:upgrade now
SELECT 1;
