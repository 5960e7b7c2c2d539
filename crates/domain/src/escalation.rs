//! Escalation: what happens to a ticket nobody handles. An organization's policies are
//! ordered; at creation (and at each reopen) the first whose filter selects the ticket is
//! copied onto it as a chain ([`Escalation`]), so later edits of the policy never reach a
//! chain already running.
//!
//! A chain is a list of steps `{after, condition, actions}` counted from the chain's start,
//! run once more for each `repeat` (each round starting where the previous one's last step
//! was due). A step runs once, when due, if its condition then holds, and is skipped for
//! good otherwise. A ticket that leaves the active statuses (resolved, closed, false
//! positive) stops its chain. Steps do not wait out a hold: a held ticket has been
//! answered, so `not_acknowledged` is false, and `not_resolved` is meant to nag.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use crate::actor::{Actor, SystemActor, SystemKind};
use crate::error::{FieldError, ValidationErrors};
use crate::event::OutboxEvent;
use crate::filter::Filter;
use crate::lifecycle::{self, StatusChange};
use crate::model::{
    CommentBody, CommentId, EscalationPolicyId, Reason, RuleName, Severity, Status, UserId,
    Visibility, name_enum,
};
use crate::policy::{collect_all, name_of, only_fields, parse_span, whole};
use crate::sla::{SlaState, SlaTarget};
use crate::ticket::{Comment, HistoryEntry, Ticket};

/// Most steps a policy has.
pub const MAX_STEPS: usize = 20;
/// Most actions a step takes.
pub const MAX_ACTIONS: usize = 10;
/// Most users or groups one notification names.
pub const MAX_RECIPIENTS: usize = 50;
/// Most extra rounds of a chain.
pub const MAX_REPEAT: u8 = 5;

name_enum!(
    /// When a due step runs: `not_acknowledged` while nobody has responded (no first
    /// response), `not_resolved` while the ticket is active, `sla_warning` once a pending
    /// target's warning share has elapsed (or it is breached), `sla_breached` once a target
    /// is breached.
    StepCondition {
        NotAcknowledged = "not_acknowledged",
        NotResolved = "not_resolved",
        SlaWarning = "sla_warning",
        SlaBreached = "sla_breached",
    }
);

impl StepCondition {
    /// Whether the condition holds for `ticket` at `now`.
    pub fn holds(self, ticket: &Ticket, now: DateTime<Utc>) -> bool {
        match self {
            StepCondition::NotAcknowledged => ticket.first_responded_at().is_none(),
            StepCondition::NotResolved => ticket.status().is_active(),
            StepCondition::SlaWarning => SlaTarget::ALL.iter().any(|&t| {
                t.event(ticket).is_none()
                    && (t.warned_at(ticket).is_some()
                        || t.warn_at(ticket)
                            .is_some_and(|w| w <= ticket.sla_clock(now))
                        || ticket.sla_state(t, now) == SlaState::Breached)
            }),
            StepCondition::SlaBreached => SlaTarget::ALL
                .iter()
                .any(|&t| ticket.sla_state(t, now) == SlaState::Breached),
        }
    }
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
pub enum EscalationAction {
    /// Tells users and/or groups: the step's `ticket_escalated` event names them.
    Notify {
        users: Vec<UserId>,
        groups: Vec<RuleName>,
    },
    /// Assigns the ticket to a user (a status change to `assigned`, with history).
    Reassign { assignee_id: UserId },
    /// Raises the severity to `to`, or one level when `None`; never lowers it. Due times
    /// stay, as when a merged alert raises it.
    RaiseSeverity { to: Option<Severity> },
    /// Adds a comment by the policy's system actor (not a first response).
    Comment {
        body: CommentBody,
        visibility: Visibility,
    },
}

impl EscalationAction {
    fn kind(&self) -> &'static str {
        match self {
            EscalationAction::Notify { .. } => "notify",
            EscalationAction::Reassign { .. } => "reassign",
            EscalationAction::RaiseSeverity { .. } => "raise_severity",
            EscalationAction::Comment { .. } => "comment",
        }
    }

