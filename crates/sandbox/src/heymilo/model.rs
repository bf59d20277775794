use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::shared::{new_id, unix_now};

pub const DOCUMENTED_LIMIT_PER_MINUTE: usize = 300;

#[derive(Default)]
pub struct State {
    pub accounts: HashMap<String, Account>,
    /// Export files by job id (served like a CDN, without a key).
    pub exports: HashMap<String, Value>,
}

pub struct Account {
    pub company_id: String,
    pub rate_limit_per_minute: usize,
    pub recent: VecDeque<Instant>,
    pub postings: Vec<Posting>,
    pub webhooks: Vec<Webhook>,
    /// In creation order; found through the indexes below, so that a simulator holding the
    /// tens of thousands of interviews a benchmark makes answers in constant time, as the
    /// vendor would, instead of scanning them all under its lock.
    interviews: Vec<Interview>,
    by_id: HashMap<String, usize>,
    /// (posting, lowercased email) → the newest interview: the one an ingest without
    /// `retake` hands back.
    latest: HashMap<(String, String), usize>,
    by_posting: HashMap<String, Vec<usize>>,
    /// Each interview as the API renders it, kept until the interview changes: rendering
    /// is the simulator's costliest work, and a benchmark reads the same interviews
    /// thousands of times a second (postings, the rest of the input, never change).
    rendered: HashMap<usize, Arc<RawValue>>,
}

/// Page `page` (1-based) of `limit` items, as HeyMilo pages its lists.
pub fn page_of<T>(items: &[T], page: usize, limit: usize) -> &[T] {
    let start = (page - 1).saturating_mul(limit).min(items.len());
    let end = start.saturating_add(limit).min(items.len());
    &items[start..end]
}

impl Account {
    pub fn new(rate_limit_per_minute: usize) -> Self {
        Self {
            company_id: new_id("comp_"),
            rate_limit_per_minute,
            recent: VecDeque::new(),
            postings: Vec::new(),
            webhooks: Vec::new(),
            interviews: Vec::new(),
            by_id: HashMap::new(),
            latest: HashMap::new(),
            by_posting: HashMap::new(),
            rendered: HashMap::new(),
        }
    }

    pub fn add_interview(&mut self, i: Interview) {
        let at = self.interviews.len();
        self.by_id.insert(i.interview_id.clone(), at);
        self.latest
            .insert((i.posting_id.clone(), i.email.to_lowercase()), at);
        self.by_posting
            .entry(i.posting_id.clone())
            .or_default()
            .push(at);
        self.interviews.push(i);
    }

    /// Every interview, in creation order.
    pub fn interviews(&self) -> &[Interview] {
        &self.interviews
    }

    pub fn interview(&self, id: &str) -> Option<&Interview> {
        self.by_id.get(id).map(|&at| &self.interviews[at])
    }

    /// The interview, to change it: its cached rendering is dropped.
    pub fn interview_mut(&mut self, id: &str) -> Option<&mut Interview> {
        let at = *self.by_id.get(id)?;
        self.rendered.remove(&at);
        Some(&mut self.interviews[at])
    }

    /// The interview as the API shows it (from the cache when it has not changed).
    pub fn rendered(&mut self, id: &str, public_base: &str) -> Option<Arc<RawValue>> {
        let at = *self.by_id.get(id)?;
        Some(self.rendered_at(at, public_base))
    }

    /// One page of the posting's interviews as the API shows them, and how many it has.
    pub fn rendered_page(
        &mut self,
        posting_id: &str,
        page: usize,
        limit: usize,
        public_base: &str,
    ) -> (usize, Vec<Arc<RawValue>>) {
        let all = self
            .by_posting
            .get(posting_id)
            .map_or(&[][..], Vec::as_slice);
        let total = all.len();
        // Copied out (one page of indexes) so the cache can be filled while they are read.
        let ats = page_of(all, page, limit).to_vec();
        let items = ats
            .into_iter()
            .map(|at| self.rendered_at(at, public_base))
            .collect();
        (total, items)
    }

    /// The interview as the API shows it, rendered now.
    pub fn render(&self, interview: &Interview, public_base: &str) -> Value {
        let title = self
            .postings
            .iter()
            .find(|p| p.posting_id == interview.posting_id)
            .map(|p| p.title.as_str())
            .unwrap_or_default();
        interview.to_json(title, public_base)
    }

    fn rendered_at(&mut self, at: usize, public_base: &str) -> Arc<RawValue> {
        if let Some(r) = self.rendered.get(&at) {
            return r.clone();
        }
        let value = self.render(&self.interviews[at], public_base);
        // A Value always serializes; the fallback only keeps this total.
        let raw: Arc<RawValue> = serde_json::value::to_raw_value(&value)
            .map(Arc::from)
            .unwrap_or_else(|_| Arc::from(RawValue::NULL.to_owned()));
        self.rendered.insert(at, raw.clone());
        raw
    }

