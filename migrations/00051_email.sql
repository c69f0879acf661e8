-- +goose Up
-- Each person's choice per topic of email: OFF, AT_ONCE or DIGEST. No row
-- means the default, AT_ONCE (for new requests to decide: the first of a
-- batch at once, the rest in the daily digest).
CREATE TABLE email_preferences (
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    topic      text NOT NULL CHECK (topic IN ('requests', 'decisions', 'added', 'reminders')),
    mode       text NOT NULL CHECK (mode IN ('OFF', 'AT_ONCE', 'DIGEST')),
    PRIMARY KEY (account_id, topic)
);

-- A notification waiting for its recipient's daily digest.
ALTER TABLE notifications ADD COLUMN digest_due boolean NOT NULL DEFAULT false;
CREATE INDEX notifications_digest_idx ON notifications (account_id) WHERE digest_due;

-- Secrets Guildhall makes for itself and every instance shares (the key
-- that signs unsubscribe links), made on first use.
CREATE TABLE app_secrets (
    name       text PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE app_secrets;
DROP INDEX notifications_digest_idx;
ALTER TABLE notifications DROP COLUMN digest_due;
DROP TABLE email_preferences;
