/*
revision: 2968de1c87db
down_revision: 31637fcc57b5
branch_labels: [audit]
message: create the audit log, and audit subscription status changes
create_date: 2026-02-04T11:00:00Z
*/

-- retort:upgrade
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    occurred_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    entity       TEXT    NOT NULL CHECK (entity IN ('customer', 'subscription', 'invoice')),
    entity_id    INTEGER NOT NULL,
    action       TEXT    NOT NULL,
    detail       TEXT
);

CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, occurred_at);

-- The body holds several statements, and the strings hold semicolons: retort splits
-- the script into statements without cutting this trigger apart.
CREATE TRIGGER subscriptions_audit_status
AFTER UPDATE OF status ON subscriptions
FOR EACH ROW WHEN NEW.status IS NOT OLD.status
BEGIN
    INSERT INTO audit_log (entity, entity_id, action, detail)
    VALUES ('subscription', NEW.id, 'status_changed',
            'from=' || OLD.status || '; to=' || NEW.status || ';');
    UPDATE subscriptions
       SET updated_at  = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
           canceled_at = CASE WHEN NEW.status = 'canceled'
                              THEN strftime('%Y-%m-%dT%H:%M:%SZ', 'now') END
     WHERE id = NEW.id;
END;

-- retort:downgrade
DROP TRIGGER subscriptions_audit_status;
DROP INDEX audit_log_entity;
DROP TABLE audit_log;
