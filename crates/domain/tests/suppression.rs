//! Suppression windows (DESIGN.md, "Automation"): a window's body, when an occurrence
//! runs (once, or weekly in a time zone across DST changes), and its state.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use ticket_domain::suppression::{Mode, WindowSpec, WindowState};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn spec(body: Value) -> WindowSpec {
    WindowSpec::parse(body.as_object().unwrap()).unwrap()
}

fn faults(body: Value) -> Vec<String> {
    let mut fields: Vec<String> = WindowSpec::parse(body.as_object().unwrap())
        .unwrap_err()
        .0
        .into_iter()
        .map(|f| f.field)
        .collect();
    fields.sort();
    fields
}

#[test]
fn a_window_reads_its_defaults_and_names_each_fault() {
    let w = spec(
        json!({"reason": "Camera 7 maintenance", "starts_at": "2026-03-01T10:00:00Z",
                        "duration": "3s"}),
    );
    assert_eq!(w.mode, Mode::Suppress, "the default mode");
    assert_eq!(w.duration, TimeDelta::seconds(3));
    assert_eq!((w.filter.is_none(), w.recurrence.is_none()), (true, true));
    let w = spec(
        json!({"reason": "r", "mode": "drop", "starts_at": "2026-03-01T10:00:00+01:00",
                        "ends_at": "2026-03-01T12:00:00+01:00",
                        "filter": {"field": "camera_id", "op": "eq", "value": 7}}),
    );
    assert_eq!(w.mode, Mode::Drop);
    assert_eq!(w.starts_at, at("2026-03-01T09:00:00Z"));
    assert_eq!(w.duration, TimeDelta::hours(2));
    assert!(w.filter.is_some());
    // Read back as written.
    let again = spec(w.to_json());
    assert_eq!(again, w);

    assert_eq!(
        faults(json!({"mode": "mute", "starts_at": "soon", "colour": 1})),
        ["colour", "ends_at", "mode", "reason", "starts_at"]
    );
    assert_eq!(
        faults(json!({"reason": "r", "starts_at": "2026-03-01T10:00:00Z",
                      "ends_at": "2026-03-01T10:00:00Z"})),
        ["ends_at"],
        "an end not after the start"
    );
    assert_eq!(
        faults(json!({"reason": "r", "starts_at": "2026-03-01T10:00:00Z",
                      "ends_at": "2026-03-01T11:00:00Z", "duration": 60})),
        ["duration"],
        "both"
    );
    assert_eq!(
        faults(
            json!({"reason": " ", "starts_at": "2026-03-01T10:00:00Z", "duration": 0,
                      "filter": {"field": "nope", "op": "eq", "value": 1}})
        ),
        ["duration", "filter.field", "reason"]
    );
    for end in [
        "2027-03-03T10:00:00Z",
        "2026-03-01T10:00:00.5Z",
        "2026-03-01T10:00:00.999Z",
    ] {
        assert_eq!(
            faults(json!({"reason": "r", "starts_at": "2026-03-01T10:00:00Z", "ends_at": end})),
            ["ends_at"],
            "{end}: longer than 366 days, or not whole seconds"
        );
    }
    let weekly = |rrule: &str, tz: &str, duration: Value| {
        json!({"reason": "r", "starts_at": "2026-03-02T10:00:00Z", "duration": duration,
               "recurrence": {"rrule": rrule, "time_zone": tz}})
    };
    for bad in [
        "FREQ=DAILY",
        "BYDAY=MO",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY;INTERVAL=0",
        "FREQ=WEEKLY;INTERVAL=53",
        "FREQ=WEEKLY;COUNT=0",
        "FREQ=WEEKLY;COUNT=1001",
        "FREQ=WEEKLY;COUNT=2;UNTIL=20270101T000000Z",
        "FREQ=WEEKLY;UNTIL=tomorrow",
        "FREQ=WEEKLY;UNTIL=20260101",
        "FREQ=WEEKLY;BYDAY=TU",
        "FREQ=WEEKLY;BYSETPOS=1",
    ] {
        assert_eq!(
            faults(weekly(bad, "UTC", json!("1h"))),
            ["recurrence.rrule"],
            "{bad}"
        );
    }
    assert_eq!(
        faults(weekly("FREQ=WEEKLY", "Mars/Olympus", json!("1h"))),
        ["recurrence.time_zone"]
    );
    assert_eq!(
        faults(weekly("FREQ=WEEKLY", "UTC", json!("8d"))),
        ["duration"],
        "longer than a week would overlap the next"
    );
    let ok = spec(weekly(
        "RRULE:FREQ=WEEKLY;BYDAY=MO,th;INTERVAL=2;COUNT=5",
        "UTC",
        json!("7d"),
    ));
    assert_eq!(ok.recurrence.unwrap().interval, 2);
}

