-- +goose Up
-- The audit log reads newest first, (at, id) descending, filtered by at most
-- a few of actor, group, action and a time range. One index per filter,
-- each ending in the order, so a filtered page is one short index range
-- however long the log grows (measured at 1M entries: see the README).
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC, id DESC);
CREATE INDEX audit_log_actor_name_idx ON audit_log (lower(actor_name), at DESC, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC, id DESC);
CREATE INDEX audit_log_group_idx ON audit_log (lower(target_name), at DESC, id DESC)
    WHERE target_type IN ('group', 'member', 'join_request', 'create_request');

-- +goose Down
DROP INDEX audit_log_group_idx;
DROP INDEX audit_log_action_idx;
DROP INDEX audit_log_actor_name_idx;
DROP INDEX audit_log_actor_idx;
DROP INDEX audit_log_at_idx;
