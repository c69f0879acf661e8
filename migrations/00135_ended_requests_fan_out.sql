-- +goose Up
-- A change that ends a group's pending join requests all at once (a
-- privacy change) writes in its own transaction only what defines the new
-- state: the requests ended, the members added, the counts. Each request's
-- audit entry, event and notification are written a moment later by a
-- durable job (docs/perf.md, "Privacy change with 10,000 pending"). The
-- change numbers each request's audit entry, in the order it always has
-- (the requests' created_at, id), and keeps the number here: the job
-- writes the entry under that id, so the audit log reads as if the
-- entries were written with the change, and a job run twice finds the
-- entries it wrote and writes nothing again.
ALTER TABLE join_requests ADD COLUMN decision_audit_id bigint;

-- The members' foreign keys, replaced by statement-level triggers on the
-- parents that do what their ON DELETE CASCADE did, as migration 00070
-- did for the logs: each check locked the requester's accounts row (FOR
-- KEY SHARE, a WAL record each) and read the group row once per member,
-- which was about a third of approving 10,000 requests at once. Every
-- writer of group_members adds an account it has just read (the signed-in
-- one, one looked up by id, the requester of a request, whose own foreign
-- key stays) to a group it holds locked; nothing in Guildhall deletes
-- accounts, and groups are soft-deleted.
ALTER TABLE group_members DROP CONSTRAINT group_members_account_id_fkey;
ALTER TABLE group_members DROP CONSTRAINT group_members_group_id_fkey;

-- +goose StatementBegin
CREATE FUNCTION drop_members_of_deleted_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM group_members WHERE account_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER accounts_drop_members AFTER DELETE ON accounts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION drop_members_of_deleted_accounts();

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
DROP TRIGGER accounts_drop_members ON accounts;
DROP FUNCTION drop_members_of_deleted_accounts();
ALTER TABLE group_members ADD CONSTRAINT group_members_group_id_fkey
    FOREIGN KEY (group_id) REFERENCES groups (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE group_members ADD CONSTRAINT group_members_account_id_fkey
    FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE join_requests DROP COLUMN decision_audit_id;
