//! The vendor budget under a fleet: N replicas on one Postgres keep many open HeyMilo
//! interviews fresh against the vendor's documented 300 requests/minute, while clients
//! keep inviting; then (optionally) one replica under 3× its create capacity.
//!
//! What is counted comes from outside the gateway where it can: vendor calls and 429s from
//! the simulator's request log, freshness from the interviews' `last_synced_at` in the
//! database, latencies at the client. The gateway's own metrics are quoted beside them.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Args;
use reqwest::Method;
use serde_json::json;

use crate::http::{call, closed_loop, open_loop, MakeReq, Stats};
use crate::report::{f2, Md};
use crate::setup::{psql_value, rss_mib, Env, HmTemplate, Limits};
use crate::Common;

#[derive(Args)]
pub struct BudgetArgs {
    #[command(flatten)]
    common: Common,
    /// Further replicas on the same database (base URLs), beside `--gateway`.
    #[arg(long = "replica")]
    replicas: Vec<String>,
    /// Their pids, for RSS.
    #[arg(long = "replica-pid")]
    replica_pids: Vec<u32>,
    /// The gateway's Postgres database (psql connection string).
    #[arg(long)]
    psql: String,
    /// Open interviews to seed (all in one posting).
    #[arg(long, default_value_t = 10_000)]
    interviews: usize,
    /// Measured window while the poller runs.
    #[arg(long, default_value_t = 180)]
    secs: u64,
    /// Single invitations per second during the window, round-robin over the replicas.
    #[arg(long, default_value_t = 1.0)]
    invite_rate: f64,
    /// The replicas' `poller.interval_secs` (they are started with it; for the report).
    #[arg(long, default_value_t = 60)]
    interval_secs: u64,
    /// Then: measure `--gateway`'s create capacity and offer it 3× that for this long (0 = skip).
    #[arg(long, default_value_t = 0)]
    overload_secs: u64,
    /// Only the overload (no seeding, no window).
    #[arg(long)]
    overload_only: bool,
    /// The gateway's `capacity.max_in_flight`, for the report.
    #[arg(long, default_value = "default")]
    max_in_flight: String,
}

fn unix_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One vendor request as the simulator logged it.
struct Logged {
    at: f64,
    kind: &'static str,
    status: u16,
}

/// What a HeyMilo path is, for the call table.
fn kind_of(method: &str, path: &str) -> &'static str {
    if path.starts_with("/api/interviews/") {
        "list page (sweep)"
    } else if path.starts_with("/api/interview/") {
        "single read"
    } else if path.starts_with("/api/ingest/") {
        "invite"
    } else if method == "GET" {
        "other read"
    } else {
        "other write"
    }
}

async fn vendor_log(env: &Env) -> anyhow::Result<Vec<Logged>> {
    let log = call(
        &env.client,
        Method::GET,
        &format!("{}/_control/requests?vendor=heymilo", env.sb),
        None,
        None,
    )
    .await?;
    let mut out = Vec::new();
    for r in log.as_array().into_iter().flatten() {
        let at = r["at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or(0.0, |t| t.timestamp_micros() as f64 / 1e6);
        out.push(Logged {
            at,
            kind: kind_of(
                r["method"].as_str().unwrap_or(""),
                r["path"].as_str().unwrap_or(""),
            ),
            status: r["status"].as_u64().unwrap_or(0) as u16,
        });
    }
    out.sort_by(|a, b| a.at.total_cmp(&b.at));
    Ok(out)
}

/// The most calls in any 60 s window (a window starting at each call).
fn max_per_minute(calls: &[&Logged]) -> usize {
    let mut best = 0;
    let mut j = 0;
    for i in 0..calls.len() {
        while j < calls.len() && calls[j].at < calls[i].at + 60.0 {
            j += 1;
        }
        best = best.max(j - i);
    }
    best
}

/// Sum of a metric's series on every replica, by the value of one label.
async fn metric_by(
    env: &Env,
    gateways: &[String],
    name: &str,
    label: &str,
) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for gw in gateways {
        let Ok(res) = env.client.get(format!("{gw}/metrics")).send().await else {
            continue;
        };
        let text = res.text().await.unwrap_or_default();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix(name) else {
                continue;
            };
            let (labels, value) = match rest.strip_prefix('{') {
                Some(r) => match r.split_once("} ") {
                    Some((l, v)) => (l, v),
                    None => continue,
                },
                None => match rest.strip_prefix(' ') {
                    Some(v) => ("", v),
                    None => continue,
                },
            };
            let key = labels
                .split(',')
                .find_map(|kv| kv.strip_prefix(&format!("{label}=")))
                .unwrap_or("")
                .trim_matches('"')
                .to_string();
            *out.entry(key).or_default() += value.trim().parse::<f64>().unwrap_or(0.0);
        }
    }
    out
}

