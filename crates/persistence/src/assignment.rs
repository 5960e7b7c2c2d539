//! [`AssignmentConfigRepository`] on PostgreSQL (`operator_groups`, `assignment_rules`,
//! `operators`, migration 000042), and the assignment a new ticket gets in its creation's
//! transaction ([`assign_new`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use ticket_domain::assignment::{
    AssignmentPlan, Member, assign, assignment_actor, assignment_failed, choose, members_from_json,
    members_to_json,
};
use ticket_domain::{
    Actor, AssignTo, AssignmentConfigRepository, AssignmentRuleId, AssignmentRuleRecord,
    AssignmentRuleSpec, Availability, Candidate, ConfigError, FieldError, Filter, HistoryEntry,
    OperatorGroupId, OperatorGroupRecord, OperatorGroupSpec, OrgId, OutboxEvent, Removal,
    RepositoryError, Status, Strategy, Ticket, UserId, ValidationErrors,
};
use uuid::Uuid;

use crate::error::{DbError, pool_error};
use crate::prepared::Prepared;
use crate::repo::set_org;
use crate::schema::{assignment_rules, operator_groups, operators};
use crate::sla_config::{
    PgSlaConfig, Stored, TxError, corrupt, current, name, next_position, read_in, refuse,
    replaceable, write_in,
};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = operator_groups, check_for_backend(diesel::pg::Pg))]
struct GroupRow {
    id: Uuid,
    name: String,
    members: serde_json::Value,
    version: i64,
    archived_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<GroupRow> for OperatorGroupRecord {
    type Error = DbError;

    fn try_from(r: GroupRow) -> Result<Self, DbError> {
        Ok(OperatorGroupRecord {
            id: OperatorGroupId::from_uuid(r.id),
            name: name(&r.name, r.id)?,
            members: members_from_json(&r.members)
                .map_err(|e| corrupt("members of group", r.id, e))?,
            version: r.version,
            archived_at: r.archived_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

impl Stored for GroupRow {
    const WHAT: &'static str = "operator group";
    fn version(&self) -> i64 {
        self.version
    }
    fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.archived_at
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = assignment_rules, check_for_backend(diesel::pg::Pg))]
struct RuleRow {
    id: Uuid,
    name: String,
    position: i32,
    filter: Option<serde_json::Value>,
    strategy: String,
    user_id: Option<String>,
    group_id: Option<Uuid>,
    version: i64,
    archived_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<RuleRow> for AssignmentRuleRecord {
    type Error = DbError;

    fn try_from(r: RuleRow) -> Result<Self, DbError> {
        let strategy =
            Strategy::parse(&r.strategy, "strategy").map_err(|e| corrupt("rule", r.id, e))?;
        let target = match (strategy, r.user_id, r.group_id) {
            (Strategy::Fixed, Some(user), None) => AssignTo::User(
                UserId::parse(&user, "user_id").map_err(|e| corrupt("rule", r.id, e))?,
            ),
            (Strategy::RoundRobin | Strategy::LeastLoaded, None, Some(group)) => AssignTo::Group {
                group: OperatorGroupId::from_uuid(group),
                strategy,
            },
            _ => return Err(corrupt("rule", r.id, "target does not fit its strategy")),
        };
        Ok(AssignmentRuleRecord {
            id: AssignmentRuleId::from_uuid(r.id),
            name: name(&r.name, r.id)?,
            position: r.position,
            filter: r
                .filter
                .map(|f| Filter::parse(&f, "filter"))
                .transpose()
                .map_err(|e| corrupt("filter of rule", r.id, e))?,
            target,
            version: r.version,
            archived_at: r.archived_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

impl Stored for RuleRow {
    const WHAT: &'static str = "assignment rule";
    fn version(&self) -> i64 {
        self.version
    }
    fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.archived_at
    }
}

fn group_columns() -> diesel::dsl::AsSelect<GroupRow, diesel::pg::Pg> {
    GroupRow::as_select()
}

fn rule_columns() -> diesel::dsl::AsSelect<RuleRow, diesel::pg::Pg> {
    RuleRow::as_select()
}

/// The organization's active rules in order (inside a transaction scoped to it).
pub(crate) async fn active_rules(
    conn: &AsyncPgConnection,
    org: OrgId,
) -> Result<Vec<AssignmentRuleRecord>, DbError> {
    let rows: Vec<RuleRow> = assignment_rules::table
        .filter(assignment_rules::org_id.eq(org.as_uuid()))
        .filter(assignment_rules::archived_at.is_null())
        .order((
            assignment_rules::position,
            assignment_rules::created_at,
            assignment_rules::id,
        ))
        .select(rule_columns())
        .load(&mut &*conn)
        .await?;
    rows.into_iter()
        .map(AssignmentRuleRecord::try_from)
        .collect()
}

/// A rule may pick only from a group of its organization that is not archived. Takes the
/// group's row lock (shared), so a concurrent removal waits or is seen.
async fn check_group(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    target: &AssignTo,
) -> Result<(), TxError> {
    let Some(group) = target.group() else {
        return Ok(());
    };
    let archived: Option<Option<DateTime<Utc>>> = operator_groups::table
        .find((org.as_uuid(), group.as_uuid()))
        .select(operator_groups::archived_at)
        .for_share()
        .first(conn)
        .await
        .optional()?;
    let fault = match archived {
        Some(None) => return Ok(()),
        Some(Some(_)) => "names an archived group",
        None => "names no operator group of this organization",
    };
    refuse(ConfigError::Invalid(ValidationErrors(vec![
        FieldError::new("group_id", fault),
    ])))
}

/// The columns a rule's target is stored in.
fn target_columns(target: &AssignTo) -> (&'static str, Option<&str>, Option<Uuid>) {
    (
        target.strategy().as_str(),
        target.user().map(UserId::as_str),
        target.group().map(OperatorGroupId::as_uuid),
    )
}

#[async_trait]
impl AssignmentConfigRepository for PgSlaConfig {
    async fn operator_groups(
        &self,
        org: OrgId,
        include_archived: bool,
    ) -> Result<Vec<OperatorGroupRecord>, RepositoryError> {
        let rows: Vec<GroupRow> = read_in!(self, org, |c| {
            let mut query = operator_groups::table
                .filter(operator_groups::org_id.eq(org.as_uuid()))
                .select(group_columns())
                .order((operator_groups::name, operator_groups::id))
                .into_boxed();
            if !include_archived {
                query = query.filter(operator_groups::archived_at.is_null());
            }
            Ok(query.load(c).await?)
        })?;
        Ok(rows
            .into_iter()
            .map(OperatorGroupRecord::try_from)
            .collect::<Result<_, _>>()?)
    }

    async fn operator_group(
        &self,
        org: OrgId,
        id: OperatorGroupId,
    ) -> Result<Option<OperatorGroupRecord>, RepositoryError> {
        let row: Option<GroupRow> = read_in!(self, org, |c| {
            Ok(operator_groups::table
                .find((org.as_uuid(), id.as_uuid()))
                .select(group_columns())
                .first(c)
                .await
                .optional()?)
        })?;
        Ok(row.map(OperatorGroupRecord::try_from).transpose()?)
    }

    async fn create_operator_group(
        &self,
        org: OrgId,
        spec: &OperatorGroupSpec,
        now: DateTime<Utc>,
    ) -> Result<OperatorGroupRecord, ConfigError> {
        let row: GroupRow = write_in!(self, org, |c| {
            Ok(diesel::insert_into(operator_groups::table)
                .values((
                    operator_groups::org_id.eq(org.as_uuid()),
                    operator_groups::id.eq(Uuid::now_v7()),
                    operator_groups::name.eq(spec.name.as_str()),
                    operator_groups::members.eq(members_to_json(&spec.members)),
                    operator_groups::created_at.eq(now),
                    operator_groups::updated_at.eq(now),
                ))
                .returning(group_columns())
                .get_result(c)
                .await?)
        })?;
        Ok(OperatorGroupRecord::try_from(row).map_err(RepositoryError::from)?)
    }

    async fn replace_operator_group(
        &self,
        org: OrgId,
        id: OperatorGroupId,
        spec: &OperatorGroupSpec,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<OperatorGroupRecord, ConfigError> {
        let key = (org.as_uuid(), id.as_uuid());
        let row: GroupRow = write_in!(self, org, |c| {
            let found = operator_groups::table
                .find(key)
                .select(group_columns())
                .for_update()
                .first(c)
                .await
                .optional()?;
            replaceable(found, expected_version)?;
            Ok(diesel::update(operator_groups::table.find(key))
                .set((
                    operator_groups::name.eq(spec.name.as_str()),
                    operator_groups::members.eq(members_to_json(&spec.members)),
                    operator_groups::version.eq(operator_groups::version + 1),
                    operator_groups::updated_at.eq(now),
                ))
                .returning(group_columns())
                .get_result(c)
                .await?)
        })?;
        Ok(OperatorGroupRecord::try_from(row).map_err(RepositoryError::from)?)
    }

    async fn remove_operator_group(
        &self,
        org: OrgId,
        id: OperatorGroupId,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Removal<OperatorGroupRecord>, ConfigError> {
        let key = (org.as_uuid(), id.as_uuid());
        let removal: Removal<GroupRow> = write_in!(self, org, |c| {
            let found: Option<GroupRow> = operator_groups::table
                .find(key)
                .select(group_columns())
                .for_update()
                .first(c)
                .await
                .optional()?;
            let found = current(found, expected_version)?;
            if found.archived_at.is_some() {
                return Ok(Removal::Archived(found));
            }
            let users: Vec<(String, Option<DateTime<Utc>>)> = assignment_rules::table
                .filter(assignment_rules::org_id.eq(org.as_uuid()))
                .filter(assignment_rules::group_id.eq(id.as_uuid()))
                .select((assignment_rules::name, assignment_rules::archived_at))
                .order(assignment_rules::name)
                .load(c)
                .await?;
            let active: Vec<&str> = users
                .iter()
                .filter(|(_, archived)| archived.is_none())
                .map(|(name, _)| name.as_str())
                .collect();
            if !active.is_empty() {
                return refuse(ConfigError::InUse(format!(
                    "the group is used by assignment rules: {}",
                    active.join(", ")
                )));
            }
            if users.is_empty() {
                diesel::delete(operator_groups::table.find(key))
                    .execute(c)
                    .await?;
                return Ok(Removal::Deleted);
            }
            let archived = diesel::update(operator_groups::table.find(key))
                .set((
                    operator_groups::archived_at.eq(now),
                    operator_groups::version.eq(operator_groups::version + 1),
                    operator_groups::updated_at.eq(now),
                ))
                .returning(group_columns())
                .get_result(c)
                .await?;
            Ok(Removal::Archived(archived))
        })?;
        Ok(removal
            .try_map(OperatorGroupRecord::try_from)
            .map_err(RepositoryError::from)?)
    }

    async fn assignment_rules(
        &self,
        org: OrgId,
        include_archived: bool,
    ) -> Result<Vec<AssignmentRuleRecord>, RepositoryError> {
        let rows: Vec<RuleRow> = read_in!(self, org, |c| {
            let mut query = assignment_rules::table
                .filter(assignment_rules::org_id.eq(org.as_uuid()))
                .select(rule_columns())
                .order((
                    assignment_rules::archived_at.is_not_null(),
                    assignment_rules::position,
                    assignment_rules::created_at,
                    assignment_rules::id,
                ))
                .into_boxed();
            if !include_archived {
                query = query.filter(assignment_rules::archived_at.is_null());
            }
            Ok(query.load(c).await?)
        })?;
        Ok(rows
            .into_iter()
            .map(AssignmentRuleRecord::try_from)
            .collect::<Result<_, _>>()?)
    }

    async fn assignment_rule(
        &self,
        org: OrgId,
        id: AssignmentRuleId,
    ) -> Result<Option<AssignmentRuleRecord>, RepositoryError> {
        let row: Option<RuleRow> = read_in!(self, org, |c| {
            Ok(assignment_rules::table
                .find((org.as_uuid(), id.as_uuid()))
                .select(rule_columns())
                .first(c)
                .await
                .optional()?)
        })?;
        Ok(row.map(AssignmentRuleRecord::try_from).transpose()?)
    }

    async fn create_assignment_rule(
        &self,
        org: OrgId,
        spec: &AssignmentRuleSpec,
        now: DateTime<Utc>,
    ) -> Result<AssignmentRuleRecord, ConfigError> {
        let (strategy, user, group) = target_columns(&spec.target);
        let row: RuleRow = write_in!(self, org, |c| {
            check_group(c, org, &spec.target).await?;
            let position = match spec.position {
                Some(p) => p,
                None => next_position!(c, assignment_rules, org),
            };
            Ok(diesel::insert_into(assignment_rules::table)
                .values((
                    assignment_rules::org_id.eq(org.as_uuid()),
                    assignment_rules::id.eq(Uuid::now_v7()),
                    assignment_rules::name.eq(spec.name.as_str()),
                    assignment_rules::position.eq(position),
                    assignment_rules::filter.eq(spec.filter.as_ref().map(Filter::to_json)),
                    assignment_rules::strategy.eq(strategy),
                    assignment_rules::user_id.eq(user),
                    assignment_rules::group_id.eq(group),
                    assignment_rules::created_at.eq(now),
                    assignment_rules::updated_at.eq(now),
                ))
                .returning(rule_columns())
                .get_result(c)
                .await?)
        })?;
        Ok(AssignmentRuleRecord::try_from(row).map_err(RepositoryError::from)?)
    }

    async fn replace_assignment_rule(
        &self,
        org: OrgId,
        id: AssignmentRuleId,
        spec: &AssignmentRuleSpec,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<AssignmentRuleRecord, ConfigError> {
        let key = (org.as_uuid(), id.as_uuid());
        let (strategy, user, group) = target_columns(&spec.target);
        let row: RuleRow = write_in!(self, org, |c| {
            let found = assignment_rules::table
                .find(key)
                .select(rule_columns())
                .for_update()
                .first(c)
                .await
                .optional()?;
            let found = replaceable(found, expected_version)?;
            check_group(c, org, &spec.target).await?;
            let position = spec.position.unwrap_or(found.position);
            Ok(diesel::update(assignment_rules::table.find(key))
                .set((
                    assignment_rules::name.eq(spec.name.as_str()),
                    assignment_rules::position.eq(position),
                    assignment_rules::filter.eq(spec.filter.as_ref().map(Filter::to_json)),
                    assignment_rules::strategy.eq(strategy),
                    assignment_rules::user_id.eq(user),
                    assignment_rules::group_id.eq(group),
                    assignment_rules::version.eq(assignment_rules::version + 1),
                    assignment_rules::updated_at.eq(now),
                ))
                .returning(rule_columns())
                .get_result(c)
                .await?)
        })?;
        Ok(AssignmentRuleRecord::try_from(row).map_err(RepositoryError::from)?)
    }

    async fn remove_assignment_rule(
        &self,
        org: OrgId,
        id: AssignmentRuleId,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Removal<AssignmentRuleRecord>, ConfigError> {
        let key = (org.as_uuid(), id.as_uuid());
        // The name its history rows carry, as the domain spells it.
        let actor = Actor::System(assignment_actor(id)).to_string();
        let removal: Removal<RuleRow> = write_in!(self, org, |c| {
            let found: Option<RuleRow> = assignment_rules::table
                .find(key)
                .select(rule_columns())
                .for_update()
                .first(c)
                .await
                .optional()?;
            let found = current(found, expected_version)?;
            if found.archived_at.is_some() {
                return Ok(Removal::Archived(found));
            }
            // Served by ticket_state_history_system_actor_idx (000045): the LIKE is its
            // predicate, spelt out so the planner can use it.
            let assigned: bool = diesel::select(exists(
                crate::schema::ticket_state_history::table
                    .filter(crate::schema::ticket_state_history::org_id.eq(org.as_uuid()))
                    .filter(crate::schema::ticket_state_history::actor.eq(&actor))
                    .filter(diesel::dsl::sql::<Bool>("actor LIKE 'system:%'")),
            ))
            .get_result(c)
            .await?;
            if assigned {
                let archived = diesel::update(assignment_rules::table.find(key))
                    .set((
                        assignment_rules::archived_at.eq(now),
                        assignment_rules::version.eq(assignment_rules::version + 1),
                        assignment_rules::updated_at.eq(now),
                    ))
                    .returning(rule_columns())
                    .get_result(c)
                    .await?;
                return Ok(Removal::Archived(archived));
            }
            diesel::delete(assignment_rules::table.find(key))
                .execute(c)
                .await?;
            Ok(Removal::Deleted)
        })?;
        Ok(removal
            .try_map(AssignmentRuleRecord::try_from)
            .map_err(RepositoryError::from)?)
    }

    async fn set_availability(
        &self,
        org: OrgId,
        user: &UserId,
        available: bool,
        now: DateTime<Utc>,
    ) -> Result<Availability, RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let (user_id, available, updated_at): (String, bool, DateTime<Utc>) = conn
            .transaction(async |c| {
                set_org(c, org).await?;
                Ok::<_, DbError>(
                    diesel::insert_into(operators::table)
                        .values((
                            operators::org_id.eq(org.as_uuid()),
                            operators::user_id.eq(user.as_str()),
                            operators::available.eq(available),
                            operators::updated_at.eq(now),
                        ))
                        .on_conflict((operators::org_id, operators::user_id))
                        .do_update()
                        .set((
                            operators::available.eq(available),
                            operators::updated_at.eq(now),
                        ))
                        .returning((
                            operators::user_id,
                            operators::available,
                            operators::updated_at,
                        ))
                        .get_result(c)
                        .await?,
                )
            })
            .await?;
        Ok(Availability {
            user_id: UserId::parse(&user_id, "user_id")
                .map_err(|e| DbError::Corrupt(e.to_string()))?,
            available,
            updated_at,
        })
    }

    async fn availability(
        &self,
        org: OrgId,
        user: &UserId,
    ) -> Result<Option<Availability>, RepositoryError> {
        let row: Option<(bool, DateTime<Utc>)> = read_in!(self, org, |c| {
            Ok(operators::table
                .find((org.as_uuid(), user.as_str()))
                .select((operators::available, operators::updated_at))
                .first(c)
                .await
                .optional()?)
        })?;
        Ok(row.map(|(available, updated_at)| Availability {
            user_id: user.clone(),
            available,
            updated_at,
        }))
    }
}

#[derive(QueryableByName)]
struct Group {
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    members: serde_json::Value,
    /// Round robin's turn, taken by this statement; 0 for the other strategies.
    #[diesel(sql_type = BigInt)]
    turn: i64,
    /// The members recorded unavailable (round robin's read; empty otherwise).
    #[diesel(sql_type = diesel::sql_types::Array<Text>)]
    away: Vec<String>,
}

impl Group {
    fn members(&self) -> Result<Vec<Member>, DbError> {
        members_from_json(&self.members).map_err(|e| DbError::Corrupt(e.to_string()))
    }
}

#[derive(QueryableByName)]
struct Load {
    #[diesel(sql_type = Text)]
    user_id: String,
    #[diesel(sql_type = Bool)]
    available: bool,
    #[diesel(sql_type = BigInt)]
    load: i64,
}

/// What a new ticket's assignment writes with it.
pub(crate) struct Assigned {
    /// The ticket to insert (assigned, or still open).
    pub(crate) ticket: Ticket,
    pub(crate) history: Option<HistoryEntry>,
    pub(crate) event: OutboxEvent,
}

/// Applies `plan` to the new `ticket` inside its creation's transaction (see
/// `TicketRepository::ingest`). A group is read with each member's availability and load.
/// What concurrent creates on one group must agree on decides what is locked:
/// - round robin without capacities: nothing. Each create takes its own turn from the
///   group's sequence (000046), which no other create waits on; distinct turns are
///   distinct picks. Two round trips' worth of statements, pipelined into one.
/// - a capacity, or least loaded: the loads themselves. The group's row is locked (held
///   until commit) and the loads are counted in a later statement, so in a snapshot taken
///   after the lock, which sees every earlier holder's ticket: no member is taken past its
///   capacity and least loaded sees the loads it changes. Such a group's creates queue.
///
/// A fixed user: one read of its availability.
pub(crate) async fn assign_new(
    conn: &AsyncPgConnection,
    org: OrgId,
    ticket: &Ticket,
    plan: &AssignmentPlan,
    now: DateTime<Utc>,
) -> Result<Assigned, DbError> {
    let failed = |why: &str| Assigned {
        ticket: ticket.clone(),
        history: None,
        event: assignment_failed(ticket, plan, why, now),
    };
    let assigned = |user: &UserId| {
        assign(ticket, plan, user, now).map(|(ticket, entry, event)| Assigned {
            ticket,
            history: Some(entry),
            event,
        })
    };
    let (group, strategy) = match &plan.target {
        AssignTo::User(user) => {
            let available: Option<bool> = operators::table
                .find((org.as_uuid(), user.as_str()))
                .select(operators::available)
                .first(&mut &*conn)
                .await
                .optional()?;
            if available == Some(false) {
                return Ok(failed("the user is unavailable"));
            }
            return Ok(assigned(user).unwrap_or_else(|| failed("the ticket is not open")));
        }
        AssignTo::Group { group, strategy } => (*group, *strategy),
    };
    let round_robin = strategy == Strategy::RoundRobin;
    let lock_group = || {
        Prepared(
            diesel::sql_query(
                "SELECT members, 0::int8 AS turn, '{}'::text[] AS away FROM operator_groups \
                 WHERE org_id = $1 AND id = $2 AND archived_at IS NULL FOR UPDATE",
            )
            .bind::<diesel::sql_types::Uuid, _>(org.as_uuid())
            .bind::<diesel::sql_types::Uuid, _>(group.as_uuid()),
        )
        .get_result::<Group>(&mut &*conn)
    };
    // Round robin reads the group, takes its turn and learns who is away in one
    // statement, without a lock; it counts loads under the lock only when the members
    // show a capacity. Least loaded always needs them.
    let (found, members, loads) = if round_robin {
        let read = Prepared(
            diesel::sql_query(
                "SELECT g.members, take_group_turn(g.id) AS turn, \
                   ARRAY(SELECT o.user_id FROM operators o \
                         WHERE o.org_id = g.org_id AND NOT o.available \
                           AND o.user_id IN (SELECT jsonb_array_elements(g.members) ->> 'user_id') \
                   ) AS away \
                 FROM operator_groups g \
                 WHERE g.org_id = $1 AND g.id = $2 AND g.archived_at IS NULL",
            )
            .bind::<diesel::sql_types::Uuid, _>(org.as_uuid())
            .bind::<diesel::sql_types::Uuid, _>(group.as_uuid()),
        )
        .get_result::<Group>(&mut &*conn)
        .await;
        let Some(found) = read.optional()? else {
            return Ok(failed("the group no longer exists"));
        };
        let members = found.members()?;
        let loads = if members.iter().any(|m| m.capacity.is_some()) {
            let (locked, loads) = tokio::join!(lock_group(), member_loads(conn, org, group));
            locked.optional()?;
            Some(loads?)
        } else {
            None
        };
        (found, members, loads)
    } else {
        let (locked, loads) = tokio::join!(lock_group(), member_loads(conn, org, group));
        let Some(found) = locked.optional()? else {
            return Ok(failed("the group no longer exists"));
        };
        let members = found.members()?;
        (found, members, Some(loads?))
    };
    let candidates: Vec<Candidate> = members
        .iter()
        .map(|m| {
            let user = m.user_id.as_str();
            let (available, load) = match &loads {
                Some(loads) => loads
                    .iter()
                    .find(|l| l.user_id == user)
                    .map_or((true, 0), |l| (l.available, l.load)),
                None => (!found.away.iter().any(|a| a == user), 0),
            };
            Candidate {
                user_id: m.user_id.clone(),
                available,
                capacity: m.capacity,
                load,
            }
        })
        .collect();
    let Some(pick) = choose(strategy, &candidates, found.turn) else {
        return Ok(failed(if candidates.is_empty() {
            "the group has no members"
        } else {
            "no member is available with capacity left"
        }));
    };
    Ok(assigned(&candidates[pick].user_id).unwrap_or_else(|| failed("the ticket is not open")))
}

/// Each member of `group` with its availability and its load (active tickets assigned
/// to it).
async fn member_loads(
    conn: &AsyncPgConnection,
    org: OrgId,
    group: OperatorGroupId,
) -> Result<Vec<Load>, DbError> {
    // The active statuses as literals, not a parameter: so the planner can match the
    // partial index of loads (000044), whose predicate is this list.
    let active = Status::ACTIVE
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let load = format!(
        "(SELECT count(*) FROM tickets t WHERE t.org_id = $1 \
           AND t.assignee_id = m.user_id AND t.status IN ({active}))"
    );
    Ok(Prepared(
        diesel::sql_query(format!(
            "SELECT m.user_id, COALESCE(o.available, true) AS available, {load} AS load \
             FROM operator_groups g \
             CROSS JOIN LATERAL jsonb_to_recordset(g.members) AS m(user_id text) \
             LEFT JOIN operators o ON o.org_id = g.org_id AND o.user_id = m.user_id \
             WHERE g.org_id = $1 AND g.id = $2"
        ))
        .bind::<diesel::sql_types::Uuid, _>(org.as_uuid())
        .bind::<diesel::sql_types::Uuid, _>(group.as_uuid()),
    )
    .load::<Load>(&mut &*conn)
    .await?)
}
