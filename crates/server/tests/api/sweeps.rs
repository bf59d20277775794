//! Poller sweeps on the other listing vendors, and across replicas (issue 17).
//!
//! Many open interviews of one template come due at once; the poller must read the
//! template's list pages (one vendor call each) and read on its own only what changed at
//! the vendor, and each change must yield exactly one event — also when three replicas on
//! one database sweep the same due interviews.
//!
//! Page sizes the counts derive from:
//! - InterviewFlowAI: the adapter's `list_interviews` asks `POST /api/external/fetch/candidates`
//!   for `limit: 50` (`PAGE_LIMIT`, crates/providers/interviewflowai/src/lib.rs), the simulator
//!   serves up to 100 and answers `totalPages`; a single read is the same route with
//!   `interviewId`.
//! - TapTalent: `GET /v1/partner/assessment-flows/{flow}/candidates?page=N&pageSize=100`
//!   (`PAGE_SIZE`, crates/providers/taptalent/src/lib.rs; the simulator's maximum is 100) and
//!   answers `total`; a single read is the same route with `search=<email>`.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{Backend, TestApp};
use crate::inbound::events_of;

/// InterviewFlowAI's list page, as the adapter asks for it.
const IFA_PAGE: usize = 50;
/// TapTalent's list page, as the adapter asks for it.
const TT_PAGE: usize = 100;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Vendor {
    InterviewFlowAi,
    TapTalent,
}

impl Vendor {
    fn name(self) -> &'static str {
        match self {
            Vendor::InterviewFlowAi => "interviewflowai",
            Vendor::TapTalent => "taptalent",
        }
    }

    fn page_size(self) -> usize {
        match self {
            Vendor::InterviewFlowAi => IFA_PAGE,
            Vendor::TapTalent => TT_PAGE,
        }
    }
}

/// One open interview: the gateway's id, the vendor's id, the candidate's e-mail.
#[derive(Clone, Debug)]
struct Open {
    id: String,
    vendor_id: String,
    email: String,
}

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    body
}

