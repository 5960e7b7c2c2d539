//! What suppression windows do to new alerts (DESIGN.md, "Automation"): the first running
//! window whose filter selects the alert takes it; `drop` keeps the alert without a ticket,
//! `collect` gathers an occurrence's alerts in one ticket, `suppress` makes the ticket
//! silent until the window ends and then starts it as if created then. Tickets active
//! before the window are left as they are.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};
use ticket_domain::auto_resolve::{Cause, auto_resolve};
use ticket_domain::suppression::{
    Applied, Mode, Suppressed, WindowRecord, WindowSpec, Windows, release,
};
use ticket_domain::timer::{Fired, TimerKind, fire};
use ticket_domain::{
    AlertData, AssignTo, AssignmentRuleId, AssignmentRuleRecord, AssignmentRules,
    AutoResolveRuleId, AutoResolveRuleRecord, AutoResolveRuleSpec, AutoResolveRules, AutoResolved,
    CameraId, DedupKey, Earlier, EventType, ExternalId, FlapPolicy, IngestDecision, NewAlert,
    OrgId, ProviderId, RuleName, Severity, SlaPolicy, SlaRules, Status, SuppressionWindowId,
    Ticket, TicketDraft, Title, UserId, decide,
};

const ORG: OrgId = OrgId::from_u128(7);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap()
}

fn secs(n: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(n)
}

fn alert(camera: i64, external_id: Option<&str>) -> NewAlert {
    NewAlert {
        title: Title::parse("Motion", "title").unwrap(),
        description: None,
        severity: Severity::High,
        camera_id: CameraId::parse(camera, "camera_id").unwrap(),
        provider_id: ProviderId::from_uuid(uuid::Uuid::from_u128(1)),
        alert_type: None,
        alert_data: AlertData::empty(),
        occurred_at: None,
        external_id: external_id.map(|e| ExternalId::parse(e, "external_id").unwrap()),
        dedup_key: None,
    }
}

fn window(n: u128, body: Value) -> WindowRecord {
    WindowRecord {
        id: SuppressionWindowId::from_uuid(uuid::Uuid::from_u128(n)),
        spec: WindowSpec::parse(body.as_object().unwrap()).unwrap(),
        created_by: "admin".to_owned(),
        cancelled_at: None,
        dropped_alerts: 0,
        version: 1,
        created_at: t0(),
        updated_at: t0(),
    }
}

/// A window over camera `camera` from t0 for 60 s, in `mode`.
fn on_camera(n: u128, camera: i64, mode: &str) -> WindowRecord {
    window(
        n,
        json!({"reason": "maintenance", "mode": mode, "starts_at": t0(), "duration": "60s",
               "filter": {"field": "camera_id", "op": "eq", "value": camera}}),
    )
}

/// The organization's rules: an assignment rule and an auto-resolve rule that take every
/// ticket, and `windows`.
fn rules(windows: Vec<WindowRecord>) -> SlaRules {
    let assignment = AssignmentRuleRecord {
        id: AssignmentRuleId::from_uuid(uuid::Uuid::from_u128(5)),
        name: RuleName::parse("Everyone to Ann", "name").unwrap(),
        position: 1,
        filter: None,
        target: AssignTo::User(UserId::parse("ann", "u").unwrap()),
        version: 1,
        archived_at: None,
        created_at: t0(),
        updated_at: t0(),
    };
    let spec = AutoResolveRuleSpec::parse(json!({"name": "Ends"}).as_object().unwrap()).unwrap();
    let auto = AutoResolveRuleRecord {
        id: AutoResolveRuleId::from_uuid(uuid::Uuid::from_u128(42)),
        name: spec.name,
        position: 0,
        filter: spec.filter,
        quiet_period: spec.quiet_period,
        end_event: spec.end_event,
        target: spec.target,
        only_if_untouched: spec.only_if_untouched,
        version: 1,
        archived_at: None,
        created_at: t0(),
        updated_at: t0(),
    };
    SlaRules::new(vec![])
        .with_assignments(AssignmentRules::new(vec![assignment]))
        .with_auto_resolves(AutoResolveRules::new(vec![auto]))
        .with_flapping(FlapPolicy::default())
        .with_windows(Windows::new(windows, false))
}

