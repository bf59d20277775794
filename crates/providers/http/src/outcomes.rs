//! One outcome per candidate of a batch invite, in the caller's order. Adapters settle
//! candidates as checks refuse them and the vendor answers; one the adapter never settled
//! answers an error rather than going missing.

use gateway_core::provider::InviteOutcome;
use gateway_core::ProviderError;

pub struct Outcomes(Vec<Option<InviteOutcome>>);

impl Outcomes {
    /// `n` candidates, none settled.
    pub fn new(n: usize) -> Self {
        Self(vec![None; n])
    }

    pub fn set(&mut self, i: usize, outcome: InviteOutcome) {
        if let Some(slot) = self.0.get_mut(i) {
            *slot = Some(outcome);
        }
    }

    /// The same error for each of `indexes` (a call that failed for all it carried).
    pub fn fail_all(&mut self, indexes: &[usize], error: &ProviderError) {
        for &i in indexes {
            self.set(i, Err(error.clone()));
        }
    }

    /// The candidates not settled yet, in order.
    pub fn pending(&self) -> Vec<usize> {
        (0..self.0.len()).filter(|&i| self.0[i].is_none()).collect()
    }

    /// Every outcome; an unsettled candidate gets "no outcome".
    pub fn finish(self) -> Vec<InviteOutcome> {
        self.0
            .into_iter()
            .map(|o| {
                o.unwrap_or_else(|| {
                    Err(ProviderError::BadResponse {
                        status: None,
                        message: "no outcome".into(),
                    })
                })
            })
            .collect()
    }
}
