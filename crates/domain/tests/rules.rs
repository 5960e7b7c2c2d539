//! The rules the store asks the domain for: the ingest decision, the event documents, the
//! invariants of a stored ticket, active statuses, and ids stamped from the clock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};
use ticket_domain::{
    Actor, AlertData, CameraId, Comment, CommentBody, CommentId, DedupKey, Earlier, EventType,
    ExternalId, FlapPolicy, HistoryEntry, Hold, IngestDecision, NewAlert, OrgId, Organization,
    OutboxEvent, ProviderId, Reason, Severity, SlaPolicy, SlaTarget, Status, SystemActor,
    SystemKind, Ticket, TicketDraft, TicketId, TicketNumber, Title, UserId, Visibility, decide,
};

/// The organization of the drafts and tickets below (not the default one).
const ORG: OrgId = OrgId::from_u128(7);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap()
}

fn provider(n: u128) -> ProviderId {
    ProviderId::from_uuid(uuid::Uuid::from_u128(n))
}

fn alert(severity: Severity, external_id: Option<&str>, dedup_key: Option<&str>) -> NewAlert {
    NewAlert {
        title: Title::parse("Person in zone", "title").unwrap(),
        description: None,
        severity,
        camera_id: CameraId::parse(3, "camera_id").unwrap(),
        provider_id: provider(1),
        alert_type: None,
        alert_data: AlertData::empty(),
        occurred_at: None,
        external_id: external_id.map(|e| ExternalId::parse(e, "external_id").unwrap()),
        dedup_key: dedup_key.map(|k| DedupKey::parse(k, "dedup_key").unwrap()),
    }
}

fn draft_at(severity: Severity, at: DateTime<Utc>) -> TicketDraft {
    TicketDraft::new(ORG, alert(severity, None, None), &SlaPolicy::default(), at)
}

/// `ticket` as if it belonged to `org`.
fn in_org(ticket: Ticket, org: OrgId) -> Ticket {
    let mut r = ticket.into_record();
    r.org_id = org;
    Ticket::restore(r).unwrap()
}

/// A stored ticket of the same incident as `draft_at(..)`, in `status`, numbered 7.
fn stored(status: Status, severity: Severity) -> Ticket {
    let mut r = draft_at(severity, t0()).ticket.into_record();
    r.number = TicketNumber::new(7);
    r.status = status;
    if status == Status::Assigned {
        r.assignee_id = Some(UserId::parse("alice", "a").unwrap());
    }
    if status.is_resolution() {
        r.resolved_at = Some(t0() + TimeDelta::minutes(1));
        r.first_responded_at = Some(t0() + TimeDelta::minutes(1));
    }
    if status == Status::Closed {
        r.closed_at = Some(t0() + TimeDelta::minutes(2));
    }
    if status == Status::OnHold {
        r.assignee_id = Some(UserId::parse("alice", "a").unwrap());
        r.first_responded_at = Some(t0() + TimeDelta::minutes(1));
        r.hold = Some(Hold {
            since: t0() + TimeDelta::minutes(1),
            until: None,
            from: Status::InProgress,
            reason: Reason::parse("guard on the way", "reason").unwrap(),
        });
    }
    Ticket::restore(r).unwrap()
}

// ----------------------------------------------------------------------------------------
// Active statuses
// ----------------------------------------------------------------------------------------

#[test]
fn active_statuses_are_open_assigned_in_progress_and_on_hold() {
    for &status in Status::ALL {
        let expected = matches!(
            status,
            Status::Open | Status::Assigned | Status::InProgress | Status::OnHold
        );
        assert_eq!(status.is_active(), expected, "{status}");
        assert_eq!(Status::ACTIVE.contains(&status), expected, "{status}");
    }
}

// ----------------------------------------------------------------------------------------
// The ingest decision
// ----------------------------------------------------------------------------------------

