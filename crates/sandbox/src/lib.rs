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
pub mod text;
pub mod webhooks;

pub mod flowmingo;
pub mod heymilo;
pub mod interviewflowai;
pub mod taptalent;

use std::net::SocketAddr;

use axum::response::Response;
use axum::Router;
use http::StatusCode;

pub use shared::Shared;

/// One simulated vendor: everything the sandbox needs to mount it, in one row.
pub struct Simulator {
    /// The vendor's provider name, which is also its path prefix (`/heymilo/…`).
    pub name: &'static str,
    /// What a connection's base URL adds after `<root>/<name>` (TapTalent's API sits under
    /// `/v1/partner`).
    pub base_path: &'static str,
    /// The vendor API.
    routes: fn(Shared) -> Router,
    /// Its controls, mounted at `/_control/<name>`.
    control: fn(Shared) -> Router,
    /// Its documented error shape, for injected faults.
    error: fn(StatusCode, &str) -> Response,
}

/// The vendors this sandbox simulates: the one list the router, the control API, fault
/// injection and base URLs are built from.
pub const SIMULATORS: [Simulator; 4] = [
    Simulator {
        name: "heymilo",
        base_path: "",
        routes: heymilo::routes,
        control: heymilo::control,
        error: heymilo::error,
    },
    Simulator {
        name: "flowmingo",
        base_path: "",
        routes: flowmingo::routes,
        control: flowmingo::control,
        error: flowmingo::error,
    },
    Simulator {
        name: "interviewflowai",
        base_path: "",
        routes: interviewflowai::routes,
        control: interviewflowai::control,
        error: interviewflowai::error,
    },
    Simulator {
        name: "taptalent",
        base_path: "/v1/partner",
        routes: taptalent::routes,
        control: taptalent::control,
        error: taptalent::error,
    },
];

/// The simulator of `vendor`, if the sandbox has one.
pub fn simulator(vendor: &str) -> Option<&'static Simulator> {
    SIMULATORS.iter().find(|s| s.name == vendor)
}

/// The whole sandbox as one router.
pub fn router(shared: Shared) -> Router {
    let mut app = Router::new();
    for sim in &SIMULATORS {
        let routes = (sim.routes)(shared.clone())
            .layer(axum::middleware::from_fn_with_state(
                (shared.clone(), sim.name),
                faults::inject,
            ))
            .layer(axum::middleware::from_fn_with_state(
                (shared.clone(), sim.name),
                request_log::record,
            ));
        app = app.nest(&format!("/{}", sim.name), routes);
    }
    app.nest("/_control", control::routes(shared))
}

/// The base URL of `vendor`'s simulator in a sandbox served at `root`.
pub fn vendor_url(root: &str, vendor: &str) -> String {
    let root = root.trim_end_matches('/');
    let base_path = simulator(vendor).map_or("", |s| s.base_path);
    format!("{root}/{vendor}{base_path}")
}

/// Every simulated vendor's base URL in a sandbox served at `root`: what the gateway's
/// `vendors.simulator_url` resolves into, once, when its configuration is loaded.
pub fn base_urls(root: &str) -> impl Iterator<Item = (&'static str, String)> + '_ {
    SIMULATORS
        .iter()
        .map(move |s| (s.name, vendor_url(root, s.name)))
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
