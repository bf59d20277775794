-- Normalized events, outbound webhook endpoints and their delivery queue, inbound receipts,
-- and what the poller needs on interviews. (SQLite twin of migrations/postgres.)

ALTER TABLE interviews ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE interviews ADD COLUMN next_poll_at TEXT;
ALTER TABLE interviews ADD COLUMN poll_leased_until TEXT;
CREATE INDEX interviews_poll_due ON interviews (next_poll_at) WHERE next_poll_at IS NOT NULL;

CREATE TABLE events (
    id            BLOB PRIMARY KEY,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id),
    interview_id  BLOB NOT NULL REFERENCES interviews (id),
    type          TEXT NOT NULL,
    data          TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX events_workspace ON events (workspace_id, id DESC);
CREATE INDEX events_interview ON events (workspace_id, interview_id, id DESC);
CREATE INDEX events_type ON events (workspace_id, type, id DESC);

CREATE TABLE webhook_endpoints (
    id              BLOB PRIMARY KEY,
    workspace_id    BLOB NOT NULL REFERENCES workspaces (id),
    url             TEXT NOT NULL,
    description     TEXT,
    events          TEXT NOT NULL,
    secret          BLOB NOT NULL,
    disabled_at     TEXT,
    disabled_reason TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT
);
CREATE INDEX webhook_endpoints_workspace ON webhook_endpoints (workspace_id, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
    id               BLOB PRIMARY KEY,
    workspace_id     BLOB NOT NULL REFERENCES workspaces (id),
    endpoint_id      BLOB NOT NULL REFERENCES webhook_endpoints (id),
    event_id         BLOB NOT NULL REFERENCES events (id),
    interview_id     BLOB NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    leased_until     TEXT,
    last_status      INTEGER,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (workspace_id, endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, interview_id, id) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    id            BLOB PRIMARY KEY,
    delivery_id   BLOB NOT NULL REFERENCES webhook_deliveries (id),
    attempted_at  TEXT NOT NULL,
    status        INTEGER,
    error         TEXT,
    duration_ms   INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

CREATE TABLE inbound_receipts (
    id             BLOB PRIMARY KEY,
    connection_id  BLOB NOT NULL REFERENCES connections (id),
    workspace_id   BLOB NOT NULL REFERENCES workspaces (id),
    dedupe_key     TEXT NOT NULL,
    payload        TEXT NOT NULL,
    status         TEXT NOT NULL,
    detail         TEXT,
    received_at    TEXT NOT NULL,
    processed_at   TEXT,
    UNIQUE (connection_id, dedupe_key)
);
CREATE INDEX inbound_receipts_pending ON inbound_receipts (received_at) WHERE status = 'pending';
