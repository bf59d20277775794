//! Which normalized events a change of an interview produces. Pure: the same transition
//! always yields the same events, and no transition yields none twice — the state is
//! written with compare-and-set (see `interviews::record`), so a change seen by a webhook
//! and again by a poll is only a transition the first time.

use chrono::{DateTime, Utc};
use gateway_core::{EventId, EventType, Interview, InterviewStatus};
use gateway_store::{NewEvent, VendorState};
use serde_json::json;

/// The interview as it will read after `state` is written.
pub fn apply(old: &Interview, state: &VendorState) -> Interview {
    let mut new = old.clone();
    new.status = state.status;
    new.outcome = state.outcome;
    new.interview_url = state.interview_url.clone();
    new.provider_refs = state.provider_refs.clone();
    new.result = state.result.clone();
    new.error = state.error.clone();
    new.remote_data = state.remote_data.clone();
    new.updated_at = state.synced_at;
    new.last_synced_at = Some(state.synced_at);
    new
}

fn has_result(i: &Interview) -> bool {
    i.result
        .as_ref()
        .is_some_and(|r| r.score.is_some() || !r.criteria.is_empty() || r.outcome.is_some())
}

/// Where a status sits on the forward path pending → invited → in_progress → evaluating →
/// completed; `None` off it (cancelled, expired, error).
fn progress(s: InterviewStatus) -> Option<u8> {
    match s {
        InterviewStatus::Pending => Some(0),
        InterviewStatus::Invited => Some(1),
        InterviewStatus::InProgress => Some(2),
        InterviewStatus::Evaluating => Some(3),
        InterviewStatus::Completed => Some(4),
        _ => None,
    }
}

/// One event per transition: the status change (named when it is a milestone, else
/// `status_changed`), and `result_ready` when a result first appears. A forward jump past a
/// milestone also names the milestone (`invited`, `started`), so a consumer sees the same
/// sequence whether the gateway saw each step (webhooks) or only the last (a poll, or
/// webhooks processed out of order).
pub fn events_for(old: &Interview, new: &Interview, at: DateTime<Utc>) -> Vec<NewEvent> {
    let mut types = Vec::new();
    if let (Some(from), Some(to)) = (progress(old.status), progress(new.status)) {
        for (rank, milestone) in [(1, EventType::Invited), (2, EventType::Started)] {
            if from < rank && rank < to {
                types.push(milestone);
            }
        }
    }
    if new.status != old.status {
        types.push(match new.status {
            InterviewStatus::Invited => EventType::Invited,
            InterviewStatus::InProgress => EventType::Started,
            InterviewStatus::Completed => EventType::Completed,
            InterviewStatus::Error => EventType::Errored,
            _ => EventType::StatusChanged,
        });
    } else if new.outcome != old.outcome && new.outcome.is_some() {
        types.push(EventType::StatusChanged);
    }
    if has_result(new) && !has_result(old) {
        types.push(EventType::ResultReady);
    }
    types
        .into_iter()
        .map(|t| NewEvent {
            id: EventId::new(),
            event_type: t,
            data: json!({ "interview": new, "previous_status": old.status }),
            created_at: at,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gateway_core::{InterviewResult, Score};

    fn interview(status: InterviewStatus) -> Interview {
        serde_json::from_value(json!({
            "id": gateway_core::InterviewId::new(), "template_id": gateway_core::TemplateId::new(),
            "connection_id": gateway_core::ConnectionId::new(), "provider": "heymilo",
            "candidate": {"id": gateway_core::CandidateId::new(), "email": "a@b.co", "name": null, "first_name": null,
                "last_name": null, "phone": null, "external_id": null, "resume_url": null, "metadata": {},
                "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"},
            "status": status, "outcome": null, "interview_url": null, "provider_refs": {}, "result": null,
            "error": null, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "last_synced_at": null, "remote_data": {}, "external_id": null, "metadata": {},
            "superseded_by": null
        }))
        .unwrap()
    }

    fn types(old: &Interview, new: &Interview) -> Vec<EventType> {
        events_for(old, new, gateway_core::time::now())
            .into_iter()
            .map(|e| e.event_type)
            .collect()
    }

    #[test]
    fn transitions_name_their_events() {
        use InterviewStatus::*;
        assert_eq!(
            types(&interview(Pending), &interview(Invited)),
            [EventType::Invited]
        );
        assert_eq!(
            types(&interview(Invited), &interview(InProgress)),
            [EventType::Started]
        );
        assert_eq!(
            types(&interview(InProgress), &interview(Evaluating)),
            [EventType::StatusChanged]
        );
        assert_eq!(
            types(&interview(Invited), &interview(Error)),
            [EventType::Errored]
        );
        assert_eq!(types(&interview(Invited), &interview(Invited)), []);
        let mut done = interview(Completed);
        done.result = Some(InterviewResult {
            score: Score::new(80.0, 100.0),
            ..Default::default()
        });
        assert_eq!(
            types(&interview(InProgress), &done),
            [EventType::Completed, EventType::ResultReady]
        );
        assert_eq!(
            types(&done, &done),
            [],
            "the same observation twice is no transition"
        );
        assert_eq!(
            types(&interview(Invited), &interview(Evaluating)),
            [EventType::Started, EventType::StatusChanged],
            "a skipped milestone is named"
        );
        assert_eq!(
            types(&interview(Pending), &done),
            [
                EventType::Invited,
                EventType::Started,
                EventType::Completed,
                EventType::ResultReady
            ]
        );
        assert_eq!(
            types(&interview(Invited), &interview(Expired)),
            [EventType::StatusChanged],
            "leaving the path infers nothing"
        );
        let late = interview(Completed);
        assert_eq!(types(&late, &done), [EventType::ResultReady]);
        let events = events_for(&interview(Invited), &done, gateway_core::time::now());
        assert_eq!(events[0].data["interview"]["status"], "completed");
        assert_eq!(events[0].data["previous_status"], "invited");
    }
}
