//! Offline-camera inhibition (DESIGN.md, "Automation"): while a `camera_offline` or
//! `tampering` ticket (or the organization's own list) is active for a camera, a new ticket
//! of that camera's other alerts is silent until it ends, then released or dropped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::json;
use ticket_domain::inhibition::{InhibitPolicy, Inhibited, OnEnd};
use ticket_domain::lifecycle::apply;
use ticket_domain::suppression::release;
use ticket_domain::timer::{TimerKind, fire};
use ticket_domain::{
    AlertData, AlertType, CameraId, EventType, IngestDecision, NewAlert, OrgId, ProviderId,
    Severity, SlaPolicy, SlaRules, Status, StatusChange, Ticket, TicketDraft, Title, UserId,
    decide_among,
};

const ORG: OrgId = OrgId::from_u128(7);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap()
}

fn secs(n: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(n)
}

fn draft(camera: i64, alert_type: &str, policy: &InhibitPolicy, at: DateTime<Utc>) -> TicketDraft {
    let alert = NewAlert {
        title: Title::parse("Alert", "title").unwrap(),
        description: None,
        severity: Severity::High,
        camera_id: CameraId::parse(camera, "camera_id").unwrap(),
        provider_id: ProviderId::from_uuid(uuid::Uuid::from_u128(1)),
        alert_type: Some(AlertType::parse(alert_type, "alert_type").unwrap()),
        alert_data: AlertData::empty(),
        occurred_at: None,
        external_id: None,
        dedup_key: None,
    };
    let rules = SlaRules::default().with_inhibition(policy.clone());
    TicketDraft::under(ORG, alert, &SlaPolicy::default(), &rules, at)
}

fn stored(ticket: &Ticket) -> Ticket {
    let mut record = ticket.to_record();
    record.number = ticket_domain::TicketNumber::new(3);
    Ticket::restore(record).unwrap()
}

#[test]
fn the_policy_reads_its_defaults_and_names_each_fault() {
    let default = InhibitPolicy::parse(&json!({})).unwrap();
    assert_eq!(default, InhibitPolicy::default());
    let names: Vec<&str> = default.alert_types.iter().map(AlertType::as_str).collect();
    assert_eq!(names, ["camera_offline", "tampering"]);
    assert_eq!(default.on_end, OnEnd::Release);
    let own = InhibitPolicy::parse(
        &json!({"inhibition": {"alert_types": ["video_loss"], "on_end": "drop"}}),
    )
    .unwrap();
    assert_eq!(own.on_end, OnEnd::Drop);
    assert!(own.inhibits(&AlertType::parse("VIDEO_LOSS", "t").unwrap()));
    assert!(!own.inhibits(&AlertType::parse("camera_offline", "t").unwrap()));
    let off = InhibitPolicy::parse(&json!({"inhibition": {"alert_types": []}})).unwrap();
    assert!(!off.may_silence(None), "an empty list turns it off");
    let fields = |settings: serde_json::Value| -> Vec<String> {
        InhibitPolicy::parse(&settings)
            .unwrap_err()
            .0
            .into_iter()
            .map(|f| f.field)
            .collect()
    };
    assert_eq!(
        fields(json!({"inhibition": {"alert_types": "camera_offline", "on_end": "x", "y": 1}})),
        [
            "settings.inhibition.alert_types",
            "settings.inhibition.on_end",
            "settings.inhibition.y"
        ]
    );
    assert_eq!(fields(json!({"inhibition": 3})), ["settings.inhibition"]);
    assert_eq!(
        fields(json!({"inhibition": {"alert_types": [" "]}})),
        ["settings.inhibition.alert_types"]
    );
    assert_eq!(
        InhibitPolicy::of_settings(&json!({"inhibition": 3})),
        default
    );
}

