/*
revision: 7b2c9d4e1a06
down_revision: 3e8a1f5c2b7d
message: create products, with a starting catalogue
create_date: 2026-04-02T10:30:00Z
*/

-- retort:upgrade
CREATE TABLE products (
    id           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku          text    NOT NULL UNIQUE,
    name         text    NOT NULL,
    price_cents  integer NOT NULL CHECK (price_cents > 0),
    currency     char(3) NOT NULL DEFAULT '${currency}',
    active       boolean NOT NULL DEFAULT true
);

-- Reference data; the semicolon and the quotes in the names are just text.
INSERT INTO products (sku, name, price_cents) VALUES
    ('MUG-01', 'Mug; large', 1200),
    ('TEE-02', 'T-shirt "retort"', 2500),
    ('CAP-03', 'Cap -- not a comment', 1800);

-- retort:downgrade
DROP TABLE products;
