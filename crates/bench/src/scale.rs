//! Data scale: N interviews seeded straight into the gateway's Postgres tables, then list
//! pages, single gets and a 1,000-candidate batch through the gateway.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use clap::Args;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::http::Stats;
use crate::report::{f2, Md};
use crate::setup::{psql_value, rss_mib, Env};
use crate::Common;

#[derive(Args)]
pub struct ScaleArgs {
    #[command(flatten)]
    common: Common,
    /// The gateway's Postgres database (psql connection string).
    #[arg(long)]
    psql: String,
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// Requests per measured list/get kind.
    #[arg(long, default_value_t = 300)]
    samples: usize,
    /// Batch invites of 1,000 candidates to time.
    #[arg(long, default_value_t = 2)]
    batches: usize,
}

/// The UUIDv7 the seeding SQL gives row `g` (`kind` 8 = interview, 9 = candidate): the
/// 48-bit millisecond timestamp `base_ms + g`, version 7, variant nibble `kind`, `g` below.
/// Stored as plain uuid like every gateway id; `intv_` + base32 of it on the wire.
fn seeded_uuid(base_ms: u64, g: u64, kind: char) -> Uuid {
    let hex = format!("{:012x}7000{kind}{g:015x}", base_ms + g);
    Uuid::parse_str(&hex).unwrap_or_default()
}

fn seed_sql(ws: Uuid, tmpl: Uuid, conn: Uuid, rows: u64, base_ms: u64) -> String {
    let id = |kind: char| {
        format!("(lpad(to_hex({base_ms}::bigint + g), 12, '0') || '7000{kind}' || lpad(to_hex(g), 15, '0'))::uuid")
    };
    let ts = format!("to_timestamp(({base_ms}::bigint + g) / 1000.0)");
    format!(
        "\\set ON_ERROR_STOP on
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
BEGIN;
INSERT INTO candidates (id, workspace_id, email, name, metadata, created_at, updated_at)
SELECT {cid}, '{ws}', 'seed' || g || '@scale.example.com', 'Seed Candidate ' || g, '{{}}', {ts}, {ts}
FROM generate_series(1, {rows}) g;
INSERT INTO interviews (id, workspace_id, template_id, connection_id, candidate_id, provider, status,
    outcome, interview_url, provider_refs, invite_options, remote_data, created_at, updated_at)
SELECT {iid}, '{ws}', '{tmpl}', '{conn}', {cid}, 'heymilo',
    (ARRAY['completed','completed','completed','completed','invited','invited','invited','in_progress','expired','cancelled'])[g % 10 + 1],
    CASE WHEN g % 10 < 4 THEN (CASE WHEN g % 2 = 0 THEN 'passed' ELSE 'failed' END) END,
    'https://app.heymilo.ai/i/int_seed_' || g,
    jsonb_build_object('interview_id', 'int_seed_' || g),
    '{{}}', jsonb_build_object('interview_id', 'int_seed_' || g, 'status', 'pending'), {ts}, {ts}
FROM generate_series(1, {rows}) g;
COMMIT;
ANALYZE candidates;
ANALYZE interviews;
",
        cid = id('9'),
        iid = id('8'),
    )
}

fn psql(url: &str, sql: &str) -> anyhow::Result<()> {
    let mut child = Command::new("psql")
        .arg(url)
        .arg("-q")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(sql.as_bytes())?;
    }
    let status = child.wait()?;
    anyhow::ensure!(status.success(), "psql failed: {status}");
    Ok(())
}

/// Sequential GETs (one connection, no concurrency: pure per-request latency).
async fn timed(env: &Env, urls: impl IntoIterator<Item = String>) -> Stats {
    let mut st = Stats::default();
    let t0 = Instant::now();
    for url in urls {
        st.sent += 1;
        let s = Instant::now();
        let res = env
            .client
            .get(format!("{}{url}", env.gw))
            .bearer_auth(&env.key)
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => {
                let _ = r.bytes().await;
                st.ok += 1;
                st.lat_us.push(s.elapsed().as_micros() as u32);
            }
            Ok(r) => {
                *st.errors
                    .entry(format!("HTTP {}", r.status().as_u16()))
                    .or_default() += 1
            }
            Err(_) => *st.errors.entry("transport".into()).or_default() += 1,
        }
    }
    st.secs = t0.elapsed().as_secs_f64();
    st.finish();
    st
}