    /// As JSON, the form [`EscalationAction::parse`] reads.
    pub fn to_json(&self) -> Value {
        match self {
            EscalationAction::Notify { users, groups } => json!({
                "type": "notify",
                "users": users.iter().map(UserId::as_str).collect::<Vec<_>>(),
                "groups": groups.iter().map(RuleName::as_str).collect::<Vec<_>>(),
            }),
            EscalationAction::Reassign { assignee_id } => {
                json!({"type": "reassign", "assignee_id": assignee_id.as_str()})
            }
            EscalationAction::RaiseSeverity { to } => {
                json!({"type": "raise_severity", "severity": to.map(Severity::as_str)})
            }
            EscalationAction::Comment { body, visibility } => json!({
                "type": "comment",
                "body": body.as_str(),
                "visibility": visibility.as_str(),
            }),
        }
    }

    /// Reads one action, faults named under `at` (e.g. `steps[0].actions[1].users[2]`).
    pub fn parse(raw: &Value, at: &str) -> Result<Self, ValidationErrors> {
        let Some(object) = raw.as_object() else {
            return Err(ValidationErrors::single(
                at,
                "must be an object with a type: notify, reassign, raise_severity or comment",
            ));
        };
        let mut errors = ValidationErrors::default();
        let kind = object.get("type").and_then(Value::as_str);
        let allowed: &[&str] = match kind {
            Some("notify") => &["type", "users", "groups"],
            Some("reassign") => &["type", "assignee_id"],
            Some("raise_severity") => &["type", "severity"],
            Some("comment") => &["type", "body", "visibility"],
            _ => {
                return Err(ValidationErrors::single(
                    format!("{at}.type"),
                    "must be one of: notify, reassign, raise_severity, comment",
                ));
            }
        };
        for key in object.keys().filter(|k| !allowed.contains(&k.as_str())) {
            errors.push(FieldError::new(
                format!("{at}.{key}"),
                format!(
                    "is not a field of this action; its fields are {}",
                    allowed.join(", ")
                ),
            ));
        }
        let text = |key: &str, errors: &mut ValidationErrors| -> Option<Option<String>> {
            match object.get(key) {
                None | Some(Value::Null) => Some(None),
                Some(Value::String(s)) => Some(Some(s.clone())),
                Some(_) => {
                    errors.push(FieldError::new(format!("{at}.{key}"), "must be a string"));
                    None
                }
            }
        };
        let action = match kind {
            Some("notify") => {
                let users = names(
                    object.get("users"),
                    &format!("{at}.users"),
                    &mut errors,
                    UserId::parse,
                );
                let groups = names(
                    object.get("groups"),
                    &format!("{at}.groups"),
                    &mut errors,
                    RuleName::parse,
                );
                match (users, groups) {
                    (Some(users), Some(groups)) if users.is_empty() && groups.is_empty() => {
                        errors.push(FieldError::new(
                            at,
                            "a notification names at least one of users, groups",
                        ));
                        None
                    }
                    (Some(users), Some(groups)) => Some(EscalationAction::Notify { users, groups }),
                    _ => None,
                }
            }
            Some("reassign") => match text("assignee_id", &mut errors) {
                Some(Some(user)) => errors
                    .collect(UserId::parse(&user, &format!("{at}.assignee_id")))
                    .map(|assignee_id| EscalationAction::Reassign { assignee_id }),
                Some(None) => {
                    errors.push(FieldError::new(format!("{at}.assignee_id"), "is required"));
                    None
                }
                None => None,
            },
            Some("raise_severity") => match text("severity", &mut errors) {
                Some(Some(s)) => errors
                    .collect(Severity::parse(&s, &format!("{at}.severity")))
                    .map(|s| EscalationAction::RaiseSeverity { to: Some(s) }),
                Some(None) => Some(EscalationAction::RaiseSeverity { to: None }),
                None => None,
            },
            _ => {
                let body = match text("body", &mut errors) {
                    Some(Some(b)) => errors.collect(CommentBody::parse(&b, &format!("{at}.body"))),
                    Some(None) => {
                        errors.push(FieldError::new(format!("{at}.body"), "is required"));
                        None
                    }
                    None => None,
                };
                let visibility = match text("visibility", &mut errors) {
                    Some(Some(v)) => {
                        errors.collect(Visibility::parse(&v, &format!("{at}.visibility")))
                    }
                    Some(None) => Some(Visibility::Internal),
                    None => None,
                };
                body.zip(visibility)
                    .map(|(body, visibility)| EscalationAction::Comment { body, visibility })
            }
        };
        match action {
            Some(action) if errors.is_empty() => Ok(action),
            _ => Err(errors),
        }
    }
}

