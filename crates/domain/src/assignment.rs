//! Automatic assignment: at creation, the first of an organization's assignment rules that
//! selects the new ticket assigns it: to a fixed user, or over an operator group's members,
//! round robin or to the least loaded. A member is eligible when available and under the
//! capacity of active tickets the group gives it. Nobody eligible: the ticket stays `open`
//! and an `assignment_failed` event goes out. The assignment is a status change by the
//! rule's system actor (`system:assignment:<rule id>`), with history and event, and no
//! first response.
//!
//! The store applies it in the creation's transaction: it reads the group's members and
//! their availability, and asks [`choose`]. Round robin takes a turn of its own (a
//! number no concurrent create shares), so it needs no lock; loads, when a capacity or
//! least loaded needs them, are counted as of a lock on the group, so no capacity is
//! exceeded.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::actor::{Actor, SystemActor, SystemKind};
use crate::error::{FieldError, ValidationErrors};
use crate::event::OutboxEvent;
use crate::filter::Filter;
use crate::lifecycle::{self, StatusChange};
use crate::model::{
    AssignmentRuleId, OperatorGroupId, Reason, RuleName, Status, UserId, name_enum,
};
use crate::policy::{collect_all, name_of, only_fields, parse_position, whole};
use crate::ticket::{HistoryEntry, Ticket};

/// Most members a group has.
pub const MAX_MEMBERS: usize = 200;

name_enum!(
    /// How a rule picks the assignee: `fixed` names a user; `round_robin` takes a group's
    /// eligible members in turn; `least_loaded` the eligible member with the fewest active
    /// tickets (ties: the first listed).
    Strategy {
        Fixed = "fixed",
        RoundRobin = "round_robin",
        LeastLoaded = "least_loaded",
    }
);

/// Whom a rule assigns to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignTo {
    User(UserId),
    Group {
        group: OperatorGroupId,
        /// `RoundRobin` or `LeastLoaded`.
        strategy: Strategy,
    },
}

impl AssignTo {
    pub fn strategy(&self) -> Strategy {
        match self {
            AssignTo::User(_) => Strategy::Fixed,
            AssignTo::Group { strategy, .. } => *strategy,
        }
    }

    pub fn group(&self) -> Option<OperatorGroupId> {
        match self {
            AssignTo::User(_) => None,
            AssignTo::Group { group, .. } => Some(*group),
        }
    }

    pub fn user(&self) -> Option<&UserId> {
        match self {
            AssignTo::User(user) => Some(user),
            AssignTo::Group { .. } => None,
        }
    }
}

/// A member of an operator group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: UserId,
    /// Most active tickets it takes from automatic assignment; `None`: no limit.
    pub capacity: Option<u32>,
}

/// Reads `[{"user_id", "capacity"?}, ...]`: distinct users, capacity 0..=10000.
fn parse_members(raw: Option<&Value>, errors: &mut ValidationErrors) -> Option<Vec<Member>> {
    let items = match raw {
        None | Some(Value::Null) => return Some(Vec::new()),
        Some(Value::Array(items)) if items.len() <= MAX_MEMBERS => items,
        Some(_) => {
            errors.push(FieldError::new(
                "members",
                format!("must be a list of at most {MAX_MEMBERS} members {{user_id, capacity}}"),
            ));
            return None;
        }
    };
    let before = errors.0.len();
    let mut members: Vec<Member> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("members[{i}]");
        let Some(object) = item.as_object() else {
            errors.push(FieldError::new(at, "must be an object {user_id, capacity}"));
            continue;
        };
        for key in object
            .keys()
            .filter(|k| *k != "user_id" && *k != "capacity")
        {
            errors.push(FieldError::new(
                format!("{at}.{key}"),
                "is not a field of a member; its fields are user_id, capacity",
            ));
        }
        let user = match object.get("user_id") {
            Some(Value::String(u)) => errors.collect(UserId::parse(u, &format!("{at}.user_id"))),
            _ => {
                errors.push(FieldError::new(
                    format!("{at}.user_id"),
                    "is required: a user id",
                ));
                None
            }
        };
        let capacity = match object.get("capacity") {
            None | Some(Value::Null) => Some(None),
            Some(Value::Number(n)) => errors
                .collect(
                    whole(n)
                        .and_then(|c| u32::try_from(c).ok())
                        .filter(|c| *c <= 10_000)
                        .ok_or_else(|| {
                            FieldError::new(
                                format!("{at}.capacity"),
                                "must be a whole number from 0 to 10000",
                            )
                        }),
                )
                .map(Some),
            Some(_) => {
                errors.push(FieldError::new(
                    format!("{at}.capacity"),
                    "must be a whole number from 0 to 10000",
                ));
                None
            }
        };
        if let (Some(user_id), Some(capacity)) = (user, capacity) {
            if members.iter().any(|m| m.user_id == user_id) {
                errors.push(FieldError::new(
                    format!("{at}.user_id"),
                    "is already a member of the group",
                ));
            }
            members.push(Member { user_id, capacity });
        }
    }
    (errors.0.len() == before).then_some(members)
}

