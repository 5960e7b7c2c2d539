//! [`SlaConfigRepository`] on PostgreSQL: `business_calendars` and `sla_policies`
//! (migration 000037), each organization's rows behind row-level security like its
//! tickets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use ticket_domain::inhibition::InhibitPolicy;
use ticket_domain::suppression::Windows;
use ticket_domain::{
    AppliedPolicy, AssignmentRuleRecord, AssignmentRules, AutoResolveRuleRecord, AutoResolveRules,
    BusinessCalendar, CalendarId, CalendarRecord, CalendarSpec, ConfigError,
    EscalationConfigRepository, EscalationPolicyId, EscalationPolicyRecord, EscalationPolicySpec,
    EscalationRules, FieldError, Filter, FlapPolicy, OrgId, Removal, RepositoryError, RuleName,
    SeverityTargets, SlaConfigRepository, SlaPolicyId, SlaPolicyRecord, SlaPolicySpec, SlaRules,
    Steps, ValidationErrors,
};
use uuid::Uuid;

use crate::error::{DbError, pool_error};
use crate::pool::PgPool;
use crate::repo::set_org;
use crate::schema::{
    business_calendars, escalation_policies, organizations, sla_policies, tickets,
};

/// How long an instance applies the policies it read before reading them again: an edit
/// made through another instance reaches new tickets within this time (one made through
/// this instance, at once).
const RULES_TTL: Duration = Duration::from_secs(1);

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = business_calendars, check_for_backend(diesel::pg::Pg))]
struct CalendarRow {
    id: Uuid,
    name: String,
    definition: serde_json::Value,
    version: i64,
    archived_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

pub(crate) fn corrupt(what: &str, id: Uuid, error: impl std::fmt::Display) -> DbError {
    DbError::Corrupt(format!("{what} {id}: {error}"))
}

pub(crate) fn name(raw: &str, id: Uuid) -> Result<RuleName, DbError> {
    RuleName::parse(raw, "name").map_err(|e| corrupt("name of", id, e))
}

impl TryFrom<CalendarRow> for CalendarRecord {
    type Error = DbError;

