//! ATS partner contracts: an applicant-tracking system calls the gateway as its assessment
//! partner, and any connected vendor stands behind it. One module per ATS contract (as one
//! adapter crate per vendor); what they share — sending a test once per ATS request, the
//! completion callback queue — is in `service::partners` and `workers::partner_callbacks`.

pub mod greenhouse;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// The partners this gateway speaks to, by the name used in paths and the store.
pub const KNOWN: &[&str] = &[greenhouse::PARTNER];

/// Where partner routes live: the auth middleware takes HTTP Basic there (the key as the
/// username), which is how ATSs send credentials.
pub const PATH_PREFIX: &str = "/partners/";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().merge(greenhouse::router())
}
