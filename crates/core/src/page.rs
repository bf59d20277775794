use serde::{Deserialize, Serialize};

/// One page of a vendor listing; `next` is the adapter's own token for the following page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemotePage<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}