    fn try_from(r: CalendarRow) -> Result<Self, DbError> {
        Ok(CalendarRecord {
            id: CalendarId::from_uuid(r.id),
            name: name(&r.name, r.id)?,
            calendar: BusinessCalendar::parse(&r.definition)
                .map_err(|e| corrupt("calendar", r.id, e))?,
            version: r.version,
            archived_at: r.archived_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = sla_policies, check_for_backend(diesel::pg::Pg))]
struct PolicyRow {
    id: Uuid,
    name: String,
    position: i32,
    filter: Option<serde_json::Value>,
    targets: serde_json::Value,
    calendar_id: Option<Uuid>,
    warn_percent: Option<i16>,
    version: i64,
    archived_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<PolicyRow> for SlaPolicyRecord {
    type Error = DbError;

    fn try_from(r: PolicyRow) -> Result<Self, DbError> {
        Ok(SlaPolicyRecord {
            id: SlaPolicyId::from_uuid(r.id),
            name: name(&r.name, r.id)?,
            position: r.position,
            filter: r
                .filter
                .map(|f| Filter::parse(&f, "filter"))
                .transpose()
                .map_err(|e| corrupt("filter of policy", r.id, e))?,
            targets: SeverityTargets::parse(&r.targets)
                .map_err(|e| corrupt("targets of policy", r.id, e))?,
            calendar_id: r.calendar_id.map(CalendarId::from_uuid),
            warn_percent: r
                .warn_percent
                .map(u8::try_from)
                .transpose()
                .map_err(|e| corrupt("warn_percent of policy", r.id, e))?,
            version: r.version,
            archived_at: r.archived_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = escalation_policies, check_for_backend(diesel::pg::Pg))]
struct EscalationRow {
    id: Uuid,
    name: String,
    position: i32,
    filter: Option<serde_json::Value>,
    steps: serde_json::Value,
    repeat: i16,
    version: i64,
    archived_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<EscalationRow> for EscalationPolicyRecord {
    type Error = DbError;

    fn try_from(r: EscalationRow) -> Result<Self, DbError> {
        Ok(EscalationPolicyRecord {
            id: EscalationPolicyId::from_uuid(r.id),
            name: name(&r.name, r.id)?,
            position: r.position,
            filter: r
                .filter
                .map(|f| Filter::parse(&f, "filter"))
                .transpose()
                .map_err(|e| corrupt("filter of escalation policy", r.id, e))?,
            steps: Steps::parse(&r.steps)
                .map_err(|e| corrupt("steps of escalation policy", r.id, e))?,
            repeat: u8::try_from(r.repeat)
                .map_err(|e| corrupt("repeat of escalation policy", r.id, e))?,
            version: r.version,
            archived_at: r.archived_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

impl Stored for EscalationRow {
    const WHAT: &'static str = "escalation policy";
    fn version(&self) -> i64 {
        self.version
    }
    fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.archived_at
    }
}

/// A configuration transaction's failure: the database's, or a refusal.
#[derive(Debug)]
pub(crate) enum TxError {
    Db(DbError),
    Refused(ConfigError),
}

impl From<DieselError> for TxError {
    fn from(error: DieselError) -> Self {
        TxError::Db(DbError::Diesel(error))
    }
}

impl From<DbError> for TxError {
    fn from(error: DbError) -> Self {
        TxError::Db(error)
    }
}

impl From<TxError> for ConfigError {
    fn from(error: TxError) -> Self {
        match error {
            TxError::Db(e) => ConfigError::Repository(e.into()),
            TxError::Refused(e) => e,
        }
    }
}

pub(crate) fn refuse<T>(error: ConfigError) -> Result<T, TxError> {
    Err(TxError::Refused(error))
}

/// A stored configuration object, as its changes check it.
pub(crate) trait Stored {
    const WHAT: &'static str;
    fn version(&self) -> i64;
    fn archived_at(&self) -> Option<DateTime<Utc>>;
}

impl Stored for CalendarRow {
    const WHAT: &'static str = "calendar";
    fn version(&self) -> i64 {
        self.version
    }
    fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.archived_at
    }
}

impl Stored for PolicyRow {
    const WHAT: &'static str = "SLA policy";
    fn version(&self) -> i64 {
        self.version
    }
    fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.archived_at
    }
}

/// The checks every change of a stored object makes: it exists, and its version is the
/// expected one. Returns the row (archived or not: the caller decides).
pub(crate) fn current<R: Stored>(
    found: Option<R>,
    expected_version: Option<i64>,
) -> Result<R, TxError> {
    let Some(row) = found else {
        return refuse(ConfigError::NotFound(R::WHAT));
    };
    if let Some(expected) = expected_version
        && expected != row.version()
    {
        return refuse(ConfigError::VersionConflict {
            current: row.version(),
        });
    }
    Ok(row)
}

/// [`current`], for a replacement: archived objects no longer change.
pub(crate) fn replaceable<R: Stored>(
    found: Option<R>,
    expected_version: Option<i64>,
) -> Result<R, TxError> {
    let row = current(found, expected_version)?;
    if row.archived_at().is_some() {
        return refuse(ConfigError::Archived);
    }
    Ok(row)
}

/// A policy may count only on a calendar of its organization that is not archived. Takes
/// the calendar's row lock (shared), so a concurrent removal waits or is seen.
async fn check_calendar(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    calendar: Option<CalendarId>,
) -> Result<(), TxError> {
    let Some(calendar) = calendar else {
        return Ok(());
    };
    let archived: Option<Option<DateTime<Utc>>> = business_calendars::table
        .find((org.as_uuid(), calendar.as_uuid()))
        .select(business_calendars::archived_at)
        .for_share()
        .first(conn)
        .await
        .optional()?;
    match archived {
        Some(None) => Ok(()),
        Some(Some(_)) => refuse(ConfigError::Invalid(ValidationErrors(vec![
            FieldError::new("calendar_id", "names an archived calendar"),
        ]))),
        None => refuse(ConfigError::Invalid(ValidationErrors(vec![
            FieldError::new("calendar_id", "names no calendar of this organization"),
        ]))),
    }
}

/// Each organization's active policies, and when they were read.
#[derive(Default)]
struct RulesCache {
    entries: HashMap<OrgId, (Instant, Arc<SlaRules>)>,
    /// Counts writes: a read that began before a write must not cache what it read.
    writes: u64,
}

/// The PostgreSQL SLA configuration. Cheap to clone: the pool and a shared cache of each
/// organization's active policies.
#[derive(Clone)]
pub struct PgSlaConfig {
    pub(crate) pool: PgPool,
    rules: Arc<Mutex<RulesCache>>,
}

impl std::fmt::Debug for PgSlaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgSlaConfig").finish_non_exhaustive()
    }
}

impl PgSlaConfig {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            rules: Arc::default(),
        }
    }

    /// The same configuration over another pool, sharing this one's cache: every HTTP
    /// worker of an instance has its own pool, and all must see a write at once.
    pub fn on_pool(&self, pool: PgPool) -> Self {
        Self {
            pool,
            rules: Arc::clone(&self.rules),
        }
    }

    /// The organization's fresh cached policies, else the write count to read them under.
    fn cached(&self, org: OrgId) -> Result<Arc<SlaRules>, u64> {
        let cache = self.rules.lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .entries
            .get(&org)
            .filter(|(read_at, _)| read_at.elapsed() < RULES_TTL)
            .map(|(_, r)| Arc::clone(r))
            .ok_or(cache.writes)
    }

    /// Caches policies read under write count `writes`, unless a write came since (the read
    /// may predate it).
    fn remember(&self, org: OrgId, writes: u64, rules: &Arc<SlaRules>) {
        let mut cache = self.rules.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.writes == writes {
            cache
                .entries
                .insert(org, (Instant::now(), Arc::clone(rules)));
        }
    }

    pub(crate) fn forget(&self, org: OrgId) {
        let mut cache = self.rules.lock().unwrap_or_else(PoisonError::into_inner);
        cache.writes += 1;
        cache.entries.remove(&org);
    }
}

/// Runs the body in a transaction scoped to `org` (connection bound to `$c`), then drops
/// the organization's cached policies, so this instance's next alert sees the write.
/// A macro, not a method: the body borrows the caller's arguments, which a generic async
/// closure parameter cannot express with a `Send` future.
macro_rules! write_in {
    ($self:ident, $org:expr, |$c:ident| $body:expr) => {{
        let mut conn = $self.pool.get().await.map_err(pool_error)?;
        let result: Result<_, TxError> = conn
            .transaction(async |$c| {
                set_org($c, $org).await?;
                let result: Result<_, TxError> = $body;
                result
            })
            .await;
        $self.forget($org);
        result.map_err(ConfigError::from)
    }};
}
pub(crate) use write_in;

/// Runs the body in a read-only transaction scoped to `org`.
macro_rules! read_in {
    ($self:ident, $org:expr, |$c:ident| $body:expr) => {{
        let mut conn = $self.pool.get().await.map_err(pool_error)?;
        conn.build_transaction()
            .read_only()
            .run(async |$c| {
                set_org($c, $org).await?;
                let result: Result<_, DbError> = $body;
                result
            })
            .await
            .map_err(RepositoryError::from)
    }};
}
pub(crate) use read_in;

fn calendar_columns() -> diesel::dsl::AsSelect<CalendarRow, diesel::pg::Pg> {
    CalendarRow::as_select()
}

fn policy_columns() -> diesel::dsl::AsSelect<PolicyRow, diesel::pg::Pg> {
    PolicyRow::as_select()
}

fn escalation_columns() -> diesel::dsl::AsSelect<EscalationRow, diesel::pg::Pg> {
    EscalationRow::as_select()
}

#[async_trait]
impl SlaConfigRepository for PgSlaConfig {
    async fn sla_rules(&self, org: OrgId) -> Result<Arc<SlaRules>, RepositoryError> {
        let writes = match self.cached(org) {
            Ok(rules) => return Ok(rules),
            Err(writes) => writes,
        };
        let (rows, escalations, assignments, auto_resolves, settings, windows): (
            Vec<(PolicyRow, Option<serde_json::Value>)>,
            Vec<EscalationRow>,
            Vec<AssignmentRuleRecord>,
            Vec<AutoResolveRuleRecord>,
            Option<serde_json::Value>,
            Windows,
        ) = read_in!(self, org, |c| {
            // The cache follows the real clock: a window over by now is over for every
            // later alert.
            let windows = crate::suppression::live_windows(c, org, Utc::now()).await?;
            let assignments = crate::assignment::active_rules(c, org).await?;
            let auto_resolves = crate::auto_resolve::active_rules(c, org).await?;
            let settings = organizations::table
                .find(org.as_uuid())
                .select(organizations::settings)
                .first::<serde_json::Value>(c)
                .await
                .optional()?;
            let escalations = escalation_policies::table
                .filter(escalation_policies::org_id.eq(org.as_uuid()))
                .filter(escalation_policies::archived_at.is_null())
                .order((
                    escalation_policies::position,
                    escalation_policies::created_at,
                    escalation_policies::id,
                ))
                .select(escalation_columns())
                .load(c)
                .await?;
            Ok((
                sla_policies::table
                    .left_join(
                        business_calendars::table.on(business_calendars::org_id
                            .eq(sla_policies::org_id)
                            .and(
                                business_calendars::id
                                    .nullable()
                                    .eq(sla_policies::calendar_id),
                            )),
                    )
                    .filter(sla_policies::org_id.eq(org.as_uuid()))
                    .filter(sla_policies::archived_at.is_null())
                    .order((
                        sla_policies::position,
                        sla_policies::created_at,
                        sla_policies::id,
                    ))
                    .select((policy_columns(), business_calendars::definition.nullable()))
                    .load(c)
                    .await?,
                escalations,
                assignments,
                auto_resolves,
                settings,
                windows,
            ))
        })?;
        // Policies sharing a calendar share one parsed copy.
        let mut calendars: HashMap<Uuid, Arc<BusinessCalendar>> = HashMap::new();
        let mut policies = Vec::with_capacity(rows.len());
        for (row, definition) in rows {
            let calendar = match (row.calendar_id, definition) {
                (Some(id), Some(definition)) => Some(match calendars.get(&id) {
                    Some(c) => Arc::clone(c),
                    None => {
                        let parsed = Arc::new(
                            BusinessCalendar::parse(&definition)
                                .map_err(|e| corrupt("calendar", id, e))?,
                        );
                        calendars.insert(id, Arc::clone(&parsed));
                        parsed
                    }
                }),
                _ => None,
            };
            let record = SlaPolicyRecord::try_from(row)?;
            policies.push(AppliedPolicy {
                id: record.id,
                filter: record.filter,
                targets: record.targets,
                warn_percent: record.warn_percent,
                calendar,
            });
        }
        let escalations = escalations
            .into_iter()
            .map(EscalationPolicyRecord::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let rules = Arc::new(
            SlaRules::new(policies)
                .with_escalations(EscalationRules::new(escalations))
                .with_assignments(AssignmentRules::new(assignments))
                .with_auto_resolves(AutoResolveRules::new(auto_resolves))
                .with_flapping(
                    settings
                        .as_ref()
                        .map(FlapPolicy::of_settings)
                        .unwrap_or_default(),
                )
                .with_windows(windows)
                .with_inhibition(
                    settings
                        .as_ref()
                        .map(InhibitPolicy::of_settings)
                        .unwrap_or_default(),
                ),
        );
        self.remember(org, writes, &rules);
        Ok(rules)
    }

    async fn calendars(
        &self,
        org: OrgId,
        include_archived: bool,
    ) -> Result<Vec<CalendarRecord>, RepositoryError> {
        let rows: Vec<CalendarRow> = read_in!(self, org, |c| {
            let mut query = business_calendars::table
                .filter(business_calendars::org_id.eq(org.as_uuid()))
                .select(calendar_columns())
                .order((business_calendars::name, business_calendars::id))
                .into_boxed();
            if !include_archived {
                query = query.filter(business_calendars::archived_at.is_null());
            }
            Ok(query.load(c).await?)
        })?;
        Ok(rows
            .into_iter()
            .map(CalendarRecord::try_from)
            .collect::<Result<_, _>>()?)
    }

    async fn calendar(
        &self,
        org: OrgId,
        id: CalendarId,
    ) -> Result<Option<CalendarRecord>, RepositoryError> {
        let row: Option<CalendarRow> = read_in!(self, org, |c| {
            Ok(business_calendars::table
                .find((org.as_uuid(), id.as_uuid()))
                .select(calendar_columns())
                .first(c)
                .await
                .optional()?)
        })?;
        Ok(row.map(CalendarRecord::try_from).transpose()?)
    }

    async fn create_calendar(
        &self,
        org: OrgId,
        spec: &CalendarSpec,
        now: DateTime<Utc>,
    ) -> Result<CalendarRecord, ConfigError> {
        let row: CalendarRow = write_in!(self, org, |c| {
            Ok(diesel::insert_into(business_calendars::table)
                .values((
                    business_calendars::org_id.eq(org.as_uuid()),
                    business_calendars::id.eq(Uuid::now_v7()),
                    business_calendars::name.eq(spec.name.as_str()),
                    business_calendars::definition.eq(spec.calendar.to_json()),
                    business_calendars::created_at.eq(now),
                    business_calendars::updated_at.eq(now),
                ))
                .returning(calendar_columns())
                .get_result(c)
                .await?)
        })?;
        Ok(CalendarRecord::try_from(row).map_err(RepositoryError::from)?)
    }

    async fn replace_calendar(
        &self,
        org: OrgId,
        id: CalendarId,
        spec: &CalendarSpec,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<CalendarRecord, ConfigError> {
        let key = (org.as_uuid(), id.as_uuid());
        let row: CalendarRow = write_in!(self, org, |c| {
            let found = business_calendars::table
                .find(key)
                .select(calendar_columns())
                .for_update()
                .first(c)
                .await
                .optional()?;
            replaceable(found, expected_version)?;
            Ok(diesel::update(business_calendars::table.find(key))
                .set((
                    business_calendars::name.eq(spec.name.as_str()),
                    business_calendars::definition.eq(spec.calendar.to_json()),
                    business_calendars::version.eq(business_calendars::version + 1),
                    business_calendars::updated_at.eq(now),
                ))
                .returning(calendar_columns())
                .get_result(c)
                .await?)
        })?;
        Ok(CalendarRecord::try_from(row).map_err(RepositoryError::from)?)
    }

    async fn remove_calendar(
        &self,
        org: OrgId,
        id: CalendarId,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Removal<CalendarRecord>, ConfigError> {
        let key = (org.as_uuid(), id.as_uuid());
        let removal: Removal<CalendarRow> = write_in!(self, org, |c| {
            let found: Option<CalendarRow> = business_calendars::table
                .find(key)
                .select(calendar_columns())
                .for_update()
                .first(c)
                .await
                .optional()?;
            let found = current(found, expected_version)?;
            if found.archived_at.is_some() {
                return Ok(Removal::Archived(found));
            }
            let users: Vec<(String, Option<DateTime<Utc>>)> = sla_policies::table
                .filter(sla_policies::org_id.eq(org.as_uuid()))
                .filter(sla_policies::calendar_id.eq(id.as_uuid()))
                .select((sla_policies::name, sla_policies::archived_at))
                .order(sla_policies::name)
                .load(c)
                .await?;
            let active: Vec<&str> = users
                .iter()
                .filter(|(_, archived)| archived.is_none())
                .map(|(name, _)| name.as_str())
                .collect();
            if !active.is_empty() {
                return refuse(ConfigError::InUse(format!(
                    "the calendar is used by SLA policies: {}",
                    active.join(", ")
                )));
            }
            if users.is_empty() {
                diesel::delete(business_calendars::table.find(key))
                    .execute(c)
                    .await?;
                return Ok(Removal::Deleted);
            }
            let archived = diesel::update(business_calendars::table.find(key))
                .set((
                    business_calendars::archived_at.eq(now),
                    business_calendars::version.eq(business_calendars::version + 1),
                    business_calendars::updated_at.eq(now),
                ))
                .returning(calendar_columns())
                .get_result(c)
                .await?;
            Ok(Removal::Archived(archived))
        })?;
        Ok(removal
            .try_map(CalendarRecord::try_from)
            .map_err(RepositoryError::from)?)
    }

    async fn sla_policies(
        &self,
        org: OrgId,
        include_archived: bool,
    ) -> Result<Vec<SlaPolicyRecord>, RepositoryError> {
        let rows: Vec<PolicyRow> = read_in!(self, org, |c| {
            let mut query = sla_policies::table
                .filter(sla_policies::org_id.eq(org.as_uuid()))
                .select(policy_columns())
                .order((
                    sla_policies::archived_at.is_not_null(),
                    sla_policies::position,
                    sla_policies::created_at,
                    sla_policies::id,
                ))
                .into_boxed();
            if !include_archived {
                query = query.filter(sla_policies::archived_at.is_null());
            }
            Ok(query.load(c).await?)
        })?;
        Ok(rows
            .into_iter()
            .map(SlaPolicyRecord::try_from)
            .collect::<Result<_, _>>()?)
    }

    async fn sla_policy(
        &self,
        org: OrgId,
        id: SlaPolicyId,
    ) -> Result<Option<SlaPolicyRecord>, RepositoryError> {
        let row: Option<PolicyRow> = read_in!(self, org, |c| {
            Ok(sla_policies::table
                .find((org.as_uuid(), id.as_uuid()))
                .select(policy_columns())
                .first(c)
                .await
                .optional()?)
        })?;
        Ok(row.map(SlaPolicyRecord::try_from).transpose()?)
    }

    async fn create_sla_policy(
        &self,
        org: OrgId,
        spec: &SlaPolicySpec,
        now: DateTime<Utc>,
    ) -> Result<SlaPolicyRecord, ConfigError> {
        let row: PolicyRow = write_in!(self, org, |c| {
            check_calendar(c, org, spec.calendar_id).await?;
            let position = match spec.position {
                Some(p) => p,
                None => next_position!(c, sla_policies, org),
            };
            Ok(diesel::insert_into(sla_policies::table)
                .values((
                    sla_policies::org_id.eq(org.as_uuid()),
                    sla_policies::id.eq(Uuid::now_v7()),
                    sla_policies::name.eq(spec.name.as_str()),
                    sla_policies::position.eq(position),
                    sla_policies::filter.eq(spec.filter.as_ref().map(Filter::to_json)),
                    sla_policies::targets.eq(spec.targets.to_json()),
                    sla_policies::calendar_id.eq(spec.calendar_id.map(CalendarId::as_uuid)),
                    sla_policies::warn_percent.eq(spec.warn_percent.map(i16::from)),
                    sla_policies::created_at.eq(now),
                    sla_policies::updated_at.eq(now),
                ))
                .returning(policy_columns())
                .get_result(c)
                .await?)
        })?;
        Ok(SlaPolicyRecord::try_from(row).map_err(RepositoryError::from)?)
    }

    async fn replace_sla_policy(
        &self,
        org: OrgId,
        id: SlaPolicyId,
        spec: &SlaPolicySpec,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<SlaPolicyRecord, ConfigError> {
        let key = (org.as_uuid(), id.as_uuid());
        let row: PolicyRow = write_in!(self, org, |c| {
            let found = sla_policies::table
                .find(key)
                .select(policy_columns())
                .for_update()
                .first(c)
                .await
                .optional()?;
            let found = replaceable(found, expected_version)?;
            check_calendar(c, org, spec.calendar_id).await?;
            // A replacement without a position keeps the policy where it is.
            let position = spec.position.unwrap_or(found.position);
            Ok(diesel::update(sla_policies::table.find(key))
                .set((
                    sla_policies::name.eq(spec.name.as_str()),
                    sla_policies::position.eq(position),
                    sla_policies::filter.eq(spec.filter.as_ref().map(Filter::to_json)),
                    sla_policies::targets.eq(spec.targets.to_json()),
                    sla_policies::calendar_id.eq(spec.calendar_id.map(CalendarId::as_uuid)),
                    sla_policies::warn_percent.eq(spec.warn_percent.map(i16::from)),
                    sla_policies::version.eq(sla_policies::version + 1),
                    sla_policies::updated_at.eq(now),
                ))
                .returning(policy_columns())
                .get_result(c)
                .await?)
        })?;
        Ok(SlaPolicyRecord::try_from(row).map_err(RepositoryError::from)?)
    }

    async fn remove_sla_policy(
        &self,
        org: OrgId,
        id: SlaPolicyId,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Removal<SlaPolicyRecord>, ConfigError> {
        let key = (org.as_uuid(), id.as_uuid());
        let removal: Removal<PolicyRow> = write_in!(self, org, |c| {
            let found: Option<PolicyRow> = sla_policies::table
                .find(key)
                .select(policy_columns())
                .for_update()
                .first(c)
                .await
                .optional()?;
            let found = current(found, expected_version)?;
            if found.archived_at.is_some() {
                return Ok(Removal::Archived(found));
            }
            let referenced: bool = diesel::select(exists(
                tickets::table
                    .filter(tickets::org_id.eq(org.as_uuid()))
                    .filter(tickets::sla_policy_id.eq(id.as_uuid())),
            ))
            .get_result(c)
            .await?;
            if referenced {
                let archived = diesel::update(sla_policies::table.find(key))
                    .set((
                        sla_policies::archived_at.eq(now),
                        sla_policies::version.eq(sla_policies::version + 1),
                        sla_policies::updated_at.eq(now),
                    ))
                    .returning(policy_columns())
                    .get_result(c)
                    .await?;
                return Ok(Removal::Archived(archived));
            }
            diesel::delete(sla_policies::table.find(key))
                .execute(c)
                .await?;
            Ok(Removal::Deleted)
        })?;
        Ok(removal
            .try_map(SlaPolicyRecord::try_from)
            .map_err(RepositoryError::from)?)
    }
}

#[async_trait]
impl EscalationConfigRepository for PgSlaConfig {
    async fn escalation_policies(
        &self,
        org: OrgId,
        include_archived: bool,
    ) -> Result<Vec<EscalationPolicyRecord>, RepositoryError> {
        let rows: Vec<EscalationRow> = read_in!(self, org, |c| {
            let mut query = escalation_policies::table
                .filter(escalation_policies::org_id.eq(org.as_uuid()))
                .select(escalation_columns())
                .order((
                    escalation_policies::archived_at.is_not_null(),
                    escalation_policies::position,
                    escalation_policies::created_at,
                    escalation_policies::id,
                ))
                .into_boxed();
            if !include_archived {
                query = query.filter(escalation_policies::archived_at.is_null());
            }
            Ok(query.load(c).await?)
        })?;
        Ok(rows
            .into_iter()
            .map(EscalationPolicyRecord::try_from)
            .collect::<Result<_, _>>()?)
    }

    async fn escalation_policy(
        &self,
        org: OrgId,
        id: EscalationPolicyId,
    ) -> Result<Option<EscalationPolicyRecord>, RepositoryError> {
        let row: Option<EscalationRow> = read_in!(self, org, |c| {
            Ok(escalation_policies::table
                .find((org.as_uuid(), id.as_uuid()))
                .select(escalation_columns())
                .first(c)
                .await
                .optional()?)
        })?;
        Ok(row.map(EscalationPolicyRecord::try_from).transpose()?)
    }

    async fn create_escalation_policy(
        &self,
        org: OrgId,
        spec: &EscalationPolicySpec,
        now: DateTime<Utc>,
    ) -> Result<EscalationPolicyRecord, ConfigError> {
        let row: EscalationRow = write_in!(self, org, |c| {
            let position = match spec.position {
                Some(p) => p,
                None => next_position!(c, escalation_policies, org),
            };
            Ok(diesel::insert_into(escalation_policies::table)
                .values((
                    escalation_policies::org_id.eq(org.as_uuid()),
                    escalation_policies::id.eq(Uuid::now_v7()),
                    escalation_policies::name.eq(spec.name.as_str()),
                    escalation_policies::position.eq(position),
                    escalation_policies::filter.eq(spec.filter.as_ref().map(Filter::to_json)),
                    escalation_policies::steps.eq(spec.steps.to_json()),
                    escalation_policies::repeat.eq(i16::from(spec.repeat)),
                    escalation_policies::created_at.eq(now),
                    escalation_policies::updated_at.eq(now),
                ))
                .returning(escalation_columns())
                .get_result(c)
                .await?)
        })?;
        Ok(EscalationPolicyRecord::try_from(row).map_err(RepositoryError::from)?)
    }

    async fn replace_escalation_policy(
        &self,
        org: OrgId,
        id: EscalationPolicyId,
        spec: &EscalationPolicySpec,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<EscalationPolicyRecord, ConfigError> {
        let key = (org.as_uuid(), id.as_uuid());
        let row: EscalationRow = write_in!(self, org, |c| {
            let found = escalation_policies::table
                .find(key)
                .select(escalation_columns())
                .for_update()
                .first(c)
                .await
                .optional()?;
            let found = replaceable(found, expected_version)?;
            // A replacement without a position keeps the policy where it is.
            let position = spec.position.unwrap_or(found.position);
            Ok(diesel::update(escalation_policies::table.find(key))
                .set((
                    escalation_policies::name.eq(spec.name.as_str()),
                    escalation_policies::position.eq(position),
                    escalation_policies::filter.eq(spec.filter.as_ref().map(Filter::to_json)),
                    escalation_policies::steps.eq(spec.steps.to_json()),
                    escalation_policies::repeat.eq(i16::from(spec.repeat)),
                    escalation_policies::version.eq(escalation_policies::version + 1),
                    escalation_policies::updated_at.eq(now),
                ))
                .returning(escalation_columns())
                .get_result(c)
                .await?)
        })?;
        Ok(EscalationPolicyRecord::try_from(row).map_err(RepositoryError::from)?)
    }

    async fn remove_escalation_policy(
        &self,
        org: OrgId,
        id: EscalationPolicyId,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Removal<EscalationPolicyRecord>, ConfigError> {
        let key = (org.as_uuid(), id.as_uuid());
        let removal: Removal<EscalationRow> = write_in!(self, org, |c| {
            let found: Option<EscalationRow> = escalation_policies::table
                .find(key)
                .select(escalation_columns())
                .for_update()
                .first(c)
                .await
                .optional()?;
            let found = current(found, expected_version)?;
            if found.archived_at.is_some() {
                return Ok(Removal::Archived(found));
            }
            // Served by tickets_escalation_policy_idx (000041).
            let referenced: bool = diesel::select(exists(
                tickets::table
                    .filter(tickets::org_id.eq(org.as_uuid()))
                    .filter(tickets::escalation.is_not_null())
                    // Spelt as the index's expression, the key a constant (a bound key
                    // would not match it).
                    .filter(
                        diesel::dsl::sql::<diesel::sql_types::Bool>(
                            "escalation ->> 'policy_id' = ",
                        )
                        .bind::<diesel::sql_types::Text, _>(id.as_uuid().to_string()),
                    ),
            ))
            .get_result(c)
            .await?;
            if referenced {
                let archived = diesel::update(escalation_policies::table.find(key))
                    .set((
                        escalation_policies::archived_at.eq(now),
                        escalation_policies::version.eq(escalation_policies::version + 1),
                        escalation_policies::updated_at.eq(now),
                    ))
                    .returning(escalation_columns())
                    .get_result(c)
                    .await?;
                return Ok(Removal::Archived(archived));
            }
            diesel::delete(escalation_policies::table.find(key))
                .execute(c)
                .await?;
            Ok(Removal::Deleted)
        })?;
        Ok(removal
            .try_map(EscalationPolicyRecord::try_from)
            .map_err(RepositoryError::from)?)
    }
}

/// The position an ordered rule of `$table` (SLA policy, escalation policy, assignment
/// rule) takes when its body names none: after the last active one. A macro: the three
/// tables share the columns, not a type.
macro_rules! next_position {
    ($conn:expr, $table:ident, $org:expr) => {{
        let last: Option<i32> = $table::table
            .filter($table::org_id.eq($org.as_uuid()))
            .filter($table::archived_at.is_null())
            .select(diesel::dsl::max($table::position))
            .first($conn)
            .await?;
        last.map_or(1, |p| p.saturating_add(1))
    }};
}
pub(crate) use next_position;