fn draft(camera: i64, windows: Vec<WindowRecord>, at: DateTime<Utc>) -> TicketDraft {
    TicketDraft::under(
        ORG,
        alert(camera, None),
        &SlaPolicy::default(),
        &rules(windows),
        at,
    )
}

#[test]
fn the_first_running_window_whose_filter_selects_the_alert_takes_it() {
    let later = window(
        1,
        json!({"reason": "later", "mode": "drop", "starts_at": secs(120), "duration": "60s"}),
    );
    let other_camera = on_camera(2, 9, "drop");
    let mut cancelled = on_camera(3, 7, "drop");
    cancelled.cancelled_at = Some(secs(10));
    let collect = on_camera(4, 7, "collect");
    let suppress = on_camera(5, 7, "suppress");
    let windows = Windows::new(
        vec![later, other_camera, cancelled, collect, suppress],
        false,
    );
    let ticket = draft(7, vec![], secs(20)).ticket;
    assert_eq!(
        windows.applied(&ticket, secs(20)),
        Some(Applied {
            window_id: SuppressionWindowId::from_uuid(uuid::Uuid::from_u128(4)),
            mode: Mode::Collect,
            starts_at: t0(),
            ends_at: secs(60),
        }),
        "not one to come, of another camera or cancelled: the first of the rest"
    );
    assert_eq!(
        windows.applied(&ticket, secs(5)).unwrap().mode,
        Mode::Drop,
        "before the cancel"
    );
    assert_eq!(
        windows.applied(&ticket, secs(60)),
        None,
        "the end is not in the window"
    );
    assert_eq!(
        windows.applied(&ticket, secs(-1)),
        None,
        "nor before the start"
    );
    assert!(windows.drops_seen(), "a drop window was seen");
    assert!(!Windows::new(vec![], false).drops_seen());
    assert!(Windows::new(vec![], true).drops_seen(), "as the store says");
    let plain = draft(7, vec![], secs(20));
    assert_eq!((plain.window, plain.drops_seen), (None, false));
}

#[test]
fn drop_keeps_the_alert_without_a_ticket_and_a_replay_answers_it() {
    let d = TicketDraft::under(
        ORG,
        alert(7, Some("a-1")),
        &SlaPolicy::default(),
        &rules(vec![on_camera(1, 7, "drop")]),
        secs(5),
    );
    assert!(d.drops_seen);
    assert!(
        d.lookup(secs(5)).dropped_too,
        "replays are looked for among dropped alerts"
    );
    let IngestDecision::Drop(dropped) = decide(&d, None, None, secs(5)) else {
        panic!("dropped");
    };
    assert_eq!(dropped.window_id, d.window.unwrap().window_id);
    assert_eq!(dropped.camera_id, d.ticket.camera_id());
    assert_eq!(dropped.external_id, d.alert.external_id);
    assert_eq!((dropped.id, dropped.received_at), (0, secs(5)));
    // Its replay answers the dropped alert, even once the window is over.
    let after = TicketDraft::under(
        ORG,
        alert(7, Some("a-1")),
        &SlaPolicy::default(),
        &rules(vec![]),
        secs(600),
    );
    assert_eq!(
        decide(
            &after,
            Some(Earlier::Dropped(dropped.clone())),
            None,
            secs(600)
        ),
        IngestDecision::ReplayDropped(dropped)
    );
    // A ticket active before the window takes the alert as usual.
    let active = draft(7, vec![], secs(-30)).ticket;
    let IngestDecision::Merge { ticket, event } = decide(&d, None, Some(active.clone()), secs(5))
    else {
        panic!("merged");
    };
    assert_eq!(ticket.id(), active.id());
    assert_eq!(event.unwrap().kind, EventType::AlertMerged);
    // A replay of an alert that went to a ticket still wins.
    assert_eq!(
        decide(&d, Some(Earlier::Ticket(active.clone())), None, secs(5)),
        IngestDecision::Replay(active)
    );
    // Without an external id nothing is looked up.
    assert!(
        !draft(7, vec![on_camera(1, 7, "drop")], secs(5))
            .lookup(secs(5))
            .dropped_too
    );
}

