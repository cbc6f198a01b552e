/*
revision: b1
down_revision: a2
depends_on: [a1, [a2]]
*/

-- retort:upgrade
SELECT 1;
