-- +goose Up
-- The name a requester knew a group by, kept on each join request for when
-- the group leaves the requester's sight (it turns secret or is deleted):
-- /me/requests still lists the request under that name, without a link,
-- and never learns a secret group's new name or slug.
ALTER TABLE join_requests ADD COLUMN known_group_name text;
UPDATE join_requests r SET known_group_name = g.name FROM groups g WHERE g.id = r.group_id;

-- +goose Down
ALTER TABLE join_requests DROP COLUMN known_group_name;
