/*
revision: c1d8b3e6f402
down_revision: 9f4e2a7c5d13
branch_labels: [reporting]
message: index orders by customer, without blocking writes
create_date: 2026-04-07T08:15:00Z
*/

-- CREATE INDEX CONCURRENTLY cannot run inside a transaction block: retort finds it by
-- parsing and runs this revision in autocommit. Were the build to fail (a deadlock, a
-- cancel), it would leave an INVALID index; the next run drops it and builds it again.

-- retort:upgrade
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_placed
    ON orders (customer_id, placed_at DESC);

-- retort:downgrade
DROP INDEX CONCURRENTLY IF EXISTS orders_customer_placed;
