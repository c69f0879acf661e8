-- +goose Up
-- In-app notifications, written in the same transaction as the change that
-- causes them. A batch (new requests to decide in one group, reminders,
-- escalations) is one row per recipient while it is unread: the next item
-- of the batch raises its count instead of adding a row, so nobody is
-- flooded. batch_key is NULL for notifications that are never merged.
CREATE TABLE notifications (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    batch_key   text,
    -- The group (or group to be) it is about, with the name the recipient
    -- knew when it was written: a group that turns secret or is deleted
    -- keeps the name but loses its link.
    group_id    uuid REFERENCES groups (id) ON DELETE SET NULL,
    group_name  text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT '',
    reason      text NOT NULL DEFAULT '',
    count       integer NOT NULL DEFAULT 1 CHECK (count >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- updated_at moves when a batch grows; lists sort by it.
    updated_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz
);
CREATE INDEX notifications_account_idx ON notifications (account_id, updated_at DESC, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (account_id, updated_at DESC, id DESC) WHERE read_at IS NULL;
CREATE UNIQUE INDEX notifications_open_batch_key ON notifications (account_id, batch_key)
    WHERE read_at IS NULL AND batch_key IS NOT NULL;

-- The navigation's unread count, kept in the same transaction as every
-- notification written or read, so showing it is one primary-key read.
CREATE TABLE notification_counts (
    account_id uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    unread     integer NOT NULL DEFAULT 0 CHECK (unread >= 0)
);

-- Request lifecycle settings (NULL = off).
ALTER TABLE site_settings
    ADD COLUMN expire_after_days integer CHECK (expire_after_days BETWEEN 1 AND 3650),
    ADD COLUMN remind_after_days integer CHECK (remind_after_days BETWEEN 1 AND 3650),
    ADD COLUMN escalate_after_days integer CHECK (escalate_after_days BETWEEN 1 AND 3650);

-- When a pending request was last reminded about and when it was escalated
-- to the site admins, so each happens once per request.
ALTER TABLE join_requests
    ADD COLUMN reminded_at timestamptz,
    ADD COLUMN escalated_at timestamptz;
ALTER TABLE create_requests
    ADD COLUMN reminded_at timestamptz;
CREATE INDEX create_requests_pending_idx ON create_requests (created_at) WHERE status = 'PENDING';

-- +goose Down
DROP INDEX create_requests_pending_idx;
ALTER TABLE create_requests DROP COLUMN reminded_at;
ALTER TABLE join_requests DROP COLUMN escalated_at, DROP COLUMN reminded_at;
ALTER TABLE site_settings DROP COLUMN escalate_after_days, DROP COLUMN remind_after_days, DROP COLUMN expire_after_days;
DROP TABLE notification_counts;
DROP TABLE notifications;
