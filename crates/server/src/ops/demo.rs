//! `interview-gateway demo`: everything a newcomer needs to try the gateway on one machine.
//! The four vendor simulators run in-process, the gateway runs on its own SQLite file, and
//! the setup (workspace, admin key, a connection and a template per vendor) goes through the
//! public API exactly as a client would do it — so `/metrics`, the audit log and the events
//! show real traffic from the first minute.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use gateway_core::{Scope, Secret};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::ops::bootstrap::{create_key, WorkspaceChoice};
use crate::{Config, Gateway};

pub struct DemoOptions {
    /// Where the gateway listens (port 0 picks one).
    pub bind: SocketAddr,
    /// Where the vendor simulators listen (port 0 picks one).
    pub sandbox_bind: SocketAddr,
    /// The demo's own SQLite file and master key.
    pub dir: PathBuf,
}

/// One vendor, set up and ready to invite through.
#[derive(Debug, Clone)]
pub struct DemoVendor {
    pub provider: &'static str,
    pub connection_id: String,
    pub template_id: String,
}

/// A running demo.
pub struct Demo {
    pub gateway_url: String,
    pub sandbox_url: String,
    pub api_key: Secret<String>,
    pub vendors: Vec<DemoVendor>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// The simulators keep their accounts in memory, so connections stored by an earlier run
/// would point at accounts that no longer exist: every run starts from an empty database.
/// Each run gets a database file of its own name, because a run in the same process (tests)
/// may still have the previous file's SQLite shared memory mapped while it winds down.
fn reset_dir(dir: &std::path::Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("gateway") || name == "master.key" {
            let path = entry.path();
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    Ok(dir.join(format!("gateway-{}.db", uuid::Uuid::now_v7().simple())))
}

async fn bind(addr: SocketAddr, what: &str, flag: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {addr} for {what}: {e}; choose another address with {flag}"
        )
    })
}

/// Start the simulators and the gateway, and set up one connection and template per vendor.
pub async fn start(mut config: Config, options: DemoOptions) -> anyhow::Result<Demo> {
    let db = reset_dir(&options.dir)?;
    let sandbox_listener = bind(
        options.sandbox_bind,
        "the vendor simulators",
        "--sandbox-bind",
    )
    .await?;
    let gateway_listener = bind(options.bind, "the gateway", "--bind").await?;
    let sandbox_url = format!("http://{}", sandbox_listener.local_addr()?);
    let gateway_url = format!("http://{}", gateway_listener.local_addr()?);

    config.database.url = Secret::new(format!("sqlite://{}", db.display()));
    config.database.run_migrations = true;
    config.security.master_key = None;
    config.security.previous_master_keys = Vec::new();
    config.security.master_key_file = Some(options.dir.join("master.key"));
    config.security.generate_master_key = true;
    config.server.bind = gateway_listener.local_addr()?;
    // Vendors (the simulators) deliver their webhooks here.
    config.server.public_url = gateway_url.clone();
    config.vendors.use_simulators(&sandbox_url);
    // Vendors that do not push every change are read often, so a demo sees them move.
    config.poller.interval_secs = 10;
    config.poller.tick_secs = 2;
    config.webhooks.allow_private_targets = true;

    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    let mut sandbox_stop = stopped.clone();
    tasks.push(tokio::spawn(async move {
        let shutdown = async move {
            let _ = sandbox_stop.wait_for(|s| *s).await;
        };
        if let Err(e) = gateway_sandbox::serve(sandbox_listener, shutdown).await {
            tracing::error!(error = %e, "the vendor simulators stopped");
        }
    }));

    let gateway = Gateway::open(config).await?;
    let created = create_key(
        gateway.state(),
        WorkspaceChoice::Default {
            name: "demo".into(),
        },
        "demo admin",
        vec![Scope::Admin],
    )
    .await?;
    let mut gateway_stop = stopped.clone();
    tasks.push(tokio::spawn(async move {
        let shutdown = async move {
            let _ = gateway_stop.wait_for(|s| *s).await;
        };
        if let Err(e) = gateway.serve(gateway_listener, shutdown).await {
            tracing::error!(error = %e, "the gateway stopped");
        }
    }));

    let setup = Setup {
        http: reqwest::Client::new(),
        gateway: gateway_url.clone(),
        sandbox: sandbox_url.clone(),
        key: created.secret.expose().clone(),
    };
    let vendors = match setup.all().await {
        Ok(v) => v,
        Err(e) => {
            let _ = stop.send(true);
            return Err(e.context("setting up the demo vendors failed"));
        }
    };
    Ok(Demo {
        gateway_url,
        sandbox_url,
        api_key: created.secret,
        vendors,
        stop,
        tasks,
    })
}

