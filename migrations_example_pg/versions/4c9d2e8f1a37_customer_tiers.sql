/*
revision: 4c9d2e8f1a37
down_revision: e6f0a3b9c725
message: customer tiers, and a per-customer order summary view
create_date: 2026-04-14T11:20:00Z
*/

-- retort:upgrade
-- customers is hot: wait at most 1 s for its lock (not the 3 s of retort.yaml); on a
-- timeout retort rolls this revision back and retries it after a pause. SET LOCAL lasts
-- until the end of this revision's transaction only.
SET LOCAL lock_timeout = '1s';

-- A constant default: PostgreSQL 11+ adds the column without rewriting the table.
ALTER TABLE customers
    ADD COLUMN tier text NOT NULL DEFAULT 'standard'
        CONSTRAINT customers_tier_check CHECK (tier IN ('standard', 'gold', 'platinum'));

CREATE VIEW customer_order_summary AS
SELECT c.id AS customer_id,
       c.email,
       c.tier,
       count(o.id) AS orders,
       coalesce(sum(o.total_cents), 0) AS spent_cents
  FROM customers c
  LEFT JOIN orders o ON o.customer_id = c.id AND o.status <> 'cancelled'
 GROUP BY c.id, c.email, c.tier;

-- retort:downgrade
SET LOCAL lock_timeout = '1s';
DROP VIEW customer_order_summary;
ALTER TABLE customers DROP COLUMN tier;
