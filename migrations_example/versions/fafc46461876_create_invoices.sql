/*
revision: fafc46461876
down_revision: 31637fcc57b5
branch_labels: [invoicing]
message: create invoices and invoice lines
create_date: 2026-02-02T10:30:00Z
*/

-- retort:upgrade
CREATE TABLE invoices (
    id               INTEGER PRIMARY KEY,
    number           TEXT    NOT NULL UNIQUE,
    customer_id      INTEGER NOT NULL REFERENCES customers (id),
    subscription_id  INTEGER REFERENCES subscriptions (id) ON DELETE SET NULL,
    status           TEXT    NOT NULL DEFAULT 'draft'
                             CHECK (status IN ('draft', 'open', 'paid', 'void')),
    currency         TEXT    NOT NULL,
    issued_at        TEXT,
    paid_at          TEXT,
    CHECK (paid_at IS NULL OR status = 'paid')
);

CREATE TABLE invoice_lines (
    id                INTEGER PRIMARY KEY,
    invoice_id        INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    description       TEXT    NOT NULL,
    quantity          INTEGER NOT NULL DEFAULT 1 CHECK (quantity > 0),
    unit_price_cents  INTEGER NOT NULL CHECK (unit_price_cents >= 0)
);

CREATE INDEX invoices_customer_status ON invoices (customer_id, status);
CREATE INDEX invoice_lines_invoice ON invoice_lines (invoice_id);

-- retort:downgrade
DROP INDEX invoice_lines_invoice;
DROP INDEX invoices_customer_status;
DROP TABLE invoice_lines;
DROP TABLE invoices;
