-- +goose Up
-- Live secret groups per member: what a viewer who is not a site admin
-- adds to the directory's total (visibleGroupsTotalSQL) for the secret
-- groups it may see, its own. Counted, that was an index probe per
-- membership of the viewer (50 for a member of 50 groups, about a third
-- of the /groups page's database time at 100,000 groups); kept, it is one
-- lookup. Kept as migration 00010 keeps its counts: by statement-level
-- triggers in the transaction of every change that moves it, each
-- account's row adjusted once per statement, rows taken in account order.
--
-- What moves it: a membership added to or removed from a live secret
-- group; a group's privacy changed to or from SECRET, or a secret group
-- soft-deleted or restored (every member's row moves); a secret group
-- hard-deleted (its members' rows, before groups_drop_members drops the
-- members); an account deleted (its row goes).
--
-- Races: a membership's trigger reads its groups' privacy and liveness
-- FOR SHARE, in group order, so it waits for a privacy change or deletion
-- of the same group in flight (which holds the group row) and then reads
-- what it committed, and such a change waits for the membership's
-- statement to commit and then counts the members it committed (READ
-- COMMITTED: each statement of the trigger reads afresh). Either way each
-- membership is counted by exactly one of the two. A change of groups
-- takes its privacies' rows of group_privacy_counts before these rows
-- (the update trigger is named to fire after groups_privacy_update; the
-- delete trigger, which must fire before groups_drop_members, takes them
-- itself, as migration 00130 does for a rename), so it waits for a long
-- transaction on a privacy row holding none of these.
CREATE TABLE account_secret_group_counts (
    account_id uuid PRIMARY KEY,
    -- No CHECK (live >= 0), as for group_pending_counts: a decrease is a
    -- proposed insert of a negative number. The race test watches for drift.
    live       integer NOT NULL DEFAULT 0
);

INSERT INTO account_secret_group_counts (account_id, live)
SELECT m.account_id, count(*)
FROM group_members m JOIN groups g ON g.id = m.group_id
WHERE g.privacy = 'SECRET' AND g.deleted_at IS NULL
GROUP BY m.account_id;

-- +goose StatementBegin
CREATE FUNCTION keep_account_secret_counts_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The groups of the rows, locked FOR SHARE in group order: a no-op for
    -- Guildhall's writers, which hold the group FOR UPDATE already; then
    -- the statement below, with a snapshot of its own, reads the privacy
    -- and liveness that a privacy change or deletion in flight committed.
    IF TG_OP = 'INSERT' THEN
        PERFORM FROM groups g WHERE g.id IN (SELECT group_id FROM new_rows) ORDER BY g.id FOR SHARE;
        INSERT INTO account_secret_group_counts AS c (account_id, live)
        SELECT r.account_id, count(*)
        FROM new_rows r JOIN groups g ON g.id = r.group_id
        WHERE g.privacy = 'SECRET' AND g.deleted_at IS NULL
        GROUP BY r.account_id ORDER BY r.account_id
        ON CONFLICT (account_id) DO UPDATE SET live = c.live + EXCLUDED.live;
    ELSIF TG_OP = 'DELETE' THEN
        -- The members of a group hard-deleted find no group here: the
        -- group's own trigger (groups_count_secret_members_delete) counted
        -- them out.
        PERFORM FROM groups g WHERE g.id IN (SELECT group_id FROM old_rows) ORDER BY g.id FOR SHARE;
        INSERT INTO account_secret_group_counts AS c (account_id, live)
        SELECT r.account_id, -count(*)
        FROM old_rows r JOIN groups g ON g.id = r.group_id
        WHERE g.privacy = 'SECRET' AND g.deleted_at IS NULL
        GROUP BY r.account_id ORDER BY r.account_id
        ON CONFLICT (account_id) DO UPDATE SET live = c.live + EXCLUDED.live;
    ELSIF EXISTS (SELECT group_id, account_id FROM new_rows EXCEPT SELECT group_id, account_id FROM old_rows) THEN
        -- A role change keeps every row's group and account: nothing to do.
        PERFORM FROM groups g
        WHERE g.id IN (SELECT group_id FROM new_rows UNION SELECT group_id FROM old_rows)
        ORDER BY g.id FOR SHARE;
        INSERT INTO account_secret_group_counts AS c (account_id, live)
        SELECT d.account_id, sum(d.delta)
        FROM (
            SELECT group_id, account_id, 1 AS delta FROM new_rows
            UNION ALL
            SELECT group_id, account_id, -1 FROM old_rows
        ) d JOIN groups g ON g.id = d.group_id
        WHERE g.privacy = 'SECRET' AND g.deleted_at IS NULL
        GROUP BY d.account_id HAVING sum(d.delta) <> 0 ORDER BY d.account_id
        ON CONFLICT (account_id) DO UPDATE SET live = c.live + EXCLUDED.live;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION keep_account_secret_counts_groups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM old_rows WHERE privacy = 'SECRET' AND deleted_at IS NULL) THEN
            RETURN NULL;
        END IF;
        PERFORM FROM group_privacy_counts c WHERE c.privacy = 'SECRET' FOR NO KEY UPDATE;
        INSERT INTO account_secret_group_counts AS c (account_id, live)
        SELECT m.account_id, -count(*)
        FROM old_rows o JOIN group_members m ON m.group_id = o.id
        WHERE o.privacy = 'SECRET' AND o.deleted_at IS NULL
        GROUP BY m.account_id ORDER BY m.account_id
        ON CONFLICT (account_id) DO UPDATE SET live = c.live + EXCLUDED.live;
    ELSIF EXISTS (SELECT FROM new_rows nr JOIN old_rows o ON o.id = nr.id
            WHERE (nr.privacy = 'SECRET' AND nr.deleted_at IS NULL)
                <> (o.privacy = 'SECRET' AND o.deleted_at IS NULL)) THEN
        -- Most updates of a group (members count, last activity, a rename)
        -- leave it as secret and live as it was: the check above is all
        -- they cost, and they lock nothing.
        INSERT INTO account_secret_group_counts AS c (account_id, live)
        SELECT m.account_id, sum(x.delta)
        FROM (
            SELECT nr.id, CASE WHEN nr.privacy = 'SECRET' AND nr.deleted_at IS NULL THEN 1 ELSE -1 END AS delta
            FROM new_rows nr JOIN old_rows o ON o.id = nr.id
            WHERE (nr.privacy = 'SECRET' AND nr.deleted_at IS NULL)
                <> (o.privacy = 'SECRET' AND o.deleted_at IS NULL)
        ) x JOIN group_members m ON m.group_id = x.id
        GROUP BY m.account_id HAVING sum(x.delta) <> 0 ORDER BY m.account_id
        ON CONFLICT (account_id) DO UPDATE SET live = c.live + EXCLUDED.live;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION drop_secret_counts_of_deleted_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM account_secret_group_counts WHERE account_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER group_members_secret_insert AFTER INSERT ON group_members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_account_secret_counts_members();
CREATE TRIGGER group_members_secret_update AFTER UPDATE ON group_members
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_account_secret_counts_members();
CREATE TRIGGER group_members_secret_delete AFTER DELETE ON group_members
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_account_secret_counts_members();
-- After groups_privacy_update and groups_privacy_update_prefixes (name order).
CREATE TRIGGER groups_privacy_update_secret_members AFTER UPDATE ON groups
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_account_secret_counts_groups();
-- Before groups_drop_members (name order), while the members are there.
CREATE TRIGGER groups_count_secret_members_delete AFTER DELETE ON groups
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_account_secret_counts_groups();
-- After accounts_drop_rows, whose dropped members bring the row to zero.
CREATE TRIGGER accounts_drop_secret_counts AFTER DELETE ON accounts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION drop_secret_counts_of_deleted_accounts();

-- +goose Down
DROP TRIGGER accounts_drop_secret_counts ON accounts;
DROP TRIGGER groups_count_secret_members_delete ON groups;
DROP TRIGGER groups_privacy_update_secret_members ON groups;
DROP TRIGGER group_members_secret_delete ON group_members;
DROP TRIGGER group_members_secret_update ON group_members;
DROP TRIGGER group_members_secret_insert ON group_members;
DROP FUNCTION drop_secret_counts_of_deleted_accounts();
DROP FUNCTION keep_account_secret_counts_groups();
DROP FUNCTION keep_account_secret_counts_members();
DROP TABLE account_secret_group_counts;
