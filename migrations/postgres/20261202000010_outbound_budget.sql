-- The outbound budget shared by replicas without Redis: one row per connection, locked
-- while a replica decides (so two replicas never both take the last slot), and the times
-- of the connection's calls in the last window (a sliding log; older rows are deleted as
-- the budget is spent, so a connection keeps at most its limit of rows).
CREATE TABLE outbound_budgets (
    connection_id  uuid PRIMARY KEY,
    workspace_id   uuid NOT NULL
);

CREATE TABLE outbound_budget_calls (
    connection_id  uuid NOT NULL,
    at_ms          bigint NOT NULL
);

CREATE INDEX outbound_budget_calls_by_connection ON outbound_budget_calls (connection_id, at_ms);
