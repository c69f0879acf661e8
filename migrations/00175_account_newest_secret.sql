-- +goose Up
-- A bound on how new a member's live secret groups are: no live secret
-- group of theirs was created after newest_secret (NULL: they never had
-- one). The kept search (migration 00140) sorts a viewer's own secret
-- matches into a page; when the bound is older than the page's last kept
-- match, none can be on it, and the page skips reading them (a probe per
-- membership: 50 for a member of 50 groups, about a fifth of the page's
-- database time).
--
-- It only ever rises: it is raised in the transaction of every change that
-- gives a member a live secret group (a membership added to one, a group
-- made secret or restored while secret), and left as it is when one goes,
-- so it may be newer than their newest secret group but never older. It
-- is raised by statement-level triggers named to fire right after those of
-- migration 00170, on the rows of account_secret_group_counts they have
-- just written (and so hold): no wait and no lock order of their own. A
-- membership's trigger reads the groups' privacy and liveness in a
-- statement of its own, after migration 00170's trigger has waited for a
-- privacy change in flight; a privacy change reads the members in a
-- statement of its own, after that trigger has counted them: each reads
-- what the other committed, as the counts do.
ALTER TABLE account_secret_group_counts ADD COLUMN newest_secret timestamptz;

UPDATE account_secret_group_counts c SET newest_secret = x.newest
FROM (SELECT m.account_id, max(g.created_at) AS newest
      FROM group_members m JOIN groups g ON g.id = m.group_id
      WHERE g.privacy = 'SECRET' AND g.deleted_at IS NULL
      GROUP BY m.account_id) x
WHERE c.account_id = x.account_id;

-- +goose StatementBegin
CREATE FUNCTION raise_newest_secret_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
CREATE FUNCTION raise_newest_secret_groups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM new_rows nr JOIN old_rows o ON o.id = nr.id
            WHERE nr.privacy = 'SECRET' AND nr.deleted_at IS NULL
                AND NOT (o.privacy = 'SECRET' AND o.deleted_at IS NULL)) THEN
        UPDATE account_secret_group_counts c SET newest_secret = greatest(c.newest_secret, x.newest)
        FROM (SELECT m.account_id, max(nr.created_at) AS newest
              FROM new_rows nr JOIN old_rows o ON o.id = nr.id JOIN group_members m ON m.group_id = nr.id
              WHERE nr.privacy = 'SECRET' AND nr.deleted_at IS NULL
                  AND NOT (o.privacy = 'SECRET' AND o.deleted_at IS NULL)
              GROUP BY m.account_id) x
        WHERE c.account_id = x.account_id;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER group_members_secret_insert_newest AFTER INSERT ON group_members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION raise_newest_secret_members();
CREATE TRIGGER group_members_secret_update_newest AFTER UPDATE ON group_members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION raise_newest_secret_members();
CREATE TRIGGER groups_privacy_update_secret_members_newest AFTER UPDATE ON groups
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION raise_newest_secret_groups();

-- +goose Down
DROP TRIGGER groups_privacy_update_secret_members_newest ON groups;
DROP TRIGGER group_members_secret_update_newest ON group_members;
DROP TRIGGER group_members_secret_insert_newest ON group_members;
DROP FUNCTION raise_newest_secret_groups();
DROP FUNCTION raise_newest_secret_members();
ALTER TABLE account_secret_group_counts DROP COLUMN newest_secret;
