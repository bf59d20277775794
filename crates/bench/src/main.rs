//! `gateway-bench`: the load generator behind `bench/run`.
//!
//! - `latency`: the same operations (get / create / list interviews) DIRECTLY against the
//!   sandbox's HeyMilo API and THROUGH the gateway, interleaved slice by slice, at fixed rates
//!   (open loop: requests are scheduled on a timetable by a dedicated OS thread and latency is
//!   measured from the *intended* send time, so a stalled server cannot hide its queue — no
//!   coordinated omission) and at max throughput (closed loop, N connections).
//! - `scale`: with the gateway on Postgres, seeds N interviews straight into its tables
//!   (`generate_series`), then times list pages (first, filtered, deep cursors), single gets
//!   and a 1,000-candidate batch invite.
//!
//! - `budget`: several replicas on one Postgres keep thousands of open HeyMilo interviews
//!   fresh against the vendor's documented 300/min while clients invite; then one replica
//!   offered 3× its create capacity (shedding).
//!
//! Each writes a markdown section to `--out`; progress goes to stderr.

mod budget;
mod http;
mod latency;
mod report;
mod scale;
mod setup;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Interview Gateway benchmark harness (see bench/run)")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Direct vs through-gateway latency at fixed rates and max throughput.
    Latency(latency::LatencyArgs),
    /// 1M-row list/get latency and a 1,000-candidate batch (Postgres).
    Scale(scale::ScaleArgs),
    /// The vendor budget across replicas, sweeps, invites meanwhile; overload shedding.
    Budget(budget::BudgetArgs),
}

#[derive(Args, Clone)]
pub struct Common {
    /// Gateway base URL.
    #[arg(long)]
    pub gateway: String,
    /// Sandbox (vendor simulators) base URL.
    #[arg(long)]
    pub sandbox: String,
    /// An admin key (from `interview-gateway keys create --admin`).
    #[arg(long, env = "BENCH_ADMIN_KEY")]
    pub admin_key: String,
    /// The gateway's pid, for its peak RSS (VmHWM).
    #[arg(long)]
    pub gateway_pid: Option<u32>,
    /// Markdown output file (written whole).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Label for the database in use (sqlite / postgres).
    #[arg(long, default_value = "sqlite")]
    pub db: String,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Two workers: the machine has two cores shared with the gateway and the simulators.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match cli.cmd {
        Cmd::Latency(a) => rt.block_on(latency::run(a)),
        Cmd::Scale(a) => rt.block_on(scale::run(a)),
        Cmd::Budget(a) => rt.block_on(budget::run(a)),
    }
}
