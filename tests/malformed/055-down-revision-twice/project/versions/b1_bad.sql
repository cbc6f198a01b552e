/*
revision: b1
down_revision: [a1, a1]
*/

-- retort:upgrade
SELECT 1;
