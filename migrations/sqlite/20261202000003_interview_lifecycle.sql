-- Issue 18: one interview per invitation, the caller's references, cancel.

-- The caller's own references on the interview (an application, a job, a stage).
ALTER TABLE interviews ADD COLUMN external_id TEXT;
ALTER TABLE interviews ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX interviews_external_id ON interviews (workspace_id, external_id)
    WHERE external_id IS NOT NULL;

-- Whether the caller asked for a new interview beside an open one.
ALTER TABLE interviews ADD COLUMN retake INTEGER NOT NULL DEFAULT 0;
-- A pending row folded into its sibling that the vendor confirmed.
ALTER TABLE interviews ADD COLUMN superseded_by BLOB REFERENCES interviews (id);
-- Held while the row is the candidate's open interview on its template ('interview') or
-- its one unconfirmed retake ('retake'); cleared when the row ends. The unique index below
-- is what makes two concurrent identical invitations one interview.
ALTER TABLE interviews ADD COLUMN open_key TEXT;

UPDATE interviews SET retake = 1 WHERE json_extract(invite_options, '$.retake') = 1;

-- Rows from before: the oldest confirmed open interview of each candidate and template
-- (else the oldest pending one) holds the key; pending duplicates fold into it.
UPDATE interviews SET open_key = 'interview' WHERE id IN (
    SELECT id FROM (
        SELECT id, ROW_NUMBER() OVER (
            PARTITION BY workspace_id, template_id, candidate_id
            ORDER BY (status = 'pending'), created_at, id) AS n
        FROM interviews
        WHERE NOT retake AND status IN ('pending', 'invited', 'in_progress', 'evaluating')
    ) WHERE n = 1
);
UPDATE interviews SET status = 'superseded', next_poll_at = NULL, error = NULL,
    version = version + 1,
    superseded_by = (
        SELECT k.id FROM interviews k
        WHERE k.open_key = 'interview' AND k.workspace_id = interviews.workspace_id
          AND k.template_id = interviews.template_id AND k.candidate_id = interviews.candidate_id)
WHERE open_key IS NULL AND NOT retake AND status = 'pending' AND EXISTS (
    SELECT 1 FROM interviews k
    WHERE k.open_key = 'interview' AND k.workspace_id = interviews.workspace_id
      AND k.template_id = interviews.template_id AND k.candidate_id = interviews.candidate_id);
UPDATE interviews SET open_key = 'retake' WHERE id IN (
    SELECT id FROM (
        SELECT id, ROW_NUMBER() OVER (
            PARTITION BY workspace_id, template_id, candidate_id ORDER BY created_at, id) AS n
        FROM interviews WHERE retake AND status = 'pending'
    ) WHERE n = 1
);
CREATE UNIQUE INDEX interviews_open ON interviews (workspace_id, template_id, candidate_id, open_key)
    WHERE open_key IS NOT NULL;

-- The process that holds an in-progress Idempotency-Key (this process's instance id: one
-- node owns the file, so a key held by an earlier process start is abandoned).
ALTER TABLE idempotency_keys ADD COLUMN holder BLOB;
