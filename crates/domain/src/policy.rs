//! SLA policies: an organization's own targets. Policies are ordered; a new ticket takes the
//! first active policy whose filter selects it and which sets targets for its severity, and
//! keeps what that policy said (due times, warning times, calendar) whatever later edits do.
//! A ticket no policy takes gets the service's default targets (the environment's).

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use crate::assignment::AssignmentRules;
use crate::auto_resolve::AutoResolveRules;
use crate::calendar::{BusinessCalendar, MAX_SPAN};
use crate::error::{FieldError, ValidationErrors};
use crate::escalation::EscalationRules;
use crate::filter::Filter;
use crate::flapping::FlapPolicy;
use crate::inhibition::InhibitPolicy;
use crate::model::{CalendarId, RuleName, Severity, SlaPolicyId};
use crate::sla::{DueTimes, SlaTargets};
use crate::suppression::Windows;
use crate::ticket::Ticket;

/// Targets for some of the severities (at least one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeverityTargets([Option<SlaTargets>; 5]);

impl SeverityTargets {
    /// Reads `{"critical": {"first_response": "5m", "resolution": "1h"}, ...}`: a severity
    /// left out is not covered by the policy. A duration is a whole number of seconds or a
    /// text such as `90s`, `5m`, `4h`, `7d`; from one second to 366 days. Faults are named
    /// as `targets.critical.resolution`.
    pub fn parse(raw: &Value) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let Some(object) = raw.as_object() else {
            return Err(ValidationErrors::single(
                "targets",
                "must be an object from severity to {first_response, resolution}",
            ));
        };
        let mut targets = [None; 5];
        for (key, value) in object {
            let at = format!("targets.{key}");
            let Ok(severity) = Severity::parse(key, &at) else {
                errors.push(FieldError::new(
                    at,
                    "is not a severity (critical, high, medium, low, info)",
                ));
                continue;
            };
            let Some(pair) = value.as_object() else {
                errors.push(FieldError::new(
                    at,
                    "must be an object {first_response, resolution}",
                ));
                continue;
            };
            if let Some(extra) = pair
                .keys()
                .find(|k| *k != "first_response" && *k != "resolution")
            {
                errors.push(FieldError::new(format!("{at}.{extra}"), "is not a target"));
                continue;
            }
            let first = errors.collect(parse_span(
                pair.get("first_response"),
                &format!("{at}.first_response"),
            ));
            let resolution = errors.collect(parse_span(
                pair.get("resolution"),
                &format!("{at}.resolution"),
            ));
            if let (Some(first_response), Some(resolution)) = (first, resolution) {
                targets[index(severity)] = Some(SlaTargets {
                    first_response,
                    resolution,
                });
            }
        }
        if object.is_empty() {
            errors.push(FieldError::new(
                "targets",
                "must set the targets of at least one severity",
            ));
        }
        errors.into_result().map(|()| Self(targets))
    }

    /// As JSON, durations in whole seconds (a form [`SeverityTargets::parse`] reads).
    pub fn to_json(&self) -> Value {
        let map: Map<String, Value> = Severity::ALL
            .iter()
            .filter_map(|&s| {
                self.get(s).map(|t| {
                    (
                        s.as_str().to_owned(),
                        json!({
                            "first_response": t.first_response.num_seconds(),
                            "resolution": t.resolution.num_seconds(),
                        }),
                    )
                })
            })
            .collect();
        Value::Object(map)
    }

    pub fn get(&self, severity: Severity) -> Option<SlaTargets> {
        self.0[index(severity)]
    }
}

fn index(severity: Severity) -> usize {
    Severity::ALL
        .iter()
        .position(|&s| s == severity)
        .unwrap_or_default()
}

