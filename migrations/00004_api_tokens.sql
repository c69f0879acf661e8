-- +goose Up
-- Bearer tokens of the JSON API. Only the sha256 of a token is kept, so a
-- leaked database dump does not hand out working tokens; the token itself is
-- shown once, when it is made. A revoked token keeps its row (revoked_at set)
-- so its name and last use stay visible to whoever looks into it later.
CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash   bytea NOT NULL CHECK (length(token_hash) = 32),
    elevated     boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash)
);
-- The profile page lists an account's live tokens, newest first.
CREATE INDEX api_tokens_account_idx ON api_tokens (account_id, created_at DESC) WHERE revoked_at IS NULL;

-- +goose Down
DROP TABLE api_tokens;
