#![doc = include_str!("../README.md")]

pub mod access;
pub mod actor;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod error;
pub mod event;
pub mod ingest;
pub mod lifecycle;
pub mod model;
pub mod notification;
pub mod ports;
pub mod query;
pub mod service;
pub mod sla;
pub mod ticket;

pub use access::{Action, Caller, Forbidden, OrgRef, OrgSlug, Organization, Role};
pub use actor::{Actor, SystemActor, SystemKind};
pub use error::{FieldError, ValidationErrors};
pub use event::{EventType, OutboxEvent};
pub use ingest::{IngestDecision, IngestLookup, decide};
pub use lifecycle::{AssigneeRule, StatusChange, TransitionError};
pub use model::*;
pub use notification::{
    DeliveryStatus, DispatchReport, Dispatcher, Notification, NotificationFilter,
    NotificationSender, OutboxRepository, RetryPolicy,
};
pub use ports::{
    Clock, FixedClock, HealthCheck, OrganizationRepository, RepositoryError, ShiftedClock,
    SystemClock, TicketRef, TicketRepository,
};
pub use query::{Cursor, ListQuery, Page, PageLimit, TargetStats, TicketFilter, TicketStats};
pub use service::{DetailsView, IngestOutcome, ServiceError, TicketService};
pub use sla::{DueTimes, SlaPolicy, SlaState, SlaStatus, SlaTarget, SlaTargets};
pub use ticket::{
    AlertRecord, Comment, HistoryEntry, Ingested, NewAlert, StoredAlert, Ticket, TicketDetails,
    TicketDraft, TicketRecord, TicketView,
};
