-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- One row: the site-wide settings.
CREATE TABLE site_settings (
    id              boolean PRIMARY KEY DEFAULT true CHECK (id),
    creation_policy text NOT NULL DEFAULT 'MEMBERS_WITH_APPROVAL'
        CHECK (creation_policy IN ('ADMINS_ONLY', 'ALL_MEMBERS', 'MEMBERS_WITH_APPROVAL')),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
INSERT INTO site_settings DEFAULT VALUES;

CREATE TABLE groups (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    slug                text NOT NULL,
    description         text NOT NULL DEFAULT '' CHECK (length(description) <= 20480),
    privacy             text NOT NULL CHECK (privacy IN ('PUBLIC', 'PRIVATE', 'SECRET')),
    members_can_approve boolean NOT NULL DEFAULT false,
    members_can_invite  boolean NOT NULL DEFAULT false,
    show_member_list    boolean NOT NULL DEFAULT true,
    owner_id            uuid NOT NULL REFERENCES accounts (id),
    members_count       integer NOT NULL DEFAULT 0 CHECK (members_count >= 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    last_activity_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz
);
-- A slug is unique among live groups; a deleted group frees its slug.
CREATE UNIQUE INDEX groups_slug_key ON groups (slug) WHERE deleted_at IS NULL;
-- One index per sort of the directory (ties broken by id).
CREATE INDEX groups_created_idx ON groups (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX groups_name_idx ON groups (lower(name), id) WHERE deleted_at IS NULL;
CREATE INDEX groups_members_count_idx ON groups (members_count, id) WHERE deleted_at IS NULL;
CREATE INDEX groups_last_activity_idx ON groups (last_activity_at, id) WHERE deleted_at IS NULL;
CREATE INDEX groups_privacy_idx ON groups (privacy) WHERE deleted_at IS NULL;
-- Serves "name contains" and "name starts with", case-insensitive.
CREATE INDEX groups_name_trgm_idx ON groups USING gin (lower(name) gin_trgm_ops) WHERE deleted_at IS NULL;

-- Slugs a group answered to before a rename; they redirect to the current one.
CREATE TABLE group_old_slugs (
    slug       text NOT NULL,
    group_id   uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (slug, group_id)
);
CREATE INDEX group_old_slugs_slug_idx ON group_old_slugs (slug, created_at DESC);

CREATE TABLE group_members (
    group_id   uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('ADMIN', 'MEMBER')),
    joined_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, account_id)
);
CREATE INDEX group_members_account_idx ON group_members (account_id, group_id);

CREATE TABLE create_requests (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    requester_id        uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name                text NOT NULL,
    description         text NOT NULL DEFAULT '',
    privacy             text NOT NULL CHECK (privacy IN ('PUBLIC', 'PRIVATE', 'SECRET')),
    members_can_approve boolean NOT NULL DEFAULT false,
    members_can_invite  boolean NOT NULL DEFAULT false,
    show_member_list    boolean NOT NULL DEFAULT true,
    status              text NOT NULL DEFAULT 'PENDING'
        CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELED')),
    rejection_reason    text NOT NULL DEFAULT '' CHECK (length(rejection_reason) <= 1000),
    group_id            uuid REFERENCES groups (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    decided_at          timestamptz,
    decided_by          uuid REFERENCES accounts (id)
);
CREATE INDEX create_requests_status_idx ON create_requests (status, created_at DESC, id);
CREATE INDEX create_requests_created_idx ON create_requests (created_at DESC, id);
CREATE INDEX create_requests_requester_idx ON create_requests (requester_id, created_at DESC);

-- Written in the same transaction as every change it records.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid REFERENCES accounts (id) ON DELETE SET NULL,
    actor_name  text NOT NULL,
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   text NOT NULL,
    target_name text NOT NULL DEFAULT '',
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, id DESC);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE create_requests;
DROP TABLE group_members;
DROP TABLE group_old_slugs;
DROP TABLE groups;
DROP TABLE site_settings;