#[test]
fn a_one_off_window_runs_from_its_start_to_its_end() {
    let w = spec(json!({"reason": "r", "starts_at": "2026-03-01T10:00:00Z", "duration": 3}));
    let (start, end) = (at("2026-03-01T10:00:00Z"), at("2026-03-01T10:00:03Z"));
    assert_eq!(w.occurrence_at(start), Some((start, end)));
    assert_eq!(
        w.occurrence_at(end - TimeDelta::microseconds(1)),
        Some((start, end))
    );
    assert_eq!(w.occurrence_at(end), None);
    assert_eq!(w.occurrence_at(start - TimeDelta::microseconds(1)), None);
    assert_eq!(
        w.state(None, start - TimeDelta::seconds(1)),
        WindowState::Scheduled
    );
    assert_eq!(w.state(None, start), WindowState::Active);
    assert_eq!(w.state(None, end), WindowState::Expired);
    // Cancelled early: from the cancel on, whatever the time says.
    let cancel = start + TimeDelta::seconds(1);
    assert_eq!(w.state(Some(cancel), start), WindowState::Active);
    assert_eq!(w.state(Some(cancel), cancel), WindowState::Cancelled);
    assert_eq!(
        w.state(Some(cancel), end + TimeDelta::days(1)),
        WindowState::Cancelled
    );
    assert_eq!(
        w.next_start_after(start - TimeDelta::seconds(1)),
        Some(start)
    );
    assert_eq!(w.next_start_after(start), None);
}

#[test]
fn a_weekly_window_keeps_its_local_time_across_a_dst_change() {
    // Saturdays 01:00-03:00 in Paris. Clocks go forward on Sunday 29 March 2026: before,
    // 01:00 is 00:00 UTC; after, 23:00 UTC the day before.
    let w = spec(
        json!({"reason": "Nightly cleaning", "starts_at": "2026-03-21T00:00:00Z",
                        "duration": "2h",
                        "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=SA",
                                       "time_zone": "Europe/Paris"}}),
    );
    assert_eq!(
        w.occurrence_at(at("2026-03-21T00:30:00Z")),
        Some((at("2026-03-21T00:00:00Z"), at("2026-03-21T02:00:00Z")))
    );
    assert_eq!(
        w.occurrence_at(at("2026-03-20T23:30:00Z")),
        None,
        "00:30 CET"
    );
    assert_eq!(
        w.occurrence_at(at("2026-04-03T23:30:00Z")),
        Some((at("2026-04-03T23:00:00Z"), at("2026-04-04T01:00:00Z"))),
        "01:30 CEST"
    );
    assert_eq!(
        w.occurrence_at(at("2026-04-04T01:30:00Z")),
        None,
        "03:30 CEST"
    );
    assert_eq!(
        w.occurrence_at(at("2026-03-25T00:30:00Z")),
        None,
        "a Wednesday"
    );
    // Saturday 28 March is still CET (the change comes the next night).
    assert_eq!(
        w.next_start_after(at("2026-03-21T00:00:00Z")),
        Some(at("2026-03-28T00:00:00Z"))
    );
    assert_eq!(
        w.next_start_after(at("2026-03-28T00:00:00Z")),
        Some(at("2026-04-03T23:00:00Z"))
    );
}

