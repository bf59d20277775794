//! A HeyMilo interview's evaluation as one `InterviewResult`: the score, the scorecard and
//! resume criteria, the transcript and the recordings. HeyMilo spreads these over
//! `details`, `details.metadata` and `agentic_data`, and repeats some of them; each part
//! below reads one of them and says which copy wins.

use gateway_core::time::from_unix_seconds;
use gateway_core::{
    Artifact, ArtifactKind, Criterion, InterviewResult, InterviewStatus, Outcome, Score,
    TranscriptEntry,
};

use crate::wire;

/// Interview scores (`details.score`, `final_score`, `match_score`) are on 0–100: the
/// document shows 85.5 and 85 for the same interview.
const INTERVIEW_SCALE: f64 = 100.0;
/// Scorecard `evaluation_score`s and resume criteria scores are on 1–5: the document shows
/// 4 and 4.5 beside an overall 4.2 and a `speech_score` of 4.2.
const CRITERION_SCALE: f64 = 5.0;

/// `"00:05:10"` → 310 seconds.
pub fn offset_seconds(text: &str) -> Option<f64> {
    let parts: Vec<f64> = text
        .split(':')
        .map(|p| p.trim().parse::<f64>().ok())
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [h, m, s] => Some(h * 3600.0 + m * 60.0 + s),
        [m, s] => Some(m * 60.0 + s),
        [s] => Some(*s),
        _ => None,
    }
}

/// The parts of an interview its evaluation is read from.
struct Sources<'a> {
    details: Option<&'a wire::Details>,
    meta: Option<&'a wire::DetailsMetadata>,
    web: Option<&'a wire::WebInterviewInfo>,
    resume: Option<&'a wire::ResumeInterviewInfo>,
}

impl<'a> Sources<'a> {
    fn of(i: &'a wire::Interview) -> Self {
        let details = i.details.as_ref();
        let agentic = i.agentic_data.as_ref();
        Self {
            details,
            meta: details.and_then(|d| d.metadata.as_ref()),
            web: agentic.and_then(|a| a.web_interview_info.as_ref()),
            resume: agentic.and_then(|a| a.resume_interview_info.as_ref()),
        }
    }

    /// `details.score` first, then the web interview's `final_score`, then the summary's
    /// `match_score`: the same number where the document shows more than one.
    fn score(&self) -> Option<f64> {
        self.details
            .and_then(|d| d.score)
            .or_else(|| {
                self.meta
                    .and_then(|m| m.web_interview.as_ref())
                    .and_then(|w| w.final_score)
            })
            .or_else(|| {
                self.web
                    .and_then(|w| w.summary.as_ref())
                    .and_then(|s| s.match_score)
            })
    }

    /// Scored scorecard questions, then resume criteria, then eligibility (pass/fail only).
    fn criteria(&self) -> Vec<Criterion> {
        let mut criteria = Vec::new();
        if let Some(card) = self.web.and_then(|w| w.scorecard.as_ref()) {
            for q in card.questions.iter().filter(|q| !q.not_scored) {
                criteria.push(Criterion {
                    name: q
                        .evaluation_criteria
                        .clone()
                        .or_else(|| q.question.clone())
                        .unwrap_or_default(),
                    score: q.evaluation_score,
                    max: q.evaluation_score.map(|_| CRITERION_SCALE),
                    passed: None,
                    comment: q.evaluation_summary.clone(),
                });
            }
        }
        if let Some(sc) = self.resume.and_then(|r| r.score_criteria.as_ref()) {
            for c in &sc.criteria {
                criteria.push(Criterion {
                    name: format!("Resume: {}", c.criteria_text.clone().unwrap_or_default()),
                    score: c.score,
                    max: c.score.map(|_| CRITERION_SCALE),
                    passed: None,
                    comment: (!c.reasons.is_empty()).then(|| c.reasons.join("; ")),
                });
            }
        }
        if let Some(el) = self.resume.and_then(|r| r.eligibility_criteria.as_ref()) {
            for c in &el.criteria {
                criteria.push(Criterion {
                    name: format!(
                        "Eligibility: {}",
                        c.criteria_text.clone().unwrap_or_default()
                    ),
                    score: None,
                    max: None,
                    passed: c.pass_criteria,
                    comment: (!c.reasons.is_empty()).then(|| c.reasons.join("; ")),
                });
            }
        }
        criteria
    }

