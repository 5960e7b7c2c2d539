//! Flapping: an incident that keeps coming back. An alert for a ticket that an
//! auto-resolve rule resolved a moment ago reopens that ticket instead of opening another;
//! a ticket reopened this way often enough is `flapping`, and the events of its automatic
//! cycle (reopen, auto-resolution) go out at most once per interval.
//!
//! The organization sets the window, the threshold and the interval in its settings
//! (`settings.flapping`, see [`FlapPolicy::parse`]).

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use crate::actor::{Actor, SystemActor, SystemKind};
use crate::error::{FieldError, ValidationErrors};
use crate::event::OutboxEvent;
use crate::lifecycle::{self, StatusChange};
use crate::model::{Reason, Status};
use crate::policy::parse_span;
use crate::ticket::{AlertRecord, HistoryEntry, Ticket};

/// The history reason of a reopen by a flapping alert.
pub const REASON: &str = "flap_reopen";

/// The key of the organization's settings that holds its [`FlapPolicy`].
pub const SETTINGS_KEY: &str = "flapping";

/// How an organization treats incidents that come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlapPolicy {
    /// An alert less than this after an automatic resolution reopens the ticket; zero: never.
    pub reopen_window: TimeDelta,
    /// From this `reopen_count` on, the ticket is flapping.
    pub threshold: i32,
    /// A flapping ticket's automatic events go out at most once per this interval.
    pub event_interval: TimeDelta,
}

impl Default for FlapPolicy {
    fn default() -> Self {
        Self {
            reopen_window: TimeDelta::minutes(10),
            threshold: 3,
            event_interval: TimeDelta::minutes(5),
        }
    }
}

impl FlapPolicy {
    /// Reads `settings.flapping` of an organization's settings: `{"reopen_window"?,
    /// "threshold"?, "event_interval"?}`, each absent member taking its default
    /// ([`FlapPolicy::default`]); `reopen_window` is a duration (`90s`, `10m`, whole
    /// seconds) or 0 to turn reopening off, `threshold` 1..=1000, `event_interval` a
    /// duration. Faults are named `settings.flapping.<member>`; an unknown member is one.
    pub fn parse(settings: &Value) -> Result<Self, ValidationErrors> {
        let Some(raw) = settings.get(SETTINGS_KEY) else {
            return Ok(Self::default());
        };
        let at = |member: &str| format!("settings.{SETTINGS_KEY}.{member}");
        let Some(body) = raw.as_object() else {
            return Err(ValidationErrors::single(
                format!("settings.{SETTINGS_KEY}"),
                "must be an object: reopen_window, threshold, event_interval",
            ));
        };
        let mut errors = Vec::new();
        let mut policy = Self::default();
        for (key, value) in body {
            match key.as_str() {
                "reopen_window" => match value {
                    Value::Number(n) if n.as_i64() == Some(0) => {
                        policy.reopen_window = TimeDelta::zero();
                    }
                    _ => match parse_span(Some(value), &at(key)) {
                        Ok(span) => policy.reopen_window = span,
                        Err(e) => errors.push(FieldError::new(
                            e.field,
                            format!("{}, or 0 to never reopen", e.message),
                        )),
                    },
                },
                "threshold" => match value.as_i64().filter(|n| (1..=1000).contains(n)) {
                    Some(n) => policy.threshold = i32::try_from(n).unwrap_or(i32::MAX),
                    None => errors.push(FieldError::new(
                        at(key),
                        "must be a whole number from 1 to 1000",
                    )),
                },
                "event_interval" => match parse_span(Some(value), &at(key)) {
                    Ok(span) => policy.event_interval = span,
                    Err(e) => errors.push(e),
                },
                _ => errors.push(FieldError::new(
                    at(key),
                    "is not a member: reopen_window, threshold, event_interval",
                )),
            }
        }
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(ValidationErrors(errors))
        }
    }

    /// The policy of settings already checked when they were written; settings that no
    /// longer parse (written before the check existed) give the default.
    pub fn of_settings(settings: &Value) -> Self {
        Self::parse(settings).unwrap_or_default()
    }
}

