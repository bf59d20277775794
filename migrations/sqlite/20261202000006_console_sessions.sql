-- Admin console sessions. The browser holds a random token; the table holds only its
-- SHA-256 (a leaked table opens no session) and the key's id and public lookup, never the key.
CREATE TABLE console_sessions (
    token_hash    BLOB PRIMARY KEY,
    key_id        BLOB NOT NULL REFERENCES api_keys (id),
    key_lookup    TEXT NOT NULL,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id),
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
);
CREATE INDEX console_sessions_last_seen ON console_sessions (last_seen_at);
CREATE INDEX console_sessions_key ON console_sessions (key_id);
