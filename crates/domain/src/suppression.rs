//! Suppression windows (camera maintenance): when a window applies. A window is a span
//! (`starts_at`, then `ends_at` or a duration) over a filter, once or repeated weekly in an
//! IANA time zone (a subset of RFC 5545's RRULE: `FREQ=WEEKLY`, `BYDAY`, `INTERVAL`,
//! `UNTIL`, `COUNT`). Each occurrence starts at the first one's local time of day on its
//! date, so it keeps its wall-clock time across a DST change; a local start that a change
//! skips moves to the end of the gap, one that happens twice is taken the first time.
//!
//! What a window does to a new alert ([`Windows::applied`], then the ingest's
//! [`crate::ingest::decide`]): `drop` keeps the alert without a ticket ([`DroppedAlert`]),
//! `collect` gathers an occurrence's alerts in one ticket ([`collect_key`]), `suppress`
//! makes a silent ticket ([`Suppressed`]) that [`release`] announces when the window ends.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};

use crate::actor::{Actor, SystemActor, SystemKind};
use crate::calendar::{MAX_SPAN, parse_time_zone, resolve};
use crate::error::{FieldError, ValidationErrors};
use crate::event::OutboxEvent;
use crate::filter::Filter;
use crate::inhibition::{self, OnEnd};
use crate::lifecycle::{StatusChange, apply_as};
use crate::model::{
    AlertData, AlertType, CameraId, DedupKey, ExternalId, ProviderId, Severity,
    SuppressionWindowId, Title, name_enum,
};
use crate::model::{Reason, Status};
use crate::policy::parse_span;
use crate::ticket::{AlertRecord, HistoryEntry, Ticket};

name_enum!(
    /// What a window does to a matching alert: `drop` keeps the alert with the window that
    /// dropped it and makes no ticket; `suppress` makes the ticket but keeps it silent until
    /// the window ends; `collect` gathers the matching alerts of an occurrence in one ticket.
    Mode {
        Drop = "drop",
        Suppress = "suppress",
        Collect = "collect",
    }
);

name_enum!(
    /// Where a window stands at a moment: its next occurrence still to come, one running,
    /// none left, or ended early by a user.
    WindowState {
        Scheduled = "scheduled",
        Active = "active",
        Expired = "expired",
        Cancelled = "cancelled",
    }
);

/// The longest occurrence of a recurring window: a week (a longer one would overlap the
/// next).
pub const MAX_RECURRING_SPAN: TimeDelta = TimeDelta::days(7);
/// The most occurrences `COUNT` may ask for.
pub const MAX_COUNT: u32 = 1000;
/// The most weeks `INTERVAL` may skip.
pub const MAX_INTERVAL: u32 = 52;

/// A weekly repetition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    pub time_zone: Tz,
    /// Monday first.
    pub days: [bool; 7],
    /// Every how many weeks (1: every week).
    pub interval: u32,
    /// The local date of the last occurrence's start (from `UNTIL` or `COUNT`).
    pub last_date: Option<NaiveDate>,
    /// The rule as given, for reading back.
    pub rrule: String,
}

/// A window, as an admin writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSpec {
    pub reason: String,
    /// `None` selects every alert.
    pub filter: Option<Filter>,
    pub mode: Mode,
    pub starts_at: DateTime<Utc>,
    /// Each occurrence's length.
    pub duration: TimeDelta,
    pub recurrence: Option<Recurrence>,
}

const MEMBERS: [&str; 7] = [
    "reason",
    "filter",
    "mode",
    "starts_at",
    "ends_at",
    "duration",
    "recurrence",
];

