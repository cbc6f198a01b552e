/*
revision: b1
down_revision: a2
branch_labels: [x]
*/

-- retort:upgrade
SELECT 1;
