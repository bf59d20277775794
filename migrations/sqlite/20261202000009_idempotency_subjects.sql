-- Stored replays are sealed, so erasure cannot read them: each completed record keeps the
-- gateway ids its answer names (candidates, interviews; not personal data) in plain text,
-- and an erasure buries the replays that name the person by those.
ALTER TABLE idempotency_keys ADD COLUMN subjects TEXT;
