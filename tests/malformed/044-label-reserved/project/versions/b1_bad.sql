/*
revision: b1
down_revision: a2
branch_labels: [head]
*/

-- retort:upgrade
SELECT 1;
