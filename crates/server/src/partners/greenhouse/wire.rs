//! Greenhouse's Assessment Partner API, as its documentation defines it
//! (`shared/vendor-docs/greenhouse-assessment-partner.md`). Greenhouse may add properties and
//! never removes them, so requests accept unknown fields; absent values are `null`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One entry of `list_tests`: a template a Greenhouse user can add to an interview stage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestOut {
    /// The gateway's template id.
    #[schema(example = "tmpl_01J9Z3Q0000000000000000000")]
    pub partner_test_id: String,
    #[schema(example = "Backend engineer screen")]
    pub partner_test_name: String,
}

/// `POST send_test`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SendTestIn {
    /// A `partner_test_id` from `list_tests`.
    pub partner_test_id: String,
    pub candidate: SendTestCandidate,
    /// Where the gateway sends `PATCH` when the test is complete; one per application and
    /// test, so a retried send with the same `url` answers the same interview.
    #[schema(max_length = 2048)]
    pub url: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SendTestCandidate {
    pub first_name: String,
    pub last_name: String,
    /// The test goes to this address.
    pub email: String,
    pub phone_number: Option<String>,
    /// Expires seven days after the request.
    pub resume_url: Option<String>,
    /// Link back to the application in Greenhouse.
    pub greenhouse_profile_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SendTestOut {
    /// The gateway's interview id: identifies this instance of the test.
    #[schema(example = "intv_01J9Z3Q0000000000000000000")]
    pub partner_interview_id: String,
}

/// `GET test_status`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TestStatusOut {
    /// `complete` once the interview is completed with a result; otherwise the gateway's
    /// own status (`pending`, `invited`, `in_progress`, `evaluating`, `cancelled`,
    /// `expired`, `error`).
    #[schema(example = "complete")]
    pub partner_status: String,
    /// The candidate's report at the vendor, or the interview's page in the gateway's
    /// console; always present when complete.
    pub partner_profile_url: Option<String>,
    /// The normalized score, 0–100.
    #[schema(minimum = 0, maximum = 100)]
    pub partner_score: Option<f64>,
    /// Flat: each value a string, number, boolean or null.
    #[schema(value_type = Object)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `POST response_error`: Greenhouse telling us one of our answers was malformed.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResponseErrorIn {
    #[schema(example = "test_status")]
    pub api_call: String,
    pub errors: Vec<String>,
    pub partner_test_id: Option<String>,
    pub partner_test_name: Option<String>,
    pub partner_interview_id: Option<String>,
    /// Not stored: the interview id identifies the case without keeping another copy of a
    /// person's address.
    pub candidate_email: Option<String>,
}

/// The answer to `response_error`: an empty object.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recorded {}
