-- ATS partner contracts (Greenhouse first); the SQLite twin of migrations/postgres: what an
-- ATS asked for, the completion callback owed to it, its reported errors, hidden templates.

-- One row per test an ATS sent. `request_key` is the ATS's own identity of the request
-- (Greenhouse: the callback `url`, one per application and test), so a retried send finds
-- the interview the first one made. `interview_id` is NULL while a send is under way
-- (`claimed_until`); a claim that lapsed belongs to a process that died mid-send.
CREATE TABLE partner_requests (
    id               BLOB PRIMARY KEY,
    workspace_id     BLOB NOT NULL REFERENCES workspaces (id),
    partner          TEXT NOT NULL,
    request_key      TEXT NOT NULL,
    template_id      BLOB NOT NULL REFERENCES templates (id),
    interview_id     BLOB REFERENCES interviews (id),
    callback_url     TEXT NOT NULL,
    profile_url      TEXT,
    claimed_until    TEXT,
    callback_status  TEXT NOT NULL DEFAULT 'waiting',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    leased_until     TEXT,
    last_status      INTEGER,
    last_error       TEXT,
    notified_at      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (workspace_id, partner, request_key)
);
CREATE INDEX partner_requests_waiting ON partner_requests (interview_id)
    WHERE callback_status = 'waiting';
CREATE INDEX partner_requests_workspace ON partner_requests (workspace_id, partner, id DESC);

-- What an ATS reported as wrong with our answers (Greenhouse `response_error`).
CREATE TABLE partner_errors (
    id                    BLOB PRIMARY KEY,
    workspace_id          BLOB NOT NULL REFERENCES workspaces (id),
    partner               TEXT NOT NULL,
    api_call              TEXT NOT NULL,
    errors                TEXT NOT NULL,
    partner_test_id       TEXT,
    partner_interview_id  TEXT,
    created_at            TEXT NOT NULL
);
CREATE INDEX partner_errors_workspace ON partner_errors (workspace_id, partner, id DESC);

CREATE TABLE partner_hidden_templates (
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id),
    partner       TEXT NOT NULL,
    template_id   BLOB NOT NULL REFERENCES templates (id),
    created_at    TEXT NOT NULL,
    PRIMARY KEY (workspace_id, partner, template_id)
);
