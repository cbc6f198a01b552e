/*
revision: c4be106e7d47
down_revision: 283b2c2a4879
message: create plans, with the plans on sale at launch
create_date: 2026-01-12T09:40:00Z
*/

-- retort:upgrade
-- Prices are integer cents in the currency of the plan; ${default_currency}
-- comes from retort.yaml (variables:) or from -x default_currency=...
CREATE TABLE plans (
    code         TEXT    PRIMARY KEY CHECK (code = lower(code)),
    name         TEXT    NOT NULL,
    price_cents  INTEGER NOT NULL CHECK (price_cents >= 0),
    currency     TEXT    NOT NULL DEFAULT '${default_currency}' CHECK (length(currency) = 3),
    interval     TEXT    NOT NULL CHECK (interval IN ('month', 'year')),
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

INSERT INTO plans (code, name, price_cents, currency, interval) VALUES
    ('starter',  'Starter',   900, '${default_currency}', 'month'),
    ('pro',      'Pro',      2900, '${default_currency}', 'month'),
    ('pro-year', 'Pro (yearly)', 29000, '${default_currency}', 'year');

-- retort:downgrade
DROP TABLE plans;
