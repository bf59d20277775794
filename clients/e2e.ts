// End to end through TypeScript types generated from openapi/openapi.json
// (openapi-typescript) and openapi-fetch: the same unified calls for every provider.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/api.js";

type Fixture = {
  connection: components["schemas"]["ConnectionIn"];
  template: { import?: boolean; link?: { kind: string; id: string; name?: string }; create?: Record<string, unknown> };
  advance?: { path: string; ref: string; body: unknown };
  scored?: boolean;
};

function must<T>(what: string, r: { data?: T; error?: unknown; response: Response }): T {
  if (r.data === undefined) {
    throw new Error(`${what}: HTTP ${r.response.status} ${JSON.stringify(r.error)}`);
  }
  return r.data;
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(what);
}

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const client = createClient<paths>({
  baseUrl: env("GATEWAY_URL"),
  headers: { Authorization: `Bearer ${env("ADMIN_KEY")}` },
});
const sandbox = env("SANDBOX_URL");
const fixtures = JSON.parse(env("FIXTURES")) as Record<string, Fixture>;

async function run(name: string, fx: Fixture): Promise<void> {
  const connection = must(`${name} connection`, await client.POST("/v1/connections", {
    body: { ...fx.connection, name: `${fx.connection.name} (ts)` },
  }));
  const id = connection.id;
  const checked = must(`${name} check`, await client.POST("/v1/connections/{id}/check", { params: { path: { id } } }));
  check(checked.ok, `${name} check: ${checked.detail}`);

  let template: components["schemas"]["Template"];
  if (fx.template.import) {
    template = must(`${name} import`, await client.POST("/v1/connections/{id}/templates/import", { params: { path: { id } } })).data[0];
  } else if (fx.template.link) {
    const l = fx.template.link;
    template = must(`${name} link`, await client.POST("/v1/templates/link", {
      body: { connection_id: id, provider_ref: { kind: l.kind, id: l.id }, name: l.name ?? null },
    }));
  } else {
    template = must(`${name} create`, await client.POST("/v1/templates", {
      body: { connection_id: id, ...(fx.template.create as { name: string }) },
    }));
  }

  const email = `${name}.ts@example.com`;
  const one = must(`${name} invite`, await client.POST("/v1/interviews", {
    body: { template_id: template.id, candidate: { email, first_name: "Sam", last_name: "Lee" }, message: "Please take the interview this week.", send_invite: true, retake: false },
    params: { header: { "Idempotency-Key": `ts-${name}` } },
  }));
  check(one.status === "invited", `${name} invite status ${one.status}`);

  const listed = must(`${name} list`, await client.GET("/v1/interviews", { params: { query: { template_id: template.id, limit: 50 } } }));
  check(listed.data.some((i) => i.id === one.id), `${name} list misses the interview`);
  const got = must(`${name} get`, await client.GET("/v1/interviews/{id}", { params: { path: { id: one.id } } }));
  check(got.candidate.email === email, `${name} get email ${got.candidate.email}`);

  if (fx.advance) {
    const ref = (one.provider_refs as Record<string, string>)[fx.advance.ref];
    const res = await fetch(`${sandbox}/_control${fx.advance.path.replace(`{${fx.advance.ref}}`, ref)}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(fx.advance.body),
    });
    check(res.ok, `${name} sandbox advance: ${res.status}`);
    const synced = must(`${name} sync`, await client.POST("/v1/interviews/{id}/sync", { params: { path: { id: one.id } } }));
    check(synced.status === "completed", `${name} sync status ${synced.status}`);
  } else {
    const r = await client.POST("/v1/interviews/{id}/sync", { params: { path: { id: one.id } } });
    check(r.response.status === 422 && r.error?.code === "unsupported_by_provider", `${name} sync should be unsupported`);
  }
  console.log(`typescript client: ${name}: connection, template, invite, list, get, sync ok`);
}

for (const [name, fx] of Object.entries(fixtures)) {
  await run(name, fx);
}