/// What an admin writes to create or replace an operator group.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorGroupSpec {
    pub name: RuleName,
    /// In order: round robin goes down this list.
    pub members: Vec<Member>,
}

impl OperatorGroupSpec {
    /// Reads `{"name", "members"?}`.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        only_fields(body, &["name", "members"], &mut errors);
        let name = name_of(body, &mut errors);
        let members = parse_members(body.get("members"), &mut errors);
        match (name, members) {
            (Some(name), Some(members)) if errors.is_empty() => Ok(Self { name, members }),
            _ => Err(errors),
        }
    }
}

/// The members as stored and shown.
pub fn members_to_json(members: &[Member]) -> Value {
    Value::Array(
        members
            .iter()
            .map(|m| json!({"user_id": m.user_id.as_str(), "capacity": m.capacity}))
            .collect(),
    )
}

/// Reads back what [`members_to_json`] wrote.
pub fn members_from_json(raw: &Value) -> Result<Vec<Member>, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    // `parse_members` answers `Some` only when it found no fault.
    parse_members(Some(raw), &mut errors).ok_or(errors)
}

/// A stored operator group.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorGroupRecord {
    pub id: OperatorGroupId,
    pub name: RuleName,
    pub members: Vec<Member>,
    pub version: i64,
    /// Set when deleted while archived rules refer to it.
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What an admin writes to create or replace an assignment rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentRuleSpec {
    pub name: RuleName,
    pub position: Option<i32>,
    pub filter: Option<Filter>,
    pub target: AssignTo,
}