#[test]
fn collect_gathers_an_occurrence_in_one_ticket_per_window_and_occurrence() {
    let weekly = window(
        8,
        json!({"reason": "nightly", "mode": "collect", "starts_at": t0(), "duration": "1h",
               "recurrence": {"rrule": "FREQ=WEEKLY", "time_zone": "UTC"}}),
    );
    let first = draft(3, vec![weekly.clone()], secs(10));
    let second = draft(4, vec![weekly.clone()], secs(3000));
    let next_week = draft(3, vec![weekly.clone()], t0() + TimeDelta::days(7));
    let key = format!("window/{}/{}", weekly.id, t0().timestamp());
    assert_eq!(first.ticket.dedup_key().as_str(), key);
    assert_eq!(
        second.ticket.dedup_key(),
        first.ticket.dedup_key(),
        "other cameras too"
    );
    assert_ne!(next_week.ticket.dedup_key(), first.ticket.dedup_key());
    assert!(!first.ticket.is_silent());
    assert!(
        first.assignment.is_some(),
        "a collected ticket is an ordinary one"
    );
    // The second alert merges into the first's ticket.
    let IngestDecision::Merge { ticket, .. } =
        decide(&second, None, Some(first.ticket.clone()), secs(3000))
    else {
        panic!("merged");
    };
    assert_eq!((ticket.id(), ticket.alert_count()), (first.ticket.id(), 2));
    let outside = draft(3, vec![weekly], secs(3600));
    assert_eq!(
        outside.ticket.dedup_key(),
        &DedupKey::derive(
            outside.ticket.provider_id(),
            outside.ticket.camera_id(),
            None,
            outside.ticket.title()
        )
    );
}

#[test]
fn suppress_makes_a_silent_ticket_whose_clocks_start_when_the_window_ends() {
    let plain = draft(7, vec![], secs(5));
    let d = draft(7, vec![on_camera(1, 7, "suppress")], secs(5));
    let window_id = SuppressionWindowId::from_uuid(uuid::Uuid::from_u128(1));
    assert_eq!(
        d.ticket.suppressed(),
        Some(&Suppressed {
            window_id,
            window_end: secs(60),
            until: secs(60)
        })
    );
    assert!(d.ticket.is_silent());
    assert_eq!(d.assignment, None, "no assignment while silent");
    assert!(plain.assignment.is_some());
    assert_eq!(d.ticket.dedup_key(), plain.ticket.dedup_key());
    // Every clock counts from the window's end.
    let shift = TimeDelta::seconds(55);
    assert_eq!(
        d.ticket.first_response_due_at(),
        plain.ticket.first_response_due_at() + shift
    );
    assert_eq!(
        d.ticket.resolution_due_at(),
        plain.ticket.resolution_due_at() + shift
    );
    assert_eq!(
        d.ticket.first_response_warn_at(),
        plain.ticket.first_response_warn_at().map(|w| w + shift)
    );
    assert_eq!(d.ticket.timer(TimerKind::Release), Some(secs(60)));
    assert!(
        d.ticket
            .timers()
            .iter()
            .all(|(kind, at)| *kind == TimerKind::AutoResolve || *at >= secs(60))
    );
    // Made without an event; merged into without one.
    assert_eq!(
        decide(&d, None, None, secs(5)),
        IngestDecision::Create { event: None }
    );
    let again = draft(7, vec![on_camera(1, 7, "suppress")], secs(9));
    let IngestDecision::Merge { ticket, event } =
        decide(&again, None, Some(d.ticket.clone()), secs(9))
    else {
        panic!("merged");
    };
    assert_eq!((ticket.alert_count(), event), (2, None));
    // A ticket an auto-resolve rule resolved a moment ago is not reopened by a silent one.
    let resolved = match auto_resolve(&plain.ticket, Cause::EndEvent, secs(6)) {
        Some(AutoResolved::Resolved { ticket, .. }) => ticket,
        other => panic!("resolved, not {other:?}"),
    };
    assert_eq!(
        decide(&d, None, Some(resolved.clone()), secs(7)),
        IngestDecision::Create { event: None }
    );
    assert!(matches!(
        decide(&plain, None, Some(resolved), secs(7)),
        IngestDecision::Reopen(_)
    ));
    // Its automatic changes make no event either.
    match auto_resolve(&d.ticket, Cause::EndEvent, secs(20)) {
        Some(AutoResolved::Resolved { event, .. }) => assert_eq!(event, None),
        other => panic!("resolved, not {other:?}"),
    }
}

