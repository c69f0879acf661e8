-- A name-prefix query sorted by members (POST /groups/query, the API's
-- $startsWith; internal/postgres prefixRowsSQL) walks the most-members
-- index judging each entry's lowered name: about 360 entries for a page of
-- "chess" at any size of the site. The index carried the name, so lower()
-- ran on every entry walked (a thousand instructions each, more than the
-- test itself); it now carries lower(name) too, which an index-only scan
-- returns as it is (the statement's instructions -13 %). It keeps its name
-- and its leading (members_count, id), so every plan that used it still
-- can; the name stays included because PostgreSQL allows an index-only scan
-- of an expression only when the index also holds the column it is
-- computed from.
-- +goose Up
CREATE INDEX groups_members_count_lname_idx ON groups (members_count, id, lower(name)) INCLUDE (name, privacy)
    WHERE deleted_at IS NULL;
DROP INDEX groups_members_count_idx;
ALTER INDEX groups_members_count_lname_idx RENAME TO groups_members_count_idx;

-- +goose Down
CREATE INDEX groups_members_count_cover_idx ON groups (members_count, id) INCLUDE (name, privacy) WHERE deleted_at IS NULL;
DROP INDEX groups_members_count_idx;
ALTER INDEX groups_members_count_cover_idx RENAME TO groups_members_count_idx;
