#![doc = include_str!("../README.md")]

pub mod access;
pub mod actor;
pub mod assignment;
pub mod auto_resolve;
pub mod calendar;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod error;
pub mod escalation;
pub mod event;
pub mod filter;
pub mod flapping;
pub mod ingest;
pub mod inhibition;
pub mod lifecycle;
pub mod model;
pub mod notification;
pub mod policy;
pub mod ports;
pub mod query;
pub mod service;
pub mod sla;
pub mod suppression;
pub mod ticket;
pub mod timer;

pub use access::{Action, Caller, Forbidden, OrgRef, OrgSlug, Organization, Role};
pub use actor::{Actor, SystemActor, SystemKind};
pub use assignment::{
    AssignTo, AssignmentPlan, AssignmentRuleRecord, AssignmentRuleSpec, AssignmentRules, Candidate,
    Member, OperatorGroupRecord, OperatorGroupSpec, Strategy,
};
pub use auto_resolve::{
    AutoResolve, AutoResolveRuleRecord, AutoResolveRuleSpec, AutoResolveRules, AutoResolved,
};
pub use calendar::BusinessCalendar;
pub use error::{FieldError, ValidationErrors};
pub use escalation::{
    Escalated, Escalation, EscalationAction, EscalationPolicyRecord, EscalationPolicySpec,
    EscalationRules, EscalationStep, SimulatedStep, StepCondition, Steps, simulate,
};
pub use event::{EventType, OutboxEvent};
pub use filter::Filter;
pub use flapping::{FlapPolicy, Flapping, Reopened};
pub use ingest::{
    Earlier, EndDecision, EndEvent, Ended, IngestDecision, IngestLookup, decide, decide_among,
    decide_end,
};
pub use lifecycle::{AssigneeRule, StatusChange, TransitionError};
pub use model::*;
pub use notification::{
    DeliveryStatus, DispatchReport, Dispatcher, Notification, NotificationFilter,
    NotificationSender, OutboxRepository, RetryPolicy,
};
pub use policy::{
    AppliedPolicy, CalendarRecord, CalendarSpec, Removal, SeverityTargets, SlaPolicyRecord,
    SlaPolicySpec, SlaRules,
};
pub use ports::{
    AssignmentConfigRepository, AutoResolveConfigRepository, Availability, Clock, ConfigError,
    DueTimer, EscalationConfigRepository, FixedClock, HealthCheck, OrganizationRepository,
    RepositoryError, ShiftedClock, SlaConfigRepository, SuppressionWindowRepository, SystemClock,
    TicketRef, TicketRepository,
};
pub use query::{
    Cursor, ListQuery, Page, PageLimit, ResolutionCounts, TargetStats, TicketFilter, TicketStats,
};
pub use service::{DetailsView, IngestOutcome, Received, ServiceError, TicketService, TimerRound};
pub use sla::{
    DEFAULT_WARN_PERCENT, DueTimes, SlaPolicy, SlaState, SlaStatus, SlaTarget, SlaTargets,
    TargetView,
};
pub use ticket::{
    AlertRecord, Comment, HistoryEntry, Hold, Ingested, NewAlert, StoredAlert, Ticket,
    TicketDetails, TicketDraft, TicketRecord, TicketView,
};
pub use timer::{Fired, TimerKind};
