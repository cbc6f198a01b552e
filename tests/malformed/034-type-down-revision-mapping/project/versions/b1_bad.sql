/*
revision: b1
down_revision: {a2: yes}
*/

-- retort:upgrade
SELECT 1;
