/*
revision: b1
down_revision: [a2, b1]
*/

-- retort:upgrade
SELECT 1;
