-- Normalized events, outbound webhook endpoints and their delivery queue, inbound receipts,
-- and what the poller needs on interviews.

-- Every state write bumps the version; writers compare-and-set on it, so a webhook and a poll
-- observing the same vendor change cannot both record it (and emit two events).
ALTER TABLE interviews ADD COLUMN version bigint NOT NULL DEFAULT 0;
ALTER TABLE interviews ADD COLUMN next_poll_at timestamptz;
ALTER TABLE interviews ADD COLUMN poll_leased_until timestamptz;
CREATE INDEX interviews_poll_due ON interviews (next_poll_at) WHERE next_poll_at IS NOT NULL;

CREATE TABLE events (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id),
    interview_id  uuid NOT NULL REFERENCES interviews (id),
    type          text NOT NULL,
    data          jsonb NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX events_workspace ON events (workspace_id, id DESC);
CREATE INDEX events_interview ON events (workspace_id, interview_id, id DESC);
CREATE INDEX events_type ON events (workspace_id, type, id DESC);

CREATE TABLE webhook_endpoints (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL REFERENCES workspaces (id),
    url             text NOT NULL,
    description     text,
    events          jsonb NOT NULL,          -- event types; empty = all
    secret          bytea NOT NULL,          -- sealed whsec_ key
    disabled_at     timestamptz,
    disabled_reason text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz
);
CREATE INDEX webhook_endpoints_workspace ON webhook_endpoints (workspace_id, id DESC) WHERE deleted_at IS NULL;

-- One message per (event, endpoint); its id is the stable `webhook-id` across retries.
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    workspace_id     uuid NOT NULL REFERENCES workspaces (id),
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id),
    event_id         uuid NOT NULL REFERENCES events (id),
    interview_id     uuid NOT NULL,
    status           text NOT NULL,          -- pending | delivered | failed
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    leased_until     timestamptz,
    last_status      integer,
    last_error       text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (workspace_id, endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, interview_id, id) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    id            uuid PRIMARY KEY,
    delivery_id   uuid NOT NULL REFERENCES webhook_deliveries (id),
    attempted_at  timestamptz NOT NULL,
    status        integer,                   -- the receiver's HTTP status, null when unreachable
    error         text,
    duration_ms   integer NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- Vendor webhooks as received (after verification), processed after the 2xx is sent.
CREATE TABLE inbound_receipts (
    id             uuid PRIMARY KEY,
    connection_id  uuid NOT NULL REFERENCES connections (id),
    workspace_id   uuid NOT NULL REFERENCES workspaces (id),
    dedupe_key     text NOT NULL,
    payload        jsonb NOT NULL,
    status         text NOT NULL,            -- pending | processed | ignored | failed
    detail         text,
    received_at    timestamptz NOT NULL,
    processed_at   timestamptz,
    UNIQUE (connection_id, dedupe_key)
);
CREATE INDEX inbound_receipts_pending ON inbound_receipts (received_at) WHERE status = 'pending';
