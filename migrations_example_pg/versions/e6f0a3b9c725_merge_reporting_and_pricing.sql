/*
revision: e6f0a3b9c725
down_revision: [c1d8b3e6f402, d5a7e9c2b814]
message: merge the reporting and pricing branches
create_date: 2026-04-09T09:00:00Z
*/

-- retort:upgrade

-- retort:downgrade
