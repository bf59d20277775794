//! Where an interview stands, and how it ended. Progress and outcome are separate fields, as
//! in the ATS assessment-partner specs (Greenhouse, HiBob): a completed interview may have
//! passed, failed, or not been judged.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InterviewStatus {
    /// Accepted by the gateway, not yet confirmed by the vendor.
    Pending,
    Invited,
    InProgress,
    /// The candidate finished; the vendor is still scoring.
    Evaluating,
    Completed,
    Cancelled,
    Expired,
    Error,
    /// A duplicate folded into the interview named by `superseded_by` (an invitation whose
    /// answer was lost, retried, and confirmed on the sibling).
    Superseded,
}

impl InterviewStatus {
    pub const ALL: [InterviewStatus; 9] = [
        Self::Pending,
        Self::Invited,
        Self::InProgress,
        Self::Evaluating,
        Self::Completed,
        Self::Cancelled,
        Self::Expired,
        Self::Error,
        Self::Superseded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Invited => "invited",
            Self::InProgress => "in_progress",
            Self::Evaluating => "evaluating",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Error => "error",
            Self::Superseded => "superseded",
        }
    }

    /// No vendor change is expected after these; pollers skip them.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Cancelled | Self::Expired | Self::Error | Self::Superseded
        )
    }

    /// Position along the happy path. Vendors deliver webhooks and poll answers out of
    /// order; a report of an earlier stage must not move an interview backwards.
    pub fn progress_rank(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Invited => 1,
            Self::InProgress => 2,
            Self::Evaluating => 3,
            Self::Completed | Self::Cancelled | Self::Expired | Self::Error | Self::Superseded => 4,
        }
    }

    /// Whether a vendor report of `next` should replace `self`.
    pub fn accepts(self, next: InterviewStatus) -> bool {
        if self == next {
            return false;
        }
        if self.is_terminal() {
            // A terminal state is only replaced by another terminal verdict from the vendor
            // (e.g. `error` resolved to `completed` by a later sync).
            return self == Self::Error && next.is_terminal();
        }
        next.progress_rank() >= self.progress_rank()
    }
}

impl std::fmt::Display for InterviewStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for InterviewStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown interview status `{s}`"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
        }
    }
}

impl std::str::FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "passed" => Ok(Self::Passed),
            "failed" => Ok(Self::Failed),
            other => Err(format!("unknown outcome `{other}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in InterviewStatus::ALL {
            assert_eq!(s.as_str().parse::<InterviewStatus>(), Ok(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        assert!("done".parse::<InterviewStatus>().is_err());
    }

    #[test]
    fn never_moves_backwards() {
        use InterviewStatus::*;
        assert!(Invited.accepts(InProgress));
        assert!(Pending.accepts(Completed));
        assert!(!InProgress.accepts(Invited));
        assert!(!Completed.accepts(InProgress));
        assert!(!Completed.accepts(Completed));
        assert!(Error.accepts(Completed));
        assert!(!Cancelled.accepts(Completed));
    }
}
