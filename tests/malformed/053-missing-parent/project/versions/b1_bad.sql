/*
revision: b1
down_revision: zz9
*/

-- retort:upgrade
SELECT 1;
