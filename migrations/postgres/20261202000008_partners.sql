-- ATS partner contracts (Greenhouse first): what an ATS asked for, the completion callback
-- the gateway owes it, the errors it reported back, and the templates hidden from it.

-- One row per test an ATS sent. `request_key` is the ATS's own identity of the request
-- (Greenhouse: the callback `url`, one per application and test), so a retried send finds
-- the interview the first one made. `interview_id` is NULL while a send is under way
-- (`claimed_until`); a claim that lapsed belongs to a process that died mid-send.
CREATE TABLE partner_requests (
    id               uuid PRIMARY KEY,
    workspace_id     uuid NOT NULL REFERENCES workspaces (id),
    partner          text NOT NULL,
    request_key      text NOT NULL,
    template_id      uuid NOT NULL REFERENCES templates (id),
    interview_id     uuid REFERENCES interviews (id),
    callback_url     text NOT NULL,
    profile_url      text,
    claimed_until    timestamptz,
    callback_status  text NOT NULL DEFAULT 'waiting',
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    leased_until     timestamptz,
    last_status      integer,
    last_error       text,
    notified_at      timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (workspace_id, partner, request_key)
);
CREATE INDEX partner_requests_waiting ON partner_requests (interview_id)
    WHERE callback_status = 'waiting';
CREATE INDEX partner_requests_workspace ON partner_requests (workspace_id, partner, id DESC);

-- What an ATS reported as wrong with our answers (Greenhouse `response_error`).
CREATE TABLE partner_errors (
    id                    uuid PRIMARY KEY,
    workspace_id          uuid NOT NULL REFERENCES workspaces (id),
    partner               text NOT NULL,
    api_call              text NOT NULL,
    errors                jsonb NOT NULL,
    partner_test_id       text,
    partner_interview_id  text,
    created_at            timestamptz NOT NULL
);
CREATE INDEX partner_errors_workspace ON partner_errors (workspace_id, partner, id DESC);

CREATE TABLE partner_hidden_templates (
    workspace_id  uuid NOT NULL REFERENCES workspaces (id),
    partner       text NOT NULL,
    template_id   uuid NOT NULL REFERENCES templates (id),
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, partner, template_id)
);
