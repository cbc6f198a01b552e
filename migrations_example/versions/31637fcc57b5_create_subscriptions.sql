/*
revision: 31637fcc57b5
down_revision: c4be106e7d47
message: create subscriptions
create_date: 2026-01-13T14:05:00Z
*/

-- retort:upgrade
CREATE TABLE subscriptions (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    plan_code    TEXT    NOT NULL REFERENCES plans (code),
    status       TEXT    NOT NULL DEFAULT 'trialing'
                         CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
    started_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at   TEXT,
    canceled_at  TEXT,
    CHECK (canceled_at IS NULL OR status = 'canceled')
);

CREATE INDEX subscriptions_customer ON subscriptions (customer_id);
-- At most one subscription per customer that is not canceled.
CREATE UNIQUE INDEX subscriptions_one_live_per_customer
    ON subscriptions (customer_id) WHERE status <> 'canceled';

-- retort:downgrade
DROP INDEX subscriptions_one_live_per_customer;
DROP INDEX subscriptions_customer;
DROP TABLE subscriptions;
