//! Assigning a flow to candidates (invitations).

use gateway_core::candidate::is_plausible_email;
use gateway_core::provider::{InviteCandidate, InviteOptions};
use gateway_core::{FieldError, ProviderError};

use crate::wire::{self};

/// Vendor-only assignment fields ride in the candidate's metadata, under `taptalent`:
/// `{jobId, jobCandidateId, talentId}` as TapTalent names them.
const ASSIGN_EXTRAS: [&str; 3] = ["jobId", "jobCandidateId", "talentId"];

/// The assign body for one candidate, or why it cannot be sent.
pub fn assign_body(c: &InviteCandidate, i: usize) -> Result<wire::AssignBody, ProviderError> {
    let mut e = Vec::new();
    if !is_plausible_email(&c.email) {
        e.push(FieldError::new(
            format!("candidates[{i}].email"),
            "must be a valid email address",
        ));
    }
    let extras = c.metadata.get("taptalent");
    let mut ids = [None, None, None];
    if let Some(x) = extras {
        match x.as_object() {
            Some(o) => {
                for (k, v) in o {
                    match ASSIGN_EXTRAS.iter().position(|n| n == k) {
                        Some(at) if v.is_number() || v.is_string() => ids[at] = Some(v.clone()),
                        Some(_) => e.push(FieldError::new(
                            format!("candidates[{i}].metadata.taptalent.{k}"),
                            "must be a number or a string",
                        )),
                        None => e.push(FieldError::new(
                            format!("candidates[{i}].metadata.taptalent.{k}"),
                            "TapTalent takes jobId, jobCandidateId and talentId",
                        )),
                    }
                }
            }
            None => e.push(FieldError::new(
                format!("candidates[{i}].metadata.taptalent"),
                "must be an object",
            )),
        }
    }
    if !e.is_empty() {
        return Err(ProviderError::InvalidInput(e));
    }
    let (first, last) = match (&c.first_name, &c.last_name, &c.name) {
        (None, None, Some(full)) => {
            let full = full.trim();
            match full.split_once(' ') {
                Some((f, l)) => (Some(f.to_string()), Some(l.trim().to_string())),
                None if !full.is_empty() => (Some(full.to_string()), None),
                None => (None, None),
            }
        }
        (f, l, _) => (f.clone(), l.clone()),
    };
    let [job_id, job_candidate_id, talent_id] = ids;
    Ok(wire::AssignBody {
        email: Some(c.email.trim().to_string()),
        first_name: first,
        last_name: last,
        job_candidate_id,
        job_id,
        talent_id,
    })
}

/// Options TapTalent cannot honour, refused rather than ignored: an assignment always
/// emails the first step's invitation at once. (`message` has no field at TapTalent; the
/// vendor's own email goes out, as it does for HeyMilo.)
pub fn check_options(options: &InviteOptions) -> Result<(), ProviderError> {
    let mut e = Vec::new();
    if !options.send_invite {
        e.push(FieldError::new(
            "send_invite",
            "TapTalent always emails the first step's invitation when a candidate is assigned",
        ));
    }
    if options.delay_hours.is_some() {
        e.push(FieldError::new(
            "delay_hours",
            "TapTalent sends the invitation on assignment; it cannot be delayed",
        ));
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(ProviderError::InvalidInput(e))
    }
}
