//! What every ATS partner contract shares: sending a test exactly as `POST /v1/interviews`
//! does, once per ATS request however often the ATS retries it, and the operator's view of
//! those requests. Each contract (`crate::partners::<ats>`) only translates its wire format.

use gateway_core::provider::InviteOptions;
use gateway_core::time::now;
use gateway_core::{CandidateInput, Interview, Template, TemplateId, WorkspaceId};
use gateway_store::{Claim, PartnerRequestIn};

use super::interviews::{self, Invited};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;

/// One test an ATS asks the gateway to send.
pub struct TestRequest<'a> {
    pub partner: &'a str,
    /// The ATS's own identity of the request (Greenhouse: its callback URL).
    pub request_key: &'a str,
    pub template_id: TemplateId,
    /// Validated by the caller with the same checks as `POST /v1/interviews`.
    pub candidate: CandidateInput,
    pub callback_url: &'a str,
    pub profile_url: Option<&'a str>,
}

/// A template an ATS may use: the workspace's, active, and not hidden from this partner.
/// Anything else is 404, as for any id that is not the caller's.
pub async fn visible_template(
    state: &AppState,
    ws: WorkspaceId,
    partner: &str,
    id: TemplateId,
) -> ApiResult<Template> {
    let template = interviews::load_template(state, ws, id).await?;
    let hidden = state.store.hidden_templates(ws, partner).await?;
    if !offered(&template, &hidden) {
        return Err(ApiError::not_found(id));
    }
    Ok(template)
}

/// The one rule for what a partner is offered (its test list) and may send: an active
/// template not in the partner's `hidden` list.
pub fn offered(template: &Template, hidden: &[TemplateId]) -> bool {
    template.status == gateway_core::template::TemplateStatus::Active
        && !hidden.contains(&template.id)
}

/// Send the test, or answer the interview an earlier send of the same request made.
///
/// The request is claimed before the vendor is called: a retry while the first send runs
/// gets 409 (and retries again), a retry after the first sender died takes the lapsed claim
/// over and sends again — the candidate's interview is then the one the vendor and
/// `POST /v1/interviews` already keep for them, not a second one.
pub async fn send_test(
    state: &AppState,
    ws: WorkspaceId,
    req: TestRequest<'_>,
) -> ApiResult<Interview> {
    let template = visible_template(state, ws, req.partner, req.template_id).await?;
    let at = now();
    // A claim outlives the slowest vendor call, then lapses for a retry.
    let hold = chrono::Duration::seconds(state.config.vendors.total_budget_secs as i64 * 2 + 5);
    let key = PartnerRequestIn {
        partner: req.partner,
        request_key: req.request_key,
        template_id: template.id,
        callback_url: req.callback_url,
        profile_url: req.profile_url,
    };
    let claim_id = match state
        .store
        .claim_partner_request(ws, &key, at, at + hold)
        .await?
    {
        Claim::Done(id) => {
            return state
                .store
                .get_interview(ws, id)
                .await?
                .ok_or_else(ApiError::internal)
        }
        Claim::Busy => {
            return Err(ApiError::conflict(
                "this test is being sent right now; retry in a few seconds",
            ))
        }
        Claim::Claimed(id) => id,
    };
    let options = InviteOptions {
        message: None,
        send_invite: true,
        delay_hours: None,
        retake: false,
    };
    // The ATS's link to the application rides on the interview (and in every event about
    // it), where it fits the metadata limits.
    let mut metadata = serde_json::json!({ "ats": req.partner });
    if let Some(profile) = req.profile_url.filter(|p| p.len() <= 500) {
        metadata[format!("{}_profile_url", req.partner)] = profile.into();
    }
    let invitation = interviews::Invitation {
        candidate: req.candidate,
        external_id: None,
        metadata,
    };
    let sent = interviews::invite(state, ws, &template, &[invitation], &options).await;
    let interview = match sent.map(|mut r| r.pop()) {
        Ok(Some(Invited::Created(i) | Invited::Existing(i) | Invited::Pending(i, _))) => i,
        Ok(Some(Invited::Failed(e))) | Err(e) => {
            // Nothing was made: the ATS may send it again.
            state.store.release_partner_request(ws, claim_id).await?;
            return Err(e);
        }
        Ok(None) => {
            state.store.release_partner_request(ws, claim_id).await?;
            return Err(ApiError::internal());
        }
    };
    state
        .store
        .attach_partner_request(ws, claim_id, interview.id, now())
        .await?;
    Ok(interview)
}
