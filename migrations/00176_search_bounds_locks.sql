-- +goose Up
-- Mends migrations 00140 and 00175 (a review found them taking locks their
-- comments said were held already):
--
-- - A member's role change (SetRole) ran raise_newest_secret_members on the
--   rows it updated, and so waited for any transaction holding the
--   member's row of account_secret_group_counts (an approval into another
--   secret group, a privacy change): migration 00170 takes no row for a
--   role change. Now an update of group_members that moves no membership
--   (same group, same account) raises nothing and locks nothing; one that
--   moves some (raw SQL only: Guildhall never does) locks the rows it
--   raises in account order first, as 00170 does, so it waits but cannot
--   deadlock with them. The same for the groups' trigger, whose rows 00170
--   does not take for a member whose secret groups come and go in one
--   statement.
-- - The sort key, created_at, changed by hand (Guildhall never changes it)
--   moves a search's order: it now bumps the change number too, and raises
--   the bound for a secret group's members.

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION raise_newest_secret_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- (old_rows exists only for an update: asked in a statement of its own.)
    IF TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (SELECT group_id, account_id FROM new_rows EXCEPT SELECT group_id, account_id FROM old_rows) THEN
            RETURN NULL;
        END IF;
    END IF;
    PERFORM FROM account_secret_group_counts c
    WHERE c.account_id IN (SELECT r.account_id FROM new_rows r JOIN groups g ON g.id = r.group_id
                           WHERE g.privacy = 'SECRET' AND g.deleted_at IS NULL)
    ORDER BY c.account_id FOR NO KEY UPDATE;
    UPDATE account_secret_group_counts c SET newest_secret = greatest(c.newest_secret, x.newest)
    FROM (SELECT r.account_id, max(g.created_at) AS newest
          FROM new_rows r JOIN groups g ON g.id = r.group_id
          WHERE g.privacy = 'SECRET' AND g.deleted_at IS NULL
          GROUP BY r.account_id) x
    WHERE c.account_id = x.account_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION raise_newest_secret_groups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM new_rows nr JOIN old_rows o ON o.id = nr.id
            WHERE nr.privacy = 'SECRET' AND nr.deleted_at IS NULL
                AND (NOT (o.privacy = 'SECRET' AND o.deleted_at IS NULL) OR nr.created_at IS DISTINCT FROM o.created_at)) THEN
        PERFORM FROM account_secret_group_counts c
        WHERE c.account_id IN (
            SELECT m.account_id
            FROM new_rows nr JOIN old_rows o ON o.id = nr.id JOIN group_members m ON m.group_id = nr.id
            WHERE nr.privacy = 'SECRET' AND nr.deleted_at IS NULL
                AND (NOT (o.privacy = 'SECRET' AND o.deleted_at IS NULL) OR nr.created_at IS DISTINCT FROM o.created_at))
        ORDER BY c.account_id FOR NO KEY UPDATE;
        UPDATE account_secret_group_counts c SET newest_secret = greatest(c.newest_secret, x.newest)
        FROM (SELECT m.account_id, max(nr.created_at) AS newest
              FROM new_rows nr JOIN old_rows o ON o.id = nr.id JOIN group_members m ON m.group_id = nr.id
              WHERE nr.privacy = 'SECRET' AND nr.deleted_at IS NULL
                  AND (NOT (o.privacy = 'SECRET' AND o.deleted_at IS NULL) OR nr.created_at IS DISTINCT FROM o.created_at)
              GROUP BY m.account_id) x
        WHERE c.account_id = x.account_id;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION count_group_search_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE group_privacy_counts c SET changes = c.changes + 1
        WHERE c.privacy IN (SELECT r.privacy FROM new_rows r WHERE r.deleted_at IS NULL);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE group_privacy_counts c SET changes = c.changes + 1
        WHERE c.privacy IN (SELECT r.privacy FROM old_rows r WHERE r.deleted_at IS NULL);
    ELSE
        UPDATE group_privacy_counts c SET changes = c.changes + 1
        WHERE c.privacy IN (
            SELECT x.privacy
            FROM new_rows nr JOIN old_rows o ON o.id = nr.id,
                LATERAL (VALUES (nr.privacy, nr.deleted_at), (o.privacy, o.deleted_at)) AS x (privacy, deleted_at)
            WHERE (nr.name IS DISTINCT FROM o.name OR nr.privacy IS DISTINCT FROM o.privacy
                    OR (nr.deleted_at IS NULL) <> (o.deleted_at IS NULL) OR nr.created_at IS DISTINCT FROM o.created_at)
                AND x.deleted_at IS NULL);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

DROP TRIGGER group_members_secret_update_newest ON group_members;
CREATE TRIGGER group_members_secret_update_newest AFTER UPDATE ON group_members
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION raise_newest_secret_members();

-- +goose Down
-- Nothing to undo on its own: the mended functions serve 00140's and
-- 00175's triggers, whose Down drops them with their triggers.
SELECT 1;
