/*
revision: b1
down_revision: [a2, null]
*/

-- retort:upgrade
SELECT 1;