#[test]
fn the_lookup_names_the_drafts_incident_and_the_active_statuses() {
    let draft = TicketDraft::new(
        ORG,
        alert(Severity::High, Some("ext-1"), Some("gate-7")),
        &SlaPolicy::default(),
        t0(),
    );
    let lookup = draft.lookup(t0());
    assert_eq!(lookup.provider_id, provider(1));
    assert_eq!(lookup.external_id.map(|e| e.as_str()), Some("ext-1"));
    assert_eq!(lookup.dedup_key.as_str(), "gate-7");
    assert_eq!(lookup.active_statuses, Status::ACTIVE);
    // The default reopen window: ten minutes.
    assert_eq!(
        lookup.reopen_resolved_after,
        Some(t0() - TimeDelta::minutes(10))
    );
    let plain = draft_at(Severity::High, t0());
    assert_eq!(plain.lookup(t0()).external_id, None);
    assert_eq!(plain.lookup(t0()).dedup_key, plain.ticket.dedup_key());
    let never = TicketDraft {
        flap: FlapPolicy {
            reopen_window: TimeDelta::zero(),
            ..FlapPolicy::default()
        },
        ..plain
    };
    assert_eq!(never.lookup(t0()).reopen_resolved_after, None);
}

#[test]
fn a_replay_wins_over_an_active_ticket_and_changes_nothing() {
    let now = t0() + TimeDelta::minutes(5);
    let earlier = stored(Status::Resolved, Severity::Low);
    let active = stored(Status::Open, Severity::Low);
    for candidate in [Some(active), None] {
        let decision = decide(
            &draft_at(Severity::Critical, now),
            Some(Earlier::Ticket(earlier.clone())),
            candidate,
            now,
        );
        assert_eq!(decision, IngestDecision::Replay(earlier.clone()));
    }
}

#[test]
fn an_active_ticket_of_the_incident_takes_the_alert() {
    let now = t0() + TimeDelta::minutes(5);
    for &status in Status::ACTIVE {
        let current = stored(status, Severity::Medium);
        let draft = draft_at(Severity::Medium, now);
        let IngestDecision::Merge { ticket, event } =
            decide(&draft, None, Some(current.clone()), now)
        else {
            panic!("{status}: an active ticket of the incident must take the alert");
        };
        assert_eq!(ticket, current.merge_alert(&draft.alert, now), "{status}");
        assert_eq!(ticket.id(), current.id());
        assert_eq!(ticket.alert_count(), 2);
        assert_eq!(
            event,
            Some(OutboxEvent::alert_merged(&ticket, &draft.alert))
        );
    }
}

#[test]
fn a_merge_raises_the_severity_and_never_lowers_it() {
    let now = t0() + TimeDelta::minutes(5);
    let cases = [
        (Severity::Low, Severity::Critical, Severity::Critical),
        (Severity::Critical, Severity::Low, Severity::Critical),
        (Severity::Info, Severity::Medium, Severity::Medium),
        (Severity::High, Severity::High, Severity::High),
    ];
    for (stored_severity, alert_severity, expected) in cases {
        let current = stored(Status::Open, stored_severity);
        let decision = decide(&draft_at(alert_severity, now), None, Some(current), now);
        let IngestDecision::Merge { ticket, .. } = decision else {
            panic!("merge expected");
        };
        assert_eq!(
            ticket.severity(),
            expected,
            "{stored_severity} + {alert_severity}"
        );
        assert_eq!(
            ticket.first_response_due_at(),
            stored(Status::Open, stored_severity).first_response_due_at(),
            "due times stay"
        );
    }
}

#[test]
fn a_ticket_that_left_the_active_statuses_takes_no_alert() {
    let now = t0() + TimeDelta::minutes(5);
    for &status in Status::ALL.iter().filter(|s| !s.is_active()) {
        let draft = draft_at(Severity::High, now);
        let decision = decide(&draft, None, Some(stored(status, Severity::High)), now);
        assert_eq!(
            decision,
            IngestDecision::Create {
                event: Some(OutboxEvent::ticket_created(&draft.ticket))
            },
            "{status}"
        );
    }
}

