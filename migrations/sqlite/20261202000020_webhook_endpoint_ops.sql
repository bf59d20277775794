-- Webhook endpoint operations (SQLite twin of migrations/postgres). The wake-up on a new
-- delivery is the store's commit hook here: one process owns the file.

-- When the endpoint's current run of failures began; NULL after a success.
ALTER TABLE webhook_endpoints ADD COLUMN failing_since TEXT;
