-- +goose Up
-- A change that ends a group's pending join requests all at once (a
-- privacy change) writes in its own transaction only what defines the new
-- state: the requests ended, the members added, the counts. Each request's
-- audit entry, event and notification are written a moment later by a
-- durable job (docs/perf.md, "Privacy change with 10,000 pending"). The
-- change draws from audit_log_id_seq one id per request it ends and keeps
-- it here; the job writes the entries under these ids, handed out in the
-- requests' order (created_at, id) as they always were, so the audit log
-- reads as if the change had written them, and a job run twice finds the
-- entries it wrote and writes nothing again.
ALTER TABLE join_requests ADD COLUMN decision_audit_id bigint;

-- The foreign keys of the members and of the notifications, replaced by
-- statement-level triggers on the parents that do what their ON DELETE
-- CASCADE did, as migration 00070 did for the logs: each check locked the
-- account's row (FOR KEY SHARE, a WAL record each) and, for a member, read
-- the group row, once per row written: about a third of approving 10,000
-- requests at once, and a tenth of approving 100. Every writer of
-- group_members adds an account it has just read (the signed-in one, one
-- looked up by id, the requester of a request, whose own foreign key
-- stays) to a group it holds locked; a notification goes to such an
-- account, or to a decider or site admin just read. Nothing in Guildhall
-- deletes accounts, and groups are soft-deleted.
ALTER TABLE group_members DROP CONSTRAINT group_members_account_id_fkey;
ALTER TABLE group_members DROP CONSTRAINT group_members_group_id_fkey;
ALTER TABLE notifications DROP CONSTRAINT notifications_account_id_fkey;

-- +goose StatementBegin
CREATE FUNCTION drop_rows_of_deleted_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM group_members WHERE account_id IN (SELECT id FROM old_rows);
    DELETE FROM notifications WHERE account_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER accounts_drop_rows AFTER DELETE ON accounts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION drop_rows_of_deleted_accounts();

-- +goose StatementBegin
CREATE FUNCTION drop_members_of_deleted_groups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM group_members WHERE group_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER groups_drop_members AFTER DELETE ON groups
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION drop_members_of_deleted_groups();

-- +goose Down
DROP TRIGGER groups_drop_members ON groups;
DROP FUNCTION drop_members_of_deleted_groups();
DROP TRIGGER accounts_drop_rows ON accounts;
DROP FUNCTION drop_rows_of_deleted_accounts();
ALTER TABLE notifications ADD CONSTRAINT notifications_account_id_fkey
    FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE group_members ADD CONSTRAINT group_members_group_id_fkey
    FOREIGN KEY (group_id) REFERENCES groups (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE group_members ADD CONSTRAINT group_members_account_id_fkey
    FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE join_requests DROP COLUMN decision_audit_id;