/// An account at `vendor` with no dashboard webhook (so what changes there only the poller
/// can find), a connection and a template on it, and `n` invited interviews.
async fn open_interviews(app: &TestApp, vendor: Vendor, n: usize) -> Vec<Open> {
    let (connection, provider_ref) = match vendor {
        Vendor::InterviewFlowAi => {
            let account = app
                .sandbox_control("/interviewflowai/accounts", json!({}))
                .await;
            let conn = json_of(
                app.admin(Method::POST, "/v1/connections")
                    .json(&json!({
                        "provider": "interviewflowai",
                        "name": "InterviewFlowAI sandbox",
                        "credentials": {"api_key": account["api_key"]},
                        "base_url": app.sandbox.vendor_url("interviewflowai"),
                    }))
                    .send()
                    .await
                    .unwrap(),
                201,
            )
            .await;
            let interviewer = account["interviewers"][0]["id"].as_str().unwrap();
            (conn, json!({"kind": "interviewer", "id": interviewer}))
        }
        Vendor::TapTalent => {
            let account = app.sandbox_control("/taptalent/accounts", json!({})).await;
            let conn = json_of(
                app.admin(Method::POST, "/v1/connections")
                    .json(&json!({
                        "provider": "taptalent",
                        "name": "TapTalent sandbox",
                        "credentials": {"api_key": account["api_key"], "webhook_key": "whk_sweeps"},
                        "base_url": app.sandbox.vendor_url("taptalent"),
                        "settings": {"environment": "sandbox"},
                    }))
                    .send()
                    .await
                    .unwrap(),
                201,
            )
            .await;
            (
                conn,
                json!({"kind": "assessment_flow", "id": account["flow_id"].to_string()}),
            )
        }
    };
    let template = json_of(
        app.admin(Method::POST, "/v1/templates/link")
            .json(&json!({"connection_id": connection["id"], "provider_ref": provider_ref, "name": "Swept"}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let template = template["id"].as_str().unwrap().to_string();
    let candidates: Vec<Value> = (0..n)
        .map(|i| json!({"email": format!("sweep-{i}@example.com"), "name": format!("Swept Candidate{i}")}))
        .collect();
    let res = json_of(
        app.admin(Method::POST, "/v1/interviews/batch")
            .json(&json!({"template_id": template, "candidates": candidates}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let ref_kind = match vendor {
        Vendor::InterviewFlowAi => "interview_id",
        Vendor::TapTalent => "assignment_id",
    };
    let data = res["data"].as_array().unwrap();
    assert_eq!(data.len(), n);
    data.iter()
        .enumerate()
        .map(|(i, d)| {
            let iv = &d["interview"];
            assert_eq!(iv["status"], "invited", "{d}");
            Open {
                id: iv["id"].as_str().unwrap().to_string(),
                vendor_id: iv["provider_refs"][ref_kind]
                    .as_str()
                    .unwrap_or_else(|| panic!("{d}"))
                    .to_string(),
                email: format!("sweep-{i}@example.com"),
            }
        })
        .collect()
}

/// The candidate starts the interview at the vendor; no webhook tells the gateway.
async fn start_at_vendor(app: &TestApp, vendor: Vendor, iv: &Open) {
    match vendor {
        Vendor::InterviewFlowAi => {
            let out = app
                .sandbox_control(
                    &format!("/interviewflowai/interviews/{}/advance", iv.vendor_id),
                    json!({"to": "started"}),
                )
                .await;
            assert!(out["delivered"].is_null(), "no webhook was sent: {out}");
        }
        Vendor::TapTalent => {
            let out = app
                .sandbox_control(
                    &format!("/taptalent/assignments/{}/advance", iv.vendor_id),
                    json!({"to": "started"}),
                )
                .await;
            assert_eq!(out["delivered"], json!([]), "no webhook was sent: {out}");
        }
    }
}

/// What the vendor received from the poller.
#[derive(Debug)]
struct Reads {
    /// The list page numbers read, in order.
    pages: Vec<u64>,
    /// Single reads, by the vendor id (InterviewFlowAI) or e-mail (TapTalent) asked for.
    single: Vec<String>,
    /// Any other call.
    other: Vec<String>,
}

fn reads(app: &TestApp, vendor: Vendor) -> Reads {
    let mut out = Reads {
        pages: Vec::new(),
        single: Vec::new(),
        other: Vec::new(),
    };
    for r in app.sandbox.shared.log.list(Some(vendor.name())) {
        match vendor {
            Vendor::InterviewFlowAi
                if r.method == "POST" && r.path == "/api/external/fetch/candidates" =>
            {
                if let Some(id) = r.body["interviewId"].as_str() {
                    out.single.push(id.to_string());
                } else if r.body["additionalFields"].is_null() {
                    assert_eq!(r.body["limit"], IFA_PAGE, "{:?}", r.body);
                    out.pages.push(r.body["page"].as_u64().unwrap());
                } else {
                    out.other.push(format!("{} {}", r.path, r.body));
                }
            }
            Vendor::TapTalent
                if r.method == "GET"
                    && r.path.starts_with("/v1/partner/assessment-flows/")
                    && r.path.ends_with("/candidates") =>
            {
                let q: Vec<(String, String)> =
                    url::form_urlencoded::parse(r.query.as_deref().unwrap_or("").as_bytes())
                        .into_owned()
                        .collect();
                let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                if let Some(email) = get("search") {
                    out.single.push(email);
                } else {
                    assert_eq!(get("pageSize").as_deref(), Some("100"), "{q:?}");
                    out.pages.push(get("page").unwrap().parse().unwrap());
                }
            }
            _ => out
                .other
                .push(format!("{} {} {:?}", r.method, r.path, r.query)),
        }
    }
    out
}

/// Make every interview due now (one statement, so one tick finds them all) and wait, at
/// most 20 s, until the poller has rescheduled every one past the next minute.
pub(crate) async fn all_due_and_swept(app: &TestApp) -> sqlx::PgPool {
    let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
    sqlx::query("UPDATE interviews SET next_poll_at = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let (due,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM interviews WHERE next_poll_at < now() + interval '60 seconds'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if due == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{due} still due after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    pool
}

/// Every interview was synced by this sweep (not merely rescheduled after a failed read).
async fn all_synced_since(pool: &sqlx::PgPool, since: chrono::DateTime<chrono::Utc>) {
    let (unsynced,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM interviews WHERE last_synced_at IS NULL OR last_synced_at < $1",
    )
    .bind(since)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(unsynced, 0, "interviews not synced by the sweep");
}

/// Exactly the changed interviews got one new event (`interview.started`); the others none.
async fn one_event_per_change(app: &TestApp, all: &[Open], changed: &[Open]) {
    for iv in all {
        let events = events_of(app, &iv.id).await;
        if changed.iter().any(|c| c.id == iv.id) {
            assert_eq!(events, ["interview.invited", "interview.started"], "{iv:?}");
        } else {
            assert_eq!(events, ["interview.invited"], "{iv:?}");
        }
    }
}

/// How the vendor's single reads name an interview.
fn single_key(vendor: Vendor, iv: &Open) -> String {
    match vendor {
        Vendor::InterviewFlowAi => iv.vendor_id.clone(),
        Vendor::TapTalent => iv.email.clone(),
    }
}

fn poller_reads(outcome: &str) -> u64 {
    gateway_metrics::metrics()
        .poller_reads
        .with([outcome])
        .get()
}

/// `n` open interviews of one template at `vendor` come due at once, `changed` of them
/// (indices) started at the vendor meanwhile. One replica, a batch that holds them all: the
/// poller reads each of the template's ⌈n / page⌉ list pages once, marks the unchanged ones
/// synced from them, and reads only the changed ones on their own — one `interview.started`
/// each, no event for the others.
async fn one_replica_sweeps(vendor: Vendor, n: usize, changed: &[usize]) {
    let app = TestApp::spawn_with(
        Backend::Postgres,
        &[
            ("poller.interval_secs", json!(3600)),
            ("poller.batch", json!(500)),
        ],
    )
    .await;
    let all = open_interviews(&app, vendor, n).await;
    let changed: Vec<Open> = changed.iter().map(|&i| all[i].clone()).collect();
    for iv in &changed {
        start_at_vendor(&app, vendor, iv).await;
    }
    app.sandbox.shared.log.clear();
    let (swept_before, read_before) = (poller_reads("swept"), poller_reads("ok"));
    let since = gateway_core::time::now();
    let pool = all_due_and_swept(&app).await;

    let got = reads(&app, vendor);
    let pages = n.div_ceil(vendor.page_size());
    assert_eq!(
        got.pages,
        (1..=pages as u64).collect::<Vec<_>>(),
        "each list page read once, in order: {got:?}"
    );
    let mut single = got.single.clone();
    single.sort();
    let mut want: Vec<String> = changed.iter().map(|c| single_key(vendor, c)).collect();
    want.sort();
    assert_eq!(single, want, "only the changed interviews are read alone");
    assert!(
        got.other.is_empty(),
        "no other vendor call: {:?}",
        got.other
    );
    // The counters agree: n - changed refreshed from the pages, the changed read alone.
    assert_eq!(
        poller_reads("swept") - swept_before,
        (n - changed.len()) as u64
    );
    assert_eq!(poller_reads("ok") - read_before, changed.len() as u64);
    all_synced_since(&pool, since).await;
    one_event_per_change(&app, &all, &changed).await;
}

/// InterviewFlowAI, 120 interviews at 50 a page: pages 1, 2, 3 (50 + 50 + 20), and one read
/// each (`interviewId`) for the 3 started ones — one on each page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interviewflowai_sweep_reads_its_pages_and_only_changed_interviews_alone() {
    one_replica_sweeps(Vendor::InterviewFlowAi, 120, &[10, 60, 110]).await;
}

/// TapTalent, 150 assignments of one flow at 100 a page: pages 1 and 2 (100 + 50), and one
/// search read each for the 3 started ones (two on page 1, one on page 2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taptalent_sweep_reads_its_pages_and_only_changed_interviews_alone() {
    one_replica_sweeps(Vendor::TapTalent, 150, &[5, 70, 140]).await;
}

/// Three replicas on one database, 120 InterviewFlowAI interviews due at once, 3 started at
/// the vendor, the default batch of 50 (so each replica's tick leases a part): together they
/// read each list page at most once per replica and never more pages than one replica
/// alone would read three times over, every interview is synced, each started one is read
/// alone exactly once (a lease holds it for one replica) and yields one event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_sweep_once_between_them() {
    let vendor = Vendor::InterviewFlowAi;
    let n = 120;
    let app = TestApp::spawn_with(
        Backend::Postgres,
        &[
            ("poller.interval_secs", json!(3600)),
            ("poller.batch", json!(50)),
        ],
    )
    .await;
    let all = open_interviews(&app, vendor, n).await;
    let changed: Vec<Open> = [10, 60, 110].iter().map(|&i| all[i].clone()).collect();
    for iv in &changed {
        start_at_vendor(&app, vendor, iv).await;
    }
    let _second = crate::capacity::replica(&app).await;
    let _third = crate::capacity::replica(&app).await;
    app.sandbox.shared.log.clear();
    let since = gateway_core::time::now();
    let pool = all_due_and_swept(&app).await;

    let got = reads(&app, vendor);
    let pages = n.div_ceil(vendor.page_size());
    assert!(
        got.pages.len() <= 3 * pages,
        "at most one pass over the pages per replica: {got:?}"
    );
    let mut single = got.single.clone();
    single.sort();
    let mut want: Vec<String> = changed.iter().map(|c| single_key(vendor, c)).collect();
    want.sort();
    assert_eq!(
        single, want,
        "each changed interview read alone once, by one replica"
    );
    assert!(
        got.other.is_empty(),
        "no other vendor call: {:?}",
        got.other
    );
    assert!(
        got.pages.len() + got.single.len() < n / 4,
        "far fewer calls than one read each: {got:?}"
    );
    all_synced_since(&pool, since).await;
    one_event_per_change(&app, &all, &changed).await;
}
