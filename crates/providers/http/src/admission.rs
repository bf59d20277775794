//! Gateway-wide admission, as load shedding sees it: a request holds one permit of a
//! bounded pool while it works in the gateway (CPU, database), and gives it back while it
//! waits on a vendor — the vendor's budget, its answer, retries — because waiting costs the
//! gateway nothing and each connection's bulkhead already bounds how many wait. So the bound
//! can be small enough to keep admitted requests fast under overload (a queue of work, not
//! of waiting), and a slow or hung vendor cannot fill it for every other connection.
//!
//! The permit travels with the request's task ([`admitted`]); the client calls [`away`]
//! around each vendor call. Work spawned onto another task holds no permit.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// One admitted request: its permit (none while it waits on a vendor) and how many of its
/// vendor calls are under way (a batch makes several at once on its task).
pub struct Admission {
    pool: Arc<Semaphore>,
    held: Mutex<Held>,
}

struct Held {
    permit: Option<OwnedSemaphorePermit>,
    away: usize,
}

impl Admission {
    /// A permit now, or `None` when the pool is exhausted (the request is shed).
    pub fn try_admit(pool: &Arc<Semaphore>) -> Option<Arc<Self>> {
        let permit = pool.clone().try_acquire_owned().ok()?;
        Some(Arc::new(Self {
            pool: pool.clone(),
            held: Mutex::new(Held {
                permit: Some(permit),
                away: 0,
            }),
        }))
    }

    fn held(&self) -> MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }
}

tokio::task_local! {
    static ADMISSION: Arc<Admission>;
}

/// Run an admitted request's `work` with its admission.
pub async fn admitted<F: Future>(admission: Arc<Admission>, work: F) -> F::Output {
    ADMISSION.scope(admission, work).await
}

/// Run `wait` (a vendor call) without the running request's permit; afterwards take one
/// again, waiting for it if need be — a request already admitted finishes before new ones
/// are let in (new ones are shed meanwhile). A no-op outside an admitted request.
pub async fn away<F: Future>(wait: F) -> F::Output {
    let Ok(admission) = ADMISSION.try_with(Arc::clone) else {
        return wait.await;
    };
    {
        let mut held = admission.held();
        held.away += 1;
        // Dropped outside the lock would be tidier; dropping a permit only wakes a waiter.
        held.permit = None;
    }
    let out = wait.await;
    let last_back = {
        let mut held = admission.held();
        held.away -= 1;
        held.away == 0 && held.permit.is_none()
    };
    if last_back {
        if let Ok(permit) = admission.pool.clone().acquire_owned().await {
            // A call that left meanwhile found no permit to give back; one is enough.
            admission.held().permit = Some(permit);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_waiting_on_a_vendor_holds_no_permit_and_takes_one_back() {
        let pool = Arc::new(Semaphore::new(1));
        let first = Admission::try_admit(&pool).expect("a free pool admits");
        assert!(Admission::try_admit(&pool).is_none(), "one permit, taken");
        let (release, vendor) = tokio::sync::oneshot::channel::<()>();
        let pool2 = pool.clone();
        let pool3 = pool.clone();
        let work = admitted(first, async move {
            away(async move {
                // While the first waits on its vendor, another request is admitted.
                let second = Admission::try_admit(&pool3);
                assert!(second.is_some(), "the waiting request gave its permit back");
                drop(second);
                let _ = vendor.await;
            })
            .await;
            // Back from the vendor, it holds a permit again.
            assert_eq!(pool2.available_permits(), 0);
        });
        let task = tokio::spawn(work);
        tokio::task::yield_now().await;
        let _ = release.send(());
        task.await.expect("the request finished");
        assert_eq!(
            pool.available_permits(),
            1,
            "released when the request ended"
        );
    }

    #[tokio::test]
    async fn concurrent_vendor_calls_of_one_request_hold_at_most_one_permit() {
        let pool = Arc::new(Semaphore::new(2));
        let adm = Admission::try_admit(&pool).expect("admitted");
        admitted(adm, async {
            let slow = away(tokio::time::sleep(std::time::Duration::from_millis(20)));
            let fast = away(async {});
            tokio::join!(slow, fast);
            assert_eq!(
                pool.available_permits(),
                1,
                "one permit after both returned"
            );
        })
        .await;
        assert_eq!(pool.available_permits(), 2);
    }

    #[tokio::test]
    async fn outside_a_request_it_only_waits() {
        assert_eq!(away(async { 7 }).await, 7);
    }
}