#[test]
fn an_active_inhibitor_of_the_camera_silences_a_new_ticket_of_another_type() {
    let policy = InhibitPolicy::default();
    let offline = stored(&draft(9, "camera_offline", &policy, t0()).ticket);
    let motion = draft(9, "motion", &policy, secs(5));
    let lookup = motion.lookup(secs(5));
    let (camera, types) = lookup.inhibitors.expect("looked for");
    assert_eq!((camera.get(), types.len()), (9, 2));
    assert_eq!(
        draft(9, "Tampering", &policy, secs(5))
            .lookup(secs(5))
            .inhibitors,
        None,
        "an inhibiting alert is never silenced"
    );

    let IngestDecision::CreateInhibited(silent) =
        decide_among(&motion, None, None, Some(&offline), secs(5))
    else {
        panic!("silenced");
    };
    assert_eq!(
        silent.inhibited(),
        Some(&Inhibited {
            by: offline.id(),
            on_end: OnEnd::Release
        })
    );
    assert!(silent.is_silent());
    for kind in [
        TimerKind::SlaWarning,
        TimerKind::SlaBreach,
        TimerKind::Escalation,
    ] {
        assert_eq!(silent.timer(kind), None, "{kind} waits for the release");
    }
    assert_eq!(
        silent.timer(TimerKind::Release),
        None,
        "the inhibitor's end sets it"
    );
    let long_after = silent.resolution_due_at() + TimeDelta::days(1);
    for kind in [
        TimerKind::SlaWarning,
        TimerKind::SlaBreach,
        TimerKind::Escalation,
    ] {
        assert_eq!(fire(&silent, kind, long_after), None, "a stale {kind} row");
    }
    assert!(
        fire(&motion.ticket, TimerKind::SlaBreach, long_after).is_some(),
        "the same ticket, not silent, breaches"
    );

    // Not by a ticket of another camera, not active, or not of an inhibiting type.
    let elsewhere = stored(&draft(8, "camera_offline", &policy, t0()).ticket);
    let ordinary = stored(&draft(9, "intrusion", &policy, t0()).ticket);
    let change = StatusChange {
        target: Status::Resolved,
        assignee_id: None,
        reason: None,
        hold_until: None,
    };
    let (ended, _) = apply(
        &offline,
        &change,
        &UserId::parse("ann", "u").unwrap(),
        secs(2),
    )
    .unwrap();
    for other in [&elsewhere, &ordinary, &ended] {
        let IngestDecision::Create { event } =
            decide_among(&motion, None, None, Some(other), secs(5))
        else {
            panic!("an ordinary creation");
        };
        assert_eq!(event.unwrap().kind, EventType::TicketCreated);
    }
    // An active ticket of the incident takes the alert as usual.
    let active = stored(&draft(9, "motion", &policy, t0()).ticket);
    assert!(matches!(
        decide_among(&motion, None, Some(active), Some(&offline), secs(5)),
        IngestDecision::Merge { event: Some(_), .. }
    ));
}

#[test]
fn the_end_of_the_inhibitor_releases_or_drops_the_silenced_ticket() {
    let policy = InhibitPolicy::default();
    let offline = stored(&draft(9, "camera_offline", &policy, t0()).ticket);
    let motion = draft(9, "motion", &policy, secs(5));
    let IngestDecision::CreateInhibited(silent) =
        decide_among(&motion, None, None, Some(&offline), secs(5))
    else {
        panic!("silenced");
    };
    let silent = stored(&silent);
    // Released 100 s later: every clock moves 100 s later, the ticket starts then.
    let r = release(&silent, secs(105)).unwrap();
    let later = TimeDelta::seconds(100);
    assert_eq!(r.ticket.created_at(), secs(105));
    assert_eq!(
        r.ticket.first_response_due_at(),
        silent.first_response_due_at() + later
    );
    assert_eq!(
        r.ticket.resolution_due_at(),
        silent.resolution_due_at() + later
    );
    assert_eq!(
        r.ticket.first_response_warn_at(),
        silent.first_response_warn_at().map(|w| w + later)
    );
    assert_eq!((r.ticket.inhibited(), r.history), (None, None));
    assert_eq!(r.event.unwrap().kind, EventType::TicketCreated);
    assert!(
        r.ticket.timer(TimerKind::SlaBreach).is_some(),
        "its clocks run"
    );

    // Under `drop`: resolved by the service, without an event.
    let dropping = InhibitPolicy {
        on_end: OnEnd::Drop,
        ..policy
    };
    let motion = draft(9, "motion", &dropping, secs(5));
    let IngestDecision::CreateInhibited(silent) =
        decide_among(&motion, None, None, Some(&offline), secs(5))
    else {
        panic!("silenced");
    };
    let silent = stored(&silent);
    let r = release(&silent, secs(105)).unwrap();
    assert_eq!(r.ticket.status(), Status::Resolved);
    assert_eq!(r.ticket.resolved_automatically(), Some(true));
    assert_eq!(r.ticket.version(), silent.version() + 1);
    let history = r.history.expect("the resolution is recorded");
    assert_eq!(history.to_status, Status::Resolved);
    assert_eq!(
        history.reason.as_ref().map(|r| r.as_str()),
        Some(ticket_domain::inhibition::REASON)
    );
    assert_eq!((r.event, r.ticket.inhibited()), (None, None));
}
