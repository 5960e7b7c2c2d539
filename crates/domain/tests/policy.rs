//! SLA policies and business calendars (DESIGN.md, "SLA"): which policy a new ticket
//! takes, the due times it counts on its calendar, and holds measured on that calendar.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use ticket_domain::lifecycle;
use ticket_domain::timer::fire;
use ticket_domain::{
    AlertData, AlertType, AppliedPolicy, BusinessCalendar, CameraId, Filter, Fired, NewAlert,
    OrgId, ProviderId, Reason, Severity, SeverityTargets, SlaPolicy, SlaPolicyId, SlaRules, Status,
    StatusChange, Ticket, TicketDraft, TimerKind, Title, UserId,
};

const ORG: OrgId = OrgId::from_u128(7);

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn alert(severity: Severity, camera: i64, alert_type: &str) -> NewAlert {
    NewAlert {
        title: Title::parse("Person in zone", "title").unwrap(),
        description: None,
        severity,
        camera_id: CameraId::parse(camera, "camera_id").unwrap(),
        provider_id: ProviderId::from_uuid(uuid::Uuid::from_u128(1)),
        alert_type: Some(AlertType::parse(alert_type, "alert_type").unwrap()),
        alert_data: AlertData::empty(),
        occurred_at: None,
        external_id: None,
        dedup_key: None,
    }
}

/// Mon–Fri 09:00–17:00, Europe/Berlin, Christmas Day off.
fn office() -> Arc<BusinessCalendar> {
    let day = json!([{"start": "09:00", "end": "17:00"}]);
    Arc::new(
        BusinessCalendar::parse(&json!({
            "time_zone": "Europe/Berlin",
            "weekly_hours": {
                "monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day
            },
            "holidays": ["2026-12-25"],
        }))
        .unwrap(),
    )
}

fn policy(
    n: u128,
    filter: Option<serde_json::Value>,
    targets: serde_json::Value,
    calendar: Option<Arc<BusinessCalendar>>,
    warn_percent: Option<u8>,
) -> AppliedPolicy {
    AppliedPolicy {
        id: SlaPolicyId::from_uuid(uuid::Uuid::from_u128(n)),
        filter: filter.map(|f| Filter::parse(&f, "filter").unwrap()),
        targets: SeverityTargets::parse(&targets).unwrap(),
        warn_percent,
        calendar,
    }
}

fn rules() -> SlaRules {
    SlaRules::new(vec![
        // Camera 7 on office hours, critical only.
        policy(
            1,
            Some(json!({"field": "camera_id", "op": "eq", "value": 7})),
            json!({"critical": {"first_response": "10m", "resolution": "1h"}}),
            Some(office()),
            Some(50),
        ),
        // Every tampering alert, around the clock.
        policy(
            2,
            Some(json!({"field": "alert_type", "op": "eq", "value": "tampering"})),
            json!({"critical": {"first_response": "1m", "resolution": "2m"},
                   "low": {"first_response": "1h", "resolution": "2h"}}),
            None,
            None,
        ),
    ])
}

fn created(severity: Severity, camera: i64, alert_type: &str, now: DateTime<Utc>) -> Ticket {
    TicketDraft::under(
        ORG,
        alert(severity, camera, alert_type),
        &SlaPolicy::default(),
        &rules(),
        now,
    )
    .ticket
}

const FRIDAY_1630: &str = "2026-11-27T16:30:00+01:00";

#[test]
fn the_first_matching_policy_sets_targets_on_its_calendar() {
    let t = created(Severity::Critical, 7, "intrusion", at(FRIDAY_1630));
    assert_eq!(
        t.sla_policy_id(),
        Some(SlaPolicyId::from_uuid(uuid::Uuid::from_u128(1)))
    );
    assert_eq!(t.sla_calendar(), Some(&*office()));
    assert_eq!(t.first_response_due_at(), at("2026-11-27T16:40:00+01:00"));
    // One hour of office time from Friday 16:30 is Monday 09:30.
    assert_eq!(t.resolution_due_at(), at("2026-11-30T09:30:00+01:00"));
    // The policy's warning share (50 %).
    assert_eq!(
        t.first_response_warn_at(),
        Some(at("2026-11-27T16:35:00+01:00"))
    );
    assert_eq!(
        t.resolution_warn_at(),
        Some(at("2026-11-27T17:00:00+01:00"))
    );
}

#[test]
fn a_policy_without_targets_for_the_severity_is_passed_over() {
    // Camera 7 but low, tampering: the first policy has no low targets, the second has.
    let t = created(Severity::Low, 7, "tampering", at(FRIDAY_1630));
    assert_eq!(
        t.sla_policy_id(),
        Some(SlaPolicyId::from_uuid(uuid::Uuid::from_u128(2)))
    );
    assert_eq!(t.sla_calendar(), None);
    assert_eq!(t.resolution_due_at(), at(FRIDAY_1630) + TimeDelta::hours(2));
    // No share of its own: the service's 80 %.
    assert_eq!(
        t.first_response_warn_at(),
        Some(at(FRIDAY_1630) + TimeDelta::minutes(48))
    );
}

