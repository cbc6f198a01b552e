/*
revision: b96485e8dea2
down_revision: 693562725347
depends_on: [2968de1c87db]   # writes to audit_log, created on the audit branch
message: audit invoice status changes and stamp paid invoices
create_date: 2026-02-10T09:45:00Z
*/

-- retort:upgrade
CREATE TRIGGER invoices_audit_status
AFTER UPDATE OF status ON invoices
FOR EACH ROW WHEN NEW.status IS NOT OLD.status
BEGIN
    UPDATE invoices
       SET paid_at = CASE WHEN NEW.status = 'paid'
                          THEN coalesce(NEW.paid_at, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) END
     WHERE id = NEW.id;
    INSERT INTO audit_log (entity, entity_id, action, detail)
    VALUES ('invoice', NEW.id, 'status_changed',
            'number=' || NEW.number || '; from=' || OLD.status || '; to=' || NEW.status);
END;

-- retort:downgrade
DROP TRIGGER invoices_audit_status;