/// Seeded interviews (created before `t0`) and how many were read from the vendor since.
fn refreshed(psql: &str, t0: f64) -> (u64, u64) {
    let row = psql_value(
        psql,
        &format!(
            "SELECT count(*) FILTER (WHERE last_synced_at >= to_timestamp({t0})) || ' ' || count(*) \
             FROM interviews WHERE created_at < to_timestamp({t0})"
        ),
    )
    .unwrap_or_default();
    let mut it = row.split_whitespace().map(|v| v.parse().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// When the first and the last seeded interview had been refreshed (s after `t0`), sampled.
struct Freshness {
    seeded: u64,
    first: Option<f64>,
    all: Option<f64>,
    at_end: u64,
}

async fn watch_freshness(psql: String, t0: f64, until: Instant) -> Freshness {
    let mut f = Freshness {
        seeded: 0,
        first: None,
        all: None,
        at_end: 0,
    };
    while Instant::now() < until {
        let (p, t) = (psql.clone(), t0);
        let (done, seeded) = tokio::task::spawn_blocking(move || refreshed(&p, t))
            .await
            .unwrap_or((0, 0));
        let since = unix_secs() - t0;
        f.seeded = seeded;
        f.at_end = done;
        if done > 0 && f.first.is_none() {
            f.first = Some(since);
        }
        if seeded > 0 && done >= seeded && f.all.is_none() {
            f.all = Some(since);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    f
}

fn invite_req(env: &Env, gateways: &[String], t: &HmTemplate, tag: &str) -> MakeReq {
    let (c, key, gws, tid, tag) = (
        env.client.clone(),
        env.key.clone(),
        gateways.to_vec(),
        t.template_id.clone(),
        tag.to_string(),
    );
    Arc::new(move |n| {
        let gw = &gws[n as usize % gws.len()];
        c.post(format!("{gw}/v1/interviews"))
            .bearer_auth(&key)
            .json(&json!({
                "template_id": tid,
                "candidate": {"email": format!("{tag}{n}@bench.example.com"), "name": "Bench Invitee"},
            }))
    })
}

pub async fn run(a: BudgetArgs) -> anyhow::Result<()> {
    let env = Env::new(&a.common).await?;
    let mut gateways = vec![env.gw.clone()];
    gateways.extend(
        a.replicas
            .iter()
            .map(|g| g.trim_end_matches('/').to_string()),
    );
    let mut pids: Vec<u32> = a.common.gateway_pid.into_iter().collect();
    pids.extend(&a.replica_pids);
    let n_replicas = gateways.len();
    if a.overload_only {
        let mut md = Md::default();
        overload(&env, &a, &pids, &mut md).await?;
        md.write(&a.common.out)?;
        return Ok(());
    }

    // The account and the connection at HeyMilo's documented 300/min, as a customer has them.
    let t = env
        .hm_template_limited("Budget", Limits::Documented)
        .await?;
    let nonce = unix_secs() as u64;
    let seed_started = Instant::now();
    let (seeded, seed_failed) = env.seed(&t, a.interviews, &format!("b{nonce}.")).await?;
    let seed_secs = seed_started.elapsed().as_secs_f64();
    eprintln!(
        "budget: seeded {} interviews in {seed_secs:.1} s ({seed_failed} failed)",
        seeded.len()
    );
    call(
        &env.client,
        Method::DELETE,
        &format!("{}/_control/requests", env.sb),
        None,
        None,
    )
    .await
    .context("clearing the simulator's request log")?;

    // Every seeded interview falls due at once, as after an outage or a first start: the
    // seeding took long enough for the poller to have refreshed the first ones already.
    let t0 = unix_secs();
    psql_value(
        &a.psql,
        "UPDATE interviews SET next_poll_at = now() WHERE next_poll_at IS NOT NULL",
    )
    .context("making the seeded interviews due")?;
    let window = Duration::from_secs(a.secs);
    let until = Instant::now() + window;
    let watcher = tokio::spawn(watch_freshness(a.psql.clone(), t0, until));
    let mut invites = open_loop(
        invite_req(&env, &gateways, &t, &format!("i{nonce}.")),
        Arc::new(AtomicU64::new(0)),
        a.invite_rate,
        window,
        256,
        Duration::from_secs(30),
    )
    .await;
    invites.finish();
    let fresh = watcher.await.unwrap_or(Freshness {
        seeded: 0,
        first: None,
        all: None,
        at_end: 0,
    });
    let log = vendor_log(&env).await?;
    let rss: Vec<(f64, f64)> = pids.iter().filter_map(|p| rss_mib(*p)).collect();
    let by_priority = metric_by(
        &env,
        &gateways,
        "gateway_outbound_budget_calls_total",
        "priority",
    )
    .await;
    let reads = metric_by(&env, &gateways, "gateway_poller_reads_total", "outcome").await;

    let all: Vec<&Logged> = log.iter().collect();
    let limited = log.iter().filter(|l| l.status == 429).count();
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &log {
        *by_kind.entry(l.kind).or_default() += 1;
    }
    let span = log
        .last()
        .map_or(0.0, |l| l.at - t0)
        .max(a.secs as f64)
        .max(1.0);

    let mut md = Md::default();
    md.line(&format!(
        "## Vendor budget — {n_replicas} replica{} on one Postgres",
        if n_replicas == 1 { "" } else { "s" }
    ));
    md.line("");
    md.line(&format!(
        "One HeyMilo account at its documented 300 requests/minute (the simulator enforces it; the connection \
         has the gateway's default budget, 30 % background reserve), one posting. {} open interviews seeded \
         through `POST /v1/interviews/batch` in {seed_secs:.1} s ({seed_failed} failed) and all made due at once \
         (as after an outage), then a {} s window with the poller on every replica (`poller.interval_secs` = {}, sweeps on) while clients invite {} \
         candidate(s)/s one by one (`POST /v1/interviews`, round-robin over the replicas). Budget shared \
         through Postgres (no Redis).",
        seeded.len(),
        a.secs,
        a.interval_secs,
        a.invite_rate
    ));
    md.line("");
    md.line("| measure | value |");
    md.line("|---|---|");
    md.line(&format!(
        "| vendor calls in the window (simulator log) | {} ({:.0}/min on average) |",
        log.len(),
        log.len() as f64 * 60.0 / span
    ));
    md.line(&format!(
        "| most vendor calls in any 60 s | **{}** (limit 300) |",
        max_per_minute(&all)
    ));
    md.line(&format!("| vendor answers 429 | **{limited}** |"));
    for (k, v) in &by_kind {
        md.line(&format!("| … {k} | {v} |"));
    }
    md.line(&format!(
        "| gateway's budget calls by priority (metrics, all replicas) | {} |",
        by_priority
            .iter()
            .map(|(k, v)| format!("{k} {v:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    md.line(&format!(
        "| poller reads by outcome (metrics) | {} |",
        reads
            .iter()
            .map(|(k, v)| format!("{k} {v:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let secs_or = |v: Option<f64>| {
        v.map_or_else(
            || "not within the window".to_string(),
            |s| format!("{s:.0} s"),
        )
    };
    md.line(&format!(
        "| seeded interviews refreshed from the vendor (`last_synced_at` after they fell due) | {} of {} by the window's end |",
        fresh.at_end, fresh.seeded
    ));
    md.line(&format!(
        "| … first refreshed / all refreshed, after all fell due | {} / **{}** (`poller.interval_secs` {}) |",
        secs_or(fresh.first),
        secs_or(fresh.all),
        a.interval_secs
    ));
    md.line(&format!(
        "| invitations during the sweeps: ok / errors | {} / {} |",
        invites.ok,
        invites.errors_text()
    ));
    md.line(&format!(
        "| … latency p50 / p99 / max (ms) | {} / **{}** / {} |",
        f2(invites.pct_ms(50.0)),
        f2(invites.pct_ms(99.0)),
        f2(invites.max_ms())
    ));
    md.line(&format!(
        "| RSS per replica, peak / now (MiB) | {} |",
        rss.iter()
            .map(|(peak, now)| format!("{peak:.1} / {now:.1}"))
            .collect::<Vec<_>>()
            .join("; ")
    ));
    md.line("");

    if a.overload_secs > 0 {
        overload(&env, &a, &pids, &mut md).await?;
    }
    md.write(&a.common.out)?;
    Ok(())
}

/// Create capacity of one replica (closed loop), then 3× that offered open loop.
async fn overload(env: &Env, a: &BudgetArgs, pids: &[u32], md: &mut Md) -> anyhow::Result<()> {
    let t = env.hm_template("Overload").await?;
    let gws = [env.gw.clone()];
    let seq = Arc::new(AtomicU64::new(0));
    let make = invite_req(env, &gws, &t, &format!("o{}.", unix_secs() as u64));
    let mut cap = closed_loop(
        make.clone(),
        seq.clone(),
        32,
        Duration::from_secs(5),
        Duration::from_secs(30),
    )
    .await;
    cap.finish();
    let rate = (cap.rps() * 3.0).max(30.0);
    eprintln!(
        "budget: create capacity {:.0}/s, offering {rate:.0}/s",
        cap.rps()
    );
    let mut st: Stats = open_loop(
        make,
        seq,
        rate,
        Duration::from_secs(a.overload_secs),
        20_000,
        Duration::from_secs(30),
    )
    .await;
    st.finish();
    let rss = pids.first().and_then(|p| rss_mib(*p));
    md.line(&format!(
        "## Overload — one replica offered 3× its create capacity (`capacity.max_in_flight` {})",
        a.max_in_flight
    ));
    md.line("");
    md.line(&format!(
        "Capacity: `POST /v1/interviews` closed loop, 32 connections, 5 s: **{:.0}/s** (p50 {} ms, p99 {} ms). \
         Then {rate:.0}/s open loop for {} s (latency from the intended send time). A fresh replica with \
         the poller off, on a connection with the vendor's limit lifted so the gateway is what saturates.",
        cap.rps(),
        f2(cap.pct_ms(50.0)),
        f2(cap.pct_ms(99.0)),
        a.overload_secs
    ));
    md.line("");
    md.line("| measure | value |");
    md.line("|---|---|");
    md.line(&format!(
        "| offered / admitted (2xx) / shed (503) | {} / {} ({:.0}/s) / {} |",
        st.sent,
        st.ok,
        st.rps(),
        st.shed_us.len()
    ));
    md.line(&format!("| other errors | {} |", {
        let mut other = st.clone();
        other.errors.remove("HTTP 503");
        other.errors_text()
    }));
    md.line(&format!(
        "| admitted latency p50 / p99 (ms) | {} / **{}** |",
        f2(st.pct_ms(50.0)),
        f2(st.pct_ms(99.0))
    ));
    md.line(&format!(
        "| 503 latency p50 / p99 (ms) | {} / **{}** |",
        f2(st.shed_pct_ms(50.0)),
        f2(st.shed_pct_ms(99.0))
    ));
    if let Some((peak, now)) = rss {
        md.line(&format!("| RSS peak / now (MiB) | {peak:.1} / {now:.1} |"));
    }
    md.line("");
    Ok(())
}