/// A list of names (absent: empty), each parsed by `parse`, at most [`MAX_RECIPIENTS`].
fn names<T>(
    raw: Option<&Value>,
    at: &str,
    errors: &mut ValidationErrors,
    parse: impl Fn(&str, &str) -> Result<T, FieldError>,
) -> Option<Vec<T>> {
    let items = match raw {
        None | Some(Value::Null) => return Some(Vec::new()),
        Some(Value::Array(items)) if items.len() <= MAX_RECIPIENTS => items,
        Some(_) => {
            errors.push(FieldError::new(
                at,
                format!("must be a list of at most {MAX_RECIPIENTS} names"),
            ));
            return None;
        }
    };
    let before = errors.0.len();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let place = format!("{at}[{i}]");
        match item {
            Value::String(s) => {
                if let Some(v) = errors.collect(parse(s, &place)) {
                    out.push(v);
                }
            }
            _ => errors.push(FieldError::new(place, "must be a string")),
        }
    }
    (errors.0.len() == before).then_some(out)
}

/// One step of a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationStep {
    /// When it is due, counted from the start of its round.
    pub after: TimeDelta,
    pub condition: StepCondition,
    pub actions: Vec<EscalationAction>,
}

impl EscalationStep {
    pub fn to_json(&self) -> Value {
        json!({
            "after": self.after.num_seconds(),
            "condition": self.condition.as_str(),
            "actions": self.actions.iter().map(EscalationAction::to_json).collect::<Vec<_>>(),
        })
    }

    fn parse(raw: &Value, at: &str) -> Result<Self, ValidationErrors> {
        let Some(object) = raw.as_object() else {
            return Err(ValidationErrors::single(
                at,
                "must be an object {after, condition, actions}",
            ));
        };
        let mut errors = ValidationErrors::default();
        for key in object
            .keys()
            .filter(|k| !["after", "condition", "actions"].contains(&k.as_str()))
        {
            errors.push(FieldError::new(
                format!("{at}.{key}"),
                "is not a field of a step; its fields are after, condition, actions",
            ));
        }
        let after = errors.collect(parse_span(object.get("after"), &format!("{at}.after")));
        let condition = match object.get("condition") {
            None | Some(Value::Null) => Some(StepCondition::NotResolved),
            Some(Value::String(c)) => {
                errors.collect(StepCondition::parse(c, &format!("{at}.condition")))
            }
            Some(_) => {
                errors.push(FieldError::new(
                    format!("{at}.condition"),
                    "must be one of: not_acknowledged, not_resolved, sla_warning, sla_breached",
                ));
                None
            }
        };
        let actions = match object.get("actions") {
            Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_ACTIONS => {
                let mut actions = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(a) = collect_all(
                        EscalationAction::parse(item, &format!("{at}.actions[{i}]")),
                        &mut errors,
                    ) {
                        actions.push(a);
                    }
                }
                Some(actions)
            }
            _ => {
                errors.push(FieldError::new(
                    format!("{at}.actions"),
                    format!("must be a list of 1 to {MAX_ACTIONS} actions"),
                ));
                None
            }
        };
        match (after, condition, actions) {
            (Some(after), Some(condition), Some(actions)) if errors.is_empty() => Ok(Self {
                after,
                condition,
                actions,
            }),
            _ => Err(errors),
        }
    }
}