impl WindowSpec {
    /// Reads `{"reason", "filter"?, "mode"?, "starts_at", "ends_at" | "duration",
    /// "recurrence"?: {"rrule", "time_zone"}}`. `mode` defaults to `suppress`; exactly one
    /// of `ends_at` (after `starts_at`) and `duration` (1 s to 366 days; a recurring
    /// window's at most 7 days). Every fault is named by its place.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        for key in body.keys() {
            if !MEMBERS.contains(&key.as_str()) {
                errors.push(FieldError::new(
                    key,
                    format!("is not a member: {}", MEMBERS.join(", ")),
                ));
            }
        }
        let reason = match body.get("reason").and_then(Value::as_str).map(str::trim) {
            Some(r) if (1..=500).contains(&r.chars().count()) && !r.contains('\0') => {
                Some(r.to_owned())
            }
            _ => {
                errors.push(FieldError::new(
                    "reason",
                    "is required: 1..=500 characters, not blank",
                ));
                None
            }
        };
        let filter = match body.get("filter") {
            None | Some(Value::Null) => Some(None),
            Some(raw) => match Filter::parse(raw, "filter") {
                Ok(f) => Some(Some(f)),
                Err(e) => {
                    errors.0.extend(e.0);
                    None
                }
            },
        };
        let mode = match body.get("mode") {
            None | Some(Value::Null) => Some(Mode::Suppress),
            Some(v) => errors.collect(Mode::parse(v.as_str().unwrap_or(""), "mode")),
        };
        let starts_at = errors.collect(time(body.get("starts_at"), "starts_at"));
        let duration = match (body.get("ends_at"), body.get("duration")) {
            (Some(_), Some(_)) => {
                errors.push(FieldError::new(
                    "duration",
                    "give ends_at or duration, not both",
                ));
                None
            }
            (None, None) => {
                errors.push(FieldError::new("ends_at", "is required (or duration)"));
                None
            }
            (Some(end), None) => match (errors.collect(time(Some(end), "ends_at")), starts_at) {
                (Some(end), Some(start))
                    if end - start >= TimeDelta::seconds(1)
                        && end - start <= MAX_SPAN
                        && (end - start).subsec_nanos() == 0 =>
                {
                    Some(end - start)
                }
                (Some(_), Some(_)) => {
                    errors.push(FieldError::new(
                        "ends_at",
                        "must be a whole number of seconds after starts_at, from 1 second to \
                         366 days",
                    ));
                    None
                }
                _ => None,
            },
            (None, Some(span)) => errors.collect(parse_span(Some(span), "duration")),
        };
        let recurrence = match (body.get("recurrence"), starts_at) {
            (None | Some(Value::Null), _) => Some(None),
            (Some(raw), Some(start)) => match Recurrence::parse(raw, start) {
                Ok(r) => Some(Some(r)),
                Err(e) => {
                    errors.0.extend(e.0);
                    None
                }
            },
            (Some(_), None) => None,
        };
        if let (Some(Some(_)), Some(d)) = (&recurrence, duration)
            && d > MAX_RECURRING_SPAN
        {
            errors.push(FieldError::new(
                "duration",
                "a recurring window lasts at most 7 days",
            ));
        }
        match (reason, filter, mode, starts_at, duration, recurrence) {
            (
                Some(reason),
                Some(filter),
                Some(mode),
                Some(starts_at),
                Some(duration),
                Some(recurrence),
            ) if errors.is_empty() => Ok(Self {
                reason,
                filter,
                mode,
                starts_at,
                duration,
                recurrence,
            }),
            _ => Err(errors),
        }
    }

    /// As stored and shown: the form [`WindowSpec::parse`] reads (with `ends_at` as given
    /// by the first occurrence's end).
    pub fn to_json(&self) -> Value {
        json!({
            "reason": self.reason,
            "filter": self.filter.as_ref().map(Filter::to_json),
            "mode": self.mode.as_str(),
            "starts_at": self.starts_at,
            "duration": self.duration.num_seconds(),
            "recurrence": self.recurrence.as_ref().map(|r| json!({
                "rrule": r.rrule,
                "time_zone": r.time_zone.name(),
            })),
        })
    }

    /// The occurrence running at `at`, as (start, end): `start <= at < end`.
    pub fn occurrence_at(&self, at: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let Some(rule) = &self.recurrence else {
            let end = self.starts_at + self.duration;
            return (self.starts_at <= at && at < end).then_some((self.starts_at, end));
        };
        // An occurrence running at `at` started at most a week before it: its local date is
        // one of the eight dates up to `at`'s.
        let today = at.with_timezone(&rule.time_zone).date_naive();
        (0..=7)
            .filter_map(|back| today.checked_sub_days(chrono::Days::new(back)))
            .filter_map(|date| self.start_on(rule, date))
            .map(|start| (start, start + self.duration))
            .find(|(start, end)| *start <= at && at < *end)
    }

    /// The first occurrence's start after `at` (strictly), if any is left.
    pub fn next_start_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let Some(rule) = &self.recurrence else {
            return (self.starts_at > at).then_some(self.starts_at);
        };
        let first = self.first_date(rule);
        let from = at.with_timezone(&rule.time_zone).date_naive().max(first);
        // Within INTERVAL weeks (plus the week the search starts in) an occurrence comes,
        // unless the rule has ended.
        let horizon = u64::from(rule.interval) * 7 + 7;
        (0..=horizon)
            .filter_map(|ahead| from.checked_add_days(chrono::Days::new(ahead)))
            .filter_map(|date| self.start_on(rule, date))
            .find(|start| *start > at)
    }

    /// Where the window stands at `at`, given when it was cancelled.
    pub fn state(&self, cancelled_at: Option<DateTime<Utc>>, at: DateTime<Utc>) -> WindowState {
        if cancelled_at.is_some_and(|c| c <= at) {
            WindowState::Cancelled
        } else if self.occurrence_at(at).is_some() {
            WindowState::Active
        } else if self.next_start_after(at).is_some() {
            WindowState::Scheduled
        } else {
            WindowState::Expired
        }
    }

    fn first_date(&self, rule: &Recurrence) -> NaiveDate {
        self.starts_at.with_timezone(&rule.time_zone).date_naive()
    }

    fn local_time(&self, rule: &Recurrence) -> NaiveTime {
        self.starts_at.with_timezone(&rule.time_zone).time()
    }

    /// The start of the occurrence on local `date`, if the rule has one that day.
    fn start_on(&self, rule: &Recurrence, date: NaiveDate) -> Option<DateTime<Utc>> {
        let first = self.first_date(rule);
        if date < first || rule.last_date.is_some_and(|last| date > last) {
            return None;
        }
        if !rule.days[date.weekday().num_days_from_monday() as usize] {
            return None;
        }
        let weeks = (week_of(date) - week_of(first)) / 7;
        if weeks % i64::from(rule.interval) != 0 {
            return None;
        }
        resolve(rule.time_zone, date.and_time(self.local_time(rule)))
    }
}

