"""Seed the vendor simulators for the client end-to-end runs.

Prints JSON: per provider, the connection to create, how to get a template through the
unified API (import, link or create), and how to make the vendor finish an interview
(a sandbox control call). The e2e scripts then use only the generated clients for the
gateway; this file is the only vendor-specific plumbing.
"""

import json
import sys
import urllib.request


def post(base, path, body):
    req = urllib.request.Request(
        f"{base}/_control{path}",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as res:
        text = res.read().decode()
        return json.loads(text) if text else None


def heymilo(base):
    # Headroom over HeyMilo's documented 300/min: schemathesis reuses this account.
    account = post(base, "/heymilo/accounts", {"rate_limit_per_minute": 100000})
    key = account["api_key"]
    post(base, f"/heymilo/accounts/{key}/postings", {"title": "Backend Engineer", "description": "Rust"})
    return {
        "connection": {"provider": "heymilo", "name": "HeyMilo sandbox", "credentials": {"api_key": key},
                       "base_url": f"{base}/heymilo", "settings": {"outbound_requests_per_minute": 100000}},
        "template": {"import": True},
        "advance": {"path": "/heymilo/interviews/{interview_id}/advance", "ref": "interview_id",
                    "body": {"to": "completed", "score": 88.0}},
    }


def flowmingo(base):
    account = post(base, "/flowmingo/accounts", {})
    return {
        "connection": {"provider": "flowmingo", "name": "Flowmingo sandbox",
                       "credentials": {"api_key": account["api_key"], "webhook_secret": "whsec_clients_e2e"},
                       "base_url": f"{base}/flowmingo", "settings": {"outbound_requests_per_minute": 100000}},
        # Flowmingo has no endpoint that lists sets: an existing set is linked by id.
        "template": {"link": {"kind": "interview_set", "id": account["interview_set_id"], "name": "Backend interview"}},
    }


def taptalent(base):
    # A one-step flow, so one scored step finishes the interview.
    account = post(base, "/taptalent/accounts", {"steps": 1})
    return {
        "connection": {"provider": "taptalent", "name": "TapTalent sandbox",
                       "credentials": {"api_key": account["api_key"]},
                       "base_url": f"{base}/taptalent/v1/partner",
                       "settings": {"outbound_requests_per_minute": 100000}},
        "template": {"import": True},
        "advance": {"path": "/taptalent/assignments/{assignment_id}/advance", "ref": "assignment_id",
                    "body": {"to": "scored", "score": 88}},
    }


def interviewflowai(base):
    account = post(base, "/interviewflowai/accounts", {})
    interviewer = account["interviewers"][0]
    return {
        "connection": {"provider": "interviewflowai", "name": "InterviewFlowAI sandbox",
                       "credentials": {"api_key": account["api_key"]},
                       "base_url": f"{base}/interviewflowai",
                       "settings": {"outbound_requests_per_minute": 100000}},
        # The API cannot list interviewers: linked by id, named by the caller.
        "template": {"link": {"kind": "interviewer", "id": interviewer["id"], "name": interviewer["name"]}},
        "advance": {"path": "/interviewflowai/interviews/{interview_id}/advance", "ref": "interview_id",
                    "body": {"to": "report_available", "score": 81}},
    }


SETUPS = {"heymilo": heymilo, "flowmingo": flowmingo, "taptalent": taptalent,
          "interviewflowai": interviewflowai}


def main():
    base = sys.argv[1].rstrip("/")
    wanted = sys.argv[2].split(",") if len(sys.argv) > 2 else list(SETUPS)
    missing = [p for p in wanted if p not in SETUPS]
    if missing:
        sys.exit(f"no sandbox setup for {missing}")
    print(json.dumps({name: SETUPS[name](base) for name in wanted}))


if __name__ == "__main__":
    main()