    /// The candidate's newest interview on the posting (emails compare case-insensitively).
    pub fn latest_interview(&self, posting_id: &str, email: &str) -> Option<&Interview> {
        self.latest
            .get(&(posting_id.to_string(), email.to_lowercase()))
            .map(|&at| &self.interviews[at])
    }

    /// The posting's interviews, oldest first.
    pub fn interviews_of(&self, posting_id: &str) -> Vec<&Interview> {
        self.by_posting
            .get(posting_id)
            .map(|ats| ats.iter().map(|&at| &self.interviews[at]).collect())
            .unwrap_or_default()
    }

    /// Count this request against the per-minute limit: `Err(seconds to wait)` when over.
    pub fn admit(&mut self, now: Instant) -> Result<usize, u64> {
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= self.rate_limit_per_minute {
            let oldest = self.recent.front().copied().unwrap_or(now);
            let wait = Duration::from_secs(60).saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        self.recent.push_back(now);
        Ok(self.rate_limit_per_minute - self.recent.len())
    }

    pub fn posting_by_url_key(&self, url_key: &str) -> Option<&Posting> {
        self.postings.iter().find(|p| p.url_key == url_key)
    }
}

pub struct Posting {
    pub posting_id: String,
    pub title: String,
    pub description: String,
    pub url_key: String,
    pub created_at: f64,
    pub archived: bool,
}

impl Posting {
    pub fn new(title: &str, description: &str, url_key: Option<String>) -> Self {
        let posting_id = new_id("posting_");
        Self {
            url_key: url_key.unwrap_or_else(|| new_id("uk_")),
            posting_id,
            title: title.to_string(),
            description: description.to_string(),
            created_at: unix_now(),
            archived: false,
        }
    }

    /// As `GET /api/postings` documents a posting.
    pub fn to_json(&self, company_id: &str) -> Value {
        json!({
            "posting_id": self.posting_id,
            "title": self.title,
            "name": self.title.to_lowercase().replace(' ', "-"),
            "description": self.description,
            "company_id": company_id,
            "created_at": self.created_at,
            "last_updated": self.created_at,
            "archived": self.archived,
            "deadline": self.created_at + 30.0 * 86400.0,
            "finalized": true,
            "phone_number_id": "pn_12345",
            "root_level_configs": {
                "instructions": "General instructions for all agents in this posting",
                "company_overview": "A company using the HeyMilo sandbox",
                "job_overview": self.description,
                "language": "en",
                "interviewer_name": "Alex Johnson"
            },
            "agentic_workflow": [
                {"type": "resume", "unique_id": "resume_screen_1",
                 "config": {"instructions": "Evaluate resumes", "knockout_enabled": true, "min_evaluation_score": 0.7, "mandatory": true}},
                {"type": "web_interview", "unique_id": "tech_interview_1",
                 "config": {"instructions": "Conduct a technical interview", "interviewer_name": "Alex Johnson", "video": true, "voice_id": "voice-2"}}
            ],
            "url_key": self.url_key,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Pending,
    InProgress,
    Evaluating,
    Completed,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Pending => "pending",
            Stage::InProgress => "in_progress",
            Stage::Evaluating => "evaluating",
            Stage::Completed => "completed",
        }
    }
}

pub struct Interview {
    pub interview_id: String,
    pub candidate_id: String,
    pub posting_id: String,
    pub name: String,
    pub email: String,
    pub phone_number: Option<String>,
    pub metadata: Value,
    pub data: Value,
    pub stage: Stage,
    pub created_at: f64,
    pub started_at: Option<f64>,
    pub completed_at: Option<f64>,
    pub score: Option<f64>,
}

impl Interview {
    pub fn link(&self, public_base: &str) -> String {
        format!("{public_base}/heymilo/i/{}", self.interview_id)
    }

    fn workflow(&self) -> Value {
        let started = self.stage != Stage::Pending;
        let done = self.stage == Stage::Completed;
        let last = self
            .completed_at
            .or(self.started_at)
            .unwrap_or(self.created_at);
        json!({
            "interview_id": self.interview_id,
            "step_by_step": [
                {"complete": true, "required": true, "order": 1, "id": "resume_upload", "started": true,
                 "details": {"details": "Resume uploaded and analyzed"}, "last_updated_timestamp": self.created_at},
                {"complete": done, "required": true, "order": 2, "id": "web_interview", "started": started,
                 "is_analyzing_call": self.stage == Stage::Evaluating, "last_updated_timestamp": last}
            ],
            "all_complete": done,
            "last_engagement": last
        })
    }

