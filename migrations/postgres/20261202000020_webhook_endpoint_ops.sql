-- Webhook endpoint operations: the failure clock behind auto-disable, and a notification
-- whenever a delivery becomes ready, so every replica's sender wakes at once instead of on
-- its next tick (the delivery itself is still leased through the table).

-- When the endpoint's current run of failures began; NULL after a success.
ALTER TABLE webhook_endpoints ADD COLUMN failing_since timestamptz;

CREATE FUNCTION webhook_deliveries_notify() RETURNS trigger AS $$
BEGIN
    -- One payload-free notice per transaction: Postgres folds identical ones at commit.
    PERFORM pg_notify('interview_gateway_deliveries', '');
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- New messages and ones re-queued (redeliver, recover) start with attempts = 0 and no
-- lease; retries wait for their time and leases are the senders' own writes.
CREATE TRIGGER webhook_deliveries_ready
    AFTER INSERT OR UPDATE ON webhook_deliveries
    FOR EACH ROW
    WHEN (NEW.status = 'pending' AND NEW.attempts = 0 AND NEW.leased_until IS NULL)
    EXECUTE FUNCTION webhook_deliveries_notify();
