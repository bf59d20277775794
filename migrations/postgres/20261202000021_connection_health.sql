-- A connection's health as seen from its real vendor calls (one row once it has been
-- called). `unreachable_since` starts the stretch after which an unreachable vendor makes
-- the connection `unavailable`.
CREATE TABLE connection_health (
    connection_id     uuid PRIMARY KEY REFERENCES connections (id),
    workspace_id      uuid NOT NULL REFERENCES workspaces (id),
    state             text NOT NULL,          -- healthy | invalid_credentials | unavailable
    since             timestamptz NOT NULL,
    last_error        text,
    unreachable_since timestamptz,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX connection_health_workspace ON connection_health (workspace_id);
