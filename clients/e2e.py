"""End to end through the Python client generated from openapi/openapi.json.

For every provider in the fixtures: create a connection, get a template (import, link or
create), invite one candidate and a batch, list and get, let the vendor finish the
interview, then sync and read the result — the same unified calls for every vendor.
"""

import http.server
import json
import os
import queue
import sys
import threading
import urllib.request

from standardwebhooks.webhooks import Webhook

from interview_gateway_client import AuthenticatedClient
from interview_gateway_client.api.connections import check_connection, create_connection
from interview_gateway_client.api.interviews import (
    batch_interviews,
    create_interview,
    get_interview,
    list_interviews,
    sync_interview,
)
from interview_gateway_client.api.providers import list_providers
from interview_gateway_client.api.webhooks import create_endpoint
from interview_gateway_client.api.templates import create_template, import_templates, link_template
from interview_gateway_client.models import (
    BatchIn,
    CandidateInput,
    ConnectionIn,
    EndpointIn,
    EndpointWithSecret,
    ConnectionInCredentials,
    ConnectionInSettingsType0,
    InterviewIn,
    InterviewStatus,
    LinkIn,
    Problem,
    ProviderRef,
    TemplateIn,
)


def expect(value, kind, what):
    if not isinstance(value, kind):
        sys.exit(f"{what}: expected {kind.__name__}, got {value!r}")
    return value


def sandbox_post(base, path, body):
    req = urllib.request.Request(base + "/_control" + path, data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"}, method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def run(client, sandbox, name, fx):
    from interview_gateway_client.models import Template, ImportedTemplates, Interview, InterviewList, BatchResult, CheckResult, ConnectionOut

    conn = fx["connection"]
    body = ConnectionIn(provider=conn["provider"], name=conn["name"],
                        credentials=ConnectionInCredentials.from_dict(conn["credentials"]),
                        base_url=conn.get("base_url"))
    if conn.get("settings"):
        body.settings = ConnectionInSettingsType0.from_dict(conn["settings"])
    connection = expect(create_connection.sync(client=client, body=body), ConnectionOut, f"{name} connection")
    check = expect(check_connection.sync(client=client, id=connection.id), CheckResult, f"{name} check")
    assert check.ok, check.detail

    how = fx["template"]
    if how.get("import"):
        imported = expect(import_templates.sync(client=client, id=connection.id), ImportedTemplates, f"{name} import")
        template = imported.data[0]
    elif "link" in how:
        link = how["link"]
        template = expect(link_template.sync(client=client, body=LinkIn(
            connection_id=connection.id, provider_ref=ProviderRef(kind=link["kind"], id=link["id"]),
            name=link.get("name"))), Template, f"{name} link")
    else:
        template = expect(create_template.sync(client=client, body=TemplateIn.from_dict(
            {"connection_id": connection.id, **how["create"]})), Template, f"{name} create")

    one = create_interview.sync(client=client, body=InterviewIn(
        template_id=template.id,
        candidate=CandidateInput(email=f"{name}.one@example.com", first_name="Alex", last_name="Doe"),
        message="Please take the interview this week."), idempotency_key=f"e2e-{name}-one")
    one = expect(one, Interview, f"{name} invite")
    assert one.status == InterviewStatus.INVITED, one.status
    again = expect(create_interview.sync(client=client, body=InterviewIn(
        template_id=template.id,
        candidate=CandidateInput(email=f"{name}.one@example.com", first_name="Alex", last_name="Doe"),
        message="Please take the interview this week."), idempotency_key=f"e2e-{name}-one"), Interview, f"{name} replay")
    assert again.id == one.id, "the idempotent replay answers the same interview"

    batch = expect(batch_interviews.sync(client=client, body=BatchIn(
        template_id=template.id,
        candidates=[CandidateInput(email=f"{name}.b{i}@example.com", name=f"B {i}") for i in range(3)],
        message="Please take the interview this week.")), BatchResult, f"{name} batch")
    assert [item.index for item in batch.data] == [0, 1, 2]
    assert all(isinstance(item.interview, Interview) for item in batch.data), batch.to_dict()

    listed = expect(list_interviews.sync(client=client, template_id=template.id, limit=10), InterviewList, f"{name} list")
    assert len(listed.data) == 4, len(listed.data)
    got = expect(get_interview.sync(client=client, id=one.id), Interview, f"{name} get")
    assert got.candidate.email == f"{name}.one@example.com"

    advance = fx.get("advance")
    if advance:
        ref = one.provider_refs.to_dict()[advance["ref"]]
        sandbox_post(sandbox, advance["path"].replace("{" + advance["ref"] + "}", ref), advance["body"])
        synced = expect(sync_interview.sync(client=client, id=one.id), Interview, f"{name} sync")
        assert synced.status == InterviewStatus.COMPLETED, synced.status
        if fx.get("scored", True):
            assert synced.result and synced.result.score, synced.to_dict()
    else:
        problem = expect(sync_interview.sync(client=client, id=one.id), Problem, f"{name} sync unsupported")
        assert problem.code.value == "unsupported_by_provider", problem.code
    print(f"python client: {name}: connection, template, invite, replay, batch, list, get, sync ok")


def receiver():
    """A local HTTP receiver; deliveries land in the returned queue."""
    got = queue.Queue()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            got.put((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/hook", got


def verify_deliveries(client, events_expected):
    """Subscribe a receiver, then check what arrives with the Standard Webhooks library."""
    url, got = receiver()
    endpoint = expect(create_endpoint.sync(client=client, body=EndpointIn(url=url)), EndpointWithSecret, "endpoint")
    return endpoint, got


def main():
    client = AuthenticatedClient(base_url=os.environ["GATEWAY_URL"], token=os.environ["ADMIN_KEY"], raise_on_unexpected_status=True)
    fixtures = json.loads(os.environ["FIXTURES"])
    providers = expect(list_providers.sync(client=client), object, "providers")
    names = {p.name for p in providers.data}
    missing = set(fixtures) - names
    assert not missing, f"the gateway lacks {missing}"
    endpoint, deliveries = verify_deliveries(client, len(fixtures))
    for name, fx in fixtures.items():
        run(client, os.environ["SANDBOX_URL"], name, fx)
    # Every delivery verifies with the reference implementation, under the endpoint's secret.
    wh = Webhook(endpoint.secret)
    seen = []
    while True:
        try:
            headers, body = deliveries.get(timeout=5)
        except queue.Empty:
            break
        headers = {k.lower(): v for k, v in headers.items()}
        payload = wh.verify(body, headers)
        assert payload["id"].startswith("evt_"), payload
        seen.append(payload["type"])
        if len(seen) >= 4 * len(fixtures) and "interview.completed" in seen:
            break
    assert "interview.invited" in seen and "interview.completed" in seen, seen
    print(f"python client: {len(seen)} webhook deliveries verified by the standardwebhooks library")


if __name__ == "__main__":
    main()
