//! The vendor-neutral model every other crate speaks.
//!
//! Nothing here performs I/O: adapters (`providers/*`) translate vendor wire formats into
//! these types, the store persists them and the server exposes them.

pub mod api_key;
pub mod candidate;
pub mod capabilities;
pub mod connection;
pub mod event;
pub mod id;
pub mod interview;
pub mod observe;
pub mod page;
pub mod provider;
pub mod provider_error;
pub mod result;
pub mod scope;
pub mod secret;
pub mod status;
pub mod template;
pub mod time;
pub mod trace;
pub mod workspace;

pub use api_key::{ApiKey, RateLimit};
pub use candidate::{Candidate, CandidateInput};
pub use capabilities::{Capabilities, Capability};
pub use connection::{Connection, ConnectionStatus, Credentials};
pub use event::{Event, EventType};
pub use id::{
    ApiKeyId, CandidateId, ConnectionId, EventId, IdParseError, InterviewId, MessageId, TemplateId,
    WebhookEndpointId, WorkspaceId,
};
pub use interview::{Interview, ProviderRefs};
pub use observe::{CallObserver, Observer, VendorCall};
pub use provider::{
    ConnectionContext, CredentialField, InboundEvent, InboundRequest, InviteCandidate,
    InviteOptions, InviteOutcome, Provider, ProviderDescriptor, RemoteInterview, RemoteTemplate,
    TemplateDraft, TemplateUpdate,
};
pub use provider_error::{FieldError, ProviderError};
pub use result::{Artifact, ArtifactKind, Criterion, InterviewResult, Score, TranscriptEntry};
pub use scope::Scope;
pub use secret::Secret;
pub use status::{InterviewStatus, Outcome};
pub use template::{ProviderRef, Template, TemplateStatus, TemplateStep};
pub use trace::TraceContext;
pub use workspace::Workspace;
