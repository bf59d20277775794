-- Issue 18: one interview per invitation, the caller's references, cancel.

-- The caller's own references on the interview (an application, a job, a stage).
ALTER TABLE interviews ADD COLUMN external_id text;
ALTER TABLE interviews ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX interviews_external_id ON interviews (workspace_id, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX interviews_metadata ON interviews USING gin (metadata jsonb_path_ops);

-- Whether the caller asked for a new interview beside an open one.
ALTER TABLE interviews ADD COLUMN retake boolean NOT NULL DEFAULT false;
-- A pending row folded into its sibling that the vendor confirmed.
ALTER TABLE interviews ADD COLUMN superseded_by uuid REFERENCES interviews (id);
-- Held while the row is the candidate's open interview on its template ('interview') or
-- its one unconfirmed retake ('retake'); cleared when the row ends. The unique index below
-- is what makes two concurrent identical invitations one interview.
ALTER TABLE interviews ADD COLUMN open_key text;

UPDATE interviews SET retake = true WHERE invite_options ->> 'retake' = 'true';

-- Rows from before: the oldest confirmed open interview of each candidate and template
-- (else the oldest pending one) holds the key; pending duplicates fold into it.
UPDATE interviews SET open_key = 'interview' WHERE id IN (
    SELECT DISTINCT ON (workspace_id, template_id, candidate_id) id FROM interviews
    WHERE NOT retake AND status IN ('pending', 'invited', 'in_progress', 'evaluating')
    ORDER BY workspace_id, template_id, candidate_id, (status = 'pending'), created_at, id
);
UPDATE interviews d SET status = 'superseded', superseded_by = k.id, next_poll_at = NULL,
    error = NULL, version = d.version + 1
FROM interviews k
WHERE k.open_key = 'interview' AND k.workspace_id = d.workspace_id
  AND k.template_id = d.template_id AND k.candidate_id = d.candidate_id
  AND d.open_key IS NULL AND NOT d.retake AND d.status = 'pending';
UPDATE interviews SET open_key = 'retake' WHERE id IN (
    SELECT DISTINCT ON (workspace_id, template_id, candidate_id) id FROM interviews
    WHERE retake AND status = 'pending'
    ORDER BY workspace_id, template_id, candidate_id, created_at, id
);
CREATE UNIQUE INDEX interviews_open ON interviews (workspace_id, template_id, candidate_id, open_key)
    WHERE open_key IS NOT NULL;

-- The process that holds an in-progress Idempotency-Key (its instance id, under a session
-- advisory lock while it lives): a key whose holder is gone is taken over at once.
ALTER TABLE idempotency_keys ADD COLUMN holder uuid;
