//! Business calendars: the hours an SLA counts. A calendar is weekly opening hours in an
//! IANA time zone, less holidays; an SLA target under a calendar is due when that much
//! calendar time has passed. Arithmetic runs on real instants: each opening interval is
//! turned into UTC through the zone on its own date, so a day with a DST change counts the
//! hours it really has (23 or 25 for a day open around the clock).
//!
//! Local times that a DST change skips do not exist: an interval boundary that falls in
//! the gap moves to the end of the gap. A local time that happens twice is taken the first
//! time.

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};

use crate::error::{FieldError, ValidationErrors};

/// The weekdays, Monday first, as the JSON names them.
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
/// Opening intervals per day.
pub const MAX_INTERVALS_PER_DAY: usize = 24;
/// Holidays per calendar.
pub const MAX_HOLIDAYS: usize = 1000;
/// The least a calendar may be open in a week: with targets of at most [`MAX_SPAN`], this
/// bounds the days any sum walks through.
pub const MIN_WEEKLY_MINUTES: u32 = 60;
/// The longest calendar time a calendar is asked to count (SLA targets, previews).
pub const MAX_SPAN: TimeDelta = TimeDelta::days(366);
/// How many days a sum may walk: [`MAX_SPAN`] at [`MIN_WEEKLY_MINUTES`] a week is
/// 8,784 weeks (61,488 days), plus a week for each holiday that closes the only open day.
const MAX_DAYS: i64 = 70_000;

const MINUTES_A_DAY: u16 = 24 * 60;

/// An opening interval on one day, in minutes from local midnight: `start < end <= 1440`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Interval {
    start: u16,
    end: u16,
}

/// Weekly hours in a time zone, less holidays. Valid by construction
/// ([`BusinessCalendar::parse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    time_zone: Tz,
    /// Monday first; each day's intervals sorted and disjoint.
    weekly: [Vec<Interval>; 7],
    holidays: BTreeSet<NaiveDate>,
}

impl BusinessCalendar {
    /// Reads `{"time_zone", "weekly_hours", "holidays"}`: `time_zone` an IANA name
    /// (`Europe/Berlin`); `weekly_hours` an object from weekday (`monday`..`sunday`, a day
    /// left out is closed) to a list of `{"start": "09:00", "end": "17:00"}` (`end` may be
    /// `24:00`), sorted and not overlapping; `holidays` an optional list of dates
    /// (`2026-12-25`), closed all day. Other keys are ignored (the caller's own, such as a
    /// name). Every fault is named by its place (`weekly_hours.monday[1].end`).
    pub fn parse(raw: &Value) -> Result<Self, ValidationErrors> {
        let Some(object) = raw.as_object() else {
            return Err(ValidationErrors::single(
                "calendar",
                "must be an object with time_zone and weekly_hours",
            ));
        };
        Self::parse_members(object)
    }

    /// [`BusinessCalendar::parse`] of an object's members.
    pub fn parse_members(object: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let time_zone = match object.get("time_zone") {
            None => {
                errors.push(FieldError::new("time_zone", "is required"));
                None
            }
            Some(value) => errors.collect(parse_time_zone(value)),
        };
        let weekly = match object.get("weekly_hours") {
            None => {
                errors.push(FieldError::new("weekly_hours", "is required"));
                None
            }
            Some(value) => parse_weekly(value, &mut errors),
        };
        let holidays = match object.get("holidays") {
            None | Some(Value::Null) => Some(BTreeSet::new()),
            Some(value) => parse_holidays(value, &mut errors),
        };
        match (time_zone, weekly, holidays) {
            (Some(time_zone), Some(weekly), Some(holidays)) if errors.is_empty() => Ok(Self {
                time_zone,
                weekly,
                holidays,
            }),
            _ => Err(errors),
        }
    }

    /// The calendar as JSON, in the form [`BusinessCalendar::parse`] reads (closed days
    /// left out).
    pub fn to_json(&self) -> Value {
        let weekly: Map<String, Value> = WEEKDAYS
            .iter()
            .zip(&self.weekly)
            .filter(|(_, intervals)| !intervals.is_empty())
            .map(|(day, intervals)| {
                let list = intervals
                    .iter()
                    .map(|i| json!({"start": hhmm(i.start), "end": hhmm(i.end)}))
                    .collect();
                ((*day).to_owned(), Value::Array(list))
            })
            .collect();
        let holidays: Vec<String> = self.holidays.iter().map(|d| d.to_string()).collect();
        json!({
            "time_zone": self.time_zone.name(),
            "weekly_hours": weekly,
            "holidays": holidays,
        })
    }

