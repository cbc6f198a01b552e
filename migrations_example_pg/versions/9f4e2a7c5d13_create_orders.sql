/*
revision: 9f4e2a7c5d13
down_revision: 7b2c9d4e1a06
message: create orders and order lines
create_date: 2026-04-03T14:00:00Z
*/

-- retort:upgrade
CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled');

CREATE TABLE orders (
    id           bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id  bigint       NOT NULL REFERENCES customers (id),
    status       order_status NOT NULL DEFAULT 'pending',
    total_cents  integer      NOT NULL DEFAULT 0,
    placed_at    timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE order_lines (
    order_id          bigint  NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no           integer NOT NULL,
    product_id        bigint  NOT NULL REFERENCES products (id),
    quantity          integer NOT NULL CHECK (quantity > 0),
    unit_price_cents  integer NOT NULL CHECK (unit_price_cents >= 0),
    PRIMARY KEY (order_id, line_no)
);

-- retort:downgrade
DROP TABLE order_lines;
DROP TABLE orders;
DROP TYPE order_status;
