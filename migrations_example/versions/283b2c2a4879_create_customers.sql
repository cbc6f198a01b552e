/*
revision: 283b2c2a4879
down_revision: null
message: create customers
create_date: 2026-01-12T09:15:00Z
*/

-- retort:upgrade
CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    email       TEXT    NOT NULL UNIQUE CHECK (email LIKE '%_@_%'),
    name        TEXT    NOT NULL CHECK (length(name) > 0),
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE INDEX customers_created_at ON customers (created_at);

-- retort:downgrade
DROP INDEX customers_created_at;
DROP TABLE customers;
