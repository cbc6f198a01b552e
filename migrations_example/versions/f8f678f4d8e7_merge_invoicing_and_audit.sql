/*
revision: f8f678f4d8e7
down_revision: [b96485e8dea2, 2968de1c87db]
message: merge the invoicing and audit branches
create_date: 2026-02-11T08:00:00Z
*/

-- retort:upgrade

-- retort:downgrade
