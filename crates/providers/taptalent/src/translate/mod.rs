//! TapTalent ↔ core, as pure functions, one file per resource.

mod assign;
mod candidate;
mod error;
mod flow;
mod inbound;

pub use assign::*;
pub use candidate::*;
pub use error::*;
pub use flow::*;
pub use inbound::*;
