/*
revision: b1
down_revision: a2
branch_labels: [a1]
*/

-- retort:upgrade
SELECT 1;