/// Steps as a policy and a chain keep them: 1 to [`MAX_STEPS`], in order of `after`.
#[derive(Debug, Clone, PartialEq)]
pub struct Steps(Arc<[EscalationStep]>);

impl Steps {
    /// Reads `[{after, condition, actions}, ...]`; faults named as `steps[1].after`.
    pub fn parse(raw: &Value) -> Result<Self, ValidationErrors> {
        let items = match raw {
            Value::Array(items) if !items.is_empty() && items.len() <= MAX_STEPS => items,
            _ => {
                return Err(ValidationErrors::single(
                    "steps",
                    format!("must be a list of 1 to {MAX_STEPS} steps"),
                ));
            }
        };
        let mut errors = ValidationErrors::default();
        let mut steps: Vec<EscalationStep> = Vec::with_capacity(items.len());
        // The order is checked on every readable `after`, even of a step with other faults.
        let mut previous: Option<TimeDelta> = None;
        for (i, item) in items.iter().enumerate() {
            let at = format!("steps[{i}]");
            if let Ok(after) = parse_span(item.get("after"), "after") {
                if previous.is_some_and(|p| after < p) {
                    errors.push(FieldError::new(
                        format!("{at}.after"),
                        "must not be earlier than the step before (steps run in order)",
                    ));
                }
                previous = Some(after);
            }
            if let Some(step) = collect_all(EscalationStep::parse(item, &at), &mut errors) {
                steps.push(step);
            }
        }
        errors.into_result().map(|()| Self(steps.into()))
    }

    pub fn to_json(&self) -> Value {
        Value::Array(self.0.iter().map(EscalationStep::to_json).collect())
    }

    pub fn as_slice(&self) -> &[EscalationStep] {
        &self.0
    }

    /// How long one round lasts: until its last step.
    fn round(&self) -> TimeDelta {
        self.0.last().map_or(TimeDelta::zero(), |s| s.after)
    }
}

/// Reads an optional `repeat`: 0 to [`MAX_REPEAT`] extra rounds.
fn parse_repeat(raw: Option<&Value>) -> Result<u8, FieldError> {
    match raw {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => whole(n)
            .and_then(|r| u8::try_from(r).ok())
            .filter(|r| *r <= MAX_REPEAT)
            .ok_or_else(|| {
                FieldError::new(
                    "repeat",
                    format!("must be a whole number from 0 to {MAX_REPEAT}"),
                )
            }),
        Some(_) => Err(FieldError::new(
            "repeat",
            format!("must be a whole number from 0 to {MAX_REPEAT}"),
        )),
    }
}

/// What an admin writes to create or replace an escalation policy.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationPolicySpec {
    pub name: RuleName,
    /// Where it goes in the order; `None`: after the last.
    pub position: Option<i32>,
    pub filter: Option<Filter>,
    pub steps: Steps,
    pub repeat: u8,
}