#[test]
fn a_candidate_of_another_incident_is_ignored() {
    let now = t0() + TimeDelta::minutes(5);
    let draft = draft_at(Severity::High, now);
    let other_key = TicketDraft::new(
        ORG,
        alert(Severity::High, None, Some("another-key")),
        &SlaPolicy::default(),
        t0(),
    )
    .ticket;
    let mut other_provider = draft_at(Severity::High, t0()).ticket.into_record();
    other_provider.provider_id = provider(2);
    let other_provider = Ticket::restore(other_provider).unwrap();
    for candidate in [other_key, other_provider] {
        let decision = decide(&draft, None, Some(candidate), now);
        assert!(
            matches!(decision, IngestDecision::Create { .. }),
            "{decision:?}"
        );
    }
}

#[test]
fn a_candidate_of_another_organization_is_ignored() {
    let now = t0() + TimeDelta::minutes(5);
    let draft = draft_at(Severity::High, now);
    for &status in Status::ACTIVE {
        // The same provider and dedup key, active: only the organization differs.
        let same_org = stored(status, Severity::High);
        assert!(
            matches!(
                decide(&draft, None, Some(same_org.clone()), now),
                IngestDecision::Merge { .. }
            ),
            "{status}: in the draft's organization it takes the alert"
        );
        for other in [Organization::DEFAULT_ID, OrgId::from_u128(8)] {
            let candidate = in_org(same_org.clone(), other);
            assert_eq!(
                decide(&draft, None, Some(candidate), now),
                IngestDecision::Create {
                    event: Some(OutboxEvent::ticket_created(&draft.ticket))
                },
                "{status} in {other}"
            );
        }
    }
}

#[test]
fn without_a_match_the_draft_becomes_a_ticket_with_its_created_event() {
    let draft = draft_at(Severity::High, t0());
    let IngestDecision::Create { event: Some(event) } = decide(&draft, None, None, t0()) else {
        panic!("create expected");
    };
    assert_eq!(event.kind, EventType::TicketCreated);
    assert_eq!(event.ticket_id, draft.ticket.id());
    assert_eq!(event.at, t0());
    assert_eq!(event.payload["data"], json!({"title": "Person in zone"}));
}

// ----------------------------------------------------------------------------------------
// Event documents
// ----------------------------------------------------------------------------------------

/// The envelope every event carries.
fn assert_envelope(event: &OutboxEvent, kind: EventType, ticket: &Ticket, at: DateTime<Utc>) {
    let p = &event.payload;
    assert_eq!(event.kind, kind);
    assert_eq!(event.ticket_id, ticket.id());
    assert_eq!(event.at, at);
    assert_eq!(p["event_type"], kind.as_str());
    assert_eq!(p["ticket_id"], json!(ticket.id()));
    assert_eq!(p["org_id"], json!(ticket.org_id()));
    assert_eq!(p["number"], json!(ticket.number().map(|n| n.to_string())));
    assert_eq!(p["status"], ticket.status().as_str());
    assert_eq!(p["severity"], ticket.severity().as_str());
    assert_eq!(p["camera_id"], ticket.camera_id().get());
    assert_eq!(p["provider_id"], json!(ticket.provider_id()));
    assert_eq!(p["assignee_id"], json!(ticket.assignee_id()));
    assert_eq!(p["version"], ticket.version());
    assert_eq!(p["at"], json!(at));
    let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 12, "{keys:?}");
}

#[test]
fn a_created_event_carries_the_ticket_and_its_title() {
    let ticket = stored(Status::Open, Severity::High);
    let event = OutboxEvent::ticket_created(&ticket);
    assert_envelope(
        &event,
        EventType::TicketCreated,
        &ticket,
        ticket.updated_at(),
    );
    assert_eq!(event.payload["number"], "TCK-7");
    assert_eq!(event.payload["data"], json!({"title": "Person in zone"}));
}

#[test]
fn a_merged_event_carries_the_count_and_the_alert() {
    let now = t0() + TimeDelta::minutes(1);
    let draft = TicketDraft::new(
        ORG,
        alert(Severity::Critical, Some("ext-9"), None),
        &SlaPolicy::default(),
        now,
    );
    let ticket = stored(Status::Open, Severity::Low).merge_alert(&draft.alert, now);
    let event = OutboxEvent::alert_merged(&ticket, &draft.alert);
    assert_envelope(&event, EventType::AlertMerged, &ticket, now);
    assert_eq!(
        event.payload["data"],
        json!({"alert_count": 2, "alert_severity": "critical", "external_id": "ext-9"})
    );
}

