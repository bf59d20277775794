//! Setup through the public API: the bench key, HeyMilo accounts/postings in the sandbox,
//! connections and templates in the gateway, seeded interviews.

use anyhow::{anyhow, Context};
use reqwest::Method;
use serde_json::{json, Value};

use crate::http::call;
use crate::Common;

pub struct Env {
    pub gw: String,
    pub sb: String,
    pub client: reqwest::Client,
    /// The bench key (admin scope, its own high rate limit).
    pub key: String,
    pub workspace_id: String,
}

/// The rate limits a HeyMilo account and its connection run under.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Limits {
    /// Far above the documented 300/min at the simulator and the gateway, so the bench
    /// measures the gateway and not the budget.
    Lifted,
    /// HeyMilo's documented 300/min at the simulator; the connection's default at the gateway.
    Documented,
}

/// A HeyMilo account in the sandbox with one posting.
#[derive(Clone)]
pub struct HmAccount {
    pub api_key: String,
    pub posting_id: String,
    pub url_key: String,
}

/// A gateway connection + template over a HeyMilo account.
#[derive(Clone)]
pub struct HmTemplate {
    pub account: HmAccount,
    pub connection_id: String,
    pub template_id: String,
}

fn s(v: &Value, ptr: &str) -> anyhow::Result<String> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no {ptr} in {v}"))
}

impl Env {
    pub async fn new(c: &Common) -> anyhow::Result<Self> {
        let client = crate::http::client();
        let gw = c.gateway.trim_end_matches('/').to_string();
        let sb = c.sandbox.trim_end_matches('/').to_string();
        // POST /v1/api-keys accepts its own rate limit (max 1,000,000/min, burst 100,000).
        let created = call(
            &client,
            Method::POST,
            &format!("{gw}/v1/api-keys"),
            Some(&c.admin_key),
            Some(&json!({
                "name": "bench",
                "scopes": ["admin"],
                "rate_limit": {"requests_per_minute": 1_000_000, "burst": 100_000},
            })),
        )
        .await
        .context("creating the bench key")?;
        Ok(Self {
            key: s(&created, "/key")?,
            workspace_id: s(&created, "/workspace_id")?,
            gw,
            sb,
            client,
        })
    }

    pub async fn gw_call(
        &self,
        m: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        call(
            &self.client,
            m,
            &format!("{}{path}", self.gw),
            Some(&self.key),
            body,
        )
        .await
    }

    /// `/_control/heymilo/accounts` (limit lifted far above the documented 300/min) + a posting.
    pub async fn hm_account(&self, title: &str) -> anyhow::Result<HmAccount> {
        self.hm_account_limited(title, Limits::Lifted).await
    }

    async fn hm_account_limited(&self, title: &str, limits: Limits) -> anyhow::Result<HmAccount> {
        let body = match limits {
            Limits::Lifted => json!({"rate_limit_per_minute": 100_000_000usize}),
            // The simulator's default is the documented 300/min.
            Limits::Documented => json!({}),
        };
        let acct = call(
            &self.client,
            Method::POST,
            &format!("{}/_control/heymilo/accounts", self.sb),
            None,
            Some(&body),
        )
        .await?;
        let api_key = s(&acct, "/api_key")?;
        let posting = call(
            &self.client,
            Method::POST,
            &format!("{}/_control/heymilo/accounts/{api_key}/postings", self.sb),
            None,
            Some(&json!({"title": title})),
        )
        .await?;
        Ok(HmAccount {
            api_key,
            posting_id: s(&posting, "/posting_id")?,
            url_key: s(&posting, "/url_key")?,
        })
    }

    /// A connection (outbound limit lifted) and the account's posting imported as a template.
    pub async fn hm_template(&self, title: &str) -> anyhow::Result<HmTemplate> {
        self.hm_template_limited(title, Limits::Lifted).await
    }

    /// A connection and template as `hm_template`, with the vendor and the gateway both
    /// held to `limits`.
    pub async fn hm_template_limited(
        &self,
        title: &str,
        limits: Limits,
    ) -> anyhow::Result<HmTemplate> {
        let account = self.hm_account_limited(title, limits).await?;
        let mut conn = json!({
            "provider": "heymilo",
            "name": format!("bench {title}"),
            "credentials": {"api_key": account.api_key},
        });
        if limits == Limits::Lifted {
            conn["settings"] = json!({"outbound_requests_per_minute": 1_000_000});
        }
        let conn = self
            .gw_call(Method::POST, "/v1/connections", Some(&conn))
            .await
            .context("creating a connection")?;
        let connection_id = s(&conn, "/id")?;
        let imported = self
            .gw_call(
                Method::POST,
                &format!("/v1/connections/{connection_id}/templates/import"),
                None,
            )
            .await
            .context("importing templates")?;
        Ok(HmTemplate {
            account,
            connection_id,
            template_id: s(&imported, "/data/0/id")?,
        })
    }

    /// Invite `n` candidates through the gateway's batch endpoint (≤1000 per call): returns
    /// (gateway interview id, vendor interview id) of each success, and the failures.
    pub async fn seed(
        &self,
        t: &HmTemplate,
        n: usize,
        tag: &str,
    ) -> anyhow::Result<(Vec<(String, String)>, usize)> {
        let mut out = Vec::with_capacity(n);
        let mut failed = 0;
        let mut done = 0;
        while done < n {
            let k = (n - done).min(1000);
            let candidates: Vec<Value> = (done..done + k)
                .map(|i| json!({"email": format!("{tag}{i}@bench.example.com"), "name": format!("Seed {i}")}))
                .collect();
            let res = self
                .gw_call(
                    Method::POST,
                    "/v1/interviews/batch",
                    Some(&json!({"template_id": t.template_id, "candidates": candidates})),
                )
                .await?;
            for item in res["data"].as_array().into_iter().flatten() {
                let id = item.pointer("/interview/id").and_then(Value::as_str);
                let vid = item
                    .pointer("/interview/provider_refs/interview_id")
                    .and_then(Value::as_str);
                match (id, vid, item.get("error").filter(|e| !e.is_null())) {
                    (Some(id), Some(vid), None) => out.push((id.to_string(), vid.to_string())),
                    _ => failed += 1,
                }
            }
            done += k;
        }
        Ok((out, failed))
    }
}

/// Peak and current RSS of a process, in MiB, from /proc/<pid>/status.
pub fn rss_mib(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |name: &str| -> Option<f64> {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse::<f64>()
            .ok()
    };
    Some((kb("VmHWM:")? / 1024.0, kb("VmRSS:")? / 1024.0))
}

/// The first row of `sql` run by `psql -tA` on `url`, trimmed (None when psql fails).
pub fn psql_value(url: &str, sql: &str) -> Option<String> {
    let out = std::process::Command::new("psql")
        .args([url, "-tAc", sql])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