impl Demo {
    pub fn vendor(&self, provider: &str) -> Option<&DemoVendor> {
        self.vendors.iter().find(|v| v.provider == provider)
    }

    /// Run until `shutdown` resolves, then stop the gateway and the simulators.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        shutdown.await;
        self.shutdown().await;
        Ok(())
    }

    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }

    /// The walk-through as (title, shell commands) steps; they expect `$KEY` and `$GW` and
    /// need only curl, grep and cut (the demo test runs them as printed).
    pub fn walkthrough(&self) -> Vec<(&'static str, String)> {
        let s = &self.sandbox_url;
        let heymilo = self
            .vendor("heymilo")
            .map(|v| v.template_id.as_str())
            .unwrap_or("tmpl_…");
        vec![
            (
                "Invite a candidate (HeyMilo here; any template id above works the same way):",
                format!(
                    r#"RES=$(curl -s "$GW/v1/interviews" -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' \
  -d '{{"template_id":"{heymilo}","candidate":{{"email":"ada@example.com","name":"Ada Lovelace"}}}}')
echo "$RES"
ID=$(echo "$RES" | grep -o '"id":"intv_[^"]*"' | head -n1 | cut -d'"' -f4)
VENDOR_ID=$(echo "$RES" | grep -o '"interview_id":"[^"]*"' | head -n1 | cut -d'"' -f4)"#
                ),
            ),
            (
                "Play the candidate: the HeyMilo simulator finishes the interview and sends its webhooks:",
                format!(
                    r#"curl -s -X POST "{s}/_control/heymilo/interviews/$VENDOR_ID/advance" \
  -H 'Content-Type: application/json' -d '{{"to":"completed","score":88}}'; echo"#
                ),
            ),
            (
                "Watch it complete (status, score, transcript) and the events it produced:",
                r#"curl -s "$GW/v1/interviews/$ID" -H "Authorization: Bearer $KEY"; echo
curl -s "$GW/v1/events?interview_id=$ID" -H "Authorization: Bearer $KEY"; echo"#
                    .to_string(),
            ),
            (
                "What the gateway measured:",
                r#"curl -s "$GW/metrics" | grep '^gateway_'"#.to_string(),
            ),
        ]
    }

    /// What the command prints: the key and a walk-through in copy-paste curl commands.
    pub fn instructions(&self) -> String {
        let g = &self.gateway_url;
        let s = &self.sandbox_url;
        let key = self.api_key.expose();
        let mut out = String::new();
        out.push_str(&format!(
            "\nInterview Gateway demo: the gateway is on {g}, the vendor simulators on {s}.\n\
             Everything lives in a throwaway SQLite file; Ctrl-C stops it.\n\n\
             Your admin API key (shown once):\n\n  export KEY={key}\n  export GW={g}\n\n\
             One connection and one template per vendor:\n"
        ));
        for v in &self.vendors {
            out.push_str(&format!(
                "  {:<16} connection {}  template {}\n",
                v.provider, v.connection_id, v.template_id
            ));
        }
        for (i, (title, script)) in self.walkthrough().iter().enumerate() {
            out.push_str(&format!("\n{}. {title}\n\n", i + 1));
            for line in script.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        out.push_str(&format!(
            "\nThe admin console is at {g}/console (sign in with the key above).\n\
             The API reference is at {g}/docs (Swagger UI) and {g}/openapi.json.\n"
        ));
        out
    }
}

/// The setup calls, made over HTTP like any client.
struct Setup {
    http: reqwest::Client,
    gateway: String,
    sandbox: String,
    key: String,
}

impl Setup {
    async fn all(&self) -> anyhow::Result<Vec<DemoVendor>> {
        Ok(vec![
            self.heymilo().await?,
            self.flowmingo().await?,
            self.interviewflowai().await?,
            self.taptalent().await?,
        ])
    }

    async fn control(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let url = format!("{}/_control{path}", self.sandbox);
        let res = self.http.post(&url).json(&body).send().await?;
        let status = res.status();
        let text = res.text().await?;
        anyhow::ensure!(status.is_success(), "{url} answered {status}: {text}");
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn api(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.gateway);
        let res = self
            .http
            .post(&url)
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await?;
        let status = res.status();
        let text = res.text().await?;
        anyhow::ensure!(status.is_success(), "POST {path} answered {status}: {text}");
        Ok(serde_json::from_str(&text)?)
    }