    /// The calendar as every sum from `at` on needs it: holidays before that are left out
    /// (a ticket keeps a copy of its calendar, and need not carry years of past ones). The
    /// same calendar, shared, when there are none to leave out.
    pub fn kept_from(self: &Arc<Self>, at: DateTime<Utc>) -> Arc<Self> {
        let first = self.local_date(at);
        if self.holidays.first().is_none_or(|h| *h >= first) {
            return Arc::clone(self);
        }
        Arc::new(Self {
            time_zone: self.time_zone,
            weekly: self.weekly.clone(),
            holidays: self.holidays.range(first..).copied().collect(),
        })
    }

    /// The instant at which `span` of calendar time has passed since `start`: `start`
    /// itself for a span of zero or less. `None` only past [`MAX_SPAN`]-sized sums, which
    /// validated targets never ask for.
    pub fn add(&self, start: DateTime<Utc>, span: TimeDelta) -> Option<DateTime<Utc>> {
        if span <= TimeDelta::zero() {
            return Some(start);
        }
        let mut left = span;
        for (open, close) in self.windows_from(self.local_date(start)) {
            if close <= start {
                continue;
            }
            let from = open.max(start);
            let available = close - from;
            if available >= left {
                return Some(from + left);
            }
            left -= available;
        }
        None
    }

    /// Calendar time between `from` and `to` (zero when `to` is not later).
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> TimeDelta {
        let mut total = TimeDelta::zero();
        if to <= from {
            return total;
        }
        for (open, close) in self.windows_from(self.local_date(from)) {
            if open >= to {
                break;
            }
            let overlap = close.min(to) - open.max(from);
            if overlap > TimeDelta::zero() {
                total += overlap;
            }
        }
        total
    }

    /// The local date of `at`, less a day: an interval of the day before may end after a
    /// DST change has moved midnight.
    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        let date = at.with_timezone(&self.time_zone).date_naive();
        date.pred_opt().unwrap_or(date)
    }

    /// Every opening window from local date `first` on, as UTC instants, in order; at most
    /// [`MAX_DAYS`] days.
    fn windows_from(
        &self,
        first: NaiveDate,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        first
            .iter_days()
            .take(MAX_DAYS as usize)
            .filter(|date| !self.holidays.contains(date))
            .flat_map(move |date| {
                let day = date.weekday().num_days_from_monday() as usize;
                self.weekly[day].iter().filter_map(move |interval| {
                    let open = self.instant(date, interval.start)?;
                    let close = self.instant(date, interval.end)?;
                    // Both ends inside one DST gap: the interval does not exist that day.
                    (close > open).then_some((open, close))
                })
            })
    }

    /// The instant of `minute` past local midnight on `date` (1440: the next midnight).
    fn instant(&self, date: NaiveDate, minute: u16) -> Option<DateTime<Utc>> {
        let (date, minute) = if minute >= MINUTES_A_DAY {
            (date.succ_opt()?, 0)
        } else {
            (date, minute)
        };
        let local = date.and_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0)?;
        resolve(self.time_zone, local)
    }
}

/// A local time as an instant: its first occurrence when it happens twice, the end of the
/// gap when a DST change skips it.
pub(crate) fn resolve(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
        // Gaps last minutes to hours (never a day): the first minute after it.
        LocalResult::None => (1..=MINUTES_A_DAY).find_map(|m| {
            let later = local + TimeDelta::minutes(i64::from(m));
            zone.from_local_datetime(&later)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        }),
    }
}

pub(crate) fn parse_time_zone(value: &Value) -> Result<Tz, FieldError> {
    value
        .as_str()
        .and_then(|name| Tz::from_str(name).ok())
        .ok_or_else(|| {
            FieldError::new(
                "time_zone",
                "must be an IANA time zone name, such as Europe/Berlin or UTC",
            )
        })
}

