-- Security-relevant actions: who did what, when, from which request. Never secrets.
CREATE TABLE audit_log (
    id            BLOB PRIMARY KEY,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id),
    at            TEXT NOT NULL,
    actor_key_id  BLOB,
    action        TEXT NOT NULL,
    target_type   TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    request_id    TEXT,
    details       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, id DESC);
CREATE INDEX audit_log_action ON audit_log (workspace_id, action, id DESC);
