/*
revision: [b1, b2]
down_revision: a2
*/

-- retort:upgrade
SELECT 1;
