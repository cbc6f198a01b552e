/*
revision: b1
down_revision: a2
branch_labels: [a@b]
*/

-- retort:upgrade
SELECT 1;
