//! Auto-resolve rules (issue 12): an organization's rules that resolve (or close) an active
//! ticket once its alerts have gone quiet for a while, or when the provider says the
//! condition has ended (an end event). First match by filter, at creation, as the other
//! rules; the rule is copied onto the ticket ([`AutoResolve`]), so editing it reaches new
//! tickets only.
//!
//! A ticket an operator has worked on (commented on or moved: it has a first response) is
//! left alone unless the rule says otherwise: it gets one system comment saying what the
//! rule would have done, and the rule is done with it.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use crate::actor::{Actor, SystemActor, SystemKind};
use crate::error::{FieldError, ValidationErrors};
use crate::event::OutboxEvent;
use crate::filter::Filter;
use crate::lifecycle::{self, StatusChange};
use crate::model::{
    AutoResolveRuleId, CommentBody, CommentId, Reason, RuleName, Status, Visibility,
};
use crate::policy::{collect_all, name_of, only_fields, parse_span};
use crate::ticket::{Comment, HistoryEntry, Ticket};

/// The history reason of an automatic resolution.
pub const REASON: &str = "auto_resolved";

/// Where a rule may take a ticket.
pub const TARGET_STATUSES: &[Status] = &[Status::Resolved, Status::Closed];

/// What an admin writes to create or replace an auto-resolve rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoResolveRuleSpec {
    pub name: RuleName,
    /// Where it goes in the order; `None`: after the last.
    pub position: Option<i32>,
    pub filter: Option<Filter>,
    /// Resolve once no alert has come for this long (`None`: only end events do).
    pub quiet_period: Option<TimeDelta>,
    /// Resolve on the provider's end event for the ticket.
    pub end_event: bool,
    /// `resolved` or `closed`.
    pub target: Status,
    /// Leave a ticket an operator worked on alone (with a system comment).
    pub only_if_untouched: bool,
}

const FIELDS: &[&str] = &[
    "name",
    "position",
    "filter",
    "quiet_period",
    "end_event",
    "target_status",
    "only_if_untouched",
];

fn flag(body: &Map<String, Value>, field: &str, default: bool) -> Result<bool, FieldError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(FieldError::new(field, "must be true or false")),
    }
}

impl AutoResolveRuleSpec {
    /// Reads `{"name", "position"?, "filter"?, "quiet_period"?, "end_event"?,
    /// "target_status"?, "only_if_untouched"?}`: every fault named by its place, an unknown
    /// member included. A rule needs a quiet period, an end event, or both.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        only_fields(body, FIELDS, &mut errors);
        let name = name_of(body, &mut errors);
        let position = crate::policy::parse_position(body.get("position"), &mut errors);
        let filter = match body.get("filter") {
            None | Some(Value::Null) => Some(None),
            Some(f) => collect_all(Filter::parse(f, "filter"), &mut errors).map(Some),
        };
        let quiet_period = match body.get("quiet_period") {
            None | Some(Value::Null) => Some(None),
            quiet => errors.collect(parse_span(quiet, "quiet_period")).map(Some),
        };
        let end_event = errors.collect(flag(body, "end_event", true));
        let only_if_untouched = errors.collect(flag(body, "only_if_untouched", true));
        let target = match body.get("target_status") {
            None | Some(Value::Null) => Some(Status::Resolved),
            Some(Value::String(s)) if TARGET_STATUSES.iter().any(|t| t.as_str() == s) => {
                Status::parse(s, "target_status").ok()
            }
            Some(_) => {
                errors.push(FieldError::new(
                    "target_status",
                    "must be resolved or closed",
                ));
                None
            }
        };
        if let (Some(None), Some(false)) = (&quiet_period, end_event) {
            errors.push(FieldError::new(
                "quiet_period",
                "is required when end_event is false: the rule would never act",
            ));
        }
        match (
            name,
            position,
            filter,
            quiet_period,
            end_event,
            target,
            only_if_untouched,
        ) {
            (
                Some(name),
                Some(position),
                Some(filter),
                Some(quiet_period),
                Some(end_event),
                Some(target),
                Some(only_if_untouched),
            ) if errors.is_empty() => Ok(Self {
                name,
                position,
                filter,
                quiet_period,
                end_event,
                target,
                only_if_untouched,
            }),
            _ => Err(errors),
        }
    }
}