/// The Monday of `date`'s week, as a day number.
fn week_of(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - i64::from(date.weekday().num_days_from_monday())
}

fn time(value: Option<&Value>, field: &str) -> Result<DateTime<Utc>, FieldError> {
    value
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
        .map(|t| crate::ports::to_micros(t.with_timezone(&Utc)))
        .ok_or_else(|| FieldError::new(field, "is required: an RFC 3339 time"))
}

const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

impl Recurrence {
    /// Reads `{"rrule": "FREQ=WEEKLY;BYDAY=MO,WE;INTERVAL=2;UNTIL=20270101T000000Z",
    /// "time_zone": "Europe/Paris"}` for a window starting at `start`. `BYDAY` defaults to
    /// the start's weekday, `INTERVAL` to 1; `UNTIL` (a UTC time, whose local date is the
    /// last an occurrence starts on, or that local date itself) and `COUNT` (at most
    /// 1000) are exclusive; the start's own day must be one of `BYDAY`.
    pub fn parse(raw: &Value, start: DateTime<Utc>) -> Result<Self, ValidationErrors> {
        let bad = |field: &str, message: &str| {
            ValidationErrors::single(format!("recurrence.{field}"), message)
        };
        let Some(object) = raw.as_object() else {
            return Err(bad("rrule", "recurrence is an object: {rrule, time_zone}"));
        };
        let time_zone = parse_time_zone(object.get("time_zone").unwrap_or(&Value::Null))
            .map_err(|e| bad("time_zone", &e.message))?;
        let text = object
            .get("rrule")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("rrule", "is required, e.g. FREQ=WEEKLY;BYDAY=MO,WE"))?;
        let rule_text = text.trim().trim_start_matches("RRULE:");
        let (mut freq, mut days, mut interval, mut until, mut count) = (None, None, 1, None, None);
        let message = "must be FREQ=WEEKLY with optional BYDAY (MO..SU), INTERVAL (1..=52), \
                       and UNTIL (20270101T000000Z) or COUNT (1..=1000)";
        for part in rule_text.split(';').filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| bad("rrule", message))?;
            match key.to_ascii_uppercase().as_str() {
                "FREQ" if value.eq_ignore_ascii_case("WEEKLY") => freq = Some(()),
                "BYDAY" => {
                    let mut set = [false; 7];
                    for day in value.split(',') {
                        let i = DAYS
                            .iter()
                            .position(|d| d.eq_ignore_ascii_case(day.trim()))
                            .ok_or_else(|| bad("rrule", message))?;
                        set[i] = true;
                    }
                    days = Some(set);
                }
                "INTERVAL" => {
                    interval = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_INTERVAL).contains(n))
                        .ok_or_else(|| bad("rrule", message))?;
                }
                "UNTIL" => until = Some(parse_until(value).ok_or_else(|| bad("rrule", message))?),
                "COUNT" => {
                    count = Some(
                        value
                            .parse::<u32>()
                            .ok()
                            .filter(|n| (1..=MAX_COUNT).contains(n))
                            .ok_or_else(|| bad("rrule", message))?,
                    );
                }
                _ => return Err(bad("rrule", message)),
            }
        }
        if freq.is_none() || (until.is_some() && count.is_some()) {
            return Err(bad("rrule", message));
        }
        let first = start.with_timezone(&time_zone).date_naive();
        let days = days.unwrap_or_else(|| {
            let mut set = [false; 7];
            set[first.weekday().num_days_from_monday() as usize] = true;
            set
        });
        if !days[first.weekday().num_days_from_monday() as usize] {
            return Err(bad(
                "rrule",
                "BYDAY must include the weekday of starts_at in the time zone (the first occurrence)",
            ));
        }
        let mut rule = Self {
            time_zone,
            days,
            interval,
            last_date: None,
            rrule: rule_text.to_owned(),
        };
        rule.last_date = match (until, count) {
            (Some(until), _) => {
                let last = match until {
                    Until::At(at) => at.with_timezone(&time_zone).date_naive(),
                    Until::Date(date) => date,
                };
                if last < first {
                    return Err(bad("rrule", "UNTIL is before starts_at"));
                }
                Some(last)
            }
            (None, Some(count)) => rule.nth_date(first, count),
            (None, None) => None,
        };
        Ok(rule)
    }

    /// The local date of occurrence number `n` (1 = the first, on `first`).
    fn nth_date(&self, first: NaiveDate, n: u32) -> Option<NaiveDate> {
        let mut seen = 0;
        let mut date = first;
        // At most n weeks of INTERVAL each: bounded by MAX_COUNT * MAX_INTERVAL * 7 days.
        loop {
            let weeks = (week_of(date) - week_of(first)) / 7;
            if self.days[date.weekday().num_days_from_monday() as usize]
                && weeks % i64::from(self.interval) == 0
            {
                seen += 1;
                if seen == n {
                    return Some(date);
                }
            }
            date = date.succ_opt()?;
        }
    }
}

