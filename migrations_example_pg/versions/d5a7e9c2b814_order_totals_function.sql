/*
revision: d5a7e9c2b814
down_revision: 9f4e2a7c5d13
branch_labels: [pricing]
message: keep orders.total_cents up to date with a PL/pgSQL trigger
create_date: 2026-04-08T16:45:00Z
*/

-- retort:upgrade
-- The function bodies are dollar-quoted: their semicolons do not end the statement.
CREATE FUNCTION order_total(p_order_id bigint) RETURNS integer
LANGUAGE plpgsql STABLE AS $$
DECLARE
    total integer;
BEGIN
    SELECT coalesce(sum(quantity * unit_price_cents), 0)::integer
      INTO total
      FROM order_lines
     WHERE order_id = p_order_id;
    RETURN total;
END;
$$;

CREATE FUNCTION order_lines_refresh_total() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE orders SET total_cents = order_total(OLD.order_id) WHERE id = OLD.order_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE orders SET total_cents = order_total(NEW.order_id) WHERE id = NEW.order_id;
    END IF;
    RETURN NULL; -- an AFTER trigger: the result is ignored
END;
$body$;

CREATE TRIGGER order_lines_total
    AFTER INSERT OR UPDATE OR DELETE ON order_lines
    FOR EACH ROW EXECUTE FUNCTION order_lines_refresh_total();

-- Orders placed before this revision get their totals now.
UPDATE orders SET total_cents = order_total(id);

-- retort:downgrade
DROP TRIGGER order_lines_total ON order_lines;
DROP FUNCTION order_lines_refresh_total();
DROP FUNCTION order_total(bigint);