/// A stored auto-resolve rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoResolveRuleRecord {
    pub id: AutoResolveRuleId,
    pub name: RuleName,
    pub position: i32,
    pub filter: Option<Filter>,
    pub quiet_period: Option<TimeDelta>,
    pub end_event: bool,
    pub target: Status,
    pub only_if_untouched: bool,
    pub version: i64,
    /// Set when deleted while tickets refer to it: no longer applied, still readable.
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AutoResolveRuleRecord {
    /// Whether the rule takes `ticket`.
    pub fn selects(&self, ticket: &Ticket) -> bool {
        self.filter.as_ref().is_none_or(|f| f.matches(ticket))
    }

    /// The rule as a ticket keeps it.
    pub fn plan(&self) -> AutoResolve {
        AutoResolve {
            rule_id: self.id,
            quiet_period: self.quiet_period,
            end_event: self.end_event,
            target: self.target,
            only_if_untouched: self.only_if_untouched,
            declined: false,
        }
    }
}

/// An organization's active auto-resolve rules, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AutoResolveRules {
    rules: Vec<AutoResolveRuleRecord>,
}

impl AutoResolveRules {
    pub fn new(rules: Vec<AutoResolveRuleRecord>) -> Self {
        Self { rules }
    }

    /// What the first rule that selects `ticket` (as created) makes of it.
    pub fn plan_for(&self, ticket: &Ticket) -> Option<AutoResolve> {
        self.rules
            .iter()
            .find(|r| r.selects(ticket))
            .map(AutoResolveRuleRecord::plan)
    }
}

/// A rule copied onto a ticket: what it does, as it was when the ticket was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoResolve {
    pub rule_id: AutoResolveRuleId,
    pub quiet_period: Option<TimeDelta>,
    pub end_event: bool,
    pub target: Status,
    pub only_if_untouched: bool,
    /// The rule found the ticket worked on and commented instead: it does nothing more.
    pub declined: bool,
}

impl AutoResolve {
    /// `system:auto_resolve:<rule id>`.
    pub fn actor(&self) -> SystemActor {
        SystemActor::new(SystemKind::AutoResolve, &self.rule_id.to_string())
            .unwrap_or_else(|_| SystemActor::builtin(SystemKind::AutoResolve, "rule"))
    }

    /// As stored on the ticket: the form [`AutoResolve::parse`] reads.
    pub fn to_json(&self) -> Value {
        json!({
            "rule_id": self.rule_id,
            "quiet_period": self.quiet_period.map(|q| q.num_seconds()),
            "end_event": self.end_event,
            "target_status": self.target.as_str(),
            "only_if_untouched": self.only_if_untouched,
            "declined": self.declined,
        })
    }

    /// Reads back what [`AutoResolve::to_json`] wrote.
    pub fn parse(raw: &Value) -> Result<Self, ValidationErrors> {
        let bad = |field: &str| ValidationErrors::single(field, "is missing or malformed");
        let rule_id = raw
            .get("rule_id")
            .and_then(Value::as_str)
            .and_then(|s| AutoResolveRuleId::parse(s, "rule_id").ok())
            .ok_or_else(|| bad("auto_resolve.rule_id"))?;
        let quiet_period = match raw.get("quiet_period") {
            None | Some(Value::Null) => None,
            Some(q) => Some(
                q.as_i64()
                    .filter(|s| *s > 0)
                    .and_then(TimeDelta::try_seconds)
                    .ok_or_else(|| bad("auto_resolve.quiet_period"))?,
            ),
        };
        let flag = |field: &str| {
            raw.get(field)
                .and_then(Value::as_bool)
                .ok_or_else(|| bad(&format!("auto_resolve.{field}")))
        };
        let target = match raw.get("target_status").and_then(Value::as_str) {
            Some("resolved") => Status::Resolved,
            Some("closed") => Status::Closed,
            _ => return Err(bad("auto_resolve.target_status")),
        };
        Ok(Self {
            rule_id,
            quiet_period,
            end_event: flag("end_event")?,
            target,
            only_if_untouched: flag("only_if_untouched")?,
            declined: flag("declined")?,
        })
    }
}