#[test]
fn order_decides_between_two_matching_policies() {
    let t = created(Severity::Critical, 7, "tampering", at(FRIDAY_1630));
    assert_eq!(
        t.sla_policy_id(),
        Some(SlaPolicyId::from_uuid(uuid::Uuid::from_u128(1)))
    );
}

#[test]
fn no_matching_policy_leaves_the_default_targets() {
    let now = at(FRIDAY_1630);
    let t = created(Severity::Critical, 8, "intrusion", now);
    let default = TicketDraft::new(
        ORG,
        alert(Severity::Critical, 8, "intrusion"),
        &SlaPolicy::default(),
        now,
    )
    .ticket;
    assert_eq!(t.sla_policy_id(), None);
    assert_eq!(t.sla_calendar(), None);
    assert_eq!(t.first_response_due_at(), default.first_response_due_at());
    assert_eq!(t.resolution_due_at(), now + TimeDelta::hours(1));
    assert_eq!(t.resolution_warn_at(), default.resolution_warn_at());
}

#[test]
fn a_policy_without_a_filter_takes_every_ticket_of_its_severities() {
    let rules = SlaRules::new(vec![policy(
        3,
        None,
        json!({"medium": {"first_response": 60, "resolution": 120}}),
        None,
        None,
    )]);
    let now = at(FRIDAY_1630);
    let medium = TicketDraft::under(
        ORG,
        alert(Severity::Medium, 1, "x"),
        &SlaPolicy::default(),
        &rules,
        now,
    )
    .ticket;
    assert_eq!(medium.resolution_due_at(), now + TimeDelta::seconds(120));
    let high = TicketDraft::under(
        ORG,
        alert(Severity::High, 1, "x"),
        &SlaPolicy::default(),
        &rules,
        now,
    )
    .ticket;
    assert_eq!(high.sla_policy_id(), None);
}

fn change(ticket: &Ticket, target: Status, reason: Option<&str>, now: DateTime<Utc>) -> Ticket {
    let change = StatusChange {
        target,
        assignee_id: None,
        reason: reason.map(|r| Reason::parse(r, "reason").unwrap()),
        hold_until: None,
    };
    lifecycle::apply(
        ticket,
        &change,
        &UserId::parse("alice", "user").unwrap(),
        now,
    )
    .unwrap()
    .0
}

#[test]
fn a_hold_on_a_calendar_gives_back_only_the_calendar_time_held() {
    let t = created(Severity::Critical, 7, "intrusion", at(FRIDAY_1630));
    let t = change(
        &t,
        Status::InProgress,
        None,
        at("2026-11-27T16:31:00+01:00"),
    );
    // Held at 16:40 with 50 office minutes left (20 on Friday, 30 on Monday).
    let t = change(
        &t,
        Status::OnHold,
        Some("guard"),
        at("2026-11-27T16:40:00+01:00"),
    );
    // Back on Monday at 09:10: the 50 minutes count again from then.
    let t = change(
        &t,
        Status::InProgress,
        None,
        at("2026-11-30T09:10:00+01:00"),
    );
    assert_eq!(t.resolution_due_at(), at("2026-11-30T10:00:00+01:00"));
    // The warning (Friday 17:00, not sent) had 20 office minutes left: Monday 09:30.
    assert_eq!(
        t.resolution_warn_at(),
        Some(at("2026-11-30T09:30:00+01:00"))
    );
}

#[test]
fn a_short_hold_in_office_hours_moves_due_times_by_its_length() {
    let start = at("2026-11-30T10:00:00+01:00");
    let t = created(Severity::Critical, 7, "intrusion", start);
    let t = change(&t, Status::InProgress, None, start + TimeDelta::seconds(5));
    let before = t.resolution_due_at();
    let held = change(
        &t,
        Status::OnHold,
        Some("guard"),
        start + TimeDelta::seconds(20),
    );
    let t = change(
        &held,
        Status::InProgress,
        None,
        start + TimeDelta::seconds(30),
    );
    assert_eq!(t.resolution_due_at(), before + TimeDelta::seconds(10));
}

#[test]
fn a_hold_released_by_its_timer_is_measured_on_the_calendar_too() {
    let t = created(Severity::Critical, 7, "intrusion", at(FRIDAY_1630));
    let t = change(
        &t,
        Status::InProgress,
        None,
        at("2026-11-27T16:31:00+01:00"),
    );
    let change_with_until = StatusChange {
        target: Status::OnHold,
        assignee_id: None,
        reason: Some(Reason::parse("guard", "reason").unwrap()),
        hold_until: Some(at("2026-11-30T09:10:00+01:00")),
    };
    let (held, _) = lifecycle::apply(
        &t,
        &change_with_until,
        &UserId::parse("alice", "user").unwrap(),
        at("2026-11-27T16:40:00+01:00"),
    )
    .unwrap();
    let Some(Fired::Transition { ticket, .. }) =
        fire(&held, TimerKind::HoldEnd, at("2026-11-30T09:10:00+01:00"))
    else {
        panic!("the hold ends at hold_until");
    };
    assert_eq!(ticket.resolution_due_at(), at("2026-11-30T10:00:00+01:00"));
}
