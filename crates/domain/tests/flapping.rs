//! Flapping (DESIGN.md, "Automation"): an alert for a ticket an auto-resolve rule resolved
//! less than the organization's window ago reopens it (`reopen_count`), never one a user
//! resolved, closed or marked false positive; from the threshold on the ticket is flapping
//! and its automatic events go out at most once per interval. Also who resolved a ticket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::json;
use ticket_domain::auto_resolve::{Cause, auto_resolve};
use ticket_domain::flapping::{FlapPolicy, Flapping, REASON, flap_reopen, reopens};
use ticket_domain::lifecycle::{apply, apply_as};
use ticket_domain::{
    Actor, AlertData, AutoResolveRuleId, AutoResolveRuleRecord, AutoResolveRuleSpec,
    AutoResolveRules, AutoResolved, CameraId, EventType, IngestDecision, NewAlert, OrgId,
    ProviderId, Severity, SlaPolicy, SlaRules, Status, StatusChange, Ticket, TicketDraft, Title,
    UserId, decide,
};

const ORG: OrgId = OrgId::from_u128(7);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap()
}

fn secs(n: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(n)
}

fn alert(severity: Severity) -> NewAlert {
    NewAlert {
        title: Title::parse("Gate open", "title").unwrap(),
        description: None,
        severity,
        camera_id: CameraId::parse(3, "camera_id").unwrap(),
        provider_id: ProviderId::from_uuid(uuid::Uuid::from_u128(1)),
        alert_type: None,
        alert_data: AlertData::empty(),
        occurred_at: None,
        external_id: None,
        dedup_key: None,
    }
}

