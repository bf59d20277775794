//! Load loops (open and closed) and the JSON helper the setup uses.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::Value;

/// Builds request number `n` of a stream (the number keeps creates unique).
pub type MakeReq = Arc<dyn Fn(u64) -> reqwest::RequestBuilder + Send + Sync>;

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .http1_only()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(4096)
        .pool_idle_timeout(Duration::from_secs(300))
        .build()
        .unwrap_or_default()
}

/// One measured stream: ok latencies (µs) and errors by kind.
#[derive(Default, Clone)]
pub struct Stats {
    pub sent: u64,
    pub ok: u64,
    pub lat_us: Vec<u32>,
    /// Latencies (µs) of the answers that were 503 (the gateway shedding load).
    pub shed_us: Vec<u32>,
    pub errors: BTreeMap<String, u64>,
    /// Wall time the stream was scheduled over (sum of slices).
    pub secs: f64,
}

impl Stats {
    pub fn merge(&mut self, o: Stats) {
        self.sent += o.sent;
        self.ok += o.ok;
        self.lat_us.extend(o.lat_us);
        self.shed_us.extend(o.shed_us);
        for (k, v) in o.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.secs += o.secs;
    }
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
    pub fn errors_text(&self) -> String {
        if self.errors.is_empty() {
            return "0".into();
        }
        let parts: Vec<String> = self
            .errors
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        format!("{} ({})", self.error_count(), parts.join(", "))
    }
    pub fn finish(&mut self) {
        self.lat_us.sort_unstable();
        self.shed_us.sort_unstable();
    }
    /// Percentile in ms of the sorted ok latencies (NaN when none).
    pub fn pct_ms(&self, p: f64) -> f64 {
        pct_ms(&self.lat_us, p)
    }
    /// Percentile in ms of the sorted 503 latencies (NaN when none).
    pub fn shed_pct_ms(&self, p: f64) -> f64 {
        pct_ms(&self.shed_us, p)
    }
    pub fn max_ms(&self) -> f64 {
        self.lat_us
            .last()
            .map_or(f64::NAN, |v| f64::from(*v) / 1000.0)
    }
    pub fn rps(&self) -> f64 {
        if self.secs > 0.0 {
            self.ok as f64 / self.secs
        } else {
            0.0
        }
    }
}

fn pct_ms(sorted_us: &[u32], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let idx = ((p / 100.0) * sorted_us.len() as f64).ceil() as usize;
    let idx = idx.clamp(1, sorted_us.len()) - 1;
    f64::from(sorted_us[idx]) / 1000.0
}

fn micros(d: Duration) -> u32 {
    d.as_micros().min(u128::from(u32::MAX)) as u32
}

#[derive(Default)]
struct Recorded {
    ok_us: Vec<u32>,
    shed_us: Vec<u32>,
    errors: BTreeMap<String, u64>,
}

#[derive(Default)]
struct Recorder {
    inner: Mutex<Recorded>,
}

impl Recorder {
    fn lock(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn ok(&self, d: Duration) {
        self.lock().ok_us.push(micros(d));
    }
    /// An error; a 503 also keeps its latency (how fast the gateway refused).
    fn err(&self, kind: String, d: Duration) {
        let mut r = self.lock();
        if kind == SHED {
            r.shed_us.push(micros(d));
        }
        *r.errors.entry(kind).or_default() += 1;
    }
    fn take(&self) -> Recorded {
        std::mem::take(&mut *self.lock())
    }
}

/// The error kind of a 503 answer.
const SHED: &str = "HTTP 503";

async fn one(make: &MakeReq, n: u64, timeout: Duration) -> Result<(), String> {
    let fut = async {
        let res = make(n).send().await?;
        let status = res.status();
        let _ = res.bytes().await?;
        Ok::<_, reqwest::Error>(status)
    };
    match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(s)) if s.is_success() => Ok(()),
        Ok(Ok(s)) => Err(format!("HTTP {}", s.as_u16())),
        Ok(Err(e)) if e.is_connect() => Err("connect".into()),
        Ok(Err(_)) => Err("transport".into()),
        Err(_) => Err(format!("timeout>{}s", timeout.as_secs())),
    }
}

