-- Admin console sessions. The browser holds a random token; the table holds only its
-- SHA-256 (a leaked table opens no session) and the key's id and public lookup, never the key.
CREATE TABLE console_sessions (
    token_hash    bytea PRIMARY KEY,
    key_id        uuid NOT NULL REFERENCES api_keys (id),
    key_lookup    text NOT NULL,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id),
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL
);
CREATE INDEX console_sessions_last_seen ON console_sessions (last_seen_at);
CREATE INDEX console_sessions_key ON console_sessions (key_id);
