-- +goose Up
-- audit_log_target_idx (target_type, target_id, id DESC) serves no query:
-- the audit log is read newest first by its filters (migration 00060) and
-- a change's deliveries by events.audit_id. Each audit entry wrote an entry
-- into it, 10,000 of them in a privacy change with 10,000 pending.
DROP INDEX audit_log_target_idx;

-- +goose Down
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, id DESC);
