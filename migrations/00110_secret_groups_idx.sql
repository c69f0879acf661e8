-- The directory's total for someone who is not a site admin adds the
-- secret groups they belong to (internal/postgres visibleGroupsTotalSQL):
-- one probe per membership. This index holds only live secret groups, so
-- each probe reads a small index and never the table.
-- +goose Up
CREATE INDEX groups_secret_live_idx ON groups (id) WHERE privacy = 'SECRET' AND deleted_at IS NULL;

-- +goose Down
DROP INDEX groups_secret_live_idx;