#[test]
fn a_status_event_carries_the_change_and_its_actor() {
    let ticket = stored(Status::Assigned, Severity::High);
    let system = SystemActor::new(SystemKind::Escalation, "7").unwrap();
    let entries = [
        (Some(Actor::User(UserId::parse("bob", "a").unwrap())), "bob"),
        (Some(Actor::System(system)), "system:escalation:7"),
    ];
    for (actor, name) in entries {
        let entry = HistoryEntry {
            ticket_id: ticket.id(),
            from_status: Some(Status::Open),
            to_status: Status::Assigned,
            actor,
            reason: Some(Reason::parse("on shift", "reason").unwrap()),
            changed_at: ticket.updated_at(),
        };
        let event = OutboxEvent::status_changed(&ticket, &entry);
        assert_envelope(
            &event,
            EventType::StatusChanged,
            &ticket,
            ticket.updated_at(),
        );
        assert_eq!(
            event.payload["data"],
            json!({"from_status": "open", "to_status": "assigned", "actor": name,
                   "reason": "on shift"})
        );
    }
}

#[test]
fn a_comment_event_carries_the_comment_but_not_its_body() {
    let ticket = stored(Status::Open, Severity::High);
    let comment = Comment {
        id: CommentId::new_at(t0()),
        ticket_id: ticket.id(),
        author_id: UserId::parse("carol", "a").unwrap().into(),
        body: CommentBody::parse("secret detail", "body").unwrap(),
        visibility: Visibility::External,
        created_at: t0(),
    };
    let event = OutboxEvent::comment_added(&ticket, &comment);
    assert_envelope(
        &event,
        EventType::CommentAdded,
        &ticket,
        ticket.updated_at(),
    );
    assert_eq!(
        event.payload["data"],
        json!({"comment_id": comment.id, "author_id": "carol", "visibility": "external"})
    );
}

#[test]
fn every_event_carries_the_tickets_organization() {
    let user = UserId::parse("carol", "a").unwrap();
    for org in [ORG, Organization::DEFAULT_ID, OrgId::from_u128(8)] {
        let ticket = in_org(stored(Status::Open, Severity::High), org);
        let draft = TicketDraft::new(
            org,
            alert(Severity::Critical, Some("ext-2"), None),
            &SlaPolicy::default(),
            t0(),
        );
        let entry = HistoryEntry {
            ticket_id: ticket.id(),
            from_status: Some(Status::Open),
            to_status: Status::InProgress,
            actor: Some(Actor::User(user.clone())),
            reason: None,
            changed_at: ticket.updated_at(),
        };
        let (_, comment) = ticket.add_comment(
            user.clone(),
            CommentBody::parse("on it", "body").unwrap(),
            Visibility::Internal,
            t0(),
        );
        let late = ticket.resolution_due_at() + TimeDelta::seconds(1);
        let events = [
            OutboxEvent::ticket_created(&ticket),
            OutboxEvent::ticket_created(&draft.ticket),
            OutboxEvent::alert_merged(&ticket, &draft.alert),
            OutboxEvent::status_changed(&ticket, &entry),
            OutboxEvent::comment_added(&ticket, &comment),
            OutboxEvent::sla_breached(&ticket, SlaTarget::FirstResponse, late).unwrap(),
            OutboxEvent::sla_breached(&ticket, SlaTarget::Resolution, late).unwrap(),
            OutboxEvent::sla_warning(&ticket, SlaTarget::Resolution, t0()),
            OutboxEvent::ticket_escalated(&ticket, t0(), serde_json::json!({"step": 1})),
            OutboxEvent::assignment_failed(&ticket, t0(), serde_json::json!({"rule": "r"})),
        ];
        let kinds: Vec<EventType> = events.iter().map(|e| e.kind).collect();
        for &kind in EventType::ALL {
            assert!(kinds.contains(&kind), "{kind} is covered");
        }
        for event in events {
            assert_eq!(
                event.payload["org_id"].as_str(),
                Some(org.to_string().as_str()),
                "{} in {org}",
                event.kind
            );
        }
    }
}

