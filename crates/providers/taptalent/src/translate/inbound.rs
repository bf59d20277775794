//! TapTalent's webhook envelope.

use gateway_core::provider::{InboundEvent, RemoteInterview};
use gateway_core::{Outcome, ProviderError};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::*;
use crate::wire::id_text;

/// The documented webhook envelope `{event, timestamp, companyId, data}`. Event names and
/// `data` fields are not published, so the payload is read tolerantly and the interview is
/// always re-read from the flow's candidate list (`refresh`). A retried delivery repeats
/// the same body, so the body's hash names the change.
pub fn inbound(body: &[u8]) -> Result<InboundEvent, ProviderError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| ProviderError::BadResponse {
        status: None,
        message: format!("the webhook is not JSON: {e}"),
    })?;
    let event = v
        .get("event")
        .and_then(Value::as_str)
        .ok_or_else(|| ProviderError::invalid("event", "a TapTalent webhook names its event"))?;
    let data = v.get("data").cloned().unwrap_or(Value::Null);
    let pick = |keys: &[&str]| keys.iter().find_map(|k| data.get(*k).and_then(id_text));
    let mut refs = gateway_core::ProviderRefs::new();
    if let Some(a) = pick(&["assignmentId", "flowAssignmentId", "assignment_id"]) {
        refs.insert(ASSIGNMENT_ID.into(), a);
    }
    let email = pick(&["email", "candidateEmail", "candidate_email"]);
    if refs.is_empty() && email.is_none() {
        return Err(ProviderError::invalid(
            "data",
            "a TapTalent webhook must name the assignment or the candidate's email",
        ));
    }
    let status_text = data.get("status").and_then(Value::as_str);
    // An errored step leaves the assignment where it was (TapTalent's statuses have no
    // error state), so the event name alone changes nothing; the re-read tells.
    let (status, outcome) = status(status_text, &[]);
    let digest = hex::encode(Sha256::digest(body));
    Ok(InboundEvent {
        dedupe_key: format!("{event}:{digest}"),
        refs: refs.clone(),
        correlation_id: None,
        candidate_email: email.clone(),
        observed: RemoteInterview {
            refs,
            status,
            // A FAILED flow is known failed; COMPLETED waits for the re-read's step scores.
            outcome: outcome.filter(|o| *o == Outcome::Failed),
            candidate_email: email,
            raw: v,
            ..Default::default()
        },
        refresh: true,
    })
}