/// Why a rule acts now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// No alert came for the quiet period.
    Quiet,
    /// The provider sent an end event for the ticket.
    EndEvent,
}

impl Cause {
    fn describe(self, rule: &AutoResolve) -> String {
        match (self, rule.quiet_period) {
            (Cause::Quiet, Some(q)) => format!("no alert for {} s", q.num_seconds()),
            (Cause::Quiet, None) => "no alert for its quiet period".to_owned(),
            (Cause::EndEvent, _) => "the provider sent an end event".to_owned(),
        }
    }
}

/// What a rule does to a ticket: every row and event to store with it.
#[derive(Debug, Clone, PartialEq)]
pub enum AutoResolved {
    /// Moved to the rule's target status by the rule's actor, reason [`REASON`]. No event
    /// while the ticket is flapping and one went out less than its interval ago.
    Resolved {
        ticket: Ticket,
        history: HistoryEntry,
        event: Option<OutboxEvent>,
    },
    /// Worked on by an operator: left as it is, with one internal system comment; the
    /// rule is marked declined on the ticket.
    Declined {
        ticket: Ticket,
        comment: Comment,
        event: OutboxEvent,
    },
}

/// When the quiet period of `ticket`'s rule ends, if the rule still has anything to do:
/// its last alert plus the period, while the ticket is active and the rule not declined.
pub fn quiet_until(ticket: &Ticket) -> Option<DateTime<Utc>> {
    let rule = ticket.auto_resolve()?;
    if rule.declined || !ticket.status().is_active() {
        return None;
    }
    rule.quiet_period
        .and_then(|q| ticket.last_alert_at().checked_add_signed(q))
}

/// What `ticket`'s rule does for `cause` at `now`; `None` when it does nothing: no rule,
/// the rule declined already, the ticket not active, a quiet period not over (an alert
/// came since: the timer moves), or a cause the rule does not act on.
pub fn auto_resolve(ticket: &Ticket, cause: Cause, now: DateTime<Utc>) -> Option<AutoResolved> {
    let rule = ticket.auto_resolve()?;
    if rule.declined || !ticket.status().is_active() {
        return None;
    }
    let acts = match cause {
        Cause::Quiet => quiet_until(ticket).is_some_and(|at| at <= now),
        Cause::EndEvent => rule.end_event,
    };
    if !acts {
        return None;
    }
    let actor = Actor::System(rule.actor());
    let why = cause.describe(rule);
    if rule.only_if_untouched && ticket.first_responded_at().is_some() {
        let mut next = ticket.clone();
        next.auto_resolve = Some(Arc::new(AutoResolve {
            declined: true,
            ..*rule
        }));
        next.touch(now);
        let body = CommentBody::parse(
            &format!(
                "Auto-resolve: {why}, but an operator has worked on this ticket, so it stays \
                 {}; it would have been {}.",
                ticket.status().as_str(),
                rule.target.as_str()
            ),
            "body",
        )
        .ok()?;
        let comment = Comment {
            id: CommentId::new_at(now),
            ticket_id: ticket.id(),
            author_id: actor,
            body,
            visibility: Visibility::Internal,
            created_at: now,
        };
        let event = OutboxEvent::comment_added(&next, &comment);
        return Some(AutoResolved::Declined {
            ticket: next,
            comment,
            event,
        });
    }
    let change = StatusChange {
        target: rule.target,
        assignee_id: None,
        reason: Reason::parse(REASON, "reason").ok(),
        hold_until: None,
    };
    let (mut next, history) = lifecycle::apply_as(ticket, &change, actor, now).ok()?;
    let event = if next.automatic_events_muted(now) {
        None
    } else {
        next.automatic_events_sent(now);
        Some(OutboxEvent::status_changed(&next, &history))
    };
    Some(AutoResolved::Resolved {
        ticket: next,
        history,
        event,
    })
}
