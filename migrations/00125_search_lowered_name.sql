-- A search walks the newest-first index judging each entry's lowered name
-- (internal/postgres: a search page's rows, and the walk by which the
-- dashboard's search counts a common word's matches). The index carried
-- the name, so lower() ran on every entry walked, a third of an entry's
-- cost; it now carries lower(name) too, which an index-only scan returns
-- as stored. It keeps its name and its leading (created_at, id), so every
-- plan that used it still can; the name stays included because
-- PostgreSQL takes an expression from an index-only scan only when the
-- index also holds the column it is computed from.
-- +goose Up
CREATE INDEX groups_created_lname_idx ON groups (created_at, id, lower(name)) INCLUDE (name, privacy)
    WHERE deleted_at IS NULL;
DROP INDEX groups_created_idx;
ALTER INDEX groups_created_lname_idx RENAME TO groups_created_idx;

-- +goose Down
CREATE INDEX groups_created_cover_idx ON groups (created_at, id) INCLUDE (name, privacy) WHERE deleted_at IS NULL;
DROP INDEX groups_created_idx;
ALTER INDEX groups_created_cover_idx RENAME TO groups_created_idx;