/// Open loop: `rate` requests/s for `dur`, on a fixed timetable kept by an OS thread
/// (`thread::sleep` is precise to ~0.1 ms, tokio's timer only to 1 ms). Latency runs from
/// each request's intended send time. Above `max_inflight` outstanding requests a scheduled
/// request is not sent and counts as an error (`dropped`).
pub async fn open_loop(
    make: MakeReq,
    seq: Arc<AtomicU64>,
    rate: f64,
    dur: Duration,
    max_inflight: usize,
    timeout: Duration,
) -> Stats {
    let rec = Arc::new(Recorder::default());
    let inflight = Arc::new(AtomicUsize::new(0));
    let handle = tokio::runtime::Handle::current();
    let n = (rate * dur.as_secs_f64()).round() as u64;
    let interval = 1.0 / rate;
    let start = Instant::now() + Duration::from_millis(2);
    let (rec2, inflight2) = (rec.clone(), inflight.clone());
    let dispatcher = std::thread::spawn(move || {
        let mut dropped = 0u64;
        for i in 0..n {
            let intended = start + Duration::from_secs_f64(interval * i as f64);
            let now = Instant::now();
            if intended > now {
                std::thread::sleep(intended - now);
            }
            if inflight2.load(Ordering::Relaxed) >= max_inflight {
                dropped += 1;
                continue;
            }
            inflight2.fetch_add(1, Ordering::Relaxed);
            let (make, rec, inflight, k) = (
                make.clone(),
                rec2.clone(),
                inflight2.clone(),
                seq.fetch_add(1, Ordering::Relaxed),
            );
            handle.spawn(async move {
                match one(&make, k, timeout).await {
                    Ok(()) => rec.ok(intended.elapsed()),
                    Err(e) => rec.err(e, intended.elapsed()),
                }
                inflight.fetch_sub(1, Ordering::Relaxed);
            });
        }
        dropped
    });
    let dropped = tokio::task::spawn_blocking(move || dispatcher.join().unwrap_or(0))
        .await
        .unwrap_or(0);
    while inflight.load(Ordering::Relaxed) > 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let secs = dur.as_secs_f64();
    let mut r = rec.take();
    if dropped > 0 {
        r.errors
            .insert(format!("dropped(in-flight>{max_inflight})"), dropped);
    }
    Stats {
        sent: n,
        ok: r.ok_us.len() as u64,
        lat_us: r.ok_us,
        shed_us: r.shed_us,
        errors: r.errors,
        secs,
    }
}

/// Closed loop: `conns` workers each send back to back for `dur`.
pub async fn closed_loop(
    make: MakeReq,
    seq: Arc<AtomicU64>,
    conns: usize,
    dur: Duration,
    timeout: Duration,
) -> Stats {
    let rec = Arc::new(Recorder::default());
    let sent = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + dur;
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (make, rec, seq, sent) = (make.clone(), rec.clone(), seq.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let t0 = Instant::now();
                sent.fetch_add(1, Ordering::Relaxed);
                match one(&make, seq.fetch_add(1, Ordering::Relaxed), timeout).await {
                    Ok(()) => rec.ok(t0.elapsed()),
                    Err(e) => rec.err(e, t0.elapsed()),
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let secs = start.elapsed().as_secs_f64();
    let r = rec.take();
    Stats {
        sent: sent.load(Ordering::Relaxed),
        ok: r.ok_us.len() as u64,
        lat_us: r.ok_us,
        shed_us: r.shed_us,
        errors: r.errors,
        secs,
    }
}

/// A setup call: JSON in, JSON out, any non-2xx is an error naming the body.
pub async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> anyhow::Result<Value> {
    let mut req = client.request(method.clone(), url);
    if let Some(k) = bearer {
        req = req.bearer_auth(k);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let res = req
        .send()
        .await
        .with_context(|| format!("{method} {url}"))?;
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("{method} {url}: HTTP {status}: {text}");
    }
    if text.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).with_context(|| format!("{method} {url}: not JSON: {text}"))
}
