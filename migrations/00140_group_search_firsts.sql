-- +goose Up
-- The first matches of a common word, kept: the dashboard's search for a
-- word found in more than a hundred names (newest first, no other filter)
-- reads its page from a kept list of the first hundred ids instead of
-- walking the newest-first index for matches (383 index entries for 20
-- rows of "chess" at 100,000 groups, and the statement that chooses the
-- way: about half of the search's database time). Kept exact by a change
-- number:
--
-- group_privacy_counts.changes counts, per privacy, the changes of its
-- groups that can change what a search finds or its order: a live group
-- inserted or deleted, renamed, its privacy changed, soft-deleted or
-- restored. It is moved by a statement-level trigger in the transaction of
-- the change, on rows that transaction already holds: the privacy
-- triggers (migration 00010) lock and update the rows of the privacies a
-- creation, deletion or privacy change moves, and a rename locks its
-- privacy's row (migration 00130) before this trigger fires (named to
-- fire after them). So it adds no wait and no lock order of its own.
--
-- A kept list (group_search_firsts) records the sum of the changes of the
-- privacies it covers (PUBLIC and PRIVATE for every viewer but site
-- admins, whose list covers SECRET too) in the snapshot it was read in;
-- a page uses it only while that sum is still the sum (read in the page's
-- own snapshot), so a list is never older than the groups it is shown
-- with. Sums only grow, so a list whose sum is passed is never used again
-- and the next list stored for that scope removes it. A viewer's own
-- secret groups are not in the shared list: the page adds those that
-- match, read afresh.
ALTER TABLE group_privacy_counts ADD COLUMN changes bigint NOT NULL DEFAULT 0;

CREATE TABLE group_search_firsts (
    -- lower(word)
    word    text NOT NULL,
    -- the site admins' list (every live group) or everyone else's (no
    -- secret group)
    admin   boolean NOT NULL,
    -- the sum of group_privacy_counts.changes over the privacies covered,
    -- when the list was read
    changes bigint NOT NULL,
    -- the first matches' ids, newest first (created_at DESC, id DESC)
    ids     uuid[] NOT NULL,
    -- how many match, counted to 101 ("more than 100")
    total   integer NOT NULL,
    PRIMARY KEY (word, admin)
);

-- +goose StatementBegin
CREATE FUNCTION count_group_search_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE group_privacy_counts c SET changes = c.changes + 1
        WHERE c.privacy IN (SELECT r.privacy FROM new_rows r WHERE r.deleted_at IS NULL);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE group_privacy_counts c SET changes = c.changes + 1
        WHERE c.privacy IN (SELECT r.privacy FROM old_rows r WHERE r.deleted_at IS NULL);
    ELSE
        -- The rows whose name, privacy or liveness changed, as they were
        -- and as they are, while live; an update of anything else (members
        -- count, last activity) moves nothing.
        UPDATE group_privacy_counts c SET changes = c.changes + 1
        WHERE c.privacy IN (
            SELECT x.privacy
            FROM new_rows nr JOIN old_rows o ON o.id = nr.id,
                LATERAL (VALUES (nr.privacy, nr.deleted_at), (o.privacy, o.deleted_at)) AS x (privacy, deleted_at)
            WHERE (nr.name IS DISTINCT FROM o.name OR nr.privacy IS DISTINCT FROM o.privacy
                    OR (nr.deleted_at IS NULL) <> (o.deleted_at IS NULL))
                AND x.deleted_at IS NULL);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- Named to fire after groups_privacy_<event> and groups_privacy_<event>_prefixes
-- (triggers fire in name order), which hold the privacy rows by then.
CREATE TRIGGER groups_privacy_insert_search AFTER INSERT ON groups
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_group_search_changes();
CREATE TRIGGER groups_privacy_update_search AFTER UPDATE ON groups
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_group_search_changes();
CREATE TRIGGER groups_privacy_delete_search AFTER DELETE ON groups
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_group_search_changes();

-- +goose Down
DROP TRIGGER groups_privacy_delete_search ON groups;
DROP TRIGGER groups_privacy_update_search ON groups;
DROP TRIGGER groups_privacy_insert_search ON groups;
DROP FUNCTION count_group_search_changes();
DROP TABLE group_search_firsts;
ALTER TABLE group_privacy_counts DROP COLUMN changes;