/// `UNTIL` as RFC 5545 writes it.
#[derive(Debug, Clone, Copy)]
enum Until {
    /// `20270101T000000Z`: the last occurrence starts on that instant's local date.
    At(DateTime<Utc>),
    /// `20270101`: a local date, the last an occurrence may start on.
    Date(NaiveDate),
}

fn parse_until(value: &str) -> Option<Until> {
    let value = value.trim();
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%SZ") {
        return Some(Until::At(t.and_utc()));
    }
    NaiveDate::parse_from_str(value, "%Y%m%d")
        .ok()
        .map(Until::Date)
}

/// A weekday's RRULE name.
pub fn day_name(day: Weekday) -> &'static str {
    DAYS[day.num_days_from_monday() as usize]
}

/// A stored window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowRecord {
    pub id: SuppressionWindowId,
    pub spec: WindowSpec,
    /// Who created it (the caller's user id, or `provider:<id>`/a system name).
    pub created_by: String,
    /// When a user ended it early.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// How many alerts it dropped.
    pub dropped_alerts: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WindowRecord {
    pub fn state(&self, at: DateTime<Utc>) -> WindowState {
        self.spec.state(self.cancelled_at, at)
    }

    /// The occurrence running at `at`, else the next one; none once cancelled or over.
    pub fn current_or_next(&self, at: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if self.cancelled_at.is_some_and(|c| c <= at) {
            return None;
        }
        self.spec.occurrence_at(at).or_else(|| {
            self.spec
                .next_start_after(at)
                .map(|start| (start, start + self.spec.duration))
        })
    }
}

