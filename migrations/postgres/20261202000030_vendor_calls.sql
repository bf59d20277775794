-- The per-connection vendor call log: one row per attempt the gateway made, bounded by
-- age and by a row count per connection (pruned by a leased background job). No foreign
-- keys: the log is written in batches off the request path and must never fail a batch
-- because a connection went away meanwhile; the prune clears what is left.
CREATE TABLE vendor_calls (
    id            uuid PRIMARY KEY,          -- UUIDv7: newest first is id DESC
    workspace_id  uuid NOT NULL,
    connection_id uuid NOT NULL,
    at            timestamptz NOT NULL,
    provider      text NOT NULL,
    operation     text NOT NULL,
    method        text NOT NULL,
    path          text NOT NULL,             -- never the query
    status        integer,                   -- NULL when unreachable
    outcome       text NOT NULL,             -- ok | client_error | rate_limited | server_error | unreachable
    latency_ms    bigint NOT NULL,
    attempt       integer NOT NULL,
    is_last       boolean NOT NULL,
    request_id    text,
    trace_id      text,
    span_id       text,
    error         text
);
CREATE INDEX vendor_calls_connection ON vendor_calls (workspace_id, connection_id, id);
CREATE INDEX vendor_calls_per_connection ON vendor_calls (connection_id, id);
CREATE INDEX vendor_calls_at ON vendor_calls (at);
