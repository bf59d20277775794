//! Whether a vendor call has a client waiting for it. Set by the caller around a unit of
//! background work ([`in_background`]) and read by the client when it spends the budget,
//! so the service functions shared by a client request and the poller need no extra
//! parameter. Work spawned onto another task does not inherit it (and counts as
//! interactive): background work keeps its vendor calls on its own task.

use std::future::Future;

/// Who is waiting for a vendor call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Priority {
    /// A client waits: invites, template writes, a requested sync, passthrough.
    Interactive,
    /// Nobody waits: polling, webhook re-registration. Never takes the reserve.
    Background,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Interactive => "interactive",
            Self::Background => "background",
        }
    }
}

tokio::task_local! {
    static PRIORITY: Priority;
}

/// Run `work` with its vendor calls spent as background.
pub async fn in_background<F: Future>(work: F) -> F::Output {
    PRIORITY.scope(Priority::Background, work).await
}

/// The priority of the running task's vendor calls (interactive unless marked).
pub fn current_priority() -> Priority {
    PRIORITY.try_with(|p| *p).unwrap_or(Priority::Interactive)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn marked_work_is_background_and_the_rest_interactive() {
        assert_eq!(current_priority(), Priority::Interactive);
        let inside = in_background(async { current_priority() }).await;
        assert_eq!(inside, Priority::Background);
        assert_eq!(current_priority(), Priority::Interactive);
    }
}