/// The window that takes a new alert, with the occurrence running when it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub window_id: SuppressionWindowId,
    pub mode: Mode,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// An organization's windows that may still apply (not cancelled, not over), in the order
/// they were created: the first whose filter selects an alert and whose occurrence is
/// running takes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Windows {
    windows: Vec<WindowRecord>,
    drops_seen: bool,
}

impl Windows {
    /// `drops_seen`: whether the organization has ever had a `drop` window (a replay may
    /// then name an alert one dropped, even after the window is gone).
    pub fn new(windows: Vec<WindowRecord>, drops_seen: bool) -> Self {
        Self {
            drops_seen: drops_seen || windows_drop(&windows),
            windows,
        }
    }

    pub fn drops_seen(&self) -> bool {
        self.drops_seen
    }

    pub fn as_slice(&self) -> &[WindowRecord] {
        &self.windows
    }

    /// The window that takes a new ticket's alert at `now`, if any.
    pub fn applied(&self, ticket: &Ticket, now: DateTime<Utc>) -> Option<Applied> {
        self.windows
            .iter()
            .filter(|w| w.cancelled_at.is_none_or(|c| c > now))
            .filter(|w| w.spec.filter.as_ref().is_none_or(|f| f.matches(ticket)))
            .find_map(|w| {
                w.spec
                    .occurrence_at(now)
                    .map(|(starts_at, ends_at)| Applied {
                        window_id: w.id,
                        mode: w.spec.mode,
                        starts_at,
                        ends_at,
                    })
            })
    }
}

fn windows_drop(windows: &[WindowRecord]) -> bool {
    windows.iter().any(|w| w.spec.mode == Mode::Drop)
}

/// A ticket made silent by a `suppress` window: no events, assignment, SLA clock or
/// escalation until `until` (or the window's early cancel), when it is released
/// ([`release`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suppressed {
    pub window_id: SuppressionWindowId,
    /// The end of the occurrence that made it: its clocks were set to start then.
    pub window_end: DateTime<Utc>,
    /// When it is released: the occurrence's end, or the window's cancel if earlier.
    pub until: DateTime<Utc>,
}

/// An alert a `drop` window took: kept with the window, no ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct DroppedAlert {
    /// Given by the store; 0 on one not yet stored.
    pub id: i64,
    pub window_id: SuppressionWindowId,
    pub camera_id: CameraId,
    pub provider_id: ProviderId,
    pub external_id: Option<ExternalId>,
    pub title: Title,
    pub severity: Severity,
    pub alert_type: Option<AlertType>,
    pub payload: AlertData,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

