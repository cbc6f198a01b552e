/*
revision: b1
down_revision: [a2, a1
message: merge
*/

-- retort:upgrade
SELECT 1;
