-- +goose Up
-- A search judges each candidate by what an index carries (countGroups,
-- searchRowsSQL): its name, privacy and id. The name prefix index gains id
-- (a secret match is looked up among the viewer's own groups by id), and
-- the sort indexes of the newest-first and most-members orders, which a
-- search's page walks until it has its rows, carry name and privacy, so
-- the walk is an index-only scan instead of a heap page per entry passed.
-- Each keeps its name and key, so every plan that used it still can.
DROP INDEX groups_name_prefix_idx;
CREATE INDEX groups_name_prefix_idx ON groups USING spgist (lower(name)) INCLUDE (name, privacy, id)
    WHERE deleted_at IS NULL;

CREATE INDEX groups_created_cover_idx ON groups (created_at, id) INCLUDE (name, privacy) WHERE deleted_at IS NULL;
DROP INDEX groups_created_idx;
ALTER INDEX groups_created_cover_idx RENAME TO groups_created_idx;

CREATE INDEX groups_members_count_cover_idx ON groups (members_count, id) INCLUDE (name, privacy) WHERE deleted_at IS NULL;
DROP INDEX groups_members_count_idx;
ALTER INDEX groups_members_count_cover_idx RENAME TO groups_members_count_idx;

-- +goose Down
CREATE INDEX groups_members_count_plain_idx ON groups (members_count, id) WHERE deleted_at IS NULL;
DROP INDEX groups_members_count_idx;
ALTER INDEX groups_members_count_plain_idx RENAME TO groups_members_count_idx;

CREATE INDEX groups_created_plain_idx ON groups (created_at, id) WHERE deleted_at IS NULL;
DROP INDEX groups_created_idx;
ALTER INDEX groups_created_plain_idx RENAME TO groups_created_idx;

DROP INDEX groups_name_prefix_idx;
CREATE INDEX groups_name_prefix_idx ON groups USING spgist (lower(name)) INCLUDE (name, privacy)
    WHERE deleted_at IS NULL;