fn cursor(u: Uuid) -> String {
    B64.encode(u.as_bytes())
}

/// A small deterministic generator (no extra dependency).
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

pub async fn run(a: ScaleArgs) -> anyhow::Result<()> {
    let t_all = Instant::now();
    let env = Env::new(&a.common).await?;
    let t = env.hm_template("Scale").await?;
    let ws = gateway_core::id::parse_prefixed("ws", &env.workspace_id)?;
    let tmpl = gateway_core::id::parse_prefixed("tmpl", &t.template_id)?;
    let conn = gateway_core::id::parse_prefixed("conn", &t.connection_id)?;
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as u64;
    // Seeded rows are older than anything the gateway made (ids sort by time).
    let base_ms = now_ms - a.rows - 86_400_000;
    eprintln!(
        "bench: seeding {} interviews (+ as many candidates) with generate_series",
        a.rows
    );
    let t_seed = Instant::now();
    let sql = seed_sql(ws, tmpl, conn, a.rows, base_ms);
    let url = a.psql.clone();
    tokio::task::spawn_blocking(move || psql(&url, &sql)).await??;
    let seed_secs = t_seed.elapsed().as_secs_f64();
    eprintln!("bench: seeded in {seed_secs:.1} s");

    let n = a.samples;
    let mut rng = Lcg(42);
    // Warm the pool and plans.
    let _ = timed(&env, (0..20).map(|_| "/v1/interviews?limit=50".to_string())).await;
    let mut results: Vec<(String, Stats)> = Vec::new();
    results.push((
        "first page (`limit=50`)".into(),
        timed(&env, (0..n).map(|_| "/v1/interviews?limit=50".to_string())).await,
    ));
    results.push((
        "first page, `status=in_progress` (10 % of rows)".into(),
        timed(
            &env,
            (0..n).map(|_| "/v1/interviews?status=in_progress&limit=50".to_string()),
        )
        .await,
    ));
    results.push((
        "first page, `template_id=…&status=completed`".into(),
        timed(
            &env,
            (0..n).map(|_| {
                format!(
                    "/v1/interviews?template_id={}&status=completed&limit=50",
                    t.template_id
                )
            }),
        )
        .await,
    ));
    // Follow next_cursor page after page.
    let mut follow = Stats::default();
    let mut next: Option<String> = None;
    let t_follow = Instant::now();
    for _ in 0..n {
        let path = match &next {
            Some(c) => format!("/v1/interviews?limit=50&cursor={c}"),
            None => "/v1/interviews?limit=50".to_string(),
        };
        let s = Instant::now();
        follow.sent += 1;
        match env.gw_call(Method::GET, &path, None).await {
            Ok(v) => {
                follow.ok += 1;
                follow.lat_us.push(s.elapsed().as_micros() as u32);
                next = v["next_cursor"].as_str().map(str::to_string);
            }
            Err(_) => *follow.errors.entry("error".into()).or_default() += 1,
        }
    }
    follow.secs = t_follow.elapsed().as_secs_f64();
    follow.finish();
    results.push((
        format!("following `next_cursor` {n} pages deep (incl. JSON parse)"),
        follow,
    ));
    // Cursors at random depths (a cursor is base64url of the last id: the same bytes
    // next_cursor would carry for that row).
    let deep: Vec<String> = (0..n)
        .map(|_| {
            format!(
                "/v1/interviews?limit=50&cursor={}",
                cursor(seeded_uuid(base_ms, 1 + rng.below(a.rows), '8'))
            )
        })
        .collect();
    results.push((
        "page at a random depth (cursor anywhere in 1M)".into(),
        timed(&env, deep).await,
    ));
    let deep_f: Vec<String> = (0..n)
        .map(|_| {
            format!(
                "/v1/interviews?status=in_progress&limit=50&cursor={}",
                cursor(seeded_uuid(base_ms, 1 + rng.below(a.rows), '8'))
            )
        })
        .collect();
    results.push((
        "`status=in_progress` page at a random depth".into(),
        timed(&env, deep_f).await,
    ));
    let gets: Vec<String> = (0..n * 3)
        .map(|_| {
            let u = seeded_uuid(base_ms, 1 + rng.below(a.rows), '8');
            format!(
                "/v1/interviews/{}",
                gateway_core::id::format_prefixed("intv", u)
            )
        })
        .collect();
    results.push((
        "single get `GET /v1/interviews/{id}` (random row)".into(),
        timed(&env, gets).await,
    ));

    // Batch invites of 1,000 end to end (one HeyMilo bulk ingest each).
    let mut batches = Vec::new();
    for b in 0..a.batches {
        let candidates: Vec<Value> = (0..1000)
            .map(|i| json!({"email": format!("batch{b}.{i}.{now_ms}@scale.example.com"), "name": format!("Batch {b} {i}")}))
            .collect();
        let body = json!({"template_id": t.template_id, "candidates": candidates});
        let s = Instant::now();
        let res = env
            .gw_call(Method::POST, "/v1/interviews/batch", Some(&body))
            .await;
        let secs = s.elapsed().as_secs_f64();
        let (ok, failed) = match &res {
            Ok(v) => {
                let items = v["data"].as_array().cloned().unwrap_or_default();
                let ok = items
                    .iter()
                    .filter(|i| {
                        i.get("error").is_none_or(Value::is_null) && !i["interview"].is_null()
                    })
                    .count();
                (ok, items.len() - ok)
            }
            Err(e) => {
                eprintln!("bench: batch failed: {e:#}");
                (0, 1000)
            }
        };
        eprintln!("bench: batch {b}: {ok} ok, {failed} failed in {secs:.2} s");
        batches.push((secs, ok, failed));
    }
    let count = psql_value(&a.psql, "SELECT count(*) FROM interviews").unwrap_or_default();
    let rss = a.common.gateway_pid.and_then(rss_mib);

    let mut md = Md::default();
    md.line(&format!(
        "## Data scale — {} interviews in Postgres",
        a.rows
    ));
    md.line("");
    md.line(&format!(
        "Seeding {} interviews + {} candidates with `INSERT … SELECT generate_series` straight into the gateway's tables \
         (after it migrated them; all indexes in place, then `ANALYZE`): **{seed_secs:.1} s**. `interviews` holds {count} rows. \
         Requests below: one connection, sequential, {n} per kind ({} for gets), through the gateway.",
        a.rows, a.rows, n * 3
    ));
    md.line("");
    md.line("| request | ok | errors | p50 ms | p99 ms | max ms |");
    md.line("|---|---:|---|---:|---:|---:|");
    for (name, s) in &results {
        md.line(&format!(
            "| {name} | {} | {} | {} | {} | {} |",
            s.ok,
            s.errors_text(),
            f2(s.pct_ms(50.0)),
            f2(s.pct_ms(99.0)),
            f2(s.max_ms())
        ));
    }
    md.line("");
    md.line("| batch invite (`POST /v1/interviews/batch`, 1,000 candidates) | ok | failed | wall time s |");
    md.line("|---|---:|---:|---:|");
    for (i, (secs, ok, failed)) in batches.iter().enumerate() {
        md.line(&format!(
            "| batch {} | {ok} | {failed} | {secs:.2} |",
            i + 1
        ));
    }
    md.line("");
    md.line("### Targets");
    md.line("");
    md.line("| target | measured | result |");
    md.line("|---|---|---|");
    let worst = results
        .iter()
        .filter(|(name, _)| !name.starts_with("single get"))
        .map(|(name, s)| (name.clone(), s.pct_ms(99.0)))
        .fold(
            (String::new(), 0.0f64),
            |acc, x| if x.1 > acc.1 { x } else { acc },
        );
    md.line(&format!(
        "| list page p99 ≤ 10 ms at {} rows | worst p99 {} ms ({}) | {} |",
        a.rows,
        f2(worst.1),
        worst.0,
        if worst.1 <= 10.0 { "pass" } else { "**MISS**" }
    ));
    if let Some((peak, now)) = rss {
        let mb = crate::latency::mib_to_mb(peak);
        md.line(&format!(
            "| gateway peak RSS ≤ 100 MB | VmHWM {mb:.1} MB = {peak:.1} MiB (VmRSS at end {now:.1} MiB) | {} |",
            if mb <= 100.0 { "pass" } else { "**MISS**" }
        ));
    }
    md.line("");
    md.line(&format!(
        "Scale run wall time (after the gateway started): {:.0} s.",
        t_all.elapsed().as_secs_f64()
    ));
    let _ = Duration::ZERO;
    md.write(&a.common.out)
}