fn rules(policy: FlapPolicy) -> SlaRules {
    let spec = AutoResolveRuleSpec::parse(json!({"name": "Ends"}).as_object().unwrap()).unwrap();
    let rule = AutoResolveRuleRecord {
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
        .with_auto_resolves(AutoResolveRules::new(vec![rule]))
        .with_flapping(policy)
}

fn draft(at: DateTime<Utc>, severity: Severity) -> TicketDraft {
    TicketDraft::under(
        ORG,
        alert(severity),
        &SlaPolicy::default(),
        &rules(FlapPolicy::default()),
        at,
    )
}

/// A ticket made at t0 and resolved by its rule's end event at `at`.
fn auto_resolved(at: DateTime<Utc>) -> Ticket {
    resolve(&draft(t0(), Severity::Medium).ticket, at)
}

fn resolve(ticket: &Ticket, at: DateTime<Utc>) -> Ticket {
    match auto_resolve(ticket, Cause::EndEvent, at) {
        Some(AutoResolved::Resolved { ticket, .. }) => ticket,
        other => panic!("resolved, not {other:?}"),
    }
}

fn by_user(ticket: &Ticket, target: Status, at: DateTime<Utc>) -> Ticket {
    let change = StatusChange {
        target,
        assignee_id: None,
        reason: None,
        hold_until: None,
    };
    apply(ticket, &change, &UserId::parse("ann", "u").unwrap(), at)
        .unwrap()
        .0
}

#[test]
fn the_policy_reads_its_defaults_and_names_each_fault() {
    let default = FlapPolicy::default();
    assert_eq!(default.reopen_window, TimeDelta::minutes(10));
    assert_eq!(default.threshold, 3);
    assert_eq!(default.event_interval, TimeDelta::minutes(5));
    assert_eq!(FlapPolicy::parse(&json!({"theme": "dark"})), Ok(default));
    assert_eq!(
        FlapPolicy::parse(&json!({"flapping": {"reopen_window": "90s", "threshold": 1}})),
        Ok(FlapPolicy {
            reopen_window: TimeDelta::seconds(90),
            threshold: 1,
            ..default
        })
    );
    assert_eq!(
        FlapPolicy::parse(&json!({"flapping": {"reopen_window": 0, "event_interval": 60}}))
            .unwrap(),
        FlapPolicy {
            reopen_window: TimeDelta::zero(),
            event_interval: TimeDelta::minutes(1),
            ..default
        }
    );
    let faults: Vec<String> = FlapPolicy::parse(&json!({"flapping": {
        "reopen_window": "soon", "threshold": 0, "event_interval": 0, "colour": 1}}))
    .unwrap_err()
    .0
    .into_iter()
    .map(|f| f.field)
    .collect();
    let mut expected = [
        "settings.flapping.reopen_window",
        "settings.flapping.threshold",
        "settings.flapping.event_interval",
        "settings.flapping.colour",
    ];
    let mut faults = faults;
    faults.sort();
    expected.sort_unstable();
    assert_eq!(faults, expected);
    assert_eq!(
        FlapPolicy::parse(&json!({"flapping": [1]})).unwrap_err().0[0].field,
        "settings.flapping"
    );
    assert_eq!(
        FlapPolicy::parse(&json!({"flapping": {"threshold": 1001}}))
            .unwrap_err()
            .0[0]
            .field,
        "settings.flapping.threshold"
    );
    assert_eq!(
        FlapPolicy::of_settings(&json!({"flapping": {"threshold": -1}})),
        default,
        "settings that no longer parse"
    );
}

#[test]
fn who_resolved_is_kept_while_resolved_and_a_reopen_is_counted() {
    let t = draft(t0(), Severity::Medium).ticket;
    assert_eq!((t.resolved_by(), t.resolved_automatically()), (None, None));
    let resolved = resolve(&t, secs(5));
    assert!(matches!(resolved.resolved_by(), Some(Actor::System(_))));
    assert_eq!(resolved.resolved_automatically(), Some(true));
    // Closing keeps who resolved, as it keeps when.
    let closed = by_user(&resolved, Status::Closed, secs(6));
    assert_eq!(closed.resolved_by(), resolved.resolved_by());
    // A reopen clears it and counts.
    let reopened = by_user(&resolved, Status::Open, secs(7));
    assert_eq!(reopened.resolved_by(), None);
    assert_eq!(reopened.reopen_count(), 1);
    let by_ann = by_user(&reopened, Status::Resolved, secs(8));
    assert_eq!(
        by_ann.resolved_by(),
        Some(&Actor::User(UserId::parse("ann", "u").unwrap()))
    );
    assert_eq!(by_ann.resolved_automatically(), Some(false));
    assert_eq!(by_user(&by_ann, Status::Open, secs(9)).reopen_count(), 2);
    // Moving between active statuses counts nothing.
    let assigned = apply_as(
        &t,
        &StatusChange {
            target: Status::InProgress,
            assignee_id: None,
            reason: None,
            hold_until: None,
        },
        Actor::User(UserId::parse("bob", "u").unwrap()),
        secs(1),
    )
    .unwrap()
    .0;
    assert_eq!(assigned.reopen_count(), 0);
}

#[test]
fn only_an_automatic_resolution_within_the_window_reopens() {
    let policy = FlapPolicy::default();
    let resolved = auto_resolved(secs(10));
    assert!(reopens(&resolved, &policy, secs(11)));
    assert!(reopens(&resolved, &policy, secs(10 + 599)));
    assert!(
        !reopens(&resolved, &policy, secs(10 + 600)),
        "the window is over"
    );
    let off = FlapPolicy {
        reopen_window: TimeDelta::zero(),
        ..policy
    };
    assert!(!reopens(&resolved, &off, secs(11)));
    // A user's resolution, close or false positive never.
    let t = draft(t0(), Severity::Medium).ticket;
    assert!(!reopens(
        &by_user(&t, Status::Resolved, secs(10)),
        &policy,
        secs(11)
    ));
    assert!(!reopens(
        &by_user(&resolved, Status::Closed, secs(11)),
        &policy,
        secs(12)
    ));
    assert!(!reopens(
        &by_user(&t, Status::FalsePositive, secs(10)),
        &policy,
        secs(11)
    ));
    // An active ticket is merged into, not reopened.
    assert!(!reopens(&t, &policy, secs(11)));
}

#[test]
fn a_flapping_alert_reopens_the_ticket_in_one_change() {
    let resolved = auto_resolved(secs(10));
    let next = draft(secs(20), Severity::Critical);
    let decision = decide(&next, None, Some(resolved.clone()), secs(20));
    let IngestDecision::Reopen(reopened) = decision else {
        panic!("reopened, not {decision:?}");
    };
    let t = &reopened.ticket;
    assert_eq!(t.id(), resolved.id());
    assert_eq!(t.status(), Status::Open);
    assert_eq!(t.reopen_count(), 1);
    assert_eq!(t.alert_count(), 2);
    assert_eq!(t.last_alert_at(), secs(20));
    assert_eq!(t.severity(), Severity::Critical, "raised as by a merge");
    assert_eq!(t.version(), resolved.version() + 1, "one change");
    assert_eq!((t.resolved_at(), t.resolved_by()), (None, None));
    assert_eq!(t.first_responded_at(), None, "no user acted");
    assert_eq!(t.flapping(), None, "below the threshold");
    assert_eq!(reopened.history.from_status, Some(Status::Resolved));
    assert_eq!(reopened.history.to_status, Status::Open);
    assert_eq!(
        reopened.history.actor.as_ref().map(ToString::to_string),
        Some("system:flapping:reopen".to_owned())
    );
    assert_eq!(
        reopened.history.reason.as_ref().map(|r| r.as_str()),
        Some(REASON)
    );
    let kinds: Vec<EventType> = reopened.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventType::StatusChanged, EventType::AlertMerged]);

    // Past the window, or after a user's resolution: a new ticket.
    let late = draft(secs(10 + 600), Severity::Medium);
    assert!(matches!(
        decide(&late, None, Some(resolved.clone()), secs(10 + 600)),
        IngestDecision::Create { .. }
    ));
    let marked = by_user(
        &draft(t0(), Severity::Medium).ticket,
        Status::FalsePositive,
        secs(10),
    );
    assert!(matches!(
        decide(&next, None, Some(marked), secs(20)),
        IngestDecision::Create { .. }
    ));
    // Another incident's ticket is never reopened.
    let mut other = draft(secs(20), Severity::Medium);
    other.ticket = TicketDraft::new(
        ORG,
        NewAlert {
            camera_id: CameraId::parse(4, "camera_id").unwrap(),
            ..alert(Severity::Medium)
        },
        &SlaPolicy::default(),
        secs(20),
    )
    .ticket;
    assert!(matches!(
        decide(&other, None, Some(resolved), secs(20)),
        IngestDecision::Create { .. }
    ));
}

