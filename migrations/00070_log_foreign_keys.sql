-- +goose Up
-- Foreign keys that only clear a column (or drop an event) when their
-- parent row is deleted, replaced by a statement-level trigger on the
-- parent that does the same. A foreign key checks its parent on every row
-- written, and a privacy change with 10,000 pending writes 10,000 rows of
-- each of these: the five checks were a quarter of that change's time
-- (docs/perf.md, "Privacy change with 10,000 pending"). What they
-- guaranteed on insert the writers guarantee themselves: the actor is the
-- signed-in account, the decider holds the group, an event is written
-- with its audit entry in the same statement, a notification's group is
-- the one the change holds locked. Nothing in Guildhall deletes accounts,
-- groups (soft-deleted) or audit entries; should anyone do it by hand,
-- the triggers below leave what the foreign keys left: no dangling id.
ALTER TABLE join_requests DROP CONSTRAINT join_requests_decided_by_fkey;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_actor_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_audit_id_fkey;
ALTER TABLE notifications DROP CONSTRAINT notifications_group_id_fkey;

-- +goose StatementBegin
CREATE FUNCTION forget_deleted_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE join_requests SET decided_by = NULL WHERE decided_by IN (SELECT id FROM old_rows);
    UPDATE audit_log SET actor_id = NULL WHERE actor_id IN (SELECT id FROM old_rows);
    UPDATE events SET actor_id = NULL WHERE actor_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER accounts_forget_deleted AFTER DELETE ON accounts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION forget_deleted_accounts();

-- +goose StatementBegin
CREATE FUNCTION forget_deleted_groups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE notifications SET group_id = NULL WHERE group_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER groups_forget_deleted AFTER DELETE ON groups
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION forget_deleted_groups();

-- +goose StatementBegin
CREATE FUNCTION drop_events_of_deleted_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM events WHERE audit_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_drop_events AFTER DELETE ON audit_log
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION drop_events_of_deleted_audit();

-- +goose Down
DROP TRIGGER audit_log_drop_events ON audit_log;
DROP FUNCTION drop_events_of_deleted_audit();
DROP TRIGGER groups_forget_deleted ON groups;
DROP FUNCTION forget_deleted_groups();
DROP TRIGGER accounts_forget_deleted ON accounts;
DROP FUNCTION forget_deleted_accounts();
ALTER TABLE notifications ADD CONSTRAINT notifications_group_id_fkey
    FOREIGN KEY (group_id) REFERENCES groups (id) ON DELETE SET NULL NOT VALID;
ALTER TABLE events ADD CONSTRAINT events_audit_id_fkey
    FOREIGN KEY (audit_id) REFERENCES audit_log (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE events ADD CONSTRAINT events_actor_id_fkey
    FOREIGN KEY (actor_id) REFERENCES accounts (id) ON DELETE SET NULL NOT VALID;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_id_fkey
    FOREIGN KEY (actor_id) REFERENCES accounts (id) ON DELETE SET NULL NOT VALID;
ALTER TABLE join_requests ADD CONSTRAINT join_requests_decided_by_fkey
    FOREIGN KEY (decided_by) REFERENCES accounts (id) ON DELETE SET NULL NOT VALID;
