-- +goose Up
CREATE EXTENSION IF NOT EXISTS citext;

CREATE TABLE accounts (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email          citext NOT NULL,
    display_name   text NOT NULL,
    password_hash  text NOT NULL,
    site_admin     boolean NOT NULL DEFAULT false,
    public_profile boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT accounts_email_key UNIQUE (email)
);

-- A session row is keyed by the sha256 of the random token in the cookie,
-- so a leaked database dump does not hand out live sessions.
CREATE TABLE sessions (
    token_hash  bytea PRIMARY KEY,
    account_id  uuid REFERENCES accounts (id) ON DELETE CASCADE,
    data        bytea NOT NULL DEFAULT ''::bytea,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX sessions_account_id_idx ON sessions (account_id);

-- +goose Down
DROP TABLE sessions;
DROP TABLE accounts;
