-- The foundation tables. Ids are UUIDv7 (time-ordered), so `ORDER BY id` is creation order
-- and cursors are plain ids.

CREATE TABLE workspaces (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL
);

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id),
    name          text NOT NULL,
    prefix        text NOT NULL,
    scopes        jsonb NOT NULL,
    rate_limit    jsonb,
    expires_at    timestamptz,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id, id DESC);

-- A key's secrets: one normally, two during a rotation's grace window. `lookup` is the
-- public part of the presented key; `secret_hash` a keyed hash of the whole key.
CREATE TABLE api_key_secrets (
    lookup       text PRIMARY KEY,
    api_key_id   uuid NOT NULL REFERENCES api_keys (id),
    secret_hash  bytea NOT NULL,
    expires_at   timestamptz,
    created_at   timestamptz NOT NULL
);
CREATE INDEX api_key_secrets_key ON api_key_secrets (api_key_id);

-- Server-wide secrets generated on first start (e.g. the API-key hashing key), stored
-- encrypted under the master key.
CREATE TABLE gateway_secrets (
    name        text PRIMARY KEY,
    ciphertext  bytea NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE connections (
    id               uuid PRIMARY KEY,
    workspace_id     uuid NOT NULL REFERENCES workspaces (id),
    provider         text NOT NULL,
    name             text NOT NULL,
    base_url         text,
    credentials      bytea NOT NULL,           -- AEAD ciphertext, never plaintext
    settings         jsonb NOT NULL DEFAULT '{}',
    status           text NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    -- Deleted connections stay so the interviews made through them remain readable.
    deleted_at       timestamptz
);
CREATE INDEX connections_workspace ON connections (workspace_id, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE templates (
    id             uuid PRIMARY KEY,
    workspace_id   uuid NOT NULL REFERENCES workspaces (id),
    connection_id  uuid NOT NULL REFERENCES connections (id),
    provider       text NOT NULL,
    ref_kind       text NOT NULL,
    ref_id         text NOT NULL,
    ref_url_key    text,
    name           text NOT NULL,
    description    text,
    status         text NOT NULL,
    steps          jsonb NOT NULL DEFAULT '[]',
    remote_data    jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    UNIQUE (connection_id, ref_kind, ref_id)
);
CREATE INDEX templates_workspace ON templates (workspace_id, id DESC);
CREATE INDEX templates_connection ON templates (workspace_id, connection_id, id DESC);

CREATE TABLE candidates (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id),
    email         text NOT NULL,               -- lower-cased
    name          text,
    first_name    text,
    last_name     text,
    phone         text,
    external_id   text,
    resume_url    text,
    metadata      jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX candidates_workspace ON candidates (workspace_id, id DESC);
CREATE INDEX candidates_email ON candidates (workspace_id, email, id DESC);
CREATE UNIQUE INDEX candidates_external_id ON candidates (workspace_id, external_id)
    WHERE external_id IS NOT NULL;
-- Without an external id a person is their email: two concurrent upserts of one new email
-- must not create two candidates.
CREATE UNIQUE INDEX candidates_email_only ON candidates (workspace_id, email)
    WHERE external_id IS NULL;

CREATE TABLE interviews (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL REFERENCES workspaces (id),
    template_id     uuid NOT NULL REFERENCES templates (id),
    connection_id   uuid NOT NULL REFERENCES connections (id),
    candidate_id    uuid NOT NULL REFERENCES candidates (id),
    provider        text NOT NULL,
    status          text NOT NULL,
    outcome         text,
    interview_url   text,
    provider_refs   jsonb NOT NULL DEFAULT '{}',
    result          jsonb,
    error           text,
    invite_options  jsonb NOT NULL DEFAULT '{}',
    remote_data     jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    last_synced_at  timestamptz
);
CREATE INDEX interviews_workspace ON interviews (workspace_id, id DESC);
CREATE INDEX interviews_template ON interviews (workspace_id, template_id, id DESC);
CREATE INDEX interviews_candidate ON interviews (workspace_id, candidate_id, id DESC);
CREATE INDEX interviews_status ON interviews (workspace_id, status, id DESC);
CREATE INDEX interviews_updated ON interviews (workspace_id, updated_at);

-- Vendor id -> our id, unique per connection: the same vendor object is never mapped twice.
CREATE TABLE provider_mappings (
    connection_id  uuid NOT NULL REFERENCES connections (id),
    kind           text NOT NULL,
    vendor_id      text NOT NULL,
    workspace_id   uuid NOT NULL REFERENCES workspaces (id),
    resource_type  text NOT NULL,
    resource_id    uuid NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (connection_id, kind, vendor_id)
);
CREATE INDEX provider_mappings_resource ON provider_mappings (resource_id);

CREATE TABLE idempotency_keys (
    workspace_id     uuid NOT NULL REFERENCES workspaces (id),
    key              text NOT NULL,
    request_hash     bytea NOT NULL,
    state            text NOT NULL,            -- in_progress | completed
    response_status  integer,
    response_body    bytea,
    locked_until     timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