fn stored(ticket: &Ticket) -> Ticket {
    let mut record = ticket.to_record();
    record.number = Some(ticket_domain::TicketNumber::new(12).unwrap());
    Ticket::restore(record).unwrap()
}

#[test]
fn the_release_starts_the_ticket_as_if_created_then_with_one_event() {
    let d = draft(7, vec![on_camera(1, 7, "suppress")], secs(5));
    let silent = stored(&d.ticket);
    // On time, or late: as of the window's end.
    for now in [secs(60), secs(600)] {
        let Some(Fired::Released(r)) = fire(&silent, TimerKind::Release, now) else {
            panic!("released at {now}");
        };
        let t = &r.ticket;
        assert_eq!(t.suppressed(), None);
        assert_eq!(t.created_at(), secs(60));
        assert_eq!(t.first_response_due_at(), silent.first_response_due_at());
        assert_eq!(t.resolution_due_at(), silent.resolution_due_at());
        assert_eq!((t.version(), t.updated_at()), (silent.version() + 1, now));
        assert_eq!(t.timer(TimerKind::Release), None);
        let event = r.event.expect("announced");
        assert_eq!(event.kind, EventType::TicketCreated);
        assert_eq!(event.ticket_id, silent.id());
        assert_eq!(event.payload["number"], json!("TCK-12"));
    }
    // Early (the window was cancelled at 20 s): every clock moves 40 s earlier.
    let mut cancelled = silent.to_record();
    cancelled.suppressed = Some(Suppressed {
        until: secs(20),
        ..*silent.suppressed().unwrap()
    });
    let cancelled = Ticket::restore(cancelled).unwrap();
    assert_eq!(cancelled.timer(TimerKind::Release), Some(secs(20)));
    let r = release(&cancelled, secs(21)).unwrap();
    let early = TimeDelta::seconds(40);
    assert_eq!(r.ticket.created_at(), secs(20));
    assert_eq!(
        r.ticket.first_response_due_at(),
        silent.first_response_due_at() - early
    );
    assert_eq!(
        r.ticket.resolution_due_at(),
        silent.resolution_due_at() - early
    );
    assert_eq!(
        r.ticket.resolution_warn_at(),
        silent.resolution_warn_at().map(|w| w - early)
    );
    assert!(r.event.is_some());
    // A ticket resolved while silent is released without a word.
    let resolved = match auto_resolve(&silent, Cause::EndEvent, secs(30)) {
        Some(AutoResolved::Resolved { ticket, .. }) => ticket,
        other => panic!("resolved, not {other:?}"),
    };
    assert_eq!(resolved.status(), Status::Resolved);
    let r = release(&resolved, secs(60)).unwrap();
    assert_eq!((r.event, r.ticket.suppressed()), (None, None));
    assert_eq!(r.ticket.created_at(), resolved.created_at(), "not started");
    // Nothing to release on an ordinary ticket.
    assert_eq!(
        release(&stored(&draft(7, vec![], secs(5)).ticket), secs(60)),
        None
    );
    assert_eq!(
        fire(&r.ticket, TimerKind::Release, secs(61)),
        None,
        "a stale timer does nothing"
    );
}

#[test]
fn a_stored_suppression_is_checked() {
    let d = draft(7, vec![on_camera(1, 7, "suppress")], secs(5));
    let mut record = d.ticket.to_record();
    record.suppressed = Some(Suppressed {
        until: secs(61),
        ..*d.ticket.suppressed().unwrap()
    });
    assert_eq!(
        Ticket::restore(record).unwrap_err().field,
        "suppressed_until"
    );
}
