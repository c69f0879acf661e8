-- +goose Up
-- Live groups per lowercased name prefix (the first 1 to 8 characters) and
-- privacy: the exact total of a name-prefix query (POST /groups/query with
-- $startsWith, which the API's offset paging must report) without counting
-- every match. Counting "chess" from groups_name_prefix_idx read all 5,000
-- matching entries (2 ms at 100,000 groups, growing with the data); this
-- is three rows. A longer prefix is still counted through that index.
-- Kept as migration 00010 keeps its counts: by statement-level triggers in
-- the transaction of every insert, rename, privacy change and (soft or
-- hard) delete, each prefix adjusted once per statement.
--
-- Write side: a new group adds one to at most 8 rows of its privacy. Every
-- creation, deletion and privacy change already locks its privacies' rows
-- of group_privacy_counts until it commits (migration 00010), and takes
-- them before its prefix rows (the triggers fire in name order), so those
-- writes of one privacy already wait for each other there and the prefix
-- rows add no wait of their own; a rename, which changes no privacy count,
-- locks its privacy's row too, so it now waits for a creation, deletion or
-- privacy change of that privacy in flight, and they for it. As no prefix
-- row is taken without its privacy's row, none is ever waited for, and a
-- write of one group (which takes its privacy rows in order, then its
-- prefix rows) cannot deadlock with another, nor with a long transaction
-- such as the seed's, waiting as it does on a privacy row and holding
-- nothing. An update that changes no name, privacy or liveness (members
-- count, last activity) locks nothing. The seed's bulk insert adjusts each
-- prefix once per statement of 20,000 groups.
CREATE TABLE group_name_prefix_counts (
    -- left(lower(name), n) for n in 1..8: a lookup by lower(prefix) finds
    -- what lower(name) ^@ lower(prefix) matches.
    prefix  text NOT NULL,
    privacy text NOT NULL,
    -- No CHECK (live >= 0), as for group_pending_counts: a decrease is a
    -- proposed insert of a negative number. The race test watches for drift.
    live    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (prefix, privacy)
);

INSERT INTO group_name_prefix_counts (prefix, privacy, live)
SELECT left(lower(g.name), n), g.privacy, count(*)
FROM groups g, generate_series(1, least(8, char_length(lower(g.name)))) AS n
WHERE g.deleted_at IS NULL
GROUP BY 1, 2;

-- +goose StatementBegin
CREATE FUNCTION keep_group_name_prefix_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO group_name_prefix_counts AS c (prefix, privacy, live)
        SELECT left(lower(r.name), n), r.privacy, count(*)
        FROM new_rows r, generate_series(1, least(8, char_length(lower(r.name)))) AS n
        WHERE r.deleted_at IS NULL
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (prefix, privacy) DO UPDATE SET live = c.live + EXCLUDED.live;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO group_name_prefix_counts AS c (prefix, privacy, live)
        SELECT left(lower(r.name), n), r.privacy, -count(*)
        FROM old_rows r, generate_series(1, least(8, char_length(lower(r.name)))) AS n
        WHERE r.deleted_at IS NULL
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (prefix, privacy) DO UPDATE SET live = c.live + EXCLUDED.live;
    ELSIF EXISTS (SELECT FROM new_rows nr JOIN old_rows o ON o.id = nr.id
            WHERE nr.name IS DISTINCT FROM o.name OR nr.privacy IS DISTINCT FROM o.privacy
                OR (nr.deleted_at IS NULL) <> (o.deleted_at IS NULL)) THEN
        -- Only the rows whose name, privacy or liveness changed, as they
        -- were and as they are while live. Most updates of a group (members
        -- count, last activity) change none of the three: the check above
        -- is all they cost (about what the privacy counts' trigger costs,
        -- 0.015 to 0.1 ms), and they lock nothing.
        --
        -- The privacies' rows of group_privacy_counts are locked first, in
        -- order: a privacy change or deletion has them already
        -- (groups_privacy_update), a rename takes them here. So every
        -- change of the prefix counts holds its privacies' rows before its
        -- prefix rows, and writers wait for each other on those alone.
        PERFORM FROM group_privacy_counts c
        WHERE c.privacy IN (
            SELECT x.privacy
            FROM new_rows nr JOIN old_rows o ON o.id = nr.id,
                LATERAL (VALUES (nr.privacy, nr.deleted_at), (o.privacy, o.deleted_at)) AS x (privacy, deleted_at)
            WHERE (nr.name IS DISTINCT FROM o.name OR nr.privacy IS DISTINCT FROM o.privacy
                    OR (nr.deleted_at IS NULL) <> (o.deleted_at IS NULL))
                AND x.deleted_at IS NULL)
        ORDER BY c.privacy
        FOR NO KEY UPDATE;
        INSERT INTO group_name_prefix_counts AS c (prefix, privacy, live)
        SELECT left(lower(d.name), n), d.privacy, sum(d.delta)
        FROM (
            SELECT x.name, x.privacy, x.delta
            FROM new_rows nr JOIN old_rows o ON o.id = nr.id,
                LATERAL (VALUES (nr.name, nr.privacy, nr.deleted_at, 1), (o.name, o.privacy, o.deleted_at, -1))
                    AS x (name, privacy, deleted_at, delta)
            WHERE (nr.name IS DISTINCT FROM o.name OR nr.privacy IS DISTINCT FROM o.privacy
                    OR (nr.deleted_at IS NULL) <> (o.deleted_at IS NULL))
                AND x.deleted_at IS NULL
        ) d, generate_series(1, least(8, char_length(lower(d.name)))) AS n
        GROUP BY 1, 2 HAVING sum(d.delta) <> 0 ORDER BY 1, 2
        ON CONFLICT (prefix, privacy) DO UPDATE SET live = c.live + EXCLUDED.live;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- Named to fire right after the groups_privacy_* trigger of the same event
-- (triggers fire in name order): a statement takes its privacy row first,
-- so a write that waits for another of its privacy (a long transaction,
-- such as the seed's) waits holding no prefix row that the other may need.
CREATE TRIGGER groups_privacy_insert_prefixes AFTER INSERT ON groups
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_group_name_prefix_counts();
CREATE TRIGGER groups_privacy_update_prefixes AFTER UPDATE ON groups
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_group_name_prefix_counts();
CREATE TRIGGER groups_privacy_delete_prefixes AFTER DELETE ON groups
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_group_name_prefix_counts();

-- +goose Down
DROP TRIGGER groups_privacy_delete_prefixes ON groups;
DROP TRIGGER groups_privacy_update_prefixes ON groups;
DROP TRIGGER groups_privacy_insert_prefixes ON groups;
DROP FUNCTION keep_group_name_prefix_counts();
DROP TABLE group_name_prefix_counts;