    async fn connection(&self, provider: &str, name: &str, extra: Value) -> anyhow::Result<Value> {
        let mut body = json!({"provider": provider, "name": name});
        if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
            b.extend(extra);
        }
        self.api("/v1/connections", body).await
    }

    fn done(provider: &'static str, connection: &Value, template: &Value) -> DemoVendor {
        DemoVendor {
            provider,
            connection_id: str_of(connection, "id"),
            template_id: str_of(template, "id"),
        }
    }

    /// HeyMilo: job postings are imported as templates; the gateway registers its own
    /// webhooks with HeyMilo's webhook API.
    async fn heymilo(&self) -> anyhow::Result<DemoVendor> {
        let account = self.control("/heymilo/accounts", json!({})).await?;
        let api_key = str_of(&account, "api_key");
        self.control(
            &format!("/heymilo/accounts/{api_key}/postings"),
            json!({"title": "Backend Engineer", "description": "Rust services"}),
        )
        .await?;
        let connection = self
            .connection(
                "heymilo",
                "HeyMilo (simulated)",
                json!({"credentials": {"api_key": api_key}}),
            )
            .await?;
        let id = str_of(&connection, "id");
        let imported = self
            .api(&format!("/v1/connections/{id}/templates/import"), json!({}))
            .await?;
        Ok(Self::done("heymilo", &connection, &imported["data"][0]))
    }

    /// Flowmingo: the gateway creates an interview set; Flowmingo's signed webhooks are set
    /// in its dashboard, which the simulator's control API stands in for.
    async fn flowmingo(&self) -> anyhow::Result<DemoVendor> {
        let account = self.control("/flowmingo/accounts", json!({})).await?;
        let secret = "whsec_demo_flowmingo";
        let connection = self
            .connection(
                "flowmingo",
                "Flowmingo (simulated)",
                json!({"credentials": {"api_key": account["api_key"], "webhook_secret": secret}}),
            )
            .await?;
        let org = str_of(&account, "organization_id");
        self.control(
            &format!("/flowmingo/organizations/{org}/webhook"),
            json!({"url": connection["inbound_webhook_url"], "secret": secret}),
        )
        .await?;
        let template = self
            .api(
                "/v1/templates",
                json!({
                    "connection_id": connection["id"],
                    "name": "Support engineers",
                    "position": "Support Engineer",
                    "duration_minutes": 20,
                    "questions": [{"prompt": "Tell us about a hard ticket you solved."}],
                    "requirements": [{"title": "Customer empathy"}]
                }),
            )
            .await?;
        Ok(Self::done("flowmingo", &connection, &template))
    }

    /// InterviewFlowAI: interviewers are linked by id (its API cannot list them).
    async fn interviewflowai(&self) -> anyhow::Result<DemoVendor> {
        let account = self.control("/interviewflowai/accounts", json!({})).await?;
        let connection = self
            .connection(
                "interviewflowai",
                "InterviewFlowAI (simulated)",
                json!({"credentials": {"api_key": account["api_key"]}}),
            )
            .await?;
        let api_key = str_of(&account, "api_key");
        self.control(
            &format!("/interviewflowai/accounts/{api_key}/webhook"),
            json!({"url": connection["inbound_webhook_url"]}),
        )
        .await?;
        let template = self
            .api(
                "/v1/templates/link",
                json!({
                    "connection_id": connection["id"],
                    "provider_ref": {"kind": "interviewer", "id": account["interviewers"][0]["id"]},
                    "name": "Backend interviewer"
                }),
            )
            .await?;
        Ok(Self::done("interviewflowai", &connection, &template))
    }

    /// TapTalent: an assessment flow of the account is linked; its keyed webhooks are set in
    /// its dashboard (here: the simulator's control API).
    async fn taptalent(&self) -> anyhow::Result<DemoVendor> {
        let account = self.control("/taptalent/accounts", json!({})).await?;
        let webhook_key = "whk_demo_taptalent";
        let connection = self
            .connection(
                "taptalent",
                "TapTalent (simulated)",
                json!({
                    "credentials": {"api_key": account["api_key"], "webhook_key": webhook_key},
                    "settings": {"environment": "sandbox"}
                }),
            )
            .await?;
        let company = str_of(&account, "company_id");
        self.control(
            &format!("/taptalent/companies/{company}/webhook"),
            json!({"url": connection["inbound_webhook_url"], "key": webhook_key}),
        )
        .await?;
        let template = self
            .api(
                "/v1/templates/link",
                json!({
                    "connection_id": connection["id"],
                    // The simulator, like TapTalent, numbers flows; refs are strings.
                    "provider_ref": {"kind": "assessment_flow", "id": account["flow_id"].to_string()},
                    "name": "Data engineers"
                }),
            )
            .await?;
        Ok(Self::done("taptalent", &connection, &template))
    }
}

fn str_of(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_default().to_string()
}
