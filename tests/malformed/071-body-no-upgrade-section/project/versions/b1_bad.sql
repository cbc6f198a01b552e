/*
revision: b1
down_revision: a2
*/

-- retort:downgrade
SELECT 1;
