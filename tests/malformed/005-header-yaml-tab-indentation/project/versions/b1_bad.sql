/*
revision: b1
down_revision: a2
message: x
	create_date: 2026-01-01
*/

-- retort:upgrade
SELECT 1;
