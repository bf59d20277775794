-- A connection's health as seen from its real vendor calls (SQLite twin of
-- migrations/postgres).
CREATE TABLE connection_health (
    connection_id     BLOB PRIMARY KEY REFERENCES connections (id),
    workspace_id      BLOB NOT NULL REFERENCES workspaces (id),
    state             TEXT NOT NULL,
    since             TEXT NOT NULL,
    last_error        TEXT,
    unreachable_since TEXT,
    updated_at        TEXT NOT NULL
);
CREATE INDEX connection_health_workspace ON connection_health (workspace_id);
