-- +goose Up
-- Up to 5 questions a private group asks those who request to join.
CREATE TABLE membership_questions (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    group_id   uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    position   integer NOT NULL CHECK (position BETWEEN 1 AND 5),
    text       text NOT NULL CHECK (length(text) BETWEEN 1 AND 200),
    required   boolean NOT NULL DEFAULT false,
    CONSTRAINT membership_questions_position_key UNIQUE (group_id, position)
);

CREATE TABLE join_requests (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    group_id         uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    account_id       uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status           text NOT NULL DEFAULT 'PENDING'
        CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELED')),
    rejection_reason text NOT NULL DEFAULT '' CHECK (length(rejection_reason) <= 1000),
    -- [{"questionId": "...", "question": "...", "text": "..."}]
    answers          jsonb NOT NULL DEFAULT '[]',
    created_at       timestamptz NOT NULL DEFAULT now(),
    decided_at       timestamptz,
    decided_by       uuid REFERENCES accounts (id) ON DELETE SET NULL
);
-- At most one pending request per member and group.
CREATE UNIQUE INDEX join_requests_one_pending_key ON join_requests (group_id, account_id) WHERE status = 'PENDING';
CREATE INDEX join_requests_group_idx ON join_requests (group_id, status, created_at DESC);
CREATE INDEX join_requests_account_idx ON join_requests (account_id, created_at DESC);
CREATE INDEX join_requests_pending_idx ON join_requests (created_at) WHERE status = 'PENDING';

-- +goose Down
DROP TABLE join_requests;
DROP TABLE membership_questions;
