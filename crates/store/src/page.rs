//! Keyset pagination. Ids are UUIDv7, so "newest first" is `ORDER BY id DESC` and a cursor
//! is the last id seen: pages stay stable while rows are inserted, and every page costs one
//! index range scan however deep the client goes.

use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    /// Return rows older than this id.
    pub after: Option<Uuid>,
}

impl PageRequest {
    pub const MAX_LIMIT: u32 = 200;

    pub fn first(limit: u32) -> Self {
        Self { limit, after: None }
    }

    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub(crate) fn fetch_limit(&self) -> i64 {
        i64::from(self.limit.clamp(1, Self::MAX_LIMIT)) + 1
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor for the next page, when there is one.
    pub next_after: Option<Uuid>,
}

impl<T> Page<T> {
    /// Cut the over-fetched row off and derive the next cursor from the last kept row.
    pub(crate) fn from_overfetch(
        mut rows: Vec<T>,
        req: PageRequest,
        id_of: impl Fn(&T) -> Uuid,
    ) -> Self {
        let limit = req.limit.clamp(1, PageRequest::MAX_LIMIT) as usize;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_after = if more { rows.last().map(id_of) } else { None };
        Self {
            items: rows,
            next_after,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_after: self.next_after,
        }
    }
}

/// Append the keyset condition, order and limit to a query that already has a `WHERE`.
/// Conditions are added only when present (rather than `$1 IS NULL OR …`) so the planner
/// always sees a plain index range.
pub(crate) fn push_keyset<'a, DB>(
    qb: &mut sqlx::QueryBuilder<'a, DB>,
    column: &str,
    page: PageRequest,
) where
    DB: sqlx::Database,
    Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    if let Some(after) = page.after {
        qb.push(" AND ").push(column).push(" < ").push_bind(after);
    }
    qb.push(" ORDER BY ")
        .push(column)
        .push(" DESC LIMIT ")
        .push_bind(page.fetch_limit());
}