#[test]
fn a_breach_event_exists_only_for_a_breached_target() {
    let ticket = stored(Status::Open, Severity::High); // due +15 min and +4 h, no events
    let fr_due = ticket.first_response_due_at();
    // (target, now, breached?)
    let cases = [
        (SlaTarget::FirstResponse, fr_due, false),
        (
            SlaTarget::FirstResponse,
            fr_due + TimeDelta::microseconds(1),
            true,
        ),
        (SlaTarget::Resolution, fr_due + TimeDelta::hours(1), false),
        (
            SlaTarget::Resolution,
            ticket.resolution_due_at() + TimeDelta::seconds(1),
            true,
        ),
    ];
    for (target, now, breached) in cases {
        let event = OutboxEvent::sla_breached(&ticket, target, now);
        assert_eq!(event.is_some(), breached, "{target} at {now}");
        if let Some(event) = event {
            assert_envelope(&event, EventType::SlaBreached, &ticket, now);
            assert_eq!(
                event.payload["data"],
                json!({"target": target.as_str(), "due_at": target.due(&ticket),
                       "event_at": Value::Null})
            );
        }
    }
    // A response that came late is a breach too, and the event says when it came.
    let mut late = ticket.to_record();
    late.first_responded_at = Some(fr_due + TimeDelta::minutes(1));
    let late = Ticket::restore(late).unwrap();
    let event = OutboxEvent::sla_breached(&late, SlaTarget::FirstResponse, fr_due);
    assert_eq!(
        event.map(|e| e.payload["data"]["event_at"].clone()),
        Some(json!(fr_due + TimeDelta::minutes(1)))
    );
    let resolved = stored(Status::Resolved, Severity::High); // met at +1 min
    let far = t0() + TimeDelta::days(30);
    assert_eq!(
        OutboxEvent::sla_breached(&resolved, SlaTarget::Resolution, far),
        None
    );
}

#[test]
fn sla_targets_read_their_own_columns() {
    let resolved = stored(Status::Resolved, Severity::High);
    let fr = SlaTarget::FirstResponse;
    let res = SlaTarget::Resolution;
    assert_eq!(fr.due(&resolved), resolved.first_response_due_at());
    assert_eq!(res.due(&resolved), resolved.resolution_due_at());
    assert_ne!(fr.due(&resolved), res.due(&resolved));
    assert_eq!(fr.event(&resolved), resolved.first_responded_at());
    assert_eq!(res.event(&resolved), resolved.resolved_at());
    let mut r = resolved.to_record();
    r.first_responded_at = Some(t0() + TimeDelta::seconds(5));
    let t = Ticket::restore(r).unwrap();
    assert_ne!(fr.event(&t), res.event(&t));
}

// ----------------------------------------------------------------------------------------
// Restoring a stored ticket
// ----------------------------------------------------------------------------------------

#[test]
fn a_record_round_trips() {
    for &status in Status::ALL {
        let t = stored(status, Severity::Low);
        assert_eq!(Ticket::restore(t.to_record()).as_ref(), Ok(&t), "{status}");
    }
}

