/*
revision: 003d21d206de
down_revision: f8f678f4d8e7
message: add customers.billing_email, backfilled from email
create_date: 2026-03-02T13:10:00Z
*/

-- retort:upgrade
ALTER TABLE customers ADD COLUMN billing_email TEXT;

-- Backfill: until now invoices went to the login email.
UPDATE customers SET billing_email = email WHERE billing_email IS NULL;

-- retort:downgrade
ALTER TABLE customers DROP COLUMN billing_email;
