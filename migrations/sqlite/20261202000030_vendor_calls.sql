-- The per-connection vendor call log (SQLite twin of migrations/postgres).
CREATE TABLE vendor_calls (
    id            BLOB PRIMARY KEY,
    workspace_id  BLOB NOT NULL,
    connection_id BLOB NOT NULL,
    at            TEXT NOT NULL,
    provider      TEXT NOT NULL,
    operation     TEXT NOT NULL,
    method        TEXT NOT NULL,
    path          TEXT NOT NULL,
    status        INTEGER,
    outcome       TEXT NOT NULL,
    latency_ms    INTEGER NOT NULL,
    attempt       INTEGER NOT NULL,
    is_last       BOOLEAN NOT NULL,
    request_id    TEXT,
    trace_id      TEXT,
    span_id       TEXT,
    error         TEXT
);
CREATE INDEX vendor_calls_connection ON vendor_calls (workspace_id, connection_id, id);
CREATE INDEX vendor_calls_per_connection ON vendor_calls (connection_id, id);
CREATE INDEX vendor_calls_at ON vendor_calls (at);