#[test]
fn restore_refuses_a_ticket_that_breaks_an_invariant() {
    let base = || stored(Status::Open, Severity::Low).into_record();
    let mut cases = Vec::new();
    let mut r = base();
    r.alert_count = 0;
    cases.push((r, "alert_count"));
    let mut r = base();
    r.version = 0;
    cases.push((r, "version"));
    let mut r = base();
    r.first_alert_at = r.last_alert_at + TimeDelta::microseconds(1);
    cases.push((r, "first_alert_at"));
    let mut r = base();
    r.status = Status::Assigned;
    cases.push((r, "assignee_id"));
    for status in [Status::Resolved, Status::Closed, Status::FalsePositive] {
        let mut r = base();
        r.status = status;
        r.closed_at = Some(t0());
        cases.push((r, "resolved_at"));
    }
    let mut r = base();
    r.status = Status::Closed;
    r.resolved_at = Some(t0());
    cases.push((r, "closed_at"));
    let mut r = base();
    r.status = Status::OnHold;
    r.assignee_id = Some(UserId::parse("alice", "a").unwrap());
    cases.push((r, "hold"));
    let held = stored(Status::OnHold, Severity::Low).into_record();
    let mut r = held.clone();
    r.status = Status::InProgress;
    cases.push((r, "hold"));
    for from in [Status::Open, Status::OnHold, Status::Resolved] {
        let mut r = held.clone();
        if let Some(h) = r.hold.as_mut() {
            h.from = from;
        }
        cases.push((r, "held_from"));
    }
    let mut r = base();
    r.sla_paused_seconds = -1;
    cases.push((r, "sla_paused_seconds"));
    for (record, field) in cases {
        let err = Ticket::restore(record).err().map(|e| e.field);
        assert_eq!(err.as_deref(), Some(field));
    }
    // The edges are accepted: one alert, version 1, first == last alert.
    let mut r = base();
    r.alert_count = 1;
    r.version = 1;
    r.first_alert_at = r.last_alert_at;
    assert!(Ticket::restore(r).is_ok());
}

// ----------------------------------------------------------------------------------------
// Ids from the clock
// ----------------------------------------------------------------------------------------

#[test]
fn ids_carry_the_clocks_time_and_sort_by_it() {
    let later = t0() + TimeDelta::milliseconds(1);
    let a = TicketId::new_at(t0()).as_uuid();
    let b = TicketId::new_at(later).as_uuid();
    let millis = |u: uuid::Uuid| {
        let (s, n) = u.get_timestamp().unwrap().to_unix();
        s as i64 * 1000 + i64::from(n / 1_000_000)
    };
    assert_eq!(millis(a), t0().timestamp_millis());
    assert_eq!(millis(b), later.timestamp_millis());
    assert!(a < b);
    assert_eq!(a.get_version_num(), 7);
    assert_ne!(
        TicketId::new_at(t0()),
        TicketId::new_at(t0()),
        "random bits differ"
    );
    let c = CommentId::new_at(later).as_uuid();
    assert_eq!(millis(c), later.timestamp_millis());
}

#[test]
fn a_drafts_ids_come_from_its_time() {
    let now = t0() + TimeDelta::days(400);
    let draft = draft_at(Severity::Info, now);
    let (s, _) = draft
        .ticket
        .id()
        .as_uuid()
        .get_timestamp()
        .unwrap()
        .to_unix();
    assert_eq!(s as i64, now.timestamp());
}

// ----------------------------------------------------------------------------------------
// Comments
// ----------------------------------------------------------------------------------------

#[test]
fn the_earliest_comment_is_the_first_response() {
    let body = || CommentBody::parse("guard sent", "body").unwrap();
    let user = UserId::parse("dan", "a").unwrap();
    let open = stored(Status::Open, Severity::High);
    let at = t0() + TimeDelta::minutes(3);
    let (first, comment) = open.add_comment(user.clone(), body(), Visibility::Internal, at);
    assert_eq!(first.first_responded_at(), Some(at));
    assert_eq!(first.version(), open.version() + 1);
    assert_eq!(first.updated_at(), at);
    assert_eq!(comment.created_at, at);
    // A later comment keeps it; one recorded out of order (earlier) moves it back.
    let later = at + TimeDelta::minutes(1);
    let (second, _) = first.add_comment(user.clone(), body(), Visibility::Internal, later);
    assert_eq!(second.first_responded_at(), Some(at));
    assert_eq!(second.updated_at(), later);
    let earlier = at - TimeDelta::minutes(1);
    let (third, _) = second.add_comment(user, body(), Visibility::External, earlier);
    assert_eq!(third.first_responded_at(), Some(earlier));
    assert_eq!(third.updated_at(), later, "updated_at never moves back");
    assert_eq!(third.version(), open.version() + 3);
}