impl AssignmentRuleSpec {
    /// Reads `{"name", "position"?, "filter"?, "strategy", "user_id" | "group_id"}`:
    /// `fixed` takes a `user_id`, the other strategies a `group_id`.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        only_fields(
            body,
            &[
                "name", "position", "filter", "strategy", "user_id", "group_id",
            ],
            &mut errors,
        );
        let name = name_of(body, &mut errors);
        let position = parse_position(body.get("position"), &mut errors);
        let filter = match body.get("filter") {
            None | Some(Value::Null) => Some(None),
            Some(f) => collect_all(Filter::parse(f, "filter"), &mut errors).map(Some),
        };
        let strategy = match body.get("strategy") {
            Some(Value::String(s)) => errors.collect(Strategy::parse(s, "strategy")),
            _ => {
                errors.push(FieldError::new(
                    "strategy",
                    "is required: fixed, round_robin or least_loaded",
                ));
                None
            }
        };
        let present = |key: &str| !matches!(body.get(key), None | Some(Value::Null));
        let target = match strategy {
            Some(Strategy::Fixed) => {
                if present("group_id") {
                    errors.push(FieldError::new("group_id", "is not taken by a fixed rule"));
                }
                match body.get("user_id") {
                    Some(Value::String(u)) => errors
                        .collect(UserId::parse(u, "user_id"))
                        .map(AssignTo::User),
                    _ => {
                        errors.push(FieldError::new(
                            "user_id",
                            "is required by a fixed rule: the user to assign",
                        ));
                        None
                    }
                }
            }
            Some(strategy) => {
                if present("user_id") {
                    errors.push(FieldError::new(
                        "user_id",
                        "is only taken by a fixed rule; this one picks from group_id",
                    ));
                }
                match body.get("group_id") {
                    Some(Value::String(g)) => errors
                        .collect(OperatorGroupId::parse(g, "group_id"))
                        .map(|group| AssignTo::Group { group, strategy }),
                    _ => {
                        errors.push(FieldError::new(
                            "group_id",
                            "is required by round_robin and least_loaded: a group's id",
                        ));
                        None
                    }
                }
            }
            None => None,
        };
        match (name, position, filter, target) {
            (Some(name), Some(position), Some(filter), Some(target)) if errors.is_empty() => {
                Ok(Self {
                    name,
                    position,
                    filter,
                    target,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A stored assignment rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentRuleRecord {
    pub id: AssignmentRuleId,
    pub name: RuleName,
    pub position: i32,
    pub filter: Option<Filter>,
    pub target: AssignTo,
    pub version: i64,
    /// Set when deleted after it assigned tickets: no longer applied, still readable.
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AssignmentRuleRecord {
    pub fn selects(&self, ticket: &Ticket) -> bool {
        self.filter.as_ref().is_none_or(|f| f.matches(ticket))
    }

    /// The rule's system actor.
    pub fn actor(&self) -> SystemActor {
        assignment_actor(self.id)
    }
}

/// The system actor of assignment rule `rule` (`system:assignment:<rule id>`), as its
/// history rows name it.
pub fn assignment_actor(rule: AssignmentRuleId) -> SystemActor {
    SystemActor::new(SystemKind::Assignment, &rule.to_string())
        .unwrap_or_else(|_| SystemActor::builtin(SystemKind::Assignment, "rule"))
}

/// What a new ticket's assignment asks of the store: the rule that took it, and whom it
/// picks from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentPlan {
    pub rule_id: AssignmentRuleId,
    pub rule_name: RuleName,
    pub target: AssignTo,
}

/// An organization's active assignment rules, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssignmentRules {
    rules: Vec<AssignmentRuleRecord>,
}

impl AssignmentRules {
    pub fn new(rules: Vec<AssignmentRuleRecord>) -> Self {
        Self { rules }
    }

    /// The plan of the first rule that selects `ticket`.
    pub fn plan_for(&self, ticket: &Ticket) -> Option<AssignmentPlan> {
        self.rules
            .iter()
            .find(|r| r.selects(ticket))
            .map(|r| AssignmentPlan {
                rule_id: r.id,
                rule_name: r.name.clone(),
                target: r.target.clone(),
            })
    }
}

/// A group member as the choice sees it, as of the assignment (as of the group's lock
/// where loads count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub user_id: UserId,
    pub available: bool,
    pub capacity: Option<u32>,
    /// Its active tickets (`open`, `assigned`, `in_progress`, `on_hold`) now.
    pub load: i64,
}

impl Candidate {
    pub fn eligible(&self) -> bool {
        self.available
            && self
                .capacity
                .is_none_or(|capacity| self.load < i64::from(capacity))
    }
}

/// The member (index into `candidates`) `strategy` picks, or `None` when nobody is
/// eligible. Round robin gives turn `turn` (the group's count of turns taken, one per
/// ticket it was asked for) to the eligible members in list order, wrapping: with `k`
/// eligible, the `(turn mod k)`-th of them. A turn is a number, not a position, so
/// concurrent creates can each take one without waiting for another's pick.
pub fn choose(strategy: Strategy, candidates: &[Candidate], turn: i64) -> Option<usize> {
    match strategy {
        Strategy::Fixed => candidates.iter().position(Candidate::eligible),
        Strategy::RoundRobin => {
            let eligible: Vec<usize> = (0..candidates.len())
                .filter(|&i| candidates[i].eligible())
                .collect();
            let k = i64::try_from(eligible.len()).ok().filter(|&k| k > 0)?;
            eligible
                .get(usize::try_from(turn.rem_euclid(k)).ok()?)
                .copied()
        }
        Strategy::LeastLoaded => candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| c.eligible())
            .min_by_key(|(i, c)| (c.load, *i))
            .map(|(i, _)| i),
    }
}

/// The assignment of a new (open) ticket to `user` by `plan`'s rule at `now`: the ticket as
/// assigned, its history row and its `status_changed` event. `None` if the ticket cannot
/// be assigned (not open).
pub fn assign(
    ticket: &Ticket,
    plan: &AssignmentPlan,
    user: &UserId,
    now: DateTime<Utc>,
) -> Option<(Ticket, HistoryEntry, OutboxEvent)> {
    if ticket.status() != Status::Open {
        return None;
    }
    let change = StatusChange {
        target: Status::Assigned,
        assignee_id: Some(user.clone()),
        reason: Reason::parse(
            &format!(
                "assignment rule {} ({})",
                plan.rule_name,
                plan.target.strategy()
            ),
            "reason",
        )
        .ok(),
        hold_until: None,
    };
    let actor = Actor::System(assignment_actor(plan.rule_id));
    let (assigned, entry) = lifecycle::apply_as(ticket, &change, actor, now).ok()?;
    let event = OutboxEvent::status_changed(&assigned, &entry);
    Some((assigned, entry, event))
}

/// Why nobody was assigned.
pub fn assignment_failed(
    ticket: &Ticket,
    plan: &AssignmentPlan,
    why: &str,
    now: DateTime<Utc>,
) -> OutboxEvent {
    let data = json!({
        "rule_id": plan.rule_id,
        "rule": plan.rule_name.as_str(),
        "strategy": plan.target.strategy().as_str(),
        "group_id": plan.target.group(),
        "user_id": plan.target.user().map(UserId::as_str),
        "reason": why,
    });
    OutboxEvent::assignment_failed(ticket, now, data)
}
