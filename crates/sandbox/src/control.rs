//! The control API, for tests and the demo (never part of any vendor's surface):
//!
//! - `POST /_control/faults` a `FaultRule`; `GET` lists; `DELETE` clears all.
//! - `GET /_control/requests?vendor=` the request log; `DELETE` clears it.
//! - `GET /_control/webhooks?vendor=` webhook deliveries; `DELETE` clears them.
//! - `/_control/<vendor>/…` each vendor's own controls (accounts, seeding, progress).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::faults::FaultRule;
use crate::request_log::LoggedRequest;
use crate::shared::Shared;
use crate::webhooks::Delivery;

pub fn routes(shared: Shared) -> Router {
    let mut app = Router::new()
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/requests", get(list_requests).delete(clear_requests))
        .route("/webhooks", get(list_webhooks).delete(clear_webhooks))
        .with_state(shared.clone());
    for sim in &crate::SIMULATORS {
        app = app.nest(&format!("/{}", sim.name), (sim.control)(shared.clone()));
    }
    app
}

#[derive(Deserialize)]
struct VendorFilter {
    vendor: Option<String>,
}

async fn list_faults(State(s): State<Shared>) -> Json<Vec<FaultRule>> {
    Json(s.faults.list())
}

async fn add_fault(State(s): State<Shared>, Json(rule): Json<FaultRule>) -> StatusCode {
    s.faults.add(rule);
    StatusCode::CREATED
}

async fn clear_faults(State(s): State<Shared>) -> StatusCode {
    s.faults.clear();
    StatusCode::NO_CONTENT
}

async fn list_requests(
    State(s): State<Shared>,
    Query(f): Query<VendorFilter>,
) -> Json<Vec<LoggedRequest>> {
    Json(s.log.list(f.vendor.as_deref()))
}

async fn clear_requests(State(s): State<Shared>) -> StatusCode {
    s.log.clear();
    StatusCode::NO_CONTENT
}

async fn list_webhooks(
    State(s): State<Shared>,
    Query(f): Query<VendorFilter>,
) -> Json<Vec<Delivery>> {
    Json(s.webhooks.deliveries(f.vendor.as_deref()))
}

async fn clear_webhooks(State(s): State<Shared>) -> StatusCode {
    s.webhooks.clear();
    StatusCode::NO_CONTENT
}
