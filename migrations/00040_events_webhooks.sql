-- +goose Up
-- One row per change others may subscribe to, written in the change's own
-- transaction beside its audit entry (audit_id); subject is the domain's
-- snapshot of what it is about, rendered as API objects when delivered.
CREATE TABLE events (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    type       text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   uuid REFERENCES accounts (id) ON DELETE SET NULL,
    actor_name text NOT NULL DEFAULT '',
    audit_id   bigint REFERENCES audit_log (id) ON DELETE CASCADE,
    group_id   uuid,
    subject    jsonb NOT NULL
);
CREATE INDEX events_audit_id_idx ON events (audit_id);

CREATE TABLE webhooks (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url             text NOT NULL CHECK (length(url) <= 2000),
    event_types     text[] NOT NULL,
    -- NULL: a site-wide endpoint; else the group whose events it receives.
    group_id        uuid REFERENCES groups (id) ON DELETE CASCADE,
    -- whsec_ + base64: deliveries are signed with it, so it is kept as is.
    secret          text NOT NULL,
    enabled         boolean NOT NULL DEFAULT true,
    disabled_reason text NOT NULL DEFAULT '',
    -- Since when every delivery has failed; a day of it disables the endpoint.
    failing_since   timestamptz,
    created_by      uuid REFERENCES accounts (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_group_id_idx ON webhooks (group_id);

CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    webhook_id       uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    attempt          int NOT NULL,
    at               timestamptz NOT NULL DEFAULT now(),
    status_code      int,
    duration_ms      int NOT NULL,
    response_excerpt text NOT NULL DEFAULT '',
    error            text NOT NULL DEFAULT '',
    succeeded        boolean NOT NULL
);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, at DESC, id DESC);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE events;
