//! Ports: what the domain needs from the outside world. Adapters implement them
//! (`ticket-persistence` for PostgreSQL); unit tests use the mockall mocks
//! (`MockTicketRepository`, feature `mock`).

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use crate::access::{OrgRef, Organization};
use crate::assignment::{
    AssignmentRuleRecord, AssignmentRuleSpec, OperatorGroupRecord, OperatorGroupSpec,
};
use crate::auto_resolve::{AutoResolveRuleRecord, AutoResolveRuleSpec};
use crate::error::ValidationErrors;
use crate::escalation::{EscalationPolicyRecord, EscalationPolicySpec};
use crate::ingest::{EndEvent, Ended};
use crate::model::{
    AssignmentRuleId, AutoResolveRuleId, CalendarId, EscalationPolicyId, OperatorGroupId, OrgId,
    SlaPolicyId, SuppressionWindowId, TicketId, TicketNumber, UserId, Visibility,
};
use crate::policy::{
    CalendarRecord, CalendarSpec, Removal, SlaPolicyRecord, SlaPolicySpec, SlaRules,
};
use crate::query::{ListQuery, Page, TicketFilter, TicketStats};
use crate::suppression::{DroppedAlert, WindowRecord, WindowSpec};
use crate::ticket::{
    Comment, HistoryEntry, Ingested, StoredAlert, Ticket, TicketDetails, TicketDraft,
};
use crate::timer::TimerKind;

/// A ticket named by its id or by its human number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketRef {
    Id(TicketId),
    Number(TicketNumber),
}