impl DroppedAlert {
    /// `alert`, of a ticket on `camera_id`, taken by `window_id`.
    pub fn new(window_id: SuppressionWindowId, camera_id: CameraId, alert: &AlertRecord) -> Self {
        Self {
            id: 0,
            window_id,
            camera_id,
            provider_id: alert.provider_id,
            external_id: alert.external_id.clone(),
            title: alert.title.clone(),
            severity: alert.severity,
            alert_type: alert.alert_type.clone(),
            payload: alert.payload.clone(),
            occurred_at: alert.occurred_at,
            received_at: alert.received_at,
        }
    }
}

/// The dedup key of the ticket a `collect` window's occurrence gathers its alerts in: one
/// per window, occurrence (and provider: a ticket is one provider's).
pub fn collect_key(applied: &Applied) -> DedupKey {
    DedupKey::window(applied.window_id, applied.starts_at)
}

/// A silent ticket released at `now`: it starts as if created then.
///
/// Silenced by a `suppress` window, it is released at the occurrence's end: released
/// before it (the window was cancelled) its clocks start now, every due and warning time
/// and its escalation chain moving earlier by the time left (on a business calendar,
/// keeping the calendar time they had from the end); released late (every instance was
/// down) it starts at the end, as the window said. Silenced by an inhibiting ticket
/// ([`crate::inhibition`]), it is released when that ticket ends: its clocks move later by
/// the time it was silent, or, under `on_end: drop`, it is resolved without a word.
///
/// An active ticket is announced with one `ticket_created` event; one resolved while
/// silent is released without any. `None` for a ticket that is not silent.
pub fn release(ticket: &Ticket, now: DateTime<Utc>) -> Option<Released> {
    let (at, base) = match (ticket.suppressed, ticket.inhibited) {
        (Some(s), _) => (now.min(s.until), s.window_end),
        (None, Some(_)) => (now, ticket.created_at),
        (None, None) => return None,
    };
    let mut next = ticket.clone();
    next.suppressed = None;
    next.inhibited = None;
    next.updated_at = now;
    next.version += 1;
    if !ticket.status.is_active() {
        return Some(Released {
            ticket: next,
            history: None,
            event: None,
        });
    }
    if ticket.inhibited.is_some_and(|i| i.on_end == OnEnd::Drop) {
        let actor = Actor::System(SystemActor::builtin(SystemKind::Suppression, "inhibition"));
        let change = StatusChange {
            target: Status::Resolved,
            assignee_id: None,
            reason: Reason::parse(inhibition::REASON, "reason").ok(),
            hold_until: None,
        };
        // Every active status may be resolved; a refusal would leave it silent for good,
        // so it is released instead.
        if let Ok((mut resolved, history)) = apply_as(&next, &change, actor, now) {
            resolved.version = next.version;
            return Some(Released {
                ticket: resolved,
                history: Some(history),
                event: None,
            });
        }
    }
    next.created_at = at;
    if at != base {
        let calendar = next.sla_calendar.clone();
        let moved = |t: DateTime<Utc>| match calendar.as_deref() {
            Some(c) => c.add(at, c.between(base, t)).unwrap_or(t + (at - base)),
            None => t + (at - base),
        };
        next.first_response_due_at = moved(next.first_response_due_at);
        next.resolution_due_at = moved(next.resolution_due_at);
        next.first_response_warn_at = next.first_response_warn_at.map(moved);
        next.resolution_warn_at = next.resolution_warn_at.map(moved);
        if let Some(chain) = &next.escalation {
            let mut chain = (**chain).clone();
            chain.started_at = at;
            next.escalation = Some(std::sync::Arc::new(chain));
        }
    }
    let event = OutboxEvent::ticket_created(&next);
    Some(Released {
        ticket: next,
        history: None,
        event: Some(event),
    })
}

/// A released ticket and its announcement.
#[derive(Debug, Clone, PartialEq)]
pub struct Released {
    pub ticket: Ticket,
    /// The resolution of a dropped one.
    pub history: Option<HistoryEntry>,
    /// `ticket_created`, for a ticket still active.
    pub event: Option<OutboxEvent>,
}