/// A target: whole seconds, or a number with a unit (`s`, `m`, `h`, `d`).
pub(crate) fn parse_span(value: Option<&Value>, at: &str) -> Result<TimeDelta, FieldError> {
    const MESSAGE: &str = "must be a duration from 1 second to 366 days: whole seconds (300) or \
                           a number with a unit (90s, 5m, 4h, 7d)";
    let value = value.ok_or_else(|| FieldError::new(at, "is required"))?;
    let span = match value {
        // `try_seconds`: a huge number is a fault of the body, not a panic.
        Value::Number(n) => whole(n).and_then(TimeDelta::try_seconds),
        Value::String(text) => parse_span_text(text),
        _ => None,
    };
    span.filter(|s| *s >= TimeDelta::seconds(1) && *s <= MAX_SPAN)
        .ok_or_else(|| FieldError::new(at, MESSAGE))
}

fn parse_span_text(text: &str) -> Option<TimeDelta> {
    let unit_at = text.len().checked_sub(1)?;
    let (digits, unit) = text.split_at(unit_at);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 9 {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    Some(TimeDelta::seconds(n * seconds_per))
}

/// A whole number, as JSON Schema's `integer` counts them (`3600.0` included).
pub fn whole(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map(|f| f as i64)
    })
}

/// Reads an optional warning share: 1..=99 percent.
pub fn parse_warn_percent(value: &Value) -> Result<Option<u8>, FieldError> {
    const FIELD: &str = "warn_percent";
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => match whole(n) {
            Some(p) => crate::sla::warn_percent(p, FIELD).map(Some),
            None => Err(FieldError::new(
                FIELD,
                "must be a whole number from 1 to 99",
            )),
        },
        _ => Err(FieldError::new(
            FIELD,
            "must be a whole number from 1 to 99",
        )),
    }
}

/// Due and warning times of a target pair counted from `start`: on the calendar's hours
/// when there is one, else around the clock. `warn_percent` of each target elapsed is the
/// warning time.
pub fn due_times(
    targets: SlaTargets,
    warn_percent: u8,
    calendar: Option<&BusinessCalendar>,
    start: DateTime<Utc>,
) -> DueTimes {
    let share = |t: TimeDelta| {
        TimeDelta::milliseconds(t.num_milliseconds() * i64::from(warn_percent) / 100)
    };
    let after = |span: TimeDelta| match calendar {
        // Validated targets (at most MAX_SPAN) always fit a validated calendar; the
        // fallback keeps the function total.
        Some(c) => c.add(start, span).unwrap_or(start + span),
        None => start + span,
    };
    DueTimes {
        first_response: after(targets.first_response),
        resolution: after(targets.resolution),
        first_response_warn: after(share(targets.first_response)),
        resolution_warn: after(share(targets.resolution)),
    }
}

/// A policy as ingest applies it: its calendar resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedPolicy {
    pub id: SlaPolicyId,
    /// `None` selects every ticket.
    pub filter: Option<Filter>,
    pub targets: SeverityTargets,
    /// `None`: the service's share.
    pub warn_percent: Option<u8>,
    pub calendar: Option<Arc<BusinessCalendar>>,
}

/// An organization's active rules that shape a new ticket: its SLA policies, escalation
/// policies, assignment rules and auto-resolve rules, each in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlaRules {
    policies: Vec<AppliedPolicy>,
    escalations: EscalationRules,
    assignments: AssignmentRules,
    auto_resolves: AutoResolveRules,
    flapping: FlapPolicy,
    windows: Windows,
    inhibition: InhibitPolicy,
}

impl SlaRules {
    pub fn new(policies: Vec<AppliedPolicy>) -> Self {
        Self {
            policies,
            escalations: EscalationRules::default(),
            assignments: AssignmentRules::default(),
            auto_resolves: AutoResolveRules::default(),
            flapping: FlapPolicy::default(),
            windows: Windows::default(),
            inhibition: InhibitPolicy::default(),
        }
    }

    /// These rules, with the organization's inhibition of offline cameras' alerts.
    pub fn with_inhibition(mut self, inhibition: InhibitPolicy) -> Self {
        self.inhibition = inhibition;
        self
    }