    /// Utterances without text are dropped; an unnamed speaker is `unknown`.
    fn transcript(&self) -> Vec<TranscriptEntry> {
        self.web
            .and_then(|w| w.transcript.as_ref())
            .map(|t| {
                t.transcript
                    .iter()
                    .filter_map(|u| {
                        Some(TranscriptEntry {
                            speaker: u.speaker.clone().unwrap_or_else(|| "unknown".into()),
                            text: u.text.clone()?,
                            at: u.timestamp.and_then(from_unix_seconds),
                            offset: u.timestamp_str.as_deref().and_then(offset_seconds),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Recordings and the resume, the agentic copy before the metadata copy, each URL once.
    fn artifacts(&self) -> Vec<Artifact> {
        let web_meta = self.meta.and_then(|m| m.web_interview.as_ref());
        let found = [
            (
                ArtifactKind::Audio,
                self.web
                    .and_then(|w| w.audio_recording_link.as_ref())
                    .or(web_meta.and_then(|w| w.audio_recording_link.as_ref())),
            ),
            (
                ArtifactKind::Video,
                self.web
                    .and_then(|w| w.video_recording_link.as_ref())
                    .or(web_meta.and_then(|w| w.video_recording_link.as_ref())),
            ),
            (
                ArtifactKind::Resume,
                self.resume.and_then(|r| r.resume_link.as_ref()).or(self
                    .meta
                    .and_then(|m| m.resume.as_ref())
                    .and_then(|r| r.file_link.as_ref())),
            ),
        ];
        let mut artifacts: Vec<Artifact> = Vec::new();
        for (kind, url) in found {
            if let Some(url) = url.filter(|u| !u.is_empty()) {
                if !artifacts.iter().any(|a| a.url == *url) {
                    artifacts.push(Artifact {
                        kind,
                        url: url.clone(),
                    });
                }
            }
        }
        artifacts
    }
}

/// The interview's result, or `None` while there is nothing to show and it is not finished.
pub fn result(
    i: &wire::Interview,
    status: Option<InterviewStatus>,
    outcome: Option<Outcome>,
) -> Option<InterviewResult> {
    let src = Sources::of(i);
    let score = src.score();
    let criteria = src.criteria();
    let transcript = src.transcript();
    let summary = src.web.and_then(|w| w.summary.as_ref());
    let finished = matches!(status, Some(InterviewStatus::Completed));
    let has_anything =
        score.is_some() || !criteria.is_empty() || !transcript.is_empty() || summary.is_some();
    if !has_anything && !finished {
        return None;
    }
    let match_details = src
        .web
        .and_then(|w| w.scorecard.as_ref())
        .map(|c| c.match_details.join("; "))
        .filter(|s| !s.is_empty());
    let workflow = i
        .workflow
        .as_ref()
        .or(src.details.and_then(|d| d.workflow_status.as_ref()));
    Some(InterviewResult {
        score: score.and_then(|v| Score::new(v, INTERVIEW_SCALE)),
        outcome,
        summary: match_details,
        highlights: summary.map(|s| s.highlights.clone()).unwrap_or_default(),
        lowlights: summary.map(|s| s.lowlights.clone()).unwrap_or_default(),
        criteria,
        transcript,
        artifacts: src.artifacts(),
        report_url: None,
        completed_at: if finished {
            workflow
                .and_then(|w| w.last_engagement)
                .and_then(from_unix_seconds)
        } else {
            None
        },
    })
}