impl EscalationPolicySpec {
    /// Reads `{"name", "position"?, "filter"?, "steps", "repeat"?}`: every fault named by
    /// its place, an unknown member included.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        only_fields(
            body,
            &["name", "position", "filter", "steps", "repeat"],
            &mut errors,
        );
        let name = name_of(body, &mut errors);
        let position = crate::policy::parse_position(body.get("position"), &mut errors);
        let filter = match body.get("filter") {
            None | Some(Value::Null) => Some(None),
            Some(f) => collect_all(Filter::parse(f, "filter"), &mut errors).map(Some),
        };
        let steps = match body.get("steps") {
            None => {
                errors.push(FieldError::new("steps", "is required"));
                None
            }
            Some(s) => collect_all(Steps::parse(s), &mut errors),
        };
        let repeat = errors.collect(parse_repeat(body.get("repeat")));
        match (name, position, filter, steps, repeat) {
            (Some(name), Some(position), Some(filter), Some(steps), Some(repeat))
                if errors.is_empty() =>
            {
                Ok(Self {
                    name,
                    position,
                    filter,
                    steps,
                    repeat,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A stored escalation policy.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationPolicyRecord {
    pub id: EscalationPolicyId,
    pub name: RuleName,
    pub position: i32,
    pub filter: Option<Filter>,
    pub steps: Steps,
    pub repeat: u8,
    pub version: i64,
    /// Set when deleted while tickets refer to it: no longer applied, still readable.
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl EscalationPolicyRecord {
    /// The policy as a chain started at `at` (what a ticket gets).
    pub fn chain(&self, at: DateTime<Utc>) -> Escalation {
        Escalation {
            policy_id: self.id,
            steps: self.steps.clone(),
            repeat: self.repeat,
            started_at: crate::ports::to_micros(at),
            next: 0,
        }
    }

    /// Whether the policy takes `ticket`.
    pub fn selects(&self, ticket: &Ticket) -> bool {
        self.filter.as_ref().is_none_or(|f| f.matches(ticket))
    }
}

/// A policy copied onto a ticket: the steps as they were, and how far the chain has run.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub policy_id: EscalationPolicyId,
    pub steps: Steps,
    pub repeat: u8,
    pub started_at: DateTime<Utc>,
    /// The run's next step: `round * steps + step`.
    pub next: u32,
}

/// One step of a chain's run, placed in time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Planned<'a> {
    /// Position in the run, from 0.
    pub index: u32,
    /// The round, from 0 (`repeat` adds rounds).
    pub round: u32,
    /// The step within its round, from 1.
    pub step: u32,
    pub due_at: DateTime<Utc>,
    pub spec: &'a EscalationStep,
}

impl Escalation {
    /// How many steps the whole run has (never 0: a policy has at least one step).
    pub fn steps_in_run(&self) -> u32 {
        let per_round = self.steps.as_slice().len() as u32;
        per_round * (u32::from(self.repeat) + 1)
    }

    /// Step `index` of the run, or `None` past its end.
    pub fn planned(&self, index: u32) -> Option<Planned<'_>> {
        let steps = self.steps.as_slice();
        if index >= self.steps_in_run() {
            return None;
        }
        let per_round = steps.len() as u32;
        let round = index / per_round;
        let spec = &steps[(index % per_round) as usize];
        Some(Planned {
            index,
            round,
            step: index % per_round + 1,
            due_at: self.started_at + self.steps.round() * round as i32 + spec.after,
            spec,
        })
    }

    /// The whole run, in order.
    pub fn timeline(&self) -> impl Iterator<Item = Planned<'_>> {
        (0..self.steps_in_run()).filter_map(|i| self.planned(i))
    }

    /// When the next step is due, if one is left.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.planned(self.next).map(|p| p.due_at)
    }

    /// The system actor of the chain's policy (`system:escalation:<policy id>`).
    pub fn actor(&self) -> SystemActor {
        SystemActor::new(SystemKind::Escalation, &self.policy_id.to_string())
            .unwrap_or_else(|_| SystemActor::builtin(SystemKind::Escalation, "policy"))
    }

    /// As stored on the ticket: the form [`Escalation::parse`] reads.
    pub fn to_json(&self) -> Value {
        json!({
            "policy_id": self.policy_id,
            "started_at": self.started_at,
            "repeat": self.repeat,
            "next": self.next,
            "steps": self.steps.to_json(),
        })
    }

    /// Reads back what [`Escalation::to_json`] wrote.
    pub fn parse(raw: &Value) -> Result<Self, ValidationErrors> {
        let bad = |field: &str| ValidationErrors::single(field, "is missing or malformed");
        let policy_id = raw
            .get("policy_id")
            .and_then(Value::as_str)
            .and_then(|s| EscalationPolicyId::parse(s, "policy_id").ok())
            .ok_or_else(|| bad("escalation.policy_id"))?;
        let started_at = raw
            .get("started_at")
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| bad("escalation.started_at"))?;
        let repeat = parse_repeat(raw.get("repeat")).map_err(|_| bad("escalation.repeat"))?;
        let next = raw
            .get("next")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| bad("escalation.next"))?;
        let steps = Steps::parse(raw.get("steps").unwrap_or(&Value::Null))?;
        Ok(Self {
            policy_id,
            steps,
            repeat,
            started_at,
            next,
        })
    }
}

