//! Sweeps: where a vendor lists a template's interviews by page (HeyMilo, InterviewFlowAI,
//! TapTalent), the poller refreshes that template's due interviews from the pages — one
//! vendor call per page instead of one per interview, which is what lets one vendor key keep
//! thousands of open interviews fresh.
//!
//! Only what the list can settle is settled here: an interview whose listed state is what
//! the gateway already holds is marked synced from the page. One whose state changed is read
//! on its own, as before, because a list item may carry less than a full read (HeyMilo's
//! scores come from other calls) and a completed interview is never read again — so each
//! change still yields exactly its events, with the full result. Pending rows (no vendor id
//! yet) and rows the pages do not show are read on their own too.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use gateway_core::{Interview, InterviewId, InterviewStatus, TemplateId, WorkspaceId};
use gateway_store::VendorState;

use crate::service::{connections, interviews};
use crate::state::AppState;

/// What a sweep did with the due interviews it was given.
#[derive(Default)]
pub struct Swept {
    /// Refreshed from a list page (their next poll is written).
    pub refreshed: Vec<(WorkspaceId, Interview)>,
    /// Still to be read one by one, with the row as the sweep loaded it (so the read does
    /// not load it again) when it could.
    pub to_read: Vec<(WorkspaceId, InterviewId, Option<Interview>)>,
}

impl Swept {
    fn read_alone(&mut self, ws: WorkspaceId, rows: Vec<Interview>) {
        self.to_read
            .extend(rows.into_iter().map(|i| (ws, i.id, Some(i))));
    }
}

/// Refresh what the vendors' list pages can of `due`.
pub async fn sweep(state: &AppState, due: Vec<(WorkspaceId, InterviewId)>) -> Swept {
    let mut out = Swept::default();
    if !state.config.poller.sweep {
        out.to_read = due.into_iter().map(|(ws, id)| (ws, id, None)).collect();
        return out;
    }
    let mut groups: HashMap<(WorkspaceId, TemplateId), Vec<Interview>> = HashMap::new();
    for (ws, id) in due {
        match state.store.get_interview(ws, id).await {
            Ok(Some(i)) if sweepable(&i) => groups.entry((ws, i.template_id)).or_default().push(i),
            Ok(loaded) => out.to_read.push((ws, id, loaded)),
            Err(_) => out.to_read.push((ws, id, None)),
        }
    }
    for ((ws, template), rows) in groups {
        if rows.len() < 2 {
            // One read costs what one page does, and says more.
            out.read_alone(ws, rows);
            continue;
        }
        sweep_template(state, ws, template, rows, &mut out).await;
    }
    out
}

/// Has a vendor id to be found by, and is open at the vendor.
fn sweepable(i: &Interview) -> bool {
    !i.provider_refs.is_empty()
        && !i.status.is_terminal()
        && !matches!(
            i.status,
            InterviewStatus::Pending | InterviewStatus::Superseded
        )
}

async fn sweep_template(
    state: &AppState,
    ws: WorkspaceId,
    template: TemplateId,
    rows: Vec<Interview>,
    out: &mut Swept,
) {
    let Some((provider, ctx, template)) = context(state, ws, template, &rows).await else {
        out.read_alone(ws, rows);
        return;
    };
    if !provider.descriptor().capabilities.list_interviews {
        out.read_alone(ws, rows);
        return;
    }
    let name = provider.descriptor().name;
    let can_poll = interviews::pollable(provider.as_ref());
    let pages_metric = gateway_metrics::metrics().poller_sweep_pages.with([name]);
    let mut unfound: Vec<Interview> = rows;
    let (mut pages, mut found) = (0usize, 0usize);
    let mut cursor: Option<String> = None;
    // Never spend more calls than one-by-one reads would: a page is read only while the
    // pages so far have found at least as many rows as they cost.
    while !unfound.is_empty() && pages <= found {
        let page = match provider
            .list_interviews(&ctx, &template.provider_ref, cursor.as_deref())
            .await
        {
            Ok(p) => p,
            Err(e) => {
                tracing::debug!(template_id = %template.id, error = %e, "sweep page failed; reading one by one");
                break;
            }
        };
        pages += 1;
        pages_metric.inc();
        for item in page.items {
            let Some(pos) = unfound.iter().position(|i| same_interview(i, &item.refs)) else {
                continue;
            };
            let current = unfound.swap_remove(pos);
            found += 1;
            match refresh(state, ws, &current, item, can_poll).await {
                Some(fresh) => out.refreshed.push((ws, fresh)),
                None => out.read_alone(ws, vec![current]),
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    out.read_alone(ws, unfound);
}

async fn context(
    state: &AppState,
    ws: WorkspaceId,
    template: TemplateId,
    rows: &[Interview],
) -> Option<(
    std::sync::Arc<dyn gateway_core::Provider>,
    gateway_core::ConnectionContext,
    gateway_core::Template,
)> {
    let template = interviews::load_template(state, ws, template).await.ok()?;
    let connection = rows.first()?.connection_id;
    let stored = state.store.get_connection(ws, connection).await.ok()??;
    let (provider, ctx) = connections::context(state, ws, &stored).ok()?;
    Some((provider, ctx, template))
}

/// The listed item is our interview when they share a vendor id (never by e-mail: a
/// candidate's retakes share it).
fn same_interview(ours: &Interview, listed: &gateway_core::ProviderRefs) -> bool {
    listed
        .iter()
        .any(|(k, v)| ours.provider_refs.get(k) == Some(v))
}

/// Mark the interview synced from its listed state, if that state is what the gateway
/// holds; `None` when it changed (or the write failed), so it is read on its own.
async fn refresh(
    state: &AppState,
    ws: WorkspaceId,
    current: &Interview,
    listed: gateway_core::provider::RemoteInterview,
    can_poll: bool,
) -> Option<Interview> {
    let changed = AtomicBool::new(false);
    let written = interviews::record(state, ws, current.id, |cur| {
        let next = interviews::next_poll(state, can_poll, cur.status);
        let merged = interviews::merge(cur, listed.clone(), next);
        if merged.status != cur.status
            || merged.outcome != cur.outcome
            || (merged.result.is_some() && cur.result.is_none())
        {
            changed.store(true, Ordering::Relaxed);
            return None;
        }
        // The stored vendor record came from a full read: a list item does not replace it.
        Some(VendorState {
            remote_data: cur.remote_data.clone(),
            ..merged
        })
    })
    .await;
    match written {
        Ok(Some(i)) if !changed.load(Ordering::Relaxed) => Some(i),
        Ok(_) => None,
        Err(e) => {
            tracing::debug!(interview_id = %current.id, error = %e, "sweep could not write; reading one by one");
            None
        }
    }
}