/// A timer the store holds, due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueTimer {
    pub org: OrgId,
    pub ticket_id: TicketId,
    pub kind: TimerKind,
    pub due_at: DateTime<Utc>,
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// The ticket's version is not the one the change was computed from.
    #[error("the ticket was changed by someone else")]
    VersionConflict,
    /// No ticket with that id.
    #[error("no such ticket")]
    NotFound,
    /// The change would make a second active ticket with the same provider and dedup key
    /// (e.g. reopening a ticket whose incident has a newer active ticket).
    #[error("another active ticket has the same dedup key")]
    DuplicateActive,
    /// The store cannot be reached now (down, pool exhausted); worth retrying later.
    #[error("the database is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else: a bug or corrupt data, never the client's fault.
    #[error("the database failed")]
    Failure(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Storage of tickets, their alerts, comments, history and outbox events.
///
/// Every method that reads or writes tickets takes the caller's organization, and MUST
/// act only on that organization's rows: another organization's ticket does not exist for
/// it (`None`, [`RepositoryError::NotFound`], absent from lists and statistics). Unique
/// things (external ids, active dedup keys, ticket numbers) are unique per organization.
/// The breach monitor works across organizations, each row in its own.
///
/// Every write stores the change, its history or comment row and its outbox event
/// (`notification_logs`) in one transaction: all or nothing. Creating a ticket and storing
/// a status change also store the timers the ticket then needs ([`Ticket::timers`]).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait TicketRepository: Send + Sync + 'static {
    /// Takes in one alert. MUST, atomically and under concurrent calls from several
    /// service instances:
    /// - return [`Ingested::Replayed`] with the ticket of an earlier alert with the same
    ///   (`provider_id`, `external_id`), writing nothing;
    /// - else merge the alert into the active ticket with the same (`provider_id`,
    ///   `dedup_key`) with [`Ticket::merge_alert`], keep the alert, write an
    ///   `alert_merged` event and return [`Ingested::Merged`];
    /// - else, when the draft's reopen window is open ([`TicketDraft::lookup`]), reopen the
    ///   ticket of that key an auto-resolve rule resolved most recently within it
    ///   ([`crate::flapping::flap_reopen`]: ticket, alert, history row, events, timers) and
    ///   return [`Ingested::Reopened`];
    /// - else insert `draft` (ticket, first alert, creation history row,
    ///   `ticket_created` event) and return [`Ingested::Created`] with its number set;
    ///   with an [`crate::assignment::AssignmentPlan`], in the same transaction, assign it
    ///   ([`crate::assignment::assign`]: history row and `status_changed` event too) to the
    ///   member [`crate::assignment::choose`] picks (round robin: with a turn of its own,
    ///   distinct from every concurrent create's; with a capacity, or least loaded: with
    ///   the loads as of a lock on the group, so concurrent creates never exceed a
    ///   capacity), or to the fixed user unless unavailable; nobody eligible (or the group gone): write
    ///   [`crate::assignment::assignment_failed`] instead.
    async fn ingest(
        &self,
        org: OrgId,
        draft: TicketDraft,
        now: DateTime<Utc>,
    ) -> Result<Ingested, RepositoryError>;

    /// Takes in a provider's end event. MUST, atomically, with the ticket it acts on
    /// locked against concurrent writers (so concurrent or replayed end events, merges and
    /// timers act one after the other): find the ticket of an earlier alert with the
    /// event's (`provider_id`, `external_id`) when it names one, and the active ticket with
    /// its (`provider_id`, `dedup_key`) when it names one; apply [`crate::decide_end`]; store
    /// what it decides as a timer stores its [`crate::AutoResolved`] (ticket, history row
    /// or comment, event, timers); and return [`crate::EndDecision::ended`].
    async fn end_event(
        &self,
        org: OrgId,
        event: &EndEvent,
        now: DateTime<Utc>,
    ) -> Result<Ended, RepositoryError>;

    /// The ticket, or `None`.
    async fn find(&self, org: OrgId, ticket: TicketRef) -> Result<Option<Ticket>, RepositoryError>;

    /// The ticket with its comments (only `visibility` ones when given) and history,
    /// both oldest first; or `None`.
    async fn details(
        &self,
        org: OrgId,
        ticket: TicketRef,
        visibility: Option<Visibility>,
    ) -> Result<Option<TicketDetails>, RepositoryError>;

    /// One page of tickets matching the query, newest first (`created_at`, then `id`).
    /// `now` decides `sla_breached`.
    async fn list(
        &self,
        org: OrgId,
        query: &ListQuery,
        now: DateTime<Utc>,
    ) -> Result<Page<Ticket>, RepositoryError>;

    /// Stores a status change: `ticket` is the new state, computed from the stored one at
    /// `expected_version`. MUST return [`RepositoryError::VersionConflict`] and write
    /// nothing if the stored version differs; else writes the ticket, `entry` and a
    /// `status_changed` event.
    async fn save_transition(
        &self,
        org: OrgId,
        ticket: &Ticket,
        expected_version: i64,
        entry: &HistoryEntry,
    ) -> Result<(), RepositoryError>;

    /// Stores `comment` and its effect on its ticket, atomically: version + 1, `updated_at`
    /// moved to the comment's time, `first_responded_at` the earlier of its value and the
    /// comment's time (the rule of
    /// [`Ticket::add_comment`]), plus a `comment_added` event. These changes commute, so
    /// concurrent comments never conflict; with `expected_version`, MUST return
    /// [`RepositoryError::VersionConflict`] and write nothing if the stored version differs.
    /// Returns the ticket as stored after the change.
    async fn save_comment(
        &self,
        org: OrgId,
        comment: &Comment,
        expected_version: Option<i64>,
    ) -> Result<Ticket, RepositoryError>;

    /// The alerts taken into a ticket, newest first: at most `limit`, with ids below
    /// `before` when given. `None` when the ticket does not exist.
    async fn alerts(
        &self,
        org: OrgId,
        ticket: TicketRef,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Option<Vec<StoredAlert>>, RepositoryError>;

    /// Records the SLA breaches that happened by `now`: for each ticket and target breached
    /// at `now` (see [`crate::SlaState::evaluate`]) and not yet recorded, MUST write exactly
    /// one `sla_breached` event and mark the target recorded, atomically, handling at most
    /// `limit` targets per call. Several callers (instances) may run at once and MUST NOT
    /// record one breach twice. Returns how many breaches were recorded.
    async fn record_sla_breaches(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<usize, RepositoryError>;

    /// The timers due at `now` across organizations (see [`crate::timer`]), at most
    /// `limit`, in the store's order (earliest due first) and, with `after`, only those past
    /// that one in it: a caller pages forward with the last timer of the previous page, so
    /// timers that fail again and again do not hide the later ones.
    async fn due_timers(
        &self,
        now: DateTime<Utc>,
        after: Option<DueTimer>,
        limit: i64,
    ) -> Result<Vec<DueTimer>, RepositoryError>;

    /// Fires `timer` at `now` inside its organization, in one transaction: if it is still
    /// due and no other caller holds it, locks its ticket, applies [`crate::timer::fire`]
    /// (the ticket, its history row and events, as any change), and keeps the ticket's
    /// timers as [`Ticket::timers`] now says (this one moved or gone). Several callers may
    /// race on one timer: it MUST act at most once. Returns whether it acted.
    async fn fire_timer(
        &self,
        timer: &DueTimer,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// Figures over the tickets matching `filter`, evaluated at `now`.
    async fn stats(
        &self,
        org: OrgId,
        filter: &TicketFilter,
        now: DateTime<Utc>,
    ) -> Result<TicketStats, RepositoryError>;
}

/// The organizations the deployment serves.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait OrganizationRepository: Send + Sync + 'static {
    /// The id of the organization `org` names. A slug not seen before is provisioned on
    /// first use (the gateway, which vouches for the caller, is the authority on
    /// organizations); an unknown id is `None`. Called on every request: adapters may cache
    /// (an organization's id and slug never change).
    async fn resolve(&self, org: &OrgRef) -> Result<Option<OrgId>, RepositoryError>;

    /// The organization, or `None`.
    async fn get(&self, org: OrgId) -> Result<Option<Organization>, RepositoryError>;

    /// Changes the name and/or the settings (a JSON object, replaced whole); returns the
    /// organization as stored, or `None` when it does not exist.
    async fn update(
        &self,
        org: OrgId,
        name: Option<String>,
        settings: Option<serde_json::Value>,
    ) -> Result<Option<Organization>, RepositoryError>;
}

/// Why a configuration write was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No such object in the caller's organization.
    #[error("no such {0}")]
    NotFound(&'static str),
    /// The client's `If-Match` names a version that is no longer current.
    #[error("the object is at version {current}")]
    VersionConflict { current: i64 },
    /// Archived objects are kept for reference and not changed.
    #[error("the object is archived")]
    Archived,
    /// Something active refers to it (e.g. a policy to a calendar).
    #[error("{0}")]
    InUse(String),
    /// The spec refers to something that does not exist (e.g. an unknown calendar).
    #[error("invalid reference")]
    Invalid(ValidationErrors),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// An organization's SLA configuration: business calendars and ordered SLA policies.
///
/// Every method acts inside the one organization it is given. Writes bump `version`; with
/// `expected_version`, a write MUST fail with [`ConfigError::VersionConflict`] and change
/// nothing when the stored version differs. Removing an object something still refers to
/// archives it instead ([`Removal::Archived`], with the object as archived): a policy that tickets were created under, a
/// calendar that only archived policies use; a calendar an active policy uses is
/// [`ConfigError::InUse`]. Archived objects are no longer applied or referable, and are not
/// changed.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SlaConfigRepository: Send + Sync + 'static {
    /// The active SLA policies in order (position, then creation), calendars resolved, and
    /// the active escalation policies in order: what a new ticket is matched against. Called on every new alert: adapters may cache, as
    /// long as a write through the same adapter is seen at once and another instance's
    /// within a second.
    async fn sla_rules(&self, org: OrgId) -> Result<Arc<SlaRules>, RepositoryError>;

    /// Calendars by name (archived ones too when asked).
    async fn calendars(
        &self,
        org: OrgId,
        include_archived: bool,
    ) -> Result<Vec<CalendarRecord>, RepositoryError>;

    async fn calendar(
        &self,
        org: OrgId,
        id: CalendarId,
    ) -> Result<Option<CalendarRecord>, RepositoryError>;

    async fn create_calendar(
        &self,
        org: OrgId,
        spec: &CalendarSpec,
        now: DateTime<Utc>,
    ) -> Result<CalendarRecord, ConfigError>;

    async fn replace_calendar(
        &self,
        org: OrgId,
        id: CalendarId,
        spec: &CalendarSpec,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<CalendarRecord, ConfigError>;

    async fn remove_calendar(
        &self,
        org: OrgId,
        id: CalendarId,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Removal<CalendarRecord>, ConfigError>;

    /// Policies in the order they apply (archived ones too, last, when asked).
    async fn sla_policies(
        &self,
        org: OrgId,
        include_archived: bool,
    ) -> Result<Vec<SlaPolicyRecord>, RepositoryError>;

    async fn sla_policy(
        &self,
        org: OrgId,
        id: SlaPolicyId,
    ) -> Result<Option<SlaPolicyRecord>, RepositoryError>;

    /// MUST refuse ([`ConfigError::Invalid`], field `calendar_id`) a calendar that does not
    /// exist or is archived.
    async fn create_sla_policy(
        &self,
        org: OrgId,
        spec: &SlaPolicySpec,
        now: DateTime<Utc>,
    ) -> Result<SlaPolicyRecord, ConfigError>;

    async fn replace_sla_policy(
        &self,
        org: OrgId,
        id: SlaPolicyId,
        spec: &SlaPolicySpec,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<SlaPolicyRecord, ConfigError>;

    async fn remove_sla_policy(
        &self,
        org: OrgId,
        id: SlaPolicyId,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Removal<SlaPolicyRecord>, ConfigError>;
}

/// An organization's escalation policies (see [`crate::escalation`]), under the rules of
/// [`SlaConfigRepository`]: writes bump `version` and honour `expected_version`; removing a
/// policy a ticket's chain was copied from archives it. Active policies reach new tickets
/// through [`SlaConfigRepository::sla_rules`] (same caching).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait EscalationConfigRepository: Send + Sync + 'static {
    /// Policies in the order they apply (archived ones too, last, when asked).
    async fn escalation_policies(
        &self,
        org: OrgId,
        include_archived: bool,
    ) -> Result<Vec<EscalationPolicyRecord>, RepositoryError>;

    async fn escalation_policy(
        &self,
        org: OrgId,
        id: EscalationPolicyId,
    ) -> Result<Option<EscalationPolicyRecord>, RepositoryError>;

    async fn create_escalation_policy(
        &self,
        org: OrgId,
        spec: &EscalationPolicySpec,
        now: DateTime<Utc>,
    ) -> Result<EscalationPolicyRecord, ConfigError>;

    async fn replace_escalation_policy(
        &self,
        org: OrgId,
        id: EscalationPolicyId,
        spec: &EscalationPolicySpec,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<EscalationPolicyRecord, ConfigError>;

    async fn remove_escalation_policy(
        &self,
        org: OrgId,
        id: EscalationPolicyId,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Removal<EscalationPolicyRecord>, ConfigError>;
}

/// An organization's auto-resolve rules (see [`crate::auto_resolve`]), under the rules of
/// [`SlaConfigRepository`]: writes bump `version` and honour `expected_version`; removing a
/// rule that tickets were made under archives it. Active rules reach new tickets through
/// [`SlaConfigRepository::sla_rules`] (same caching).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait AutoResolveConfigRepository: Send + Sync + 'static {
    /// Rules in the order they apply (archived ones too, last, when asked).
    async fn auto_resolve_rules(
        &self,
        org: OrgId,
        include_archived: bool,
    ) -> Result<Vec<AutoResolveRuleRecord>, RepositoryError>;

    async fn auto_resolve_rule(
        &self,
        org: OrgId,
        id: AutoResolveRuleId,
    ) -> Result<Option<AutoResolveRuleRecord>, RepositoryError>;

    async fn create_auto_resolve_rule(
        &self,
        org: OrgId,
        spec: &AutoResolveRuleSpec,
        now: DateTime<Utc>,
    ) -> Result<AutoResolveRuleRecord, ConfigError>;

    async fn replace_auto_resolve_rule(
        &self,
        org: OrgId,
        id: AutoResolveRuleId,
        spec: &AutoResolveRuleSpec,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<AutoResolveRuleRecord, ConfigError>;

    async fn remove_auto_resolve_rule(
        &self,
        org: OrgId,
        id: AutoResolveRuleId,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Removal<AutoResolveRuleRecord>, ConfigError>;
}

/// Storage of an organization's suppression windows. Windows are never edited: a wrong
/// one is cancelled and another made.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SuppressionWindowRepository: Send + Sync + 'static {
    /// Every window, newest first.
    async fn suppression_windows(&self, org: OrgId) -> Result<Vec<WindowRecord>, RepositoryError>;

    async fn suppression_window(
        &self,
        org: OrgId,
        id: SuppressionWindowId,
    ) -> Result<Option<WindowRecord>, RepositoryError>;

    async fn create_suppression_window(
        &self,
        org: OrgId,
        spec: &WindowSpec,
        created_by: &str,
        now: DateTime<Utc>,
    ) -> Result<WindowRecord, ConfigError>;

    /// Ends the window at `now` (version + 1), and in the same transaction brings the
    /// release of every ticket it keeps silent forward to `now` (their `suppressed.until`
    /// and `release` timers; version + 1 each), so the timer workers release them at once.
    /// A window already cancelled is returned as it is. MUST refuse a stale
    /// `expected_version` ([`ConfigError::VersionConflict`]).
    async fn cancel_suppression_window(
        &self,
        org: OrgId,
        id: SuppressionWindowId,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<WindowRecord, ConfigError>;

    /// The alerts the window dropped, newest first: at most `limit`, with ids below
    /// `before` when given. `None` for a window the organization does not have.
    async fn dropped_alerts(
        &self,
        org: OrgId,
        id: SuppressionWindowId,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Option<Vec<DroppedAlert>>, RepositoryError>;
}

/// An operator's availability for automatic assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    pub user_id: UserId,
    pub available: bool,
    pub updated_at: DateTime<Utc>,
}

/// An organization's operator groups, assignment rules and operators' availability (see
/// [`crate::assignment`]), under the rules of [`SlaConfigRepository`]: writes bump
/// `version` and honour `expected_version`. Removing a group an active rule uses is
/// [`ConfigError::InUse`]; one only archived rules use is archived. Removing a rule that
/// assigned tickets archives it. Active rules reach new tickets through
/// [`SlaConfigRepository::sla_rules`] (same caching).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait AssignmentConfigRepository: Send + Sync + 'static {
    /// Groups by name (archived ones too when asked).
    async fn operator_groups(
        &self,
        org: OrgId,
        include_archived: bool,
    ) -> Result<Vec<OperatorGroupRecord>, RepositoryError>;

    async fn operator_group(
        &self,
        org: OrgId,
        id: OperatorGroupId,
    ) -> Result<Option<OperatorGroupRecord>, RepositoryError>;

    async fn create_operator_group(
        &self,
        org: OrgId,
        spec: &OperatorGroupSpec,
        now: DateTime<Utc>,
    ) -> Result<OperatorGroupRecord, ConfigError>;

    async fn replace_operator_group(
        &self,
        org: OrgId,
        id: OperatorGroupId,
        spec: &OperatorGroupSpec,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<OperatorGroupRecord, ConfigError>;

    async fn remove_operator_group(
        &self,
        org: OrgId,
        id: OperatorGroupId,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Removal<OperatorGroupRecord>, ConfigError>;

    /// Rules in the order they apply (archived ones too, last, when asked).
    async fn assignment_rules(
        &self,
        org: OrgId,
        include_archived: bool,
    ) -> Result<Vec<AssignmentRuleRecord>, RepositoryError>;

    async fn assignment_rule(
        &self,
        org: OrgId,
        id: AssignmentRuleId,
    ) -> Result<Option<AssignmentRuleRecord>, RepositoryError>;

    /// MUST refuse ([`ConfigError::Invalid`], field `group_id`) a group that does not exist
    /// or is archived.
    async fn create_assignment_rule(
        &self,
        org: OrgId,
        spec: &AssignmentRuleSpec,
        now: DateTime<Utc>,
    ) -> Result<AssignmentRuleRecord, ConfigError>;

    async fn replace_assignment_rule(
        &self,
        org: OrgId,
        id: AssignmentRuleId,
        spec: &AssignmentRuleSpec,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<AssignmentRuleRecord, ConfigError>;

    async fn remove_assignment_rule(
        &self,
        org: OrgId,
        id: AssignmentRuleId,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Removal<AssignmentRuleRecord>, ConfigError>;

    /// Records whether `user` takes automatic assignments (an operator never recorded is
    /// available).
    async fn set_availability(
        &self,
        org: OrgId,
        user: &UserId,
        available: bool,
        now: DateTime<Utc>,
    ) -> Result<Availability, RepositoryError>;

    /// The operator's recorded availability, if any.
    async fn availability(
        &self,
        org: OrgId,
        user: &UserId,
    ) -> Result<Option<Availability>, RepositoryError>;
}

/// Whether the service's dependencies answer now (readiness, not liveness).
#[async_trait]
pub trait HealthCheck: Send + Sync + 'static {
    async fn ready(&self) -> Result<(), RepositoryError>;
}

/// The current time. Injected so SLA behaviour can be tested without waiting.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// Truncates to microseconds, the precision PostgreSQL keeps, so a value read back equals
/// the value written.
pub(crate) fn to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        to_micros(Utc::now())
    }
}

/// A clock stopped at one instant: for tests, and for replaying work at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// A clock that runs with the system clock plus an offset that tests move forward, so a
/// running server can be sent hours ahead.
#[derive(Debug, Clone, Default)]
pub struct ShiftedClock {
    offset: Arc<Mutex<TimeDelta>>,
}

impl ShiftedClock {
    pub fn advance(&self, by: TimeDelta) {
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset += by;
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = *self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        to_micros(Utc::now() + offset)
    }
}

impl<T: Clock> Clock for Arc<T> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}