/// An organization's active escalation policies, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EscalationRules {
    policies: Vec<EscalationPolicyRecord>,
}

impl EscalationRules {
    pub fn new(policies: Vec<EscalationPolicyRecord>) -> Self {
        Self { policies }
    }

    /// The chain `ticket` gets at `at`: the first policy that selects it, started then.
    pub fn chain_for(&self, ticket: &Ticket, at: DateTime<Utc>) -> Option<Escalation> {
        self.policies
            .iter()
            .find(|p| p.selects(ticket))
            .map(|p| p.chain(at))
    }
}

/// What running a chain's due steps does to its ticket: every change, row and event to
/// store with it, in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalated {
    pub ticket: Ticket,
    /// Status changes (a reassignment), in order.
    pub history: Vec<HistoryEntry>,
    pub comments: Vec<Comment>,
    /// `ticket_escalated` for each step run, and the events of its changes, in order.
    pub events: Vec<OutboxEvent>,
}

/// Runs every step of `ticket`'s chain due by `now`, in order: each once, skipped when its
/// condition does not hold then. `None` when nothing is due (no chain, an inactive ticket,
/// or the next step later). Late steps (every instance was down) all run now, in order,
/// each evaluated as the ticket then stands.
pub fn escalate(ticket: &Ticket, now: DateTime<Utc>) -> Option<Escalated> {
    let chain = ticket.escalation.as_deref()?;
    if !ticket.status().is_active() {
        return None;
    }
    let mut next = ticket.clone();
    let mut out = Escalated {
        ticket: ticket.clone(),
        history: Vec::new(),
        comments: Vec::new(),
        events: Vec::new(),
    };
    let mut index = chain.next;
    while let Some(planned) = chain.planned(index).filter(|p| p.due_at <= now) {
        index += 1;
        if !planned.spec.condition.holds(&next, now) {
            continue;
        }
        run_step(chain, &planned, &mut next, &mut out, now);
    }
    if index == chain.next {
        return None;
    }
    let mut progressed = chain.clone();
    progressed.next = index;
    next.escalation = Some(Arc::new(progressed));
    out.ticket = next;
    Some(out)
}