    /// As `GET /api/interview/{id}` documents it (and each entry of the posting listing).
    pub fn to_json(&self, posting_title: &str, public_base: &str) -> Value {
        let done = self.stage == Stage::Completed;
        let audio = format!("{public_base}/heymilo/recordings/{}.mp3", self.interview_id);
        let video = format!("{public_base}/heymilo/recordings/{}.mp4", self.interview_id);
        let resume = format!("{public_base}/heymilo/resumes/{}.pdf", self.interview_id);
        let t0 = self.started_at.unwrap_or(self.created_at);
        let mut web_interview = json!({ "skill_highlights": [] });
        if done {
            web_interview = json!({
                "final_score": self.score,
                "skill_highlights": ["Communication", "Problem Solving"],
                "audio_recording_link": audio,
                "video_recording_link": video
            });
        }
        let agentic = if done {
            json!({
                "web_interview_info": {
                    "summary": {"interview_id": self.interview_id,
                        "highlights": ["Strong communication skills", "Problem-solving abilities"],
                        "lowlights": ["Limited experience with Python"],
                        "match_score": self.score},
                    "scorecard": {"interview_id": self.interview_id, "match_details": ["Good fit for the role"],
                        "questions": [{
                            "question_id": "q1",
                            "question": "Tell me about your experience with JavaScript",
                            "evaluation_summary": "Strong experience with modern JavaScript frameworks",
                            "evaluation_criteria": "JavaScript experience",
                            "preview_timestamp": t0 + 300.0,
                            "evaluation_score": 4,
                            "rank": 1,
                            "chat_transcript": [
                                {"speaker": "interviewer", "text": "Tell me about your experience with JavaScript", "timestamp": t0 + 300.0, "timestamp_str": "00:05:00"},
                                {"speaker": "candidate", "text": "I've been working with JavaScript for 5 years...", "timestamp": t0 + 310.0, "timestamp_str": "00:05:10"}
                            ],
                            "score_weight": 2,
                            "not_scored": false
                        }],
                        "tags": ["JavaScript"]},
                    "communication": {"interview_id": self.interview_id, "speech_score": 4.2, "evaluations": []},
                    "transcript": {"interview_id": self.interview_id, "transcript": [
                        {"speaker": "interviewer", "text": "Welcome to the interview. Can you introduce yourself?", "timestamp": t0, "timestamp_str": "00:00:00"},
                        {"speaker": "candidate", "text": format!("Hi, I'm {}.", self.name), "timestamp": t0 + 10.0, "timestamp_str": "00:00:10"}
                    ]},
                    "audio_recording_link": audio,
                    "video_recording_link": video
                },
                "resume_interview_info": {
                    "score_criteria": {"interview_id": self.interview_id, "overall_score": 4.2, "confidence_score": 0.85,
                        "criteria": [{"criteria_id": "c1", "criteria_text": "JavaScript Experience", "score": 4.5, "confidence_score": 0.9,
                            "reasons": ["5 years of experience with JavaScript"], "standout_parts": []}],
                        "highlights": ["Strong JavaScript experience"], "improvement_areas": ["Limited Python experience"]},
                    "eligibility_criteria": {"interview_id": self.interview_id, "is_eligible": true, "confidence_score": 0.95,
                        "criteria": [{"criteria_id": "e1", "criteria_text": "Minimum 3 years of experience", "pass_criteria": true,
                            "confidence_score": 0.98, "reasons": ["5 years of experience"]}],
                        "skill_gaps": ["Python"]},
                    "resume_link": resume
                }
            })
        } else {
            json!({})
        };
        let workflow = self.workflow();
        json!({
            "interview_id": self.interview_id,
            "details": {
                "interview_id": self.interview_id,
                "candidate_id": self.candidate_id,
                "interviewed_on": self.started_at,
                "score": self.score,
                "name": self.name,
                "email": self.email,
                "actions": {"can_view": true, "can_download": done},
                "status": self.stage.as_str(),
                "workflow_status": workflow,
                "metadata": {"resume": {"file_link": resume}, "web_interview": web_interview}
            },
            "workflow": workflow,
            "agentic_data": agentic,
            "company_name": "Sandbox Corp",
            "company_image": format!("{public_base}/heymilo/logo.png"),
            "posting_title": posting_title,
            "posting_interview_type": "web",
            "posting_id": self.posting_id
        })
    }
}

pub struct Webhook {
    pub webhook_id: String,
    pub posting_id: String,
    pub url: String,
    pub event_type: String,
    pub http_method: String,
    pub is_active: bool,
    pub created_at: f64,
    pub updated_at: f64,
}

impl Webhook {
    pub fn to_json(&self) -> Value {
        json!({
            "webhook_id": self.webhook_id,
            "posting_id": self.posting_id,
            "url": self.url,
            "event_type": self.event_type,
            "http_method": self.http_method,
            "is_active": self.is_active,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

pub const EVENT_TYPES: [&str; 3] = [
    "interview_started",
    "interview_completed",
    "report_available",
];
