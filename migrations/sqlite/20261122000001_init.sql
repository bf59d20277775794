-- The foundation tables; the SQLite twin of migrations/postgres. Ids are 16-byte UUIDv7
-- blobs (memcmp order = creation order); timestamps are RFC 3339 UTC text, which sorts in
-- time order; JSON is text.

CREATE TABLE workspaces (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  TEXT NOT NULL
);

CREATE TABLE api_keys (
    id            BLOB PRIMARY KEY,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id),
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    rate_limit    TEXT,
    expires_at    TEXT,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id, id DESC);

CREATE TABLE api_key_secrets (
    lookup       TEXT PRIMARY KEY,
    api_key_id   BLOB NOT NULL REFERENCES api_keys (id),
    secret_hash  BLOB NOT NULL,
    expires_at   TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX api_key_secrets_key ON api_key_secrets (api_key_id);

CREATE TABLE gateway_secrets (
    name        TEXT PRIMARY KEY,
    ciphertext  BLOB NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE connections (
    id               BLOB PRIMARY KEY,
    workspace_id     BLOB NOT NULL REFERENCES workspaces (id),
    provider         TEXT NOT NULL,
    name             TEXT NOT NULL,
    base_url         TEXT,
    credentials      BLOB NOT NULL,
    settings         TEXT NOT NULL DEFAULT '{}',
    status           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT
);
CREATE INDEX connections_workspace ON connections (workspace_id, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE templates (
    id             BLOB PRIMARY KEY,
    workspace_id   BLOB NOT NULL REFERENCES workspaces (id),
    connection_id  BLOB NOT NULL REFERENCES connections (id),
    provider       TEXT NOT NULL,
    ref_kind       TEXT NOT NULL,
    ref_id         TEXT NOT NULL,
    ref_url_key    TEXT,
    name           TEXT NOT NULL,
    description    TEXT,
    status         TEXT NOT NULL,
    steps          TEXT NOT NULL DEFAULT '[]',
    remote_data    TEXT NOT NULL DEFAULT '{}',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (connection_id, ref_kind, ref_id)
);
CREATE INDEX templates_workspace ON templates (workspace_id, id DESC);
CREATE INDEX templates_connection ON templates (workspace_id, connection_id, id DESC);

CREATE TABLE candidates (
    id            BLOB PRIMARY KEY,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id),
    email         TEXT NOT NULL,
    name          TEXT,
    first_name    TEXT,
    last_name     TEXT,
    phone         TEXT,
    external_id   TEXT,
    resume_url    TEXT,
    metadata      TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX candidates_workspace ON candidates (workspace_id, id DESC);
CREATE INDEX candidates_email ON candidates (workspace_id, email, id DESC);
CREATE UNIQUE INDEX candidates_external_id ON candidates (workspace_id, external_id)
    WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX candidates_email_only ON candidates (workspace_id, email)
    WHERE external_id IS NULL;

CREATE TABLE interviews (
    id              BLOB PRIMARY KEY,
    workspace_id    BLOB NOT NULL REFERENCES workspaces (id),
    template_id     BLOB NOT NULL REFERENCES templates (id),
    connection_id   BLOB NOT NULL REFERENCES connections (id),
    candidate_id    BLOB NOT NULL REFERENCES candidates (id),
    provider        TEXT NOT NULL,
    status          TEXT NOT NULL,
    outcome         TEXT,
    interview_url   TEXT,
    provider_refs   TEXT NOT NULL DEFAULT '{}',
    result          TEXT,
    error           TEXT,
    invite_options  TEXT NOT NULL DEFAULT '{}',
    remote_data     TEXT NOT NULL DEFAULT '{}',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_synced_at  TEXT
);
CREATE INDEX interviews_workspace ON interviews (workspace_id, id DESC);
CREATE INDEX interviews_template ON interviews (workspace_id, template_id, id DESC);
CREATE INDEX interviews_candidate ON interviews (workspace_id, candidate_id, id DESC);
CREATE INDEX interviews_status ON interviews (workspace_id, status, id DESC);
CREATE INDEX interviews_updated ON interviews (workspace_id, updated_at);

CREATE TABLE provider_mappings (
    connection_id  BLOB NOT NULL REFERENCES connections (id),
    kind           TEXT NOT NULL,
    vendor_id      TEXT NOT NULL,
    workspace_id   BLOB NOT NULL REFERENCES workspaces (id),
    resource_type  TEXT NOT NULL,
    resource_id    BLOB NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (connection_id, kind, vendor_id)
);
CREATE INDEX provider_mappings_resource ON provider_mappings (resource_id);

CREATE TABLE idempotency_keys (
    workspace_id     BLOB NOT NULL REFERENCES workspaces (id),
    key              TEXT NOT NULL,
    request_hash     BLOB NOT NULL,
    state            TEXT NOT NULL,
    response_status  INTEGER,
    response_body    BLOB,
    locked_until     TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
