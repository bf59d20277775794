//! Simulators of the vendors' APIs, for tests and the demo: the only stand-ins in the
//! project, so they follow the vendor documentation in `shared/vendor-docs/` to the letter
//! (paths, headers, field names, envelopes, error shapes, limits).
//!
//! One server hosts every vendor under its own prefix — `/heymilo/api/…`,
//! `/flowmingo/company/…`, `/interviewflowai/api/external/…`, `/taptalent/v1/partner/…` —
//! so a connection's `base_url` is `http://<sandbox>/<vendor>` (TapTalent's includes
//! `/v1/partner`). Tests drive it through `/_control/…` (see `control`): create accounts,
//! seed data, move interviews along, inject faults, read the request log.

// Simulator handlers return `Result<_, Response>` (axum's idiom); the error side is a whole
// response by design, so the size lint does not apply here.
#![allow(clippy::result_large_err)]

pub mod control;
pub mod faults;
pub mod request_log;
pub mod shared;
pub mod webhooks;

pub mod flowmingo;
pub mod heymilo;
pub mod interviewflowai;
pub mod taptalent;

use std::net::SocketAddr;

use axum::Router;

pub use shared::Shared;

/// The vendors this sandbox simulates, by path prefix.
pub const VENDORS: [&str; 4] = ["flowmingo", "interviewflowai", "heymilo", "taptalent"];

/// The whole sandbox as one router.
pub fn router(shared: Shared) -> Router {
    let vendor = |name: &'static str, routes: Router| {
        routes
            .layer(axum::middleware::from_fn_with_state(
                (shared.clone(), name),
                faults::inject,
            ))
            .layer(axum::middleware::from_fn_with_state(
                (shared.clone(), name),
                request_log::record,
            ))
    };
    Router::new()
        .nest(
            "/heymilo",
            vendor("heymilo", heymilo::routes(shared.clone())),
        )
        .nest(
            "/flowmingo",
            vendor("flowmingo", flowmingo::routes(shared.clone())),
        )
        .nest(
            "/interviewflowai",
            vendor("interviewflowai", interviewflowai::routes(shared.clone())),
        )
        .nest(
            "/taptalent",
            vendor("taptalent", taptalent::routes(shared.clone())),
        )
        .nest("/_control", control::routes(shared))
}

/// The base URL of `vendor`'s simulator in a sandbox served at `root`.
pub fn vendor_url(root: &str, vendor: &str) -> String {
    let root = root.trim_end_matches('/');
    match vendor {
        "taptalent" => format!("{root}/taptalent/v1/partner"),
        other => format!("{root}/{other}"),
    }
}

/// A running sandbox.
pub struct SandboxHandle {
    pub addr: SocketAddr,
    pub shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:<port>`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL a connection to `vendor` uses.
    pub fn vendor_url(&self, vendor: &str) -> String {
        vendor_url(&self.base_url(), vendor)
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serve the sandbox on `addr` (port 0 picks a free one) in the background.
pub async fn spawn(addr: SocketAddr) -> std::io::Result<SandboxHandle> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let shared = Shared::new(format!("http://{addr}"));
    let app = router(shared.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "sandbox server stopped");
        }
    });
    Ok(SandboxHandle { addr, shared, task })
}

/// Serve until `shutdown` resolves (the `interview-gateway sandbox` command).
pub async fn serve(
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    let shared = Shared::new(format!("http://{addr}"));
    axum::serve(listener, router(shared))
        .with_graceful_shutdown(shutdown)
        .await
}