    pub fn inhibition(&self) -> &InhibitPolicy {
        &self.inhibition
    }

    /// These rules, with the organization's suppression windows that may still apply.
    pub fn with_windows(mut self, windows: Windows) -> Self {
        self.windows = windows;
        self
    }

    pub fn windows(&self) -> &Windows {
        &self.windows
    }

    /// These rules, with the organization's treatment of flapping alerts.
    pub fn with_flapping(mut self, flapping: FlapPolicy) -> Self {
        self.flapping = flapping;
        self
    }

    pub fn flapping(&self) -> &FlapPolicy {
        &self.flapping
    }

    /// These rules, with these escalation policies (in order).
    pub fn with_escalations(mut self, escalations: EscalationRules) -> Self {
        self.escalations = escalations;
        self
    }

    pub fn escalations(&self) -> &EscalationRules {
        &self.escalations
    }

    /// These rules, with these assignment rules (in order).
    pub fn with_assignments(mut self, assignments: AssignmentRules) -> Self {
        self.assignments = assignments;
        self
    }

    pub fn assignments(&self) -> &AssignmentRules {
        &self.assignments
    }

    /// These rules, with these auto-resolve rules (in order).
    pub fn with_auto_resolves(mut self, auto_resolves: AutoResolveRules) -> Self {
        self.auto_resolves = auto_resolves;
        self
    }

    pub fn auto_resolves(&self) -> &AutoResolveRules {
        &self.auto_resolves
    }

    /// The policy a new ticket takes, with its targets for the ticket's severity: the first
    /// whose filter selects it and which sets targets for that severity.
    pub fn select(&self, ticket: &Ticket) -> Option<(&AppliedPolicy, SlaTargets)> {
        self.policies.iter().find_map(|p| {
            let targets = p.targets.get(ticket.severity())?;
            p.filter
                .as_ref()
                .is_none_or(|f| f.matches(ticket))
                .then_some((p, targets))
        })
    }
}

/// Records a fault for every member of `body` not in `allowed`: a misspelt member must not
/// pass silently as a default.
pub fn only_fields(body: &Map<String, Value>, allowed: &[&str], errors: &mut ValidationErrors) {
    for key in body.keys().filter(|k| !allowed.contains(&k.as_str())) {
        errors.push(FieldError::new(
            key.as_str(),
            format!("is not a field; the fields are {}", allowed.join(", ")),
        ));
    }
}

/// The `name` member: required, a [`RuleName`].
pub(crate) fn name_of(
    body: &Map<String, Value>,
    errors: &mut ValidationErrors,
) -> Option<RuleName> {
    match body.get("name") {
        Some(Value::String(name)) => errors.collect(RuleName::parse(name, "name")),
        Some(_) => {
            errors.push(FieldError::new("name", "must be a string"));
            None
        }
        None => {
            errors.push(FieldError::new("name", "is required"));
            None
        }
    }
}

/// The `position` member of an ordered rule: absent or null (`Some(None)`: after the
/// last), else a whole number 0 or more; `None` when at fault (recorded).
pub(crate) fn parse_position(
    raw: Option<&Value>,
    errors: &mut ValidationErrors,
) -> Option<Option<i32>> {
    match raw {
        None | Some(Value::Null) => Some(None),
        Some(v) => errors
            .collect(
                v.as_number()
                    .and_then(whole)
                    .and_then(|p| i32::try_from(p).ok())
                    .filter(|p| *p >= 0)
                    .ok_or_else(|| {
                        FieldError::new("position", "must be a whole number from 0 to 2147483647")
                    }),
            )
            .map(Some),
    }
}

/// Records the faults of `result` and returns its value.
pub(crate) fn collect_all<T>(
    result: Result<T, ValidationErrors>,
    errors: &mut ValidationErrors,
) -> Option<T> {
    result.map_err(|e| errors.0.extend(e.0)).ok()
}