fn parse_weekly(value: &Value, errors: &mut ValidationErrors) -> Option<[Vec<Interval>; 7]> {
    let Some(object) = value.as_object() else {
        errors.push(FieldError::new(
            "weekly_hours",
            "must be an object from weekday (monday..sunday) to a list of {start, end}",
        ));
        return None;
    };
    let before = errors.0.len();
    let mut weekly: [Vec<Interval>; 7] = Default::default();
    for (key, intervals) in object {
        let at = format!("weekly_hours.{key}");
        let Some(day) = WEEKDAYS.iter().position(|d| d == key) else {
            errors.push(FieldError::new(at, "is not a weekday (monday..sunday)"));
            continue;
        };
        weekly[day] = parse_day(intervals, &at, errors);
    }
    if errors.0.len() > before {
        return None;
    }
    let minutes: u32 = weekly
        .iter()
        .flatten()
        .map(|i| u32::from(i.end - i.start))
        .sum();
    if minutes < MIN_WEEKLY_MINUTES {
        errors.push(FieldError::new(
            "weekly_hours",
            format!("must be open at least {MIN_WEEKLY_MINUTES} minutes a week"),
        ));
        return None;
    }
    Some(weekly)
}

fn parse_day(value: &Value, at: &str, errors: &mut ValidationErrors) -> Vec<Interval> {
    let Some(list) = value.as_array() else {
        errors.push(FieldError::new(
            at,
            "must be a list of {\"start\": \"HH:MM\", \"end\": \"HH:MM\"}",
        ));
        return Vec::new();
    };
    if list.len() > MAX_INTERVALS_PER_DAY {
        errors.push(FieldError::new(
            at,
            format!("holds at most {MAX_INTERVALS_PER_DAY} intervals"),
        ));
        return Vec::new();
    }
    let mut intervals = Vec::with_capacity(list.len());
    for (i, raw) in list.iter().enumerate() {
        let at = format!("{at}[{i}]");
        let Some(object) = raw.as_object() else {
            errors.push(FieldError::new(at, "must be an object {start, end}"));
            continue;
        };
        if let Some(key) = object.keys().find(|k| *k != "start" && *k != "end") {
            errors.push(FieldError::new(
                format!("{at}.{key}"),
                "is not a field of an interval",
            ));
            continue;
        }
        let start = errors.collect(parse_minute(
            object.get("start"),
            &format!("{at}.start"),
            false,
        ));
        let end = errors.collect(parse_minute(object.get("end"), &format!("{at}.end"), true));
        let (Some(start), Some(end)) = (start, end) else {
            continue;
        };
        if end <= start {
            errors.push(FieldError::new(
                format!("{at}.end"),
                "must be later than start",
            ));
            continue;
        }
        if let Some(previous) = intervals.last().copied() {
            let previous: Interval = previous;
            if start < previous.end {
                errors.push(FieldError::new(
                    format!("{at}.start"),
                    "must not be earlier than the previous interval's end (intervals sorted, \
                     not overlapping)",
                ));
                continue;
            }
        }
        intervals.push(Interval { start, end });
    }
    intervals
}

/// `HH:MM` as minutes from midnight; `24:00` only for an end.
fn parse_minute(value: Option<&Value>, at: &str, end: bool) -> Result<u16, FieldError> {
    let message = if end {
        "must be a time HH:MM, 00:01 to 24:00"
    } else {
        "must be a time HH:MM, 00:00 to 23:59"
    };
    let text = value
        .ok_or_else(|| FieldError::new(at, "is required"))?
        .as_str()
        .ok_or_else(|| FieldError::new(at, message))?;
    let parsed = (|| {
        let (h, m) = text.split_once(':')?;
        if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (m < 60 && h <= 24).then_some(h * 60 + m)
    })();
    match parsed {
        Some(minute) if minute < MINUTES_A_DAY || (end && minute == MINUTES_A_DAY) => Ok(minute),
        _ => Err(FieldError::new(at, message)),
    }
}

fn parse_holidays(value: &Value, errors: &mut ValidationErrors) -> Option<BTreeSet<NaiveDate>> {
    let Some(list) = value.as_array() else {
        errors.push(FieldError::new(
            "holidays",
            "must be a list of dates (YYYY-MM-DD)",
        ));
        return None;
    };
    if list.len() > MAX_HOLIDAYS {
        errors.push(FieldError::new(
            "holidays",
            format!("holds at most {MAX_HOLIDAYS} dates"),
        ));
        return None;
    }
    let before = errors.0.len();
    let dates: BTreeSet<NaiveDate> = list
        .iter()
        .enumerate()
        .filter_map(|(i, raw)| {
            let date = raw
                .as_str()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
            if date.is_none() {
                errors.push(FieldError::new(
                    format!("holidays[{i}]"),
                    "must be a date YYYY-MM-DD",
                ));
            }
            date
        })
        .collect();
    (errors.0.len() == before).then_some(dates)
}

