use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

#[derive(Default)]
pub struct State {
    /// API key → company id.
    pub keys: HashMap<String, String>,
    pub companies: HashMap<String, Company>,
    next_id: i64,
}

impl State {
    /// Numeric ids, unique across the sandbox.
    pub fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// The flow and its company behind an assignment id.
    pub fn assignment_mut(&mut self, id: i64) -> Option<(&str, &mut Flow)> {
        self.companies.iter_mut().find_map(|(company, c)| {
            c.flows
                .iter_mut()
                .find(|f| f.assignments.iter().any(|a| a.id == id))
                .map(|f| (company.as_str(), f))
        })
    }
}

#[derive(Default)]
pub struct Company {
    pub inactive: bool,
    pub assessments: Vec<Assessment>,
    pub flows: Vec<Flow>,
    /// Job candidates an assignment can name by `jobCandidateId`.
    pub job_candidates: Vec<JobCandidate>,
    /// The dashboard webhook: URL and `X-Webhook-Key`.
    pub webhook: Option<(String, String)>,
}

#[derive(Clone)]
pub struct Assessment {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub duration: u32,
    pub job_id: Option<i64>,
}

impl Assessment {
    pub fn json(&self, public_base: &str, submissions: usize) -> Value {
        json!({
            "assessmentId": self.id,
            "testName": self.name,
            "jobId": self.job_id,
            "status": "ACTIVE",
            "assessmentType": self.kind,
            "duration": self.duration,
            "assessmentUrl": format!("{public_base}/taptalent/take/{}", self.id),
            "submissionCount": submissions,
        })
    }
}

pub struct JobCandidate {
    pub id: i64,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Clone)]
pub struct Step {
    pub id: i64,
    pub assessment_id: String,
    pub assessment_type: String,
    pub name: Option<String>,
    pub instructions: Option<String>,
    pub pass_threshold: f64,
    pub pass_action: Option<String>,
}

pub struct Flow {
    pub id: i64,
    pub company_id: String,
    pub name: String,
    pub description: Option<String>,
    pub status: String,
    pub steps: Vec<Step>,
    pub assignments: Vec<Assignment>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Flow {
    /// The flow as the API answers it; `assessments` enriches steps (the details endpoint).
    pub fn json(&self, assessments: Option<&[Assessment]>) -> Value {
        let steps: Vec<Value> = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut v = json!({
                    "id": s.id,
                    "order": i + 1,
                    "assessmentId": s.assessment_id,
                    "assessmentType": s.assessment_type,
                    "name": s.name,
                    "instructions": s.instructions,
                    "passThreshold": s.pass_threshold,
                    "passAction": s.pass_action,
                });
                if let Some(a) =
                    assessments.and_then(|all| all.iter().find(|a| a.id == s.assessment_id))
                {
                    v["assessmentName"] = json!(a.name);
                    v["assessmentDuration"] = json!(a.duration);
                }
                v
            })
            .collect();
        json!({
            "id": self.id,
            "companyId": self.company_id,
            "flowName": self.name,
            "description": self.description,
            "status": self.status,
            "candidateCount": self.assignments.len(),
            "steps": steps,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        })
    }
}

pub struct Attempt {
    pub step_id: i64,
    pub assessment_id: String,
    pub status: String,
    pub score: Option<f64>,
    pub pass_threshold: f64,
    pub started_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

pub struct Assignment {
    pub id: i64,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub job_candidate_id: Option<i64>,
    pub job_id: Option<Value>,
    pub talent_id: Option<Value>,
    /// NOT_STARTED, IN_PROGRESS, COMPLETED or FAILED.
    pub status: String,
    /// Index into the flow's steps.
    pub current_step: usize,
    pub attempts: Vec<Attempt>,
    pub assigned_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Assignment {
    pub fn json(&self, flow: &Flow, public_base: &str) -> Value {
        let name = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let attempts: Vec<Value> = self
            .attempts
            .iter()
            .map(|a| {
                json!({
                    "stepId": a.step_id,
                    "assessmentId": a.assessment_id,
                    "status": a.status,
                    "score": a.score,
                    "passThreshold": a.pass_threshold,
                    "passed": a.score.map(|s| s >= a.pass_threshold),
                    "startedAt": a.started_at,
                    "submittedAt": a.submitted_at,
                    "reportUrl": a.submitted_at.map(|_| format!("{public_base}/taptalent/reports/{}/{}", self.id, a.step_id)),
                })
            })
            .collect();
        let submission = self
            .attempts
            .iter()
            .rev()
            .find(|a| a.submitted_at.is_some())
            .map(|a| json!({"submittedAt": a.submitted_at, "score": a.score}));
        json!({
            "id": self.id,
            "flowId": flow.id,
            "email": self.email,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "name": if name.is_empty() { Value::Null } else { json!(name) },
            "jobCandidateId": self.job_candidate_id,
            "jobId": self.job_id,
            "talentId": self.talent_id,
            "status": self.status,
            "currentStep": self.current_step + 1,
            "assessmentUrl": flow.steps.get(self.current_step).map(|s| format!("{public_base}/taptalent/take/{}?assignment={}", s.assessment_id, self.id)),
            "attempts": attempts,
            "submission": submission,
            "assignedAt": self.assigned_at,
            "updatedAt": self.updated_at,
        })
    }
}
