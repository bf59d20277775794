use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

#[derive(Default)]
pub struct State {
    /// API key → account id.
    pub keys: HashMap<String, String>,
    pub accounts: HashMap<String, Account>,
}

#[derive(Default)]
pub struct Account {
    pub interviewers: Vec<Interviewer>,
    pub candidates: Vec<Candidate>,
    /// The dashboard webhook URL.
    pub webhook: Option<String>,
    /// Ingest answers without per-candidate ids (see the module docs).
    pub bare_ingest: bool,
}

pub struct Interviewer {
    pub id: String,
    pub name: String,
    pub public: bool,
    /// Resume screening or screening questions on: shortlisting is refused.
    pub screening: bool,
}

pub struct Candidate {
    pub interview_id: String,
    pub interviewer_id: String,
    pub name: String,
    pub email: String,
    pub status: String,
    pub interview_status: String,
    pub report_available: bool,
    pub score: Option<f64>,
    pub additional_fields: Map<String, Value>,
    pub metadata: Map<String, Value>,
    pub skills: Vec<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Candidate {
    pub fn json(&self, public_base: &str) -> Value {
        let report = self.report_available.then(|| {
            json!({
                "summary": format!("{} interviewed well.", self.name),
                "strengths": ["Clear communication"],
                "weaknesses": ["Limited cloud experience"],
                "reportUrl": format!("{public_base}/interviewflowai/reports/{}", self.interview_id),
            })
        });
        json!({
            "interviewId": self.interview_id,
            "interviewerId": self.interviewer_id,
            "name": self.name,
            "email": self.email,
            "status": self.status,
            "interviewStatus": self.interview_status,
            "reportAvailable": self.report_available,
            "score": self.score,
            "report": report,
            "additionalFields": self.additional_fields,
            "metadata": self.metadata,
            "skills": self.skills,
            "interviewLink": format!("{public_base}/interviewflowai/interview/{}", self.interview_id),
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        })
    }
}