fn hhmm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn berlin_office() -> BusinessCalendar {
        let day = json!([{"start": "09:00", "end": "17:00"}]);
        BusinessCalendar::parse(&json!({
            "time_zone": "Europe/Berlin",
            "weekly_hours": {
                "monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day
            },
            "holidays": ["2026-12-25"],
        }))
        .unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn friday_afternoon_runs_into_monday() {
        // Friday 16:30 Berlin (CET, UTC+1) plus one hour: 30 min Friday, 30 min Monday.
        let due = berlin_office().add(at("2026-11-27T16:30:00+01:00"), TimeDelta::hours(1));
        assert_eq!(due, Some(at("2026-11-30T09:30:00+01:00")));
    }

    #[test]
    fn across_the_spring_dst_change() {
        // Friday 27 March 2026 16:00 CET + 2 h: 1 h Friday, 1 h Monday 30 March (CEST).
        let due = berlin_office().add(at("2026-03-27T16:00:00+01:00"), TimeDelta::hours(2));
        assert_eq!(due, Some(at("2026-03-30T10:00:00+02:00")));
        assert_eq!(due, Some(at("2026-03-30T08:00:00Z")));
    }

    #[test]
    fn a_holiday_is_skipped() {
        // Thursday 24 Dec 16:00 + 2 h: 1 h Thursday, Friday 25th a holiday, 1 h Monday 28th.
        let due = berlin_office().add(at("2026-12-24T16:00:00+01:00"), TimeDelta::hours(2));
        assert_eq!(due, Some(at("2026-12-28T10:00:00+01:00")));
    }

    #[test]
    fn a_start_outside_hours_waits_for_the_opening() {
        let cal = berlin_office();
        let due = cal.add(at("2026-11-28T03:00:00+01:00"), TimeDelta::minutes(1));
        assert_eq!(due, Some(at("2026-11-30T09:01:00+01:00")));
        // Exactly at the close of a day: the time left goes to the next opening.
        let due = cal.add(at("2026-11-30T09:00:00+01:00"), TimeDelta::hours(8));
        assert_eq!(due, Some(at("2026-11-30T17:00:00+01:00")));
        let due = cal.add(
            at("2026-11-30T09:00:00+01:00"),
            TimeDelta::hours(8) + TimeDelta::seconds(1),
        );
        assert_eq!(due, Some(at("2026-12-01T09:00:01+01:00")));
    }

    #[test]
    fn zero_or_negative_span_is_the_start() {
        let start = at("2026-11-28T03:00:00Z");
        assert_eq!(berlin_office().add(start, TimeDelta::zero()), Some(start));
        assert_eq!(
            berlin_office().add(start, TimeDelta::seconds(-5)),
            Some(start)
        );
    }

    fn around_the_clock(zone: &str) -> BusinessCalendar {
        let day = json!([{"start": "00:00", "end": "24:00"}]);
        let weekly: Map<String, Value> = WEEKDAYS
            .iter()
            .map(|d| ((*d).to_owned(), day.clone()))
            .collect();
        BusinessCalendar::parse(&json!({"time_zone": zone, "weekly_hours": weekly})).unwrap()
    }

    #[test]
    fn around_the_clock_counts_real_time_through_both_dst_changes() {
        let cal = around_the_clock("Europe/Berlin");
        for start in [
            "2026-03-28T12:00:00Z",
            "2026-10-24T12:00:00Z",
            "2026-06-01T00:00:00Z",
        ] {
            let start = at(start);
            for hours in [1, 23, 24, 25, 49] {
                let span = TimeDelta::hours(hours);
                assert_eq!(
                    cal.add(start, span),
                    Some(start + span),
                    "{start} + {hours} h"
                );
                assert_eq!(cal.between(start, start + span), span);
            }
        }
    }

    #[test]
    fn a_window_in_the_skipped_hour_starts_when_the_gap_ends() {
        // 29 March 2026, Berlin: 02:00 CET jumps to 03:00 CEST. Open 02:30–04:00 that
        // Sunday really means 03:00–04:00 CEST, one hour.
        let cal = BusinessCalendar::parse(&json!({
            "time_zone": "Europe/Berlin",
            "weekly_hours": {"sunday": [{"start": "02:30", "end": "04:00"}]},
        }))
        .unwrap();
        let start = at("2026-03-29T00:00:00Z");
        assert_eq!(
            cal.between(start, at("2026-03-29T12:00:00Z")),
            TimeDelta::hours(1)
        );
        assert_eq!(
            cal.add(start, TimeDelta::minutes(30)),
            Some(at("2026-03-29T03:30:00+02:00"))
        );
    }

    #[test]
    fn a_repeated_hour_counts_twice() {
        // 25 October 2026, Berlin: 03:00 CEST falls back to 02:00 CET; 01:00–04:00 local
        // lasts four real hours.
        let cal = BusinessCalendar::parse(&json!({
            "time_zone": "Europe/Berlin",
            "weekly_hours": {"sunday": [{"start": "01:00", "end": "04:00"}]},
        }))
        .unwrap();
        let day = at("2026-10-24T12:00:00Z");
        assert_eq!(
            cal.between(day, day + TimeDelta::days(1)),
            TimeDelta::hours(4)
        );
    }

    #[test]
    fn between_is_the_inverse_of_add() {
        let cal = berlin_office();
        let start = at("2026-11-26T11:17:03Z");
        for minutes in [0, 1, 59, 60, 479, 480, 481, 960, 2400, 10_000] {
            let span = TimeDelta::minutes(minutes);
            let due = cal.add(start, span).unwrap();
            assert_eq!(cal.between(start, due), span, "{minutes} min");
        }
        assert_eq!(cal.between(start, start), TimeDelta::zero());
        assert_eq!(
            cal.between(start, start - TimeDelta::hours(1)),
            TimeDelta::zero()
        );
    }

    #[test]
    fn between_counts_only_open_hours() {
        let cal = berlin_office();
        // Monday 30 Nov 08:00 to Tuesday 1 Dec 10:00 local: 8 h Monday + 1 h Tuesday.
        assert_eq!(
            cal.between(
                at("2026-11-30T08:00:00+01:00"),
                at("2026-12-01T10:00:00+01:00")
            ),
            TimeDelta::hours(9)
        );
        // Within one interval.
        assert_eq!(
            cal.between(
                at("2026-11-30T10:00:00+01:00"),
                at("2026-11-30T10:00:30+01:00")
            ),
            TimeDelta::seconds(30)
        );
    }

    #[test]
    fn the_longest_span_is_reachable_at_the_sparsest_calendar() {
        let cal = BusinessCalendar::parse(&json!({
            "time_zone": "UTC",
            "weekly_hours": {"monday": [{"start": "00:00", "end": "01:00"}]},
        }))
        .unwrap();
        let start = at("2026-11-30T00:00:00Z");
        let due = cal.add(start, MAX_SPAN).unwrap();
        assert_eq!(cal.between(start, due), MAX_SPAN);
    }

    #[test]
    fn a_copy_kept_from_a_time_leaves_out_only_holidays_no_sum_from_then_can_meet() {
        let mut cal = berlin_office();
        cal.holidays.extend(
            ["2025-12-25", "2026-11-26", "2026-11-27"]
                .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
        );
        let cal = Arc::new(cal);
        // Friday 27 November, 10:00 Berlin: the 26th (and the day before it) may still be
        // walked through, 2025 may not.
        let at = at("2026-11-27T10:00:00+01:00");
        let kept = cal.kept_from(at);
        let dates: Vec<String> = kept.holidays.iter().map(ToString::to_string).collect();
        assert_eq!(dates, ["2026-11-26", "2026-11-27", "2026-12-25"]);
        for hours in [1, 8, 40, 400] {
            let span = TimeDelta::hours(hours);
            assert_eq!(kept.add(at, span), cal.add(at, span));
        }
        // Nothing to leave out: the same calendar.
        assert!(Arc::ptr_eq(&kept.kept_from(at), &kept));
    }

    #[test]
    fn json_round_trips() {
        let cal = berlin_office();
        assert_eq!(BusinessCalendar::parse(&cal.to_json()).unwrap(), cal);
        assert_eq!(
            cal.to_json()["weekly_hours"]["friday"],
            json!([{"start": "09:00", "end": "17:00"}])
        );
        assert_eq!(cal.to_json()["holidays"], json!(["2026-12-25"]));
        assert_eq!(cal.to_json()["time_zone"], "Europe/Berlin");
        assert!(cal.to_json()["weekly_hours"].get("sunday").is_none());
    }

    fn faults(raw: Value) -> Vec<String> {
        BusinessCalendar::parse(&raw)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn every_fault_is_named_by_its_place() {
        let ok = json!([{"start": "09:00", "end": "17:00"}]);
        assert_eq!(faults(json!([])), ["calendar"]);
        assert_eq!(faults(json!({})), ["time_zone", "weekly_hours"]);
        assert_eq!(
            faults(json!({"time_zone": "Mars/Olympus", "weekly_hours": {"monday": ok}})),
            ["time_zone"]
        );
        assert_eq!(
            faults(json!({"time_zone": 1, "weekly_hours": {"monday": ok}})),
            ["time_zone"]
        );
        assert_eq!(
            faults(json!({"time_zone": "UTC", "weekly_hours": []})),
            ["weekly_hours"]
        );
        assert_eq!(
            faults(json!({"time_zone": "UTC", "weekly_hours": {"funday": ok}})),
            ["weekly_hours.funday"]
        );
        assert_eq!(
            faults(json!({"time_zone": "UTC", "weekly_hours": {"monday": "9-5"}})),
            ["weekly_hours.monday"]
        );
        assert_eq!(
            faults(json!({"time_zone": "UTC", "weekly_hours": {"monday": [1]}})),
            ["weekly_hours.monday[0]"]
        );
        assert_eq!(
            faults(
                json!({"time_zone": "UTC", "weekly_hours": {"monday": [{"start": "09:00", "end": "17:00", "x": 1}]}})
            ),
            ["weekly_hours.monday[0].x"]
        );
        for (start, end, field) in [
            ("9:00", "17:00", "start"),
            ("09:00", "17:0", "end"),
            ("24:00", "24:00", "start"),
            ("09:00", "24:01", "end"),
            ("09:60", "17:00", "start"),
            ("0a:00", "17:00", "start"),
            ("09:00", "09:00", "end"),
            ("10:00", "09:00", "end"),
            ("+9:00", "17:00", "start"),
        ] {
            assert_eq!(
                faults(
                    json!({"time_zone": "UTC", "weekly_hours": {"monday": [{"start": start, "end": end}]}})
                ),
                [format!("weekly_hours.monday[0].{field}")],
                "{start}-{end}"
            );
        }
        assert_eq!(
            faults(json!({"time_zone": "UTC", "weekly_hours": {"monday": [{"end": "10:00"}]}})),
            ["weekly_hours.monday[0].start"]
        );
        assert_eq!(
            faults(json!({"time_zone": "UTC", "weekly_hours": {"monday": [
                {"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}
            ]}})),
            ["weekly_hours.monday[1].start"]
        );
        let many: Vec<Value> = (0..25)
            .map(|h| json!({"start": hhmm(h * 50), "end": hhmm(h * 50 + 10)}))
            .collect();
        assert_eq!(
            faults(json!({"time_zone": "UTC", "weekly_hours": {"monday": many}})),
            ["weekly_hours.monday"]
        );
        assert_eq!(
            faults(
                json!({"time_zone": "UTC", "weekly_hours": {"monday": [{"start": "09:00", "end": "09:59"}]}})
            ),
            ["weekly_hours"]
        );
        assert_eq!(
            faults(json!({"time_zone": "UTC", "weekly_hours": {"monday": ok}, "holidays": "x"})),
            ["holidays"]
        );
        assert_eq!(
            faults(
                json!({"time_zone": "UTC", "weekly_hours": {"monday": ok}, "holidays": ["2026-02-30"]})
            ),
            ["holidays[0]"]
        );
        let days: Vec<String> = (0..1001)
            .map(|i| {
                (NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + TimeDelta::days(i)).to_string()
            })
            .collect();
        assert_eq!(
            faults(json!({"time_zone": "UTC", "weekly_hours": {"monday": ok}, "holidays": days})),
            ["holidays"]
        );
    }

    #[test]
    fn edges_that_are_valid() {
        let exactly_an_hour = json!({"time_zone": "UTC", "weekly_hours": {
            "sunday": [{"start": "00:00", "end": "00:30"}, {"start": "00:30", "end": "01:00"}]
        }, "holidays": null});
        let cal = BusinessCalendar::parse(&exactly_an_hour).unwrap();
        assert_eq!(cal.weekly[6].len(), 2);
        let full: Vec<Value> = (0..24)
            .map(|h| json!({"start": hhmm(h * 60), "end": hhmm(h * 60 + 60)}))
            .collect();
        assert!(
            BusinessCalendar::parse(&json!({"time_zone": "UTC", "weekly_hours": {"monday": full}}))
                .is_ok()
        );
        let days: Vec<String> = (0..1000)
            .map(|i| {
                (NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + TimeDelta::days(i)).to_string()
            })
            .collect();
        assert!(BusinessCalendar::parse(&json!({"time_zone": "UTC", "weekly_hours": {"monday": [{"start": "00:00", "end": "01:00"}]}, "holidays": days})).is_ok());
    }
}
