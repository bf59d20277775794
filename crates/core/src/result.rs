//! What an interview produced: score, verdict, per-criterion marks, transcript, recordings.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::status::Outcome;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InterviewResult {
    pub score: Option<Score>,
    pub outcome: Option<Outcome>,
    pub summary: Option<String>,
    #[serde(default)]
    pub highlights: Vec<String>,
    #[serde(default)]
    pub lowlights: Vec<String>,
    #[serde(default)]
    pub criteria: Vec<Criterion>,
    #[serde(default)]
    pub transcript: Vec<TranscriptEntry>,
    #[serde(default)]
    pub artifacts: Vec<Artifact>,
    pub report_url: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A score as the vendor gave it (`value` out of `max`) and on the common 0–100 scale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Score {
    #[schema(example = 85.5)]
    pub value: f64,
    #[schema(example = 100.0)]
    pub max: f64,
    /// `value / max × 100`, clamped to 0–100.
    #[schema(example = 85.5, minimum = 0, maximum = 100)]
    pub normalized: f64,
}

impl Score {
    /// `None` when the inputs cannot make a score (NaN, infinite, a non-positive maximum).
    pub fn new(value: f64, max: f64) -> Option<Self> {
        if !value.is_finite() || !max.is_finite() || max <= 0.0 {
            return None;
        }
        let normalized = ((value / max) * 100.0).clamp(0.0, 100.0);
        // Two decimals are all any vendor scale carries; rounding keeps 85.5/100 at 85.5
        // instead of 85.49999….
        let normalized = (normalized * 100.0).round() / 100.0;
        Some(Self {
            value,
            max,
            normalized,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Criterion {
    pub name: String,
    pub score: Option<f64>,
    pub max: Option<f64>,
    pub passed: Option<bool>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TranscriptEntry {
    #[schema(example = "candidate")]
    pub speaker: String,
    pub text: String,
    /// Wall-clock time of the utterance, when the vendor gives one.
    pub at: Option<DateTime<Utc>>,
    /// Seconds from the start of the interview, when the vendor gives one.
    pub offset: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    Audio,
    Video,
    Resume,
    Report,
    Export,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Artifact {
    pub kind: ArtifactKind,
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_any_scale() {
        assert_eq!(Score::new(85.5, 100.0).unwrap().normalized, 85.5);
        assert_eq!(Score::new(4.0, 5.0).unwrap().normalized, 80.0);
        assert_eq!(Score::new(0.7, 1.0).unwrap().normalized, 70.0);
        assert_eq!(Score::new(12.0, 10.0).unwrap().normalized, 100.0);
        assert_eq!(Score::new(-1.0, 10.0).unwrap().normalized, 0.0);
        assert!(Score::new(1.0, 0.0).is_none());
        assert!(Score::new(f64::NAN, 10.0).is_none());
    }
}
