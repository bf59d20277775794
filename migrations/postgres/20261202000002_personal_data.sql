-- Candidate data lifecycle (erasure, retention) and events about something other than an
-- interview.

-- An erased candidate stays as a tombstone (ids and timestamps, no personal data), so
-- interviews, events and audit entries still add up. Its email is '' and must not collide
-- with another tombstone's.
ALTER TABLE candidates ADD COLUMN erased_at timestamptz;
DROP INDEX candidates_email_only;
CREATE UNIQUE INDEX candidates_email_only ON candidates (workspace_id, email)
    WHERE external_id IS NULL AND erased_at IS NULL;

-- Set on the interviews of an erased candidate: writers of vendor state check it on the row
-- they update, so a vendor answer landing after the erasure cannot write personal data back.
ALTER TABLE interviews ADD COLUMN erased_at timestamptz;

-- Events may be about a candidate (candidate.erased) or, later, other subjects: the
-- interview is optional. `redacted_at` marks data reduced to ids (erasure, retention).
ALTER TABLE events ALTER COLUMN interview_id DROP NOT NULL;
ALTER TABLE events ADD COLUMN candidate_id uuid REFERENCES candidates (id);
ALTER TABLE events ADD COLUMN redacted_at timestamptz;
CREATE INDEX events_candidate ON events (workspace_id, candidate_id, id DESC)
    WHERE candidate_id IS NOT NULL;
CREATE INDEX events_unredacted ON events (created_at) WHERE redacted_at IS NULL;
-- webhook_deliveries.interview_id is the per-endpoint ordering key: an event's interview,
-- or its candidate when it has none.

-- What retention selects by age (the strip clears what selects the row).
CREATE INDEX interviews_result_age ON interviews (updated_at) WHERE result IS NOT NULL;
CREATE INDEX interviews_remote_age ON interviews (updated_at) WHERE remote_data <> '{}';
ALTER TABLE inbound_receipts ADD COLUMN redacted_at timestamptz;
CREATE INDEX inbound_receipts_unredacted ON inbound_receipts (received_at) WHERE redacted_at IS NULL;

-- Cluster-wide jobs (retention) run by one replica at a time: whoever holds the lease.
CREATE TABLE job_leases (
    name          text PRIMARY KEY,
    holder        text NOT NULL,
    leased_until  timestamptz NOT NULL
);
