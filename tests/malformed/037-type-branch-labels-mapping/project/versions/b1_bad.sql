/*
revision: b1
down_revision: a2
branch_labels: {x: y}
*/

-- retort:upgrade
SELECT 1;
