//! Verifying presented keys, with a cache in front of the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use gateway_core::ApiKeyId;
use gateway_store::{KeyCredential, Store};

use super::key::{parse_lookup, KeyHasher};
use super::principal::Principal;
use crate::http::error::{ApiError, ApiResult};

/// Bounds the cache: past this many entries it starts over rather than grow without end
/// (a flood of distinct valid keys is the only way to get here).
const MAX_CACHED: usize = 10_000;

struct Cached {
    credential: KeyCredential,
    fetched: Instant,
}

pub struct Authenticator {
    store: Arc<dyn Store>,
    hasher: KeyHasher,
    ttl: Duration,
    cache: RwLock<HashMap<String, Cached>>,
    /// Last use per key since the last flush; written to the store in one batch.
    usage: Mutex<HashMap<ApiKeyId, DateTime<Utc>>>,
}

impl Authenticator {
    pub fn new(store: Arc<dyn Store>, hasher: KeyHasher, ttl: Duration) -> Self {
        Self {
            store,
            hasher,
            ttl,
            cache: RwLock::new(HashMap::new()),
            usage: Mutex::new(HashMap::new()),
        }
    }

    pub fn hasher(&self) -> &KeyHasher {
        &self.hasher
    }

    /// Check an `Authorization` header value and say who is calling.
    pub async fn authenticate(&self, authorization: Option<&str>) -> ApiResult<Principal> {
        let Some(value) = authorization else {
            return Err(ApiError::unauthorized(
                "missing API key: send `Authorization: Bearer <key>`",
            ));
        };
        let presented = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::unauthorized("malformed Authorization header: expected `Bearer <key>`")
            })?;
        let lookup =
            parse_lookup(presented).ok_or_else(|| ApiError::unauthorized("malformed API key"))?;

        let credential = match self.cached(lookup) {
            Some(c) => c,
            None => {
                let found = self.store.find_key_credential(lookup).await?;
                let Some(c) = found else {
                    return Err(ApiError::unauthorized("invalid API key"));
                };
                self.remember(lookup, &c);
                c
            }
        };
        if !self.hasher.verify(presented, &credential.secret_hash) {
            return Err(ApiError::unauthorized("invalid API key"));
        }
        let now = Utc::now();
        let key = &credential.key;
        if key.revoked_at.is_some() {
            return Err(ApiError::unauthorized("this API key has been revoked"));
        }
        if key.expires_at.is_some_and(|t| t <= now) {
            return Err(ApiError::unauthorized("this API key has expired"));
        }
        if credential.secret_expires_at.is_some_and(|t| t <= now) {
            return Err(ApiError::unauthorized(
                "this API key was rotated and its grace period has ended; use the new key",
            ));
        }
        if let Ok(mut usage) = self.usage.lock() {
            usage.insert(key.id, now);
        }
        Ok(Principal {
            key_id: key.id,
            workspace_id: key.workspace_id,
            scopes: key.scopes.clone(),
            rate_limit: key.rate_limit,
        })
    }

    fn cached(&self, lookup: &str) -> Option<KeyCredential> {
        let cache = self.cache.read().ok()?;
        let entry = cache.get(lookup)?;
        (entry.fetched.elapsed() < self.ttl).then(|| entry.credential.clone())
    }

    fn remember(&self, lookup: &str, credential: &KeyCredential) {
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
            cache.insert(
                lookup.to_string(),
                Cached {
                    credential: credential.clone(),
                    fetched: Instant::now(),
                },
            );
        }
    }

    /// Forget everything cached for a key (after revocation or rotation), so the next
    /// request sees the store's state.
    pub fn evict(&self, key_id: ApiKeyId) {
        if let Ok(mut cache) = self.cache.write() {
            cache.retain(|_, c| c.credential.key.id != key_id);
        }
    }

    /// Forget every cached key (after missing change notifications).
    pub fn clear(&self) {
        if let Ok(mut cache) = self.cache.write() {
            cache.clear();
        }
    }

    /// Evict locally and tell the other replicas to do the same.
    pub async fn key_changed(&self, key_id: ApiKeyId) {
        self.evict(key_id);
        if let Err(e) = self.store.publish_key_change(key_id).await {
            tracing::warn!(key_id = %key_id, error = %e, "could not notify other replicas of a key change; their caches expire within auth.cache_ttl_secs");
        }
    }

    /// Write the buffered last-use times in one batch.
    pub async fn flush_usage(&self) {
        let batch: Vec<_> = match self.usage.lock() {
            Ok(mut usage) => usage.drain().collect(),
            Err(_) => return,
        };
        if batch.is_empty() {
            return;
        }
        if let Err(e) = self.store.record_key_usage(&batch).await {
            tracing::warn!(error = %e, keys = batch.len(), "could not record API key usage");
        }
    }
}
