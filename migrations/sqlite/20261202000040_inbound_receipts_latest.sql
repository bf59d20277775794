-- The poller asks when a connection's latest webhook arrived (reconciliation-only polling
-- while a vendor's webhooks keep arriving).
CREATE INDEX inbound_receipts_latest ON inbound_receipts (connection_id, received_at);