#[test]
fn a_local_start_a_dst_change_skips_moves_to_the_end_of_the_gap() {
    // Sundays 02:30 in Paris: on 29 March 2026 02:30 does not exist; that occurrence starts
    // at 03:00 CEST (01:00 UTC), and lasts its hour.
    let w = spec(
        json!({"reason": "r", "starts_at": "2026-03-22T01:30:00Z", "duration": "1h",
                        "recurrence": {"rrule": "FREQ=WEEKLY", "time_zone": "Europe/Paris"}}),
    );
    assert_eq!(
        w.occurrence_at(at("2026-03-29T01:10:00Z")),
        Some((at("2026-03-29T01:00:00Z"), at("2026-03-29T02:00:00Z")))
    );
    assert_eq!(
        w.occurrence_at(at("2026-04-05T00:45:00Z")),
        Some((at("2026-04-05T00:30:00Z"), at("2026-04-05T01:30:00Z"))),
        "02:30 CEST the week after"
    );
}

#[test]
fn interval_count_and_until_bound_the_occurrences() {
    // Every other Monday and Thursday at 10:00 UTC, five times: 2 Mar, 5 Mar, 16 Mar,
    // 19 Mar, 30 Mar.
    let w = spec(
        json!({"reason": "r", "starts_at": "2026-03-02T10:00:00Z", "duration": "1h",
                        "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=MO,TH;INTERVAL=2;COUNT=5",
                                       "time_zone": "UTC"}}),
    );
    let running = |day: &str| w.occurrence_at(at(&format!("{day}T10:30:00Z"))).is_some();
    for day in [
        "2026-03-02",
        "2026-03-05",
        "2026-03-16",
        "2026-03-19",
        "2026-03-30",
    ] {
        assert!(running(day), "{day}");
    }
    for day in [
        "2026-03-09",
        "2026-03-12",
        "2026-03-23",
        "2026-04-02",
        "2026-04-13",
    ] {
        assert!(!running(day), "{day}");
    }
    assert_eq!(
        w.state(None, at("2026-03-30T09:00:00Z")),
        WindowState::Scheduled
    );
    assert_eq!(
        w.state(None, at("2026-03-30T11:00:00Z")),
        WindowState::Expired
    );
    assert_eq!(
        w.next_start_after(at("2026-03-05T10:00:00Z")),
        Some(at("2026-03-16T10:00:00Z"))
    );

    let until = spec(json!({"reason": "r", "starts_at": "2026-03-02T10:00:00Z",
                            "duration": "1h",
                            "recurrence": {"rrule": "FREQ=WEEKLY;UNTIL=20260316",
                                           "time_zone": "UTC"}}));
    assert!(until.occurrence_at(at("2026-03-16T10:30:00Z")).is_some());
    // A bare UNTIL date is a local date: in Paris, Saturday 11 April 2026 00:30 local
    // (22:30 UTC the day before) is past UNTIL=20260410.
    let paris = spec(json!({"reason": "r", "starts_at": "2026-03-27T23:30:00Z",
                            "duration": "1h",
                            "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=SA;UNTIL=20260410",
                                           "time_zone": "Europe/Paris"}}));
    assert!(
        paris.occurrence_at(at("2026-04-03T22:45:00Z")).is_some(),
        "4 April"
    );
    assert!(
        paris.occurrence_at(at("2026-04-10T22:45:00Z")).is_none(),
        "11 April"
    );
    assert!(until.occurrence_at(at("2026-03-23T10:30:00Z")).is_none());
    assert_eq!(until.next_start_after(at("2026-03-16T10:00:00Z")), None);
    // Without an end, it goes on.
    let forever = spec(json!({"reason": "r", "starts_at": "2026-03-02T10:00:00Z",
                              "duration": "1h",
                              "recurrence": {"rrule": "FREQ=WEEKLY", "time_zone": "UTC"}}));
    assert!(forever.occurrence_at(at("2031-03-03T10:30:00Z")).is_some());
    assert_eq!(
        forever.state(None, at("2031-03-04T10:30:00Z")),
        WindowState::Scheduled
    );
    assert_eq!(
        forever.occurrence_at(at("2026-02-23T10:30:00Z")),
        None,
        "before the first"
    );
}
