-- Candidate data lifecycle (erasure, retention) and events about something other than an
-- interview. (SQLite twin of migrations/postgres.)

ALTER TABLE candidates ADD COLUMN erased_at TEXT;
DROP INDEX candidates_email_only;
CREATE UNIQUE INDEX candidates_email_only ON candidates (workspace_id, email)
    WHERE external_id IS NULL AND erased_at IS NULL;

ALTER TABLE interviews ADD COLUMN erased_at TEXT;

-- SQLite cannot drop NOT NULL in place: the events table is rebuilt. Deliveries reference
-- it, so foreign keys are deferred to the commit: the drop leaves them dangling for a moment,
-- and re-inserting every event resolves them again before the check.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE events_copy AS SELECT * FROM events;
DROP TABLE events;
CREATE TABLE events (
    id            BLOB PRIMARY KEY,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id),
    interview_id  BLOB REFERENCES interviews (id),
    candidate_id  BLOB REFERENCES candidates (id),
    type          TEXT NOT NULL,
    data          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    redacted_at   TEXT
);
INSERT INTO events (id, workspace_id, interview_id, type, data, created_at)
    SELECT id, workspace_id, interview_id, type, data, created_at FROM events_copy;
DROP TABLE events_copy;
CREATE INDEX events_workspace ON events (workspace_id, id DESC);
CREATE INDEX events_interview ON events (workspace_id, interview_id, id DESC);
CREATE INDEX events_type ON events (workspace_id, type, id DESC);
CREATE INDEX events_candidate ON events (workspace_id, candidate_id, id DESC)
    WHERE candidate_id IS NOT NULL;
CREATE INDEX events_unredacted ON events (created_at) WHERE redacted_at IS NULL;

-- What retention selects by age (the strip clears what selects the row).
CREATE INDEX interviews_result_age ON interviews (updated_at) WHERE result IS NOT NULL;
CREATE INDEX interviews_remote_age ON interviews (updated_at) WHERE remote_data <> '{}';
ALTER TABLE inbound_receipts ADD COLUMN redacted_at TEXT;
CREATE INDEX inbound_receipts_unredacted ON inbound_receipts (received_at) WHERE redacted_at IS NULL;

CREATE TABLE job_leases (
    name          TEXT PRIMARY KEY,
    holder        TEXT NOT NULL,
    leased_until  TEXT NOT NULL
);
