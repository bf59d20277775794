//! The HTTP API over a real socket: each test spawns the gateway on 127.0.0.1:0 against
//! its own Postgres schema or SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod api_keys;
mod audit;
mod auth;
mod browser;
mod call_log;
mod capacity;
mod cli;
mod connection_health;
mod connections;
mod console;
mod crash;
mod demo;
mod egress;
mod endpoint_ops;
mod errors;
mod flowmingo;
mod greenhouse;
mod health;
mod hostile;
mod idempotency;
mod inbound;
mod input_text;
mod interviewflowai;
mod interviews;
mod isolation;
mod leaks;
mod lifecycle;
mod lifecycle_crash;
mod master_key;
mod metrics;
mod personal_data;
mod poller;
mod rate_limits;
mod receiver;
mod resilience;
mod settle;
mod sweeps;
mod taptalent;
mod templates;
mod tracing;
mod webhooks;
mod workspaces;