/// What an admin writes to create or replace an SLA policy.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaPolicySpec {
    pub name: RuleName,
    /// Where it goes in the order; `None`: after the last.
    pub position: Option<i32>,
    pub filter: Option<Filter>,
    pub targets: SeverityTargets,
    pub calendar_id: Option<CalendarId>,
    pub warn_percent: Option<u8>,
}

impl SlaPolicySpec {
    /// Reads `{"name", "position"?, "filter"?, "targets", "calendar_id"?, "warn_percent"?}`:
    /// every fault named by its place, an unknown member included. `position` is 0 or
    /// more; the other members as [`Filter::parse`], [`SeverityTargets::parse`] and
    /// [`parse_warn_percent`] read them.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        only_fields(
            body,
            &[
                "name",
                "position",
                "filter",
                "targets",
                "calendar_id",
                "warn_percent",
            ],
            &mut errors,
        );
        let name = name_of(body, &mut errors);
        let position = parse_position(body.get("position"), &mut errors);
        let filter = match body.get("filter") {
            None | Some(Value::Null) => Some(None),
            Some(f) => collect_all(Filter::parse(f, "filter"), &mut errors).map(Some),
        };
        let targets = match body.get("targets") {
            None => {
                errors.push(FieldError::new("targets", "is required"));
                None
            }
            Some(t) => collect_all(SeverityTargets::parse(t), &mut errors),
        };
        let calendar_id = match body.get("calendar_id") {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(id)) => errors
                .collect(CalendarId::parse(id, "calendar_id"))
                .map(Some),
            Some(_) => {
                errors.push(FieldError::new("calendar_id", "must be a UUID"));
                None
            }
        };
        let warn_percent = errors.collect(parse_warn_percent(
            body.get("warn_percent").unwrap_or(&Value::Null),
        ));
        match (name, position, filter, targets, calendar_id, warn_percent) {
            (
                Some(name),
                Some(position),
                Some(filter),
                Some(targets),
                Some(calendar_id),
                Some(warn_percent),
            ) if errors.is_empty() => Ok(Self {
                name,
                position,
                filter,
                targets,
                calendar_id,
                warn_percent,
            }),
            _ => Err(errors),
        }
    }
}

/// A stored SLA policy.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaPolicyRecord {
    pub id: SlaPolicyId,
    pub name: RuleName,
    pub position: i32,
    pub filter: Option<Filter>,
    pub targets: SeverityTargets,
    pub calendar_id: Option<CalendarId>,
    pub warn_percent: Option<u8>,
    pub version: i64,
    /// Set when deleted while tickets refer to it: no longer applied, still readable.
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What an admin writes to create or replace a business calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarSpec {
    pub name: RuleName,
    pub calendar: BusinessCalendar,
}

impl CalendarSpec {
    /// Reads `{"name", "time_zone", "weekly_hours", "holidays"?}` (the calendar as
    /// [`BusinessCalendar::parse`] reads it): every fault named, an unknown member included.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        only_fields(
            body,
            &["name", "time_zone", "weekly_hours", "holidays"],
            &mut errors,
        );
        let name = name_of(body, &mut errors);
        let calendar = collect_all(BusinessCalendar::parse_members(body), &mut errors);
        match (name, calendar) {
            (Some(name), Some(calendar)) if errors.is_empty() => Ok(Self { name, calendar }),
            _ => Err(errors),
        }
    }
}

/// A stored business calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarRecord {
    pub id: CalendarId,
    pub name: RuleName,
    pub calendar: BusinessCalendar,
    pub version: i64,
    /// Set when deleted while an archived policy refers to it.
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How a delete ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Removal<T> {
    Deleted,
    /// Kept, archived (as it now stands): something still refers to it.
    Archived(T),
}

