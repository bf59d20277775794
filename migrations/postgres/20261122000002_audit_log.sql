-- Security-relevant actions: who did what, when, from which request. Never secrets.
CREATE TABLE audit_log (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id),
    at            timestamptz NOT NULL,
    actor_key_id  uuid,
    action        text NOT NULL,
    target_type   text NOT NULL,
    target_id     text NOT NULL,
    request_id    text,
    details       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, id DESC);
CREATE INDEX audit_log_action ON audit_log (workspace_id, action, id DESC);
