/*
revision: b1
down_revision: a2
create_date: {year: 2026}
*/

-- retort:upgrade
SELECT 1;
