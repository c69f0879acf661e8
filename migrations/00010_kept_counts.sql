-- +goose Up
-- Counts that pages show on every view, kept in the same transaction as
-- every change to what they count, by triggers, so that no writer (a
-- service, a periodic job, a manual fix) can forget one; a statement that
-- changes many rows adjusts each count once. A race test compares every
-- kept count with a fresh count(*).

-- Pending join requests per group: the inbox badge and the queue sizes add
-- these up over the viewer's groups instead of counting the requests.
CREATE TABLE group_pending_counts (
    group_id uuid PRIMARY KEY,
    -- No CHECK (pending >= 0): a decrease arrives as a proposed insert of
    -- a negative number that ON CONFLICT turns into an update, and CHECK
    -- would refuse the proposal. The race test watches for drift instead.
    pending  integer NOT NULL DEFAULT 0
);
INSERT INTO group_pending_counts (group_id, pending)
SELECT group_id, count(*) FROM join_requests WHERE status = 'PENDING' GROUP BY group_id;

-- A group's queue, oldest first: the inbox merges the first page of each
-- queue its viewer decides, reading each in order.
CREATE INDEX join_requests_group_pending_idx ON join_requests (group_id, created_at, id) WHERE status = 'PENDING';

-- Live groups per privacy: the directory's total without counting groups.
CREATE TABLE group_privacy_counts (
    privacy text PRIMARY KEY CHECK (privacy IN ('PUBLIC', 'PRIVATE', 'SECRET')),
    live    integer NOT NULL DEFAULT 0 CHECK (live >= 0)
);
INSERT INTO group_privacy_counts (privacy, live)
SELECT p, (SELECT count(*) FROM groups WHERE privacy = p AND deleted_at IS NULL)
FROM unnest(ARRAY['PRIVATE', 'PUBLIC', 'SECRET']) AS p;

-- +goose StatementBegin
CREATE FUNCTION keep_group_pending_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Rows are locked in group order, so two statements over the same
    -- groups cannot deadlock on their counts.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO group_pending_counts AS c (group_id, pending)
        SELECT group_id, count(*) FROM new_rows WHERE status = 'PENDING' GROUP BY group_id ORDER BY group_id
        ON CONFLICT (group_id) DO UPDATE SET pending = c.pending + EXCLUDED.pending;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO group_pending_counts AS c (group_id, pending)
        SELECT group_id, -count(*) FROM old_rows WHERE status = 'PENDING' GROUP BY group_id ORDER BY group_id
        ON CONFLICT (group_id) DO UPDATE SET pending = c.pending + EXCLUDED.pending;
    ELSE
        INSERT INTO group_pending_counts AS c (group_id, pending)
        SELECT group_id, sum(delta) FROM (
            SELECT group_id, 1 AS delta FROM new_rows WHERE status = 'PENDING'
            UNION ALL
            SELECT group_id, -1 FROM old_rows WHERE status = 'PENDING'
        ) d
        GROUP BY group_id HAVING sum(delta) <> 0 ORDER BY group_id
        ON CONFLICT (group_id) DO UPDATE SET pending = c.pending + EXCLUDED.pending;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER join_requests_pending_insert AFTER INSERT ON join_requests
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_group_pending_counts();
CREATE TRIGGER join_requests_pending_update AFTER UPDATE ON join_requests
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_group_pending_counts();
CREATE TRIGGER join_requests_pending_delete AFTER DELETE ON join_requests
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_group_pending_counts();

-- +goose StatementBegin
CREATE FUNCTION keep_group_privacy_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d record;
BEGIN
    -- Most updates of a group (its member count, its last activity) change
    -- neither its privacy nor whether it is live: nothing to lock then.
    -- Otherwise the rows are updated one by one in privacy order, so two
    -- privacy changes at once cannot deadlock on them.
    FOR d IN
        SELECT privacy, sum(delta) AS delta FROM (
            SELECT privacy, 1 AS delta FROM new_rows WHERE deleted_at IS NULL
            UNION ALL
            SELECT privacy, -1 FROM old_rows WHERE deleted_at IS NULL
        ) x
        GROUP BY privacy HAVING sum(delta) <> 0 ORDER BY privacy
    LOOP
        UPDATE group_privacy_counts SET live = live + d.delta WHERE privacy = d.privacy;
    END LOOP;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION keep_group_privacy_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE group_privacy_counts AS c SET live = c.live + d.n
    FROM (SELECT privacy, count(*) AS n FROM new_rows WHERE deleted_at IS NULL GROUP BY privacy) d
    WHERE c.privacy = d.privacy;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION keep_group_privacy_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE group_privacy_counts AS c SET live = c.live - d.n
    FROM (SELECT privacy, count(*) AS n FROM old_rows WHERE deleted_at IS NULL GROUP BY privacy) d
    WHERE c.privacy = d.privacy;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER groups_privacy_insert AFTER INSERT ON groups
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_group_privacy_counts_insert();
CREATE TRIGGER groups_privacy_update AFTER UPDATE ON groups
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_group_privacy_counts();
CREATE TRIGGER groups_privacy_delete AFTER DELETE ON groups
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_group_privacy_counts_delete();

-- +goose Down
DROP TRIGGER groups_privacy_delete ON groups;
DROP TRIGGER groups_privacy_update ON groups;
DROP TRIGGER groups_privacy_insert ON groups;
DROP FUNCTION keep_group_privacy_counts_delete();
DROP FUNCTION keep_group_privacy_counts_insert();
DROP FUNCTION keep_group_privacy_counts();
DROP TRIGGER join_requests_pending_delete ON join_requests;
DROP TRIGGER join_requests_pending_update ON join_requests;
DROP TRIGGER join_requests_pending_insert ON join_requests;
DROP FUNCTION keep_group_pending_counts();
DROP INDEX join_requests_group_pending_idx;
DROP TABLE group_privacy_counts;
DROP TABLE group_pending_counts;
