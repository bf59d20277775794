-- The outbound budget's log, as on Postgres (a single SQLite node counts in memory, but the
-- store's schema is the same on both backends).
CREATE TABLE outbound_budgets (
    connection_id  BLOB PRIMARY KEY,
    workspace_id   BLOB NOT NULL
);

CREATE TABLE outbound_budget_calls (
    connection_id  BLOB NOT NULL,
    at_ms          INTEGER NOT NULL
);

CREATE INDEX outbound_budget_calls_by_connection ON outbound_budget_calls (connection_id, at_ms);
