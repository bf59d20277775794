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
//!
//! A sweep takes every open interview of the template that is due soon, not only the tick's
//! leased batch, before it reads the pages: a template with thousands due is refreshed in
//! one pass over its pages by one replica, while the others lease other work (without
//! that, each replica walked the same pages behind the first and found little due on them).
//! What the pages show beyond that (come due meanwhile) is leased as it is seen.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use gateway_core::provider::RemoteInterview;
use gateway_core::{
    ConnectionId, Interview, InterviewId, InterviewStatus, TemplateId, WorkspaceId,
};
use gateway_store::VendorState;

use crate::service::{connections, interviews};
use crate::state::AppState;

/// What a sweep did with the due interviews it was given.
#[derive(Default)]
pub struct Swept {
    /// Refreshed from a list page (their next read is written, by the cadence).
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
        if let Some(i) = load_sweepable(state, ws, id, &mut out).await {
            groups.entry((ws, i.template_id)).or_default().push(i);
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
    let fed = crate::capacity::cadence::connection_fed(state, ws, ctx.connection_id).await;
    let listed = Listed { ws, can_poll, fed };
    let pages_metric = gateway_metrics::metrics().poller_sweep_pages.with([name]);
    let mut unfound: Vec<Interview> = rows;
    take_template(state, ws, template.id, &mut unfound, out).await;
    let leased = unfound.len();
    let (mut pages, mut others_found) = (0usize, 0usize);
    let mut cursor: Option<String> = None;
    // Pages are read while they cost fewer calls than the interviews they may refresh would
    // one by one: what this tick leased plus what the pages so far showed due besides. The
    // leased rows can sit on late pages (another replica's sweep took the early ones), so a
    // fruitless first page does not stop the sweep; at worst a sweep costs two calls per
    // interview it refreshes (every page fruitless, then each read alone).
    while pages < leased + others_found {
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
        let mut others = Vec::new();
        for item in page.items {
            let Some(pos) = unfound.iter().position(|i| same_interview(i, &item.refs)) else {
                others.push(item);
                continue;
            };
            let current = unfound.swap_remove(pos);
            settle_listed(state, &listed, current, item, out).await;
        }
        // The page also shows open interviews this tick did not lease (a template has more
        // of them due than one batch holds, or they come due soon): refreshed from it too,
        // at no vendor cost, so a page pays for all it shows.
        let mut others_due = 0;
        for (current, item) in due_soon(state, ws, ctx.connection_id, others).await {
            others_due += 1;
            settle_listed(state, &listed, current, item, out).await;
        }
        others_found += others_due;
        match page.next {
            // Read on while leased polls are still unfound, or while pages keep showing
            // other due ones (the next page likely holds more).
            Some(next) if !unfound.is_empty() || others_due > 0 => cursor = Some(next),
            _ => break,
        }
    }
    out.read_alone(ws, unfound);
}

/// Lease every other interview of the template that is due within half an interval and
/// add it to `rows`: the walk over the pages refreshes them all, and other replicas' ticks
/// lease other work meanwhile instead of walking the same pages behind this one (which spent
/// the shared budget on pages that refreshed nothing). Held long enough for a walk over many
/// pages at the background share of the budget; a walk that outlasts it only lets another
/// replica read what is left.
async fn take_template(
    state: &AppState,
    ws: WorkspaceId,
    template: TemplateId,
    rows: &mut Vec<Interview>,
    out: &mut Swept,
) {
    let now = gateway_core::time::now();
    let due_by = due_horizon(state, now);
    let lease_until = super::poller::lease_from(state, now)
        + chrono::Duration::seconds(state.config.poller.interval_secs as i64);
    let ids = match state
        .store
        .lease_due_of_template(ws, template, due_by, now, lease_until)
        .await
    {
        Ok(ids) => ids,
        Err(e) => {
            tracing::debug!(template_id = %template, error = %e, "sweep cannot take the template's due interviews; sweeping its batch");
            return;
        }
    };
    for id in ids {
        if let Some(i) = load_sweepable(state, ws, id, out).await {
            rows.push(i);
        }
    }
}

/// A leased interview a sweep can settle from pages, or `None` when it is left to be read
/// on its own (with the copy loaded, when there was one).
async fn load_sweepable(
    state: &AppState,
    ws: WorkspaceId,
    id: InterviewId,
    out: &mut Swept,
) -> Option<Interview> {
    match state.store.get_interview(ws, id).await {
        Ok(Some(i)) if sweepable(&i) => Some(i),
        Ok(loaded) => {
            out.to_read.push((ws, id, loaded));
            None
        }
        Err(_) => {
            out.to_read.push((ws, id, None));
            None
        }
    }
}

/// Until when a sweep takes interviews due: half an interval ahead (further would re-read
/// what another replica's sweep has just refreshed).
fn due_horizon(state: &AppState, now: DateTime<Utc>) -> DateTime<Utc> {
    now + chrono::Duration::seconds(state.config.poller.interval_secs as i64 / 2)
}

/// What settling a template's listed interviews needs to know of it.
struct Listed {
    ws: WorkspaceId,
    can_poll: bool,
    /// The connection's webhooks are arriving (its reads only reconcile).
    fed: bool,
}

/// A listed interview is refreshed from its item, or read on its own when it changed.
async fn settle_listed(
    state: &AppState,
    listed: &Listed,
    current: Interview,
    item: RemoteInterview,
    out: &mut Swept,
) {
    match refresh(state, listed, &current, item).await {
        Some(fresh) => out.refreshed.push((listed.ws, fresh)),
        None => out.read_alone(listed.ws, vec![current]),
    }
}

/// Of the listed items no leased poll matched, those that are ours and due within half an
/// interval (sooner would re-read what another replica's sweep just refreshed), with our row;
/// leased, so that a replica whose page shows them too leaves them alone — above all the
/// changed ones, which are read on their own.
async fn due_soon(
    state: &AppState,
    ws: WorkspaceId,
    connection: ConnectionId,
    items: Vec<RemoteInterview>,
) -> Vec<(Interview, RemoteInterview)> {
    let now = gateway_core::time::now();
    let due_by = due_horizon(state, now);
    let lease_until = super::poller::lease_from(state, now);
    let mut by_kind: HashMap<&str, Vec<String>> = HashMap::new();
    for item in &items {
        for (kind, id) in &item.refs {
            by_kind.entry(kind.as_str()).or_default().push(id.clone());
        }
    }
    let mut due = Vec::new();
    for (kind, ids) in by_kind {
        match state
            .store
            .lease_due_among_listed(ws, connection, (kind, &ids), due_by, now, lease_until)
            .await
        {
            Ok(found) => due.extend(found),
            Err(e) => {
                tracing::debug!(error = %e, "sweep cannot match listed interviews; they wait for their own poll")
            }
        }
    }
    let mut out = Vec::new();
    for id in due {
        let Ok(Some(current)) = state.store.get_interview(ws, id).await else {
            continue;
        };
        if !sweepable(&current) || out.iter().any(|(i, _): &(Interview, _)| i.id == id) {
            continue;
        }
        if let Some(item) = items.iter().find(|it| same_interview(&current, &it.refs)) {
            out.push((current, item.clone()));
        }
    }
    out
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
    how: &Listed,
    current: &Interview,
    listed: RemoteInterview,
) -> Option<Interview> {
    let changed = AtomicBool::new(false);
    let written = interviews::record(state, how.ws, current.id, |cur| {
        let next = interviews::next_read(state, how.can_poll, cur.status, cur.created_at, how.fed);
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
