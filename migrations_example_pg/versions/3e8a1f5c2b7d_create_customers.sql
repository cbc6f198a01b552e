/*
revision: 3e8a1f5c2b7d
down_revision: null
message: create customers
create_date: 2026-04-01T09:00:00Z
*/

-- retort:upgrade
CREATE TABLE customers (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text        NOT NULL,
    name        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customers_email_key UNIQUE (email),
    CONSTRAINT customers_email_check CHECK (email LIKE '%_@_%')
);

COMMENT ON TABLE customers IS 'People who buy from the shop; one row per login email.';

-- retort:downgrade
DROP TABLE customers;