/// A ticket that keeps coming back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flapping {
    /// When it reached its organization's threshold.
    pub since: DateTime<Utc>,
    /// Its automatic events go out at most once per this interval (the policy's, then).
    pub event_interval: TimeDelta,
    /// When the last of them went out.
    pub notified_at: Option<DateTime<Utc>>,
}

impl Flapping {
    /// Whether an automatic event at `now` must stay unsent: one went out less than an
    /// interval ago.
    pub fn mutes(&self, now: DateTime<Utc>) -> bool {
        self.notified_at
            .is_some_and(|at| now < at + self.event_interval)
    }

    /// As stored on the ticket: the form [`Flapping::parse`] reads.
    pub fn to_json(&self) -> Value {
        json!({
            "since": self.since,
            "event_interval": self.event_interval.num_seconds(),
            "notified_at": self.notified_at,
        })
    }

    /// Reads back what [`Flapping::to_json`] wrote.
    pub fn parse(raw: &Value) -> Result<Self, FieldError> {
        let bad = || FieldError::new("flapping", "is malformed");
        let time = |v: &Value| {
            v.as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        let object: &Map<String, Value> = raw.as_object().ok_or_else(bad)?;
        let since = object.get("since").and_then(time).ok_or_else(bad)?;
        let event_interval = object
            .get("event_interval")
            .and_then(Value::as_i64)
            .filter(|s| *s > 0)
            .and_then(TimeDelta::try_seconds)
            .ok_or_else(bad)?;
        let notified_at = match object.get("notified_at") {
            None | Some(Value::Null) => None,
            Some(v) => Some(time(v).ok_or_else(bad)?),
        };
        Ok(Self {
            since,
            event_interval,
            notified_at,
        })
    }
}

/// `system:flapping:reopen`, who reopens a flapping ticket.
pub fn actor() -> SystemActor {
    SystemActor::builtin(SystemKind::Flapping, "reopen")
}

/// Whether an alert at `now` reopens `ticket` under `policy`: the ticket is `resolved`,
/// by an auto-resolve rule, less than the reopen window ago. A ticket a user resolved,
/// closed or marked `false_positive` never qualifies.
pub fn reopens(ticket: &Ticket, policy: &FlapPolicy, now: DateTime<Utc>) -> bool {
    let automatic = matches!(
        ticket.resolved_by(),
        Some(Actor::System(s)) if s.kind() == SystemKind::AutoResolve
    );
    ticket.status() == Status::Resolved
        && automatic
        && ticket
            .resolved_at()
            .is_some_and(|at| now < at + policy.reopen_window)
}

/// A ticket reopened by a flapping alert, with every row to store with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reopened {
    pub ticket: Ticket,
    pub history: HistoryEntry,
    /// `status_changed` then `alert_merged`; none while the ticket's events are muted.
    pub events: Vec<OutboxEvent>,
}

/// Reopens `ticket` for `alert` at `now` (when [`reopens`] says so; `None` otherwise): back
/// to `open` by `system:flapping:reopen`, reason [`REASON`], `reopen_count` + 1, the alert
/// merged as into an active ticket, one change (version + 1). At the policy's threshold
/// the ticket starts flapping; while flapping, the events go out only once per interval.
pub fn flap_reopen(
    ticket: &Ticket,
    alert: &AlertRecord,
    policy: &FlapPolicy,
    now: DateTime<Utc>,
) -> Option<Reopened> {
    if !reopens(ticket, policy, now) {
        return None;
    }
    let change = StatusChange {
        target: Status::Open,
        assignee_id: None,
        reason: Reason::parse(REASON, "reason").ok(),
        hold_until: None,
    };
    let (mut next, history) =
        lifecycle::apply_as(ticket, &change, Actor::System(actor()), now).ok()?;
    next.absorb(alert);
    if next.flapping.is_none() && next.reopen_count >= policy.threshold {
        next.flapping = Some(Flapping {
            since: now,
            event_interval: policy.event_interval,
            notified_at: None,
        });
    }
    let events = if next.automatic_events_muted(now) {
        Vec::new()
    } else {
        next.automatic_events_sent(now);
        vec![
            OutboxEvent::status_changed(&next, &history),
            OutboxEvent::alert_merged(&next, alert),
        ]
    };
    Some(Reopened {
        ticket: next,
        history,
        events,
    })
}
