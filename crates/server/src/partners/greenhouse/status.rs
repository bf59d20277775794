//! An interview as Greenhouse's `test_status` reads it. Pure, so each rule of the contract
//! is a unit test.

use gateway_core::{Interview, InterviewStatus};
use serde_json::{Map, Value};

use super::wire::TestStatusOut;

/// `console_url` is the interview's page in the gateway's console: the profile link when
/// the vendor gives none (Greenhouse requires one for a complete test).
pub fn test_status(i: &Interview, console_url: &str) -> TestStatusOut {
    let complete = i.status == InterviewStatus::Completed && i.result.is_some();
    let result = i.result.as_ref();
    let vendor_link = result
        .and_then(|r| r.report_url.clone())
        .or_else(|| i.interview_url.clone());
    TestStatusOut {
        partner_status: if complete {
            "complete".to_string()
        } else {
            i.status.as_str().to_string()
        },
        partner_profile_url: Some(vendor_link.unwrap_or_else(|| console_url.to_string())),
        partner_score: result.and_then(|r| r.score).map(|s| s.normalized),
        metadata: complete.then(|| metadata(i)),
    }
}

/// Flat primitives only: each criterion as `"<name>": score`, then the fixed keys, which a
/// criterion of the same name cannot displace.
fn metadata(i: &Interview) -> Map<String, Value> {
    let mut m = Map::new();
    let Some(r) = &i.result else { return m };
    for c in &r.criteria {
        m.insert(c.name.clone(), c.score.map_or(Value::Null, Value::from));
    }
    m.insert("provider".into(), Value::from(i.provider.clone()));
    m.insert(
        "outcome".into(),
        r.outcome
            .or(i.outcome)
            .map_or(Value::Null, |o| Value::from(o.as_str())),
    );
    m.insert(
        "summary".into(),
        r.summary.clone().map_or(Value::Null, Value::from),
    );
    m.insert(
        "completed_at".into(),
        r.completed_at
            .map_or(Value::Null, |t| Value::from(t.to_rfc3339())),
    );
    m
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use gateway_core::result::{Criterion, InterviewResult, Score};
    use gateway_core::Outcome;

    fn interview(status: &str, result: Option<InterviewResult>) -> Interview {
        let mut v = serde_json::json!({
            "id": "intv_01J9Z3Q0000000000000000000",
            "template_id": "tmpl_01J9Z3Q0000000000000000000",
            "connection_id": "conn_01J9Z3Q0000000000000000000",
            "provider": "taptalent",
            "candidate": {"id": "cand_01J9Z3Q0000000000000000000", "email": "a@example.com",
                "name": null, "first_name": null, "last_name": null, "phone": null,
                "external_id": null, "resume_url": null, "metadata": {}, "erased_at": null,
                "created_at": "2026-12-01T00:00:00Z", "updated_at": "2026-12-01T00:00:00Z"},
            "status": status, "outcome": null, "interview_url": null, "provider_refs": {},
            "result": null, "error": null,
            "created_at": "2026-12-01T00:00:00Z", "updated_at": "2026-12-01T00:00:00Z",
            "last_synced_at": null, "remote_data": {},
            "external_id": null, "metadata": {}, "superseded_by": null
        });
        if let Some(r) = result {
            v["result"] = serde_json::to_value(r).unwrap();
        }
        serde_json::from_value(v).unwrap()
    }

    fn result() -> InterviewResult {
        InterviewResult {
            score: Some(Score {
                value: 8.0,
                max: 10.0,
                normalized: 80.0,
            }),
            outcome: Some(Outcome::Passed),
            summary: Some("Strong".into()),
            highlights: vec![],
            lowlights: vec![],
            criteria: vec![
                Criterion {
                    name: "Communication".into(),
                    score: Some(9.0),
                    max: Some(10.0),
                    passed: Some(true),
                    comment: Some("clear".into()),
                },
                Criterion {
                    name: "provider".into(),
                    score: Some(1.0),
                    max: None,
                    passed: None,
                    comment: None,
                },
            ],
            transcript: vec![],
            artifacts: vec![],
            report_url: None,
            completed_at: "2026-12-02T10:00:00Z".parse().ok(),
        }
    }

    #[test]
    fn open_interviews_report_their_own_status_and_no_metadata() {
        let s = test_status(&interview("in_progress", None), "https://gw/console/x");
        assert_eq!(s.partner_status, "in_progress");
        assert_eq!(s.partner_score, None);
        assert_eq!(s.metadata, None);
    }

    #[test]
    fn completed_without_a_result_is_not_complete() {
        let s = test_status(&interview("completed", None), "https://gw/console/x");
        assert_eq!(s.partner_status, "completed");
    }

    #[test]
    fn complete_carries_score_profile_and_flat_metadata() {
        let s = test_status(
            &interview("completed", Some(result())),
            "https://gw/console/x",
        );
        assert_eq!(s.partner_status, "complete");
        assert_eq!(s.partner_score, Some(80.0));
        // No vendor link: the console page.
        assert_eq!(
            s.partner_profile_url.as_deref(),
            Some("https://gw/console/x")
        );
        let m = s.metadata.unwrap();
        assert!(m.values().all(|v| !v.is_object() && !v.is_array()));
        assert_eq!(m["Communication"], 9.0);
        // A criterion cannot displace a fixed key.
        assert_eq!(m["provider"], "taptalent");
        assert_eq!(m["outcome"], "passed");
        assert_eq!(m["summary"], "Strong");
        assert_eq!(m["completed_at"], "2026-12-02T10:00:00+00:00");
    }

    #[test]
    fn the_vendor_report_is_the_profile_when_given() {
        let mut r = result();
        r.report_url = Some("https://vendor.example/report/1".into());
        let s = test_status(&interview("completed", Some(r)), "https://gw/console/x");
        assert_eq!(
            s.partner_profile_url.as_deref(),
            Some("https://vendor.example/report/1")
        );
    }
}
