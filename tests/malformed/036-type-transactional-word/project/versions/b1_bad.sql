/*
revision: b1
down_revision: a2
transactional: maybe
*/

-- retort:upgrade
SELECT 1;