#[test]
fn at_the_threshold_a_ticket_flaps_and_its_automatic_events_are_rate_limited() {
    let policy = FlapPolicy {
        reopen_window: TimeDelta::minutes(10),
        threshold: 2,
        event_interval: TimeDelta::seconds(60),
    };
    let reopen = |t: &Ticket, at: DateTime<Utc>| {
        let d = draft(at, Severity::Medium);
        flap_reopen(t, &d.alert, &policy, at).expect("reopened")
    };
    // Cycle 1: below the threshold, every event goes out.
    let first = reopen(&auto_resolved(secs(10)), secs(11));
    assert_eq!(first.ticket.flapping(), None);
    assert_eq!(first.events.len(), 2);
    // Cycle 2 reaches it: flapping from now, and this reopen's events go out.
    let second = reopen(&resolve(&first.ticket, secs(12)), secs(13));
    assert_eq!(
        second.ticket.flapping(),
        Some(&Flapping {
            since: secs(13),
            event_interval: TimeDelta::seconds(60),
            notified_at: Some(secs(13)),
        })
    );
    assert_eq!(second.events.len(), 2);
    // Within the interval: the resolution and the next reopen go out silently.
    let Some(AutoResolved::Resolved { ticket, event, .. }) =
        auto_resolve(&second.ticket, Cause::EndEvent, secs(20))
    else {
        panic!("resolved");
    };
    assert_eq!(event, None, "muted");
    assert_eq!(ticket.status(), Status::Resolved);
    let third = reopen(&ticket, secs(30));
    assert!(third.events.is_empty(), "muted");
    assert_eq!(third.ticket.reopen_count(), 3);
    assert_eq!(third.ticket.flapping().unwrap().since, secs(13), "still");
    assert_eq!(third.ticket.flapping().unwrap().notified_at, Some(secs(13)));
    // An interval after the last one sent, the next goes out and restarts the interval.
    let Some(AutoResolved::Resolved { ticket, event, .. }) =
        auto_resolve(&third.ticket, Cause::EndEvent, secs(73))
    else {
        panic!("resolved");
    };
    assert!(event.is_some());
    assert_eq!(ticket.flapping().unwrap().notified_at, Some(secs(73)));
    assert!(ticket.automatic_events_muted(secs(132)));
    assert!(!ticket.automatic_events_muted(secs(133)));
    // Stored and read back as written.
    let f = *ticket.flapping().unwrap();
    assert_eq!(Flapping::parse(&f.to_json()), Ok(f));
    assert!(Flapping::parse(&json!({"since": "x"})).is_err());
}

#[test]
fn a_stale_resolved_by_on_an_active_ticket_is_not_read() {
    // The previous release reopened tickets without clearing it.
    let resolved = auto_resolved(secs(5));
    let mut record = resolved.into_record();
    record.status = Status::Open;
    record.resolved_at = None;
    let reopened = Ticket::restore(record).unwrap();
    assert_eq!(reopened.resolved_by(), None);
    assert_eq!(reopened.resolved_automatically(), None);
}