impl<T> Removal<T> {
    /// The archived object converted; a failed conversion is the error.
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Removal<U>, E> {
        Ok(match self {
            Removal::Deleted => Removal::Deleted,
            Removal::Archived(t) => Removal::Archived(f(t)?),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn faults(raw: Value) -> Vec<String> {
        SeverityTargets::parse(&raw)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn targets_read_seconds_and_units() {
        let t = SeverityTargets::parse(&json!({
            "critical": {"first_response": "90s", "resolution": "2h"},
            "low": {"first_response": 300, "resolution": "7d"},
            "info": {"first_response": "1m", "resolution": "366d"},
        }))
        .unwrap();
        let c = t.get(Severity::Critical).unwrap();
        assert_eq!(c.first_response, TimeDelta::seconds(90));
        assert_eq!(c.resolution, TimeDelta::hours(2));
        let l = t.get(Severity::Low).unwrap();
        assert_eq!(l.first_response, TimeDelta::minutes(5));
        assert_eq!(l.resolution, TimeDelta::days(7));
        assert_eq!(t.get(Severity::Info).unwrap().resolution, MAX_SPAN);
        assert_eq!(t.get(Severity::High), None);
        assert_eq!(t.get(Severity::Medium), None);
        assert_eq!(
            t.to_json(),
            json!({
                "critical": {"first_response": 90, "resolution": 7200},
                "low": {"first_response": 300, "resolution": 604_800},
                "info": {"first_response": 60, "resolution": 31_622_400},
            })
        );
        assert_eq!(SeverityTargets::parse(&t.to_json()).unwrap(), t);
    }

    #[test]
    fn target_faults_are_named() {
        assert_eq!(faults(json!([])), ["targets"]);
        assert_eq!(faults(json!({})), ["targets"]);
        assert_eq!(faults(json!({"urgent": {}})), ["targets.urgent"]);
        assert_eq!(faults(json!({"high": 5})), ["targets.high"]);
        assert_eq!(
            faults(json!({"high": {"first_response": 1, "resolution": 2, "x": 3}})),
            ["targets.high.x"]
        );
        assert_eq!(
            faults(json!({"high": {"resolution": 2}})),
            ["targets.high.first_response"]
        );
        for bad in [
            json!(0),
            json!(-1),
            json!(1.5),
            json!("0s"),
            json!("5"),
            json!("m"),
            json!("5w"),
            json!("-5m"),
            json!(" 5m"),
            json!("367d"),
            json!(31_622_401),
            json!("9999999999s"),
            json!(true),
            json!(null),
        ] {
            assert_eq!(
                faults(json!({"high": {"first_response": 60, "resolution": bad}})),
                ["targets.high.resolution"],
                "{bad}"
            );
        }
        assert!(
            SeverityTargets::parse(
                &json!({"high": {"first_response": 1, "resolution": 31_622_400}})
            )
            .is_ok()
        );
    }

    #[test]
    fn warn_percent_is_1_to_99_or_absent() {
        assert_eq!(parse_warn_percent(&Value::Null), Ok(None));
        assert_eq!(parse_warn_percent(&json!(1)), Ok(Some(1)));
        assert_eq!(parse_warn_percent(&json!(99)), Ok(Some(99)));
        assert_eq!(
            parse_warn_percent(&json!(50.0)),
            Ok(Some(50)),
            "JSON Schema's integer"
        );
        let t =
            SeverityTargets::parse(&json!({"high": {"first_response": 60.0, "resolution": 120}}));
        assert_eq!(
            t.unwrap().get(Severity::High).unwrap().first_response,
            TimeDelta::minutes(1)
        );
        for bad in [
            json!(0),
            json!(100),
            json!(-1),
            json!(50.5),
            json!("80"),
            json!(300),
        ] {
            assert_eq!(
                parse_warn_percent(&bad).unwrap_err().field,
                "warn_percent",
                "{bad}"
            );
        }
    }

    fn spec_faults(raw: Value) -> Vec<String> {
        SlaPolicySpec::parse(raw.as_object().unwrap())
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_policy_spec_reads_every_member_and_names_every_fault() {
        let spec = SlaPolicySpec::parse(
            json!({
                "name": " Gate ", "position": 3.0,
                "filter": {"field": "camera_id", "op": "eq", "value": 7},
                "targets": {"high": {"first_response": "1m", "resolution": 120}},
                "calendar_id": "0190a1b2-0000-7000-8000-000000000001", "warn_percent": 60,
            })
            .as_object()
            .unwrap(),
        )
        .unwrap();
        assert_eq!(spec.name.as_str(), "Gate");
        assert_eq!(spec.position, Some(3));
        assert!(spec.filter.is_some());
        assert_eq!(
            spec.calendar_id.map(|c| c.to_string()).as_deref(),
            Some("0190a1b2-0000-7000-8000-000000000001")
        );
        assert_eq!(spec.warn_percent, Some(60));
        let bare = SlaPolicySpec::parse(json!({"name": "x", "targets": {"low": {"first_response": 1, "resolution": 2}}, "filter": null}).as_object().unwrap()).unwrap();
        assert_eq!(
            (
                bare.position,
                bare.filter,
                bare.calendar_id,
                bare.warn_percent
            ),
            (None, None, None, None)
        );
        assert_eq!(spec_faults(json!({})), ["name", "targets"]);
        assert_eq!(
            spec_faults(
                json!({"name": 1, "position": -1, "filter": {"any": 1}, "targets": [],
                               "calendar_id": 5, "warn_percent": 0, "colour": "red"})
            ),
            [
                "colour",
                "name",
                "position",
                "filter.any",
                "targets",
                "calendar_id",
                "warn_percent"
            ]
        );
        assert_eq!(
            spec_faults(
                json!({"name": "x", "targets": {}, "position": 2_147_483_648_i64, "calendar_id": "nope"})
            ),
            ["position", "targets", "calendar_id"]
        );
    }

    #[test]
    fn a_calendar_spec_names_every_fault() {
        let ok = CalendarSpec::parse(
            json!({"name": "Office", "time_zone": "UTC",
            "weekly_hours": {"monday": [{"start": "09:00", "end": "17:00"}]}})
            .as_object()
            .unwrap(),
        )
        .unwrap();
        assert_eq!(ok.name.as_str(), "Office");
        let faults: Vec<String> = CalendarSpec::parse(
            json!({"time_zone": "x", "weekly_hours": {}, "x": 1})
                .as_object()
                .unwrap(),
        )
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| e.field)
        .collect();
        assert_eq!(faults, ["x", "name", "time_zone", "weekly_hours"]);
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn due_times_around_the_clock_and_on_a_calendar() {
        let targets = SlaTargets {
            first_response: TimeDelta::minutes(10),
            resolution: TimeDelta::hours(1),
        };
        let start = at("2026-11-27T16:30:00+01:00");
        let plain = due_times(targets, 80, None, start);
        assert_eq!(plain.first_response, start + TimeDelta::minutes(10));
        assert_eq!(plain.first_response_warn, start + TimeDelta::minutes(8));
        assert_eq!(plain.resolution, start + TimeDelta::hours(1));
        assert_eq!(plain.resolution_warn, start + TimeDelta::minutes(48));
        let day = json!([{"start": "09:00", "end": "17:00"}]);
        let office = BusinessCalendar::parse(&json!({
            "time_zone": "Europe/Berlin",
            "weekly_hours": {"monday": day, "friday": day},
        }))
        .unwrap();
        let due = due_times(targets, 50, Some(&office), start);
        assert_eq!(due.first_response, at("2026-11-27T16:40:00+01:00"));
        assert_eq!(due.first_response_warn, at("2026-11-27T16:35:00+01:00"));
        assert_eq!(due.resolution, at("2026-11-30T09:30:00+01:00"));
        assert_eq!(due.resolution_warn, at("2026-11-27T17:00:00+01:00"));
    }
}
