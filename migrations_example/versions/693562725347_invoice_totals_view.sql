/*
revision: 693562725347
down_revision: fafc46461876
message: add the invoice_totals view
create_date: 2026-02-03T16:20:00Z
*/

-- retort:upgrade
CREATE VIEW invoice_totals AS
SELECT i.id                                           AS invoice_id,
       i.number                                       AS number,
       c.email                                        AS customer_email,
       i.status                                       AS status,
       i.currency                                     AS currency,
       count(l.id)                                    AS line_count,
       coalesce(sum(l.quantity * l.unit_price_cents), 0) AS total_cents
  FROM invoices i
  JOIN customers c ON c.id = i.customer_id
  LEFT JOIN invoice_lines l ON l.invoice_id = i.id
 GROUP BY i.id;

-- retort:downgrade
DROP VIEW invoice_totals;
