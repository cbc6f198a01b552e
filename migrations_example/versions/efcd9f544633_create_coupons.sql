/*
revision: efcd9f544633
down_revision: 1f212ac0761b
message: create coupons and coupon redemptions
create_date: 2026-03-16T15:30:00Z
*/

-- retort:upgrade
CREATE TABLE coupons (
    code         TEXT    PRIMARY KEY CHECK (code = upper(code) AND length(code) BETWEEN 4 AND 32),
    percent_off  INTEGER NOT NULL CHECK (percent_off BETWEEN 1 AND 100),
    valid_until  TEXT,
    max_redemptions INTEGER CHECK (max_redemptions IS NULL OR max_redemptions > 0)
);

CREATE TABLE coupon_redemptions (
    coupon_code      TEXT    NOT NULL REFERENCES coupons (code),
    subscription_id  INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    redeemed_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (coupon_code, subscription_id)
);

CREATE INDEX coupon_redemptions_subscription ON coupon_redemptions (subscription_id);

-- retort:downgrade
DROP INDEX coupon_redemptions_subscription;
DROP TABLE coupon_redemptions;
DROP TABLE coupons;