/// Applies one step's actions to `ticket`, recording rows and events in `out`.
fn run_step(
    chain: &Escalation,
    planned: &Planned<'_>,
    ticket: &mut Ticket,
    out: &mut Escalated,
    now: DateTime<Utc>,
) {
    let actor = chain.actor();
    let reason = |what: &str| {
        Reason::parse(
            &format!(
                "escalation step {} (round {}): {what}",
                planned.step,
                planned.round + 1
            ),
            "reason",
        )
        .ok()
    };
    let mut users: Vec<&str> = Vec::new();
    let mut groups: Vec<&str> = Vec::new();
    let mut done: Vec<Value> = Vec::new();
    for action in &planned.spec.actions {
        let mut result = json!({"type": action.kind()});
        match action {
            EscalationAction::Notify {
                users: u,
                groups: g,
            } => {
                users.extend(u.iter().map(UserId::as_str));
                groups.extend(g.iter().map(RuleName::as_str));
            }
            EscalationAction::Reassign { assignee_id } => {
                let holds = ticket.assignee_id() == Some(assignee_id)
                    && matches!(ticket.status(), Status::Assigned | Status::InProgress);
                result["assignee_id"] = json!(assignee_id.as_str());
                if holds {
                    result["skipped"] = json!("already assigned");
                } else if ticket.status() == Status::OnHold {
                    // Reassigning would end a hold someone outside is awaited for.
                    result["skipped"] = json!("on hold");
                } else {
                    let change = StatusChange {
                        target: Status::Assigned,
                        assignee_id: Some(assignee_id.clone()),
                        reason: reason(&format!("reassigned to {assignee_id}")),
                        hold_until: None,
                    };
                    match lifecycle::apply_as(ticket, &change, Actor::System(actor.clone()), now) {
                        Ok((changed, entry)) => {
                            out.events
                                .push(OutboxEvent::status_changed(&changed, &entry));
                            out.history.push(entry);
                            *ticket = changed;
                        }
                        Err(e) => result["skipped"] = json!(e.to_string()),
                    }
                }
            }
            EscalationAction::RaiseSeverity { to } => {
                let from = ticket.severity();
                let target = to.unwrap_or_else(|| from.raised());
                result["from"] = json!(from.as_str());
                if target > from {
                    ticket.severity = target;
                    ticket.touch(now);
                    result["to"] = json!(target.as_str());
                } else {
                    result["skipped"] = json!("severity already as high");
                }
            }
            EscalationAction::Comment { body, visibility } => {
                ticket.touch(now);
                let comment = Comment {
                    id: CommentId::new_at(now),
                    ticket_id: ticket.id(),
                    author_id: Actor::System(actor.clone()),
                    body: body.clone(),
                    visibility: *visibility,
                    created_at: now,
                };
                result["comment_id"] = json!(comment.id);
                out.events
                    .push(OutboxEvent::comment_added(ticket, &comment));
                out.comments.push(comment);
            }
        }
        done.push(result);
    }
    let data = json!({
        "policy_id": chain.policy_id,
        "step": planned.step,
        "round": planned.round + 1,
        "condition": planned.spec.condition.as_str(),
        "due_at": planned.due_at,
        "actor": Actor::System(actor.clone()).to_string(),
        "targets": {"users": users, "groups": groups},
        "actions": done,
    });
    out.events
        .push(OutboxEvent::ticket_escalated(ticket, now, data));
}

/// One step of a simulated run ([`simulate`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedStep {
    pub round: u32,
    pub step: u32,
    pub due_at: DateTime<Utc>,
    pub condition: StepCondition,
    /// Whether the condition would hold when due (else the step is skipped).
    pub runs: bool,
    /// What a step that runs would do: its `ticket_escalated` event's data; `Null` when
    /// skipped.
    pub outcome: Value,
}

/// The timeline `chain` would run on `ticket` if nobody acted: every step placed in time,
/// its condition evaluated on the ticket as it would then stand (earlier steps' actions
/// included), nothing stored. A ticket that is not active runs nothing.
pub fn simulate(ticket: &Ticket, chain: &Escalation) -> Vec<SimulatedStep> {
    let mut current = ticket.clone();
    current.escalation = Some(Arc::new(chain.clone()));
    chain
        .timeline()
        .map(|planned| {
            let runs = current.status().is_active()
                && planned.spec.condition.holds(&current, planned.due_at);
            let mut outcome = Value::Null;
            if runs {
                let mut out = Escalated {
                    ticket: current.clone(),
                    history: Vec::new(),
                    comments: Vec::new(),
                    events: Vec::new(),
                };
                run_step(chain, &planned, &mut current, &mut out, planned.due_at);
                if let Some(event) = out.events.last() {
                    outcome = event.payload["data"].clone();
                }
            }
            SimulatedStep {
                round: planned.round + 1,
                step: planned.step,
                due_at: planned.due_at,
                condition: planned.spec.condition,
                runs,
                outcome,
            }
        })
        .collect()
}
