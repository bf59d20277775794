use std::ops::Deref;
use std::sync::Arc;

use gateway_store::Store;

use crate::auth::Authenticator;
use crate::config::Config;
use crate::crypto::MasterKey;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<StateInner>);

pub struct StateInner {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub master_key: MasterKey,
    pub auth: Arc<Authenticator>,
}

impl AppState {
    pub fn new(inner: StateInner) -> Self {
        Self(Arc::new(inner))
    }
}

impl Deref for AppState {
    type Target = StateInner;
    fn deref(&self) -> &StateInner {
        &self.0
    }
}
