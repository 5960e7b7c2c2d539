//! `TicketService` against a mocked repository and a fixed clock: what each use case reads,
//! what it writes, and how it maps the store's answers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use mockall::Sequence;
use ticket_domain::ports::MockTicketRepository;
use ticket_domain::{
    Action, Actor, AlertData, Caller, CameraId, Comment, CommentBody, Cursor, DedupKey, FixedClock,
    Forbidden, HistoryEntry, IngestOutcome, Ingested, ListQuery, NewAlert, OrgId, Page, ProviderId,
    RepositoryError, Role, ServiceError, Severity, SlaPolicy, SlaState, Status, StatusChange,
    StoredAlert, Ticket, TicketDetails, TicketDraft, TicketFilter, TicketNumber, TicketRef,
    TicketService, TicketStats, Title, TransitionError, UserId, Visibility,
};

// ----------------------------------------------------------------------------------------
// Fixtures
// ----------------------------------------------------------------------------------------

/// The organization of every call. Not the default one, so a service that dropped the
/// caller's organization for the default would be caught too.
const ORG: OrgId = OrgId::from_u128(7);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap()
}

fn user(name: &str) -> UserId {
    UserId::parse(name, "user").unwrap()
}

fn provider() -> ProviderId {
    ProviderId::from_uuid(uuid::Uuid::from_u128(
        0x0123_4567_89ab_cdef_0123_4567_89ab_cdef,
    ))
}

fn alert(severity: Severity) -> NewAlert {
    NewAlert {
        title: Title::parse("Person in restricted zone", "title").unwrap(),
        description: None,
        severity,
        camera_id: cam(17),
        provider_id: provider(),
        alert_type: None,
        alert_data: AlertData::empty(),
        occurred_at: None,
        external_id: None,
        dedup_key: None,
    }
}

/// A stored ticket created at `t0()` (severity high), put in `status` at `version`.
fn stored(status: Status, assignee: Option<&str>, version: i64) -> Ticket {
    let draft = TicketDraft::new(ORG, alert(Severity::High), &SlaPolicy::default(), t0());
    let mut t = draft.ticket.to_record();
    t.number = Some(num(1042));
    t.status = status;
    t.assignee_id = assignee.map(user);
    t.version = version;
    if status != Status::Open {
        t.first_responded_at = Some(t0() + TimeDelta::minutes(1));
    }
    if status.is_resolution() {
        t.resolved_at = Some(t0() + TimeDelta::minutes(2));
    }
    if status == Status::Closed {
        t.closed_at = Some(t0() + TimeDelta::minutes(2));
    }
    Ticket::restore(t).unwrap()
}

/// `ticket` as the store gives it back, with its number.
fn numbered(ticket: Ticket, n: i64) -> Ticket {
    let mut record = ticket.to_record();
    record.number = Some(num(n));
    Ticket::restore(record).unwrap()
}

fn service(
    repo: MockTicketRepository,
    now: DateTime<Utc>,
) -> TicketService<MockTicketRepository, FixedClock> {
    TicketService::new(repo, FixedClock(now), SlaPolicy::default())
}

/// `name` acting in `ORG` with `roles`.
fn caller(name: &str, roles: &[Role]) -> Caller {
    Caller {
        user: Some(user(name)),
        org: ORG,
        roles: roles.to_vec(),
        provider: None,
    }
}

/// The default caller of `change_status`: a supervisor, whom the roles never stop, so the
/// lifecycle cases below are about the lifecycle alone.
fn supervisor(name: &str) -> Caller {
    caller(name, &[Role::Supervisor])
}

fn change(target: Status) -> StatusChange {
    StatusChange {
        target,
        assignee_id: None,
        reason: None,
        hold_until: None,
    }
}

fn unavailable() -> RepositoryError {
    RepositoryError::Unavailable(Box::new(std::io::Error::other("connection refused")))
}

fn body(text: &str) -> CommentBody {
    CommentBody::parse(text, "body").unwrap()
}

type SavedTransitions = Arc<Mutex<Vec<(Ticket, i64, HistoryEntry)>>>;
type SavedComments = Arc<Mutex<Vec<(Comment, Option<i64>)>>>;
type SeenDrafts = Arc<Mutex<Vec<(TicketDraft, DateTime<Utc>)>>>;
/// How the store answers an ingest, and the outcome the service must report for it.
type IngestCase = (fn(Ticket) -> Ingested, IngestOutcome);

// ----------------------------------------------------------------------------------------
// ingest
// ----------------------------------------------------------------------------------------

#[tokio::test]
async fn ingest_passes_an_open_draft_due_at_now_plus_the_severity_targets() {
    let now = t0() + TimeDelta::seconds(42);
    let policy = SlaPolicy::default();
    for &severity in Severity::ALL {
        let seen: SeenDrafts = Arc::default();
        let mut repo = MockTicketRepository::new();
        let record = Arc::clone(&seen);
        repo.expect_ingest()
            .withf(|org, _, _| *org == ORG)
            .times(1)
            .returning(move |_, draft, at| {
                record.lock().unwrap().push((draft.clone(), at));
                Ok(Ingested::Created(numbered(draft.ticket, 7)))
            });
        let svc = service(repo, now);

        let (outcome, view) = svc
            .ingest(ORG, alert(severity))
            .await
            .unwrap()
            .ticket()
            .unwrap();

        assert_eq!(outcome, IngestOutcome::Created, "{severity}");
        let seen = seen.lock().unwrap();
        let (draft, at) = &seen[0];
        assert_eq!(*at, now, "the store is given the clock's time");
        let targets = policy.targets(severity);
        let t = &draft.ticket;
        assert_eq!(t.org_id(), ORG, "the draft is of the caller's organization");
        assert_eq!(t.status(), Status::Open, "{severity}");
        assert_eq!(t.severity(), severity);
        assert_eq!(t.first_response_due_at(), now + targets.first_response);
        assert_eq!(t.resolution_due_at(), now + targets.resolution);
        assert_eq!(t.created_at(), now);
        assert_eq!(t.updated_at(), now);
        assert_eq!(t.occurred_at(), now, "occurred_at defaults to now");
        assert_eq!((t.first_alert_at(), t.last_alert_at()), (now, now));
        assert_eq!(t.alert_count(), 1);
        assert_eq!(t.version(), 1);
        assert_eq!(t.number(), None, "the store gives the number");
        assert_eq!(t.assignee_id(), None);
        assert_eq!(t.first_responded_at(), None);
        assert_eq!(t.resolved_at(), None);
        assert_eq!(t.closed_at(), None);
        assert_eq!(
            t.dedup_key(),
            &DedupKey::derive(provider(), cam(17), None, t.title())
        );
        assert_eq!(draft.alert.ticket_id, t.id());
        assert_eq!(draft.alert.received_at, now);
        // The view is of what the store answered, evaluated now.
        assert_eq!(view.ticket.number(), Some(num(7)));
        assert_eq!(view.sla.first_response, SlaState::Pending);
        assert_eq!(view.sla.resolution, SlaState::Pending);
    }
}

#[tokio::test]
async fn ingest_uses_the_services_sla_policy_and_the_alerts_occurred_at() {
    let now = t0();
    let mut policy = SlaPolicy::default();
    policy.targets_mut(Severity::Low).first_response = TimeDelta::seconds(90);
    policy.targets_mut(Severity::Low).resolution = TimeDelta::minutes(30);
    let occurred = now - TimeDelta::minutes(3);

    let mut repo = MockTicketRepository::new();
    repo.expect_ingest()
        .withf(|org, _, _| *org == ORG)
        .times(1)
        .returning(|_, draft, _| Ok(Ingested::Created(draft.ticket)));
    let svc = TicketService::new(repo, FixedClock(now), policy);

    let mut a = alert(Severity::Low);
    a.occurred_at = Some(occurred);
    let (_, view) = svc.ingest(ORG, a).await.unwrap().ticket().unwrap();

    assert_eq!(
        view.ticket.first_response_due_at(),
        now + TimeDelta::seconds(90)
    );
    assert_eq!(
        view.ticket.resolution_due_at(),
        now + TimeDelta::minutes(30)
    );
    // Due times count from creation, not from when the provider saw it.
    assert_eq!(view.ticket.created_at(), now);
    assert_eq!(view.ticket.occurred_at(), occurred);
    assert_eq!(view.ticket.first_alert_at(), occurred);
}

#[tokio::test]
async fn ingest_maps_merged_and_replayed_to_their_outcomes_with_the_stored_ticket() {
    let cases: [IngestCase; 3] = [
        (Ingested::Created, IngestOutcome::Created),
        (Ingested::Merged, IngestOutcome::Merged),
        (Ingested::Replayed, IngestOutcome::Replayed),
    ];
    for (answer, expected) in cases {
        let existing = stored(Status::Assigned, Some("alice"), 5);
        let returned = existing.clone();
        let mut repo = MockTicketRepository::new();
        repo.expect_ingest()
            .withf(|org, _, _| *org == ORG)
            .times(1)
            .return_once(move |_, _, _| Ok(answer(returned)));
        let svc = service(repo, t0() + TimeDelta::minutes(5));

        let (outcome, view) = svc
            .ingest(ORG, alert(Severity::Critical))
            .await
            .unwrap()
            .ticket()
            .unwrap();

        assert_eq!(outcome, expected);
        assert_eq!(
            view.ticket, existing,
            "{expected:?}: the store's ticket, not the draft"
        );
    }
}

#[tokio::test]
async fn ingest_view_flags_a_breach_of_the_ticket_it_merged_into() {
    // Merged into a ticket created at t0 (high: first response due at +15 min) that
    // nobody answered; it is now +20 min.
    let existing = stored(Status::Open, None, 3);
    let mut repo = MockTicketRepository::new();
    repo.expect_ingest()
        .withf(|org, _, _| *org == ORG)
        .times(1)
        .return_once(move |_, _, _| Ok(Ingested::Merged(existing)));
    let svc = service(repo, t0() + TimeDelta::minutes(20));

    let (outcome, view) = svc
        .ingest(ORG, alert(Severity::High))
        .await
        .unwrap()
        .ticket()
        .unwrap();

    assert_eq!(outcome, IngestOutcome::Merged);
    assert_eq!(view.sla.first_response, SlaState::Breached);
    assert_eq!(view.sla.resolution, SlaState::Pending);
}

#[tokio::test]
async fn ingest_propagates_an_unavailable_repository() {
    let mut repo = MockTicketRepository::new();
    repo.expect_ingest()
        .withf(|org, _, _| *org == ORG)
        .times(1)
        .returning(|_, _, _| Err(unavailable()));
    let svc = service(repo, t0());

    let err = svc.ingest(ORG, alert(Severity::Low)).await.unwrap_err();

    assert!(
        matches!(
            err,
            ServiceError::Repository(RepositoryError::Unavailable(_))
        ),
        "{err:?}"
    );
}

// ----------------------------------------------------------------------------------------
// change_status
// ----------------------------------------------------------------------------------------

#[tokio::test]
async fn change_status_saves_the_new_state_with_the_loaded_version() {
    let now = t0() + TimeDelta::minutes(4);
    let current = stored(Status::Open, None, 7);
    let id = current.id();
    let saved: SavedTransitions = Arc::default();

    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(move |org, r| *org == ORG && *r == TicketRef::Id(id))
        .times(1)
        .return_once(move |_, _| Ok(Some(current)));
    let record = Arc::clone(&saved);
    repo.expect_save_transition()
        .withf(|org, _, _, _| *org == ORG)
        .times(1)
        .returning(move |_, t, v, e| {
            record.lock().unwrap().push((t.clone(), v, e.clone()));
            Ok(())
        });
    let svc = service(repo, now);

    let view = svc
        .change_status(
            &supervisor("carol"),
            TicketRef::Id(id),
            &change(Status::InProgress),
            &user("carol"),
            None,
        )
        .await
        .unwrap();

    let saved = saved.lock().unwrap();
    let (ticket, expected_version, entry) = &saved[0];
    assert_eq!(*expected_version, 7, "the version it was computed from");
    assert_eq!(ticket.org_id(), ORG);
    assert_eq!(ticket.status(), Status::InProgress);
    assert_eq!(ticket.version(), 8);
    assert_eq!(ticket.assignee_id(), Some(&user("carol")));
    assert_eq!(ticket.first_responded_at(), Some(now));
    assert_eq!(ticket.updated_at(), now);
    assert_eq!(entry.ticket_id, id);
    assert_eq!(entry.from_status, Some(Status::Open));
    assert_eq!(entry.to_status, Status::InProgress);
    assert_eq!(entry.actor, Some(Actor::User(user("carol"))));
    assert_eq!(entry.changed_at, now);
    assert_eq!(&view.ticket, ticket, "the view is of the saved state");
    assert_eq!(view.sla.first_response, SlaState::Met);
}

#[tokio::test]
async fn change_status_accepts_a_matching_if_match() {
    let current = stored(Status::Assigned, Some("alice"), 5);
    let id = current.id();
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .return_once(move |_, _| Ok(Some(current)));
    repo.expect_save_transition()
        .withf(|org, t, v, _| {
            *org == ORG && *v == 5 && t.version() == 6 && t.status() == Status::Resolved
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let svc = service(repo, t0() + TimeDelta::minutes(30));

    let view = svc
        .change_status(
            &supervisor("alice"),
            TicketRef::Id(id),
            &change(Status::Resolved),
            &user("alice"),
            Some(5),
        )
        .await
        .unwrap();

    assert_eq!(view.ticket.status(), Status::Resolved);
    assert_eq!(
        view.ticket.resolved_at(),
        Some(t0() + TimeDelta::minutes(30))
    );
}

#[tokio::test]
async fn change_status_retries_a_version_conflict_against_the_reread_state() {
    let now = t0() + TimeDelta::minutes(10);
    let first = stored(Status::Open, None, 3);
    // Meanwhile someone assigned it to alice.
    let second = stored(Status::Assigned, Some("alice"), 4);
    let id = first.id();
    let saved: SavedTransitions = Arc::default();

    let mut seq = Sequence::new();
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .in_sequence(&mut seq)
        .return_once(move |_, _| Ok(Some(first)));
    repo.expect_save_transition()
        .withf(|org, _, v, _| *org == ORG && *v == 3)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Err(RepositoryError::VersionConflict));
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .in_sequence(&mut seq)
        .return_once(move |_, _| Ok(Some(second)));
    let record = Arc::clone(&saved);
    repo.expect_save_transition()
        .withf(|org, _, _, _| *org == ORG)
        .times(1)
        .in_sequence(&mut seq)
        .returning(move |_, t, v, e| {
            record.lock().unwrap().push((t.clone(), v, e.clone()));
            Ok(())
        });
    let svc = service(repo, now);

    let view = svc
        .change_status(
            &supervisor("carol"),
            TicketRef::Id(id),
            &change(Status::InProgress),
            &user("carol"),
            None,
        )
        .await
        .unwrap();

    let saved = saved.lock().unwrap();
    let (ticket, expected_version, entry) = &saved[0];
    assert_eq!(*expected_version, 4, "recomputed from the re-read version");
    assert_eq!(ticket.version(), 5);
    assert_eq!(
        entry.from_status,
        Some(Status::Assigned),
        "history from the re-read state"
    );
    assert_eq!(
        ticket.assignee_id(),
        Some(&user("alice")),
        "the assignee set meanwhile is kept"
    );
    assert_eq!(view.ticket.status(), Status::InProgress);
}

#[tokio::test]
async fn change_status_revalidates_after_a_conflict_and_refuses_a_now_closed_ticket() {
    let first = stored(Status::InProgress, Some("alice"), 3);
    let second = stored(Status::Closed, Some("alice"), 4);
    let id = first.id();

    let mut seq = Sequence::new();
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .in_sequence(&mut seq)
        .return_once(move |_, _| Ok(Some(first)));
    repo.expect_save_transition()
        .withf(|org, _, _, _| *org == ORG)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Err(RepositoryError::VersionConflict));
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .in_sequence(&mut seq)
        .return_once(move |_, _| Ok(Some(second)));
    let svc = service(repo, t0() + TimeDelta::minutes(10));

    let err = svc
        .change_status(
            &supervisor("alice"),
            TicketRef::Id(id),
            &change(Status::Resolved),
            &user("alice"),
            None,
        )
        .await
        .unwrap_err();

    match err {
        ServiceError::Transition(e) => assert_eq!(
            e,
            TransitionError::NotAllowed {
                from: Status::Closed,
                to: Status::Resolved,
                allowed: &[],
            }
        ),
        other => panic!("expected a refused transition, got {other:?}"),
    }
}

#[tokio::test]
async fn change_status_gives_contention_after_repeated_conflicts() {
    let current = stored(Status::Open, None, 3);
    let id = current.id();
    let finds = Arc::new(AtomicUsize::new(0));
    let saves = Arc::new(AtomicUsize::new(0));

    let mut repo = MockTicketRepository::new();
    let n = Arc::clone(&finds);
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .returning(move |_, _| {
            n.fetch_add(1, Ordering::SeqCst);
            Ok(Some(current.clone()))
        });
    let n = Arc::clone(&saves);
    repo.expect_save_transition()
        .withf(|org, _, _, _| *org == ORG)
        .returning(move |_, _, _, _| {
            n.fetch_add(1, Ordering::SeqCst);
            Err(RepositoryError::VersionConflict)
        });
    let svc = service(repo, t0());

    let err = svc
        .change_status(
            &supervisor("carol"),
            TicketRef::Id(id),
            &change(Status::Resolved),
            &user("carol"),
            None,
        )
        .await
        .unwrap_err();

    assert!(matches!(err, ServiceError::Contention), "{err:?}");
    let (finds, saves) = (finds.load(Ordering::SeqCst), saves.load(Ordering::SeqCst));
    assert!(saves > 1, "it retried ({saves} saves)");
    assert!(saves <= 100, "it gave up in bounded time ({saves} saves)");
    assert_eq!(finds, saves, "every attempt re-reads before it saves");
}

#[tokio::test]
async fn change_status_refuses_a_stale_if_match_without_saving() {
    let current = stored(Status::Open, None, 5);
    let id = current.id();
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .return_once(move |_, _| Ok(Some(current)));
    repo.expect_save_transition().never();
    let svc = service(repo, t0());

    let err = svc
        .change_status(
            &supervisor("carol"),
            TicketRef::Id(id),
            &change(Status::InProgress),
            &user("carol"),
            Some(4),
        )
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            ServiceError::VersionMismatch {
                expected: 4,
                current: 5
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn change_status_with_if_match_does_not_retry_past_a_concurrent_change() {
    // The client's version was current at the first read, but the save lost a race:
    // the change must not be re-applied to a state the client never saw.
    let first = stored(Status::Open, None, 5);
    let second = stored(Status::Assigned, Some("alice"), 6);
    let id = first.id();
    let mut seq = Sequence::new();
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .in_sequence(&mut seq)
        .return_once(move |_, _| Ok(Some(first)));
    repo.expect_save_transition()
        .withf(|org, _, _, _| *org == ORG)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Err(RepositoryError::VersionConflict));
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .in_sequence(&mut seq)
        .return_once(move |_, _| Ok(Some(second)));
    let svc = service(repo, t0());

    let err = svc
        .change_status(
            &supervisor("carol"),
            TicketRef::Id(id),
            &change(Status::InProgress),
            &user("carol"),
            Some(5),
        )
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            ServiceError::VersionMismatch {
                expected: 5,
                current: 6
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn change_status_of_an_unknown_ticket_is_not_found() {
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, r| *org == ORG && *r == TicketRef::Number(num(99)))
        .times(1)
        .returning(|_, _| Ok(None));
    repo.expect_save_transition().never();
    let svc = service(repo, t0());

    let err = svc
        .change_status(
            &supervisor("carol"),
            TicketRef::Number(num(99)),
            &change(Status::Closed),
            &user("carol"),
            None,
        )
        .await
        .unwrap_err();

    assert!(matches!(err, ServiceError::NotFound), "{err:?}");
}

#[tokio::test]
async fn change_status_refused_by_the_lifecycle_never_saves() {
    let current = stored(Status::Closed, Some("alice"), 9);
    let id = current.id();
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .return_once(move |_, _| Ok(Some(current)));
    repo.expect_save_transition().never();
    let svc = service(repo, t0());

    let err = svc
        .change_status(
            &supervisor("carol"),
            TicketRef::Id(id),
            &change(Status::Open),
            &user("carol"),
            None,
        )
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            ServiceError::Transition(TransitionError::NotAllowed {
                from: Status::Closed,
                to: Status::Open,
                ..
            })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn change_status_propagates_an_unavailable_repository_on_read() {
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .returning(|_, _| Err(unavailable()));
    repo.expect_save_transition().never();
    let svc = service(repo, t0());

    let err = svc
        .change_status(
            &supervisor("carol"),
            TicketRef::Number(num(1)),
            &change(Status::Closed),
            &user("carol"),
            None,
        )
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            ServiceError::Repository(RepositoryError::Unavailable(_))
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn change_status_propagates_an_unavailable_repository_on_write_without_retrying() {
    let current = stored(Status::Open, None, 2);
    let id = current.id();
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .return_once(move |_, _| Ok(Some(current)));
    repo.expect_save_transition()
        .withf(|org, _, _, _| *org == ORG)
        .times(1)
        .returning(|_, _, _, _| Err(unavailable()));
    let svc = service(repo, t0());

    let err = svc
        .change_status(
            &supervisor("carol"),
            TicketRef::Id(id),
            &change(Status::Closed),
            &user("carol"),
            None,
        )
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            ServiceError::Repository(RepositoryError::Unavailable(_))
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn change_status_maps_a_ticket_deleted_under_it_to_not_found() {
    let current = stored(Status::Open, None, 2);
    let id = current.id();
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .return_once(move |_, _| Ok(Some(current)));
    repo.expect_save_transition()
        .withf(|org, _, _, _| *org == ORG)
        .times(1)
        .returning(|_, _, _, _| Err(RepositoryError::NotFound));
    let svc = service(repo, t0());

    let err = svc
        .change_status(
            &supervisor("carol"),
            TicketRef::Id(id),
            &change(Status::Closed),
            &user("carol"),
            None,
        )
        .await
        .unwrap_err();

    assert!(matches!(err, ServiceError::NotFound), "{err:?}");
}

// ----------------------------------------------------------------------------------------
// change_status: what the caller's roles allow
// ----------------------------------------------------------------------------------------

/// `err` is the refusal of `action` to a caller with `roles` (as the error names them).
fn assert_refused(err: ServiceError, action: Action, roles: &str) {
    match err {
        ServiceError::Forbidden(f) => assert_eq!(
            f,
            Forbidden::Role {
                action,
                roles: roles.to_owned()
            }
        ),
        other => panic!("expected {action:?} to be forbidden, got {other:?}"),
    }
}

/// A repository holding `current` in `ORG` on which any save fails the test.
fn unsaveable(current: Ticket) -> MockTicketRepository {
    let id = current.id();
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(move |org, r| *org == ORG && *r == TicketRef::Id(id))
        .times(1)
        .return_once(move |_, _| Ok(Some(current)));
    repo.expect_save_transition().never();
    repo.expect_save_comment().never();
    repo
}

#[tokio::test]
async fn change_status_by_an_operator_may_not_reopen_and_saves_nothing() {
    // Each is allowed by the lifecycle: only the role stands in the way.
    let reopens = [
        (Status::Resolved, Status::Open),
        (Status::Resolved, Status::InProgress),
        (Status::FalsePositive, Status::Open),
    ];
    for (from, to) in reopens {
        assert!(from.can_transition_to(to), "{from} -> {to}");
        let current = stored(from, Some("olga"), 4);
        let id = current.id();
        let svc = service(unsaveable(current), t0() + TimeDelta::hours(1));

        let err = svc
            .change_status(
                &caller("olga", &[Role::Operator]),
                TicketRef::Id(id),
                &change(to),
                &user("olga"),
                None,
            )
            .await
            .unwrap_err();

        assert_refused(err, Action::Reopen, "operator");
    }
}

#[tokio::test]
async fn change_status_by_a_supervisor_reopens() {
    let now = t0() + TimeDelta::hours(1);
    let current = stored(Status::Resolved, Some("alice"), 4);
    let id = current.id();
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(move |org, r| *org == ORG && *r == TicketRef::Id(id))
        .times(1)
        .return_once(move |_, _| Ok(Some(current)));
    repo.expect_save_transition()
        .withf(|org, t, v, e| {
            *org == ORG
                && *v == 4
                && t.status() == Status::Open
                && t.resolved_at().is_none()
                && e.from_status == Some(Status::Resolved)
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let svc = service(repo, now);

    let view = svc
        .change_status(
            &supervisor("sam"),
            TicketRef::Id(id),
            &change(Status::Open),
            &user("sam"),
            None,
        )
        .await
        .unwrap();

    assert_eq!(view.ticket.status(), Status::Open);
    assert_eq!(
        view.ticket.assignee_id(),
        None,
        "reopened to open: nobody's"
    );
}

#[tokio::test]
async fn change_status_by_an_operator_may_not_assign_someone_else() {
    // (current status, its assignee, target): each allowed by the lifecycle, naming bob.
    let cases = [
        (Status::Open, None, Status::Assigned),
        (Status::Open, None, Status::InProgress),
        (Status::Assigned, Some("olga"), Status::Assigned),
        (Status::Assigned, Some("alice"), Status::InProgress),
    ];
    for (from, assignee, to) in cases {
        let current = stored(from, assignee, 3);
        let id = current.id();
        let svc = service(unsaveable(current), t0() + TimeDelta::minutes(5));
        let naming_bob = StatusChange {
            target: to,
            assignee_id: Some(user("bob")),
            reason: None,
            hold_until: None,
        };

        let err = svc
            .change_status(
                &caller("olga", &[Role::Operator]),
                TicketRef::Id(id),
                &naming_bob,
                &user("olga"),
                None,
            )
            .await
            .unwrap_err();

        assert_refused(err, Action::AssignOthers, "operator");
    }
}

#[tokio::test]
async fn change_status_by_an_operator_takes_assigns_itself_and_resolves() {
    let now = t0() + TimeDelta::minutes(5);
    let olga = || Some(user("olga"));
    // (current status, its assignee, target, named assignee)
    let cases = [
        // Taking it: in_progress without an assignee gives it to the actor.
        (Status::Open, None, Status::InProgress, None),
        (Status::Open, None, Status::InProgress, olga()),
        (Status::Open, None, Status::Assigned, olga()),
        (Status::Assigned, Some("alice"), Status::Assigned, olga()),
        (Status::InProgress, Some("olga"), Status::Resolved, None),
    ];
    for (from, assignee, to, named) in cases {
        let current = stored(from, assignee, 3);
        let id = current.id();
        let saved: SavedTransitions = Arc::default();
        let mut repo = MockTicketRepository::new();
        repo.expect_find()
            .withf(move |org, r| *org == ORG && *r == TicketRef::Id(id))
            .times(1)
            .return_once(move |_, _| Ok(Some(current)));
        let record = Arc::clone(&saved);
        repo.expect_save_transition()
            .withf(|org, _, v, _| *org == ORG && *v == 3)
            .times(1)
            .returning(move |_, t, v, e| {
                record.lock().unwrap().push((t.clone(), v, e.clone()));
                Ok(())
            });
        let svc = service(repo, now);
        let request = StatusChange {
            target: to,
            assignee_id: named,
            reason: None,
            hold_until: None,
        };

        let view = svc
            .change_status(
                &caller("olga", &[Role::Operator]),
                TicketRef::Id(id),
                &request,
                &user("olga"),
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{from} -> {to}: {e:?}"));

        let saved = saved.lock().unwrap();
        let (ticket, _, entry) = &saved[0];
        assert_eq!(ticket.status(), to, "{from} -> {to}");
        assert_eq!(ticket.assignee_id(), Some(&user("olga")), "{from} -> {to}");
        assert_eq!(ticket.org_id(), ORG);
        assert_eq!(entry.actor, Some(Actor::User(user("olga"))));
        assert_eq!(&view.ticket, ticket);
    }
}

#[tokio::test]
async fn change_status_needs_a_role_that_changes_status() {
    let callers = [
        (caller("vic", &[Role::Viewer]), "viewer"),
        (caller("vic", &[Role::Provider]), "provider"),
        (
            caller("vic", &[Role::Viewer, Role::Provider]),
            "viewer, provider",
        ),
        (caller("vic", &[]), "none"),
    ];
    for (who, roles) in callers {
        for target in [Status::InProgress, Status::Resolved, Status::Closed] {
            let current = stored(Status::Open, None, 2);
            let id = current.id();
            let svc = service(unsaveable(current), t0());

            let err = svc
                .change_status(&who, TicketRef::Id(id), &change(target), &user("vic"), None)
                .await
                .unwrap_err();

            assert_refused(err, Action::ChangeStatus, roles);
        }
    }
}

#[tokio::test]
async fn change_status_rechecks_the_roles_against_the_reread_state() {
    // An operator takes an open ticket; meanwhile someone resolved it, so the same request
    // would now reopen it, which an operator may not do.
    let first = stored(Status::Open, None, 3);
    let second = stored(Status::Resolved, Some("alice"), 4);
    let id = first.id();
    let mut seq = Sequence::new();
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .in_sequence(&mut seq)
        .return_once(move |_, _| Ok(Some(first)));
    repo.expect_save_transition()
        .withf(|org, _, v, _| *org == ORG && *v == 3)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Err(RepositoryError::VersionConflict));
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .in_sequence(&mut seq)
        .return_once(move |_, _| Ok(Some(second)));
    let svc = service(repo, t0() + TimeDelta::minutes(10));

    let err = svc
        .change_status(
            &caller("olga", &[Role::Operator]),
            TicketRef::Id(id),
            &change(Status::InProgress),
            &user("olga"),
            None,
        )
        .await
        .unwrap_err();

    assert_refused(err, Action::Reopen, "operator");
}

// ----------------------------------------------------------------------------------------
// add_comment
// ----------------------------------------------------------------------------------------

#[tokio::test]
async fn add_comment_builds_the_comment_and_returns_the_stored_ticket() {
    let now = t0() + TimeDelta::minutes(3);
    let current = stored(Status::Open, None, 2);
    let id = current.id();
    let mut after = current.to_record();
    after.version = 3;
    after.first_responded_at = Some(now);
    after.updated_at = now;
    let after = Ticket::restore(after).unwrap();
    let saved: SavedComments = Arc::default();

    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .return_once(move |_, _| Ok(Some(current)));
    let record = Arc::clone(&saved);
    repo.expect_save_comment()
        .withf(|org, _, _| *org == ORG)
        .times(1)
        .return_once(move |_, c, v| {
            record.lock().unwrap().push((c.clone(), v));
            Ok(after)
        });
    let svc = service(repo, now);

    let (comment, view) = svc
        .add_comment(
            ORG,
            TicketRef::Id(id),
            &user("carol"),
            body("Looking at the footage."),
            Visibility::External,
            None,
        )
        .await
        .unwrap();

    let saved = saved.lock().unwrap();
    let (stored_comment, expected_version) = &saved[0];
    assert_eq!(
        *expected_version, None,
        "no If-Match: comments never conflict"
    );
    assert_eq!(stored_comment, &comment);
    assert_eq!(comment.ticket_id, id);
    assert_eq!(comment.author_id, user("carol").into());
    assert_eq!(comment.body, body("Looking at the footage."));
    assert_eq!(comment.visibility, Visibility::External);
    assert_eq!(comment.created_at, now);
    assert_eq!(view.ticket.version(), 3);
    assert_eq!(view.ticket.first_responded_at(), Some(now));
    assert_eq!(view.sla.first_response, SlaState::Met);
}

#[tokio::test]
async fn add_comment_passes_if_match_to_the_store() {
    let current = stored(Status::Assigned, Some("alice"), 4);
    let id = current.id();
    let mut after = current.to_record();
    after.version = 5;
    let after = Ticket::restore(after).unwrap();
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .return_once(move |_, _| Ok(Some(current)));
    repo.expect_save_comment()
        .withf(|org, _, v| *org == ORG && *v == Some(4))
        .times(1)
        .return_once(move |_, _, _| Ok(after));
    let svc = service(repo, t0());

    let (_, view) = svc
        .add_comment(
            ORG,
            TicketRef::Id(id),
            &user("bob"),
            body("second look"),
            Visibility::Internal,
            Some(4),
        )
        .await
        .unwrap();
    assert_eq!(view.ticket.version(), 5);
}

#[tokio::test]
async fn add_comment_reports_a_change_between_read_and_write_under_if_match() {
    let first = stored(Status::Open, None, 4);
    let second = stored(Status::Open, None, 6);
    let id = first.id();
    let mut seq = Sequence::new();
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .in_sequence(&mut seq)
        .return_once(move |_, _| Ok(Some(first)));
    repo.expect_save_comment()
        .withf(|org, _, _| *org == ORG)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Err(RepositoryError::VersionConflict));
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .in_sequence(&mut seq)
        .return_once(move |_, _| Ok(Some(second)));
    let svc = service(repo, t0());

    let err = svc
        .add_comment(
            ORG,
            TicketRef::Id(id),
            &user("carol"),
            body("me too"),
            Visibility::Internal,
            Some(4),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ServiceError::VersionMismatch {
                expected: 4,
                current: 6
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn add_comment_refuses_a_stale_if_match_without_saving() {
    let current = stored(Status::Open, None, 8);
    let id = current.id();
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .return_once(move |_, _| Ok(Some(current)));
    repo.expect_save_comment().never();
    let svc = service(repo, t0());

    let err = svc
        .add_comment(
            ORG,
            TicketRef::Id(id),
            &user("carol"),
            body("hello"),
            Visibility::Internal,
            Some(7),
        )
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            ServiceError::VersionMismatch {
                expected: 7,
                current: 8
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn add_comment_to_an_unknown_ticket_is_not_found() {
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .returning(|_, _| Ok(None));
    repo.expect_save_comment().never();
    let svc = service(repo, t0());

    let err = svc
        .add_comment(
            ORG,
            TicketRef::Number(num(5)),
            &user("carol"),
            body("hello"),
            Visibility::Internal,
            None,
        )
        .await
        .unwrap_err();

    assert!(matches!(err, ServiceError::NotFound), "{err:?}");
}

#[tokio::test]
async fn add_comment_propagates_an_unavailable_repository() {
    let current = stored(Status::Open, None, 1);
    let id = current.id();
    let mut repo = MockTicketRepository::new();
    repo.expect_find()
        .withf(|org, _| *org == ORG)
        .times(1)
        .return_once(move |_, _| Ok(Some(current)));
    repo.expect_save_comment()
        .withf(|org, _, _| *org == ORG)
        .times(1)
        .returning(|_, _, _| Err(unavailable()));
    let svc = service(repo, t0());

    let err = svc
        .add_comment(
            ORG,
            TicketRef::Id(id),
            &user("carol"),
            body("hello"),
            Visibility::Internal,
            None,
        )
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            ServiceError::Repository(RepositoryError::Unavailable(_))
        ),
        "{err:?}"
    );
}

// ----------------------------------------------------------------------------------------
// details, list, stats: reads evaluate the SLA at the clock's time, and write nothing
// ----------------------------------------------------------------------------------------

/// A repository on which any write fails the test.
fn read_only_repo() -> MockTicketRepository {
    let mut repo = MockTicketRepository::new();
    repo.expect_ingest().never();
    repo.expect_save_transition().never();
    repo.expect_save_comment().never();
    repo
}

#[tokio::test]
async fn details_shows_a_breach_past_the_due_time_without_any_write() {
    // High: first response due at t0 + 15 min; nobody answered.
    let ticket = stored(Status::Open, None, 1);
    let id = ticket.id();
    let comments = vec![Comment {
        id: ticket_domain::CommentId::from_uuid(uuid::Uuid::nil()),
        ticket_id: id,
        author_id: user("bot").into(),
        body: body("external note"),
        visibility: Visibility::External,
        created_at: t0(),
    }];
    let history = vec![HistoryEntry {
        ticket_id: id,
        from_status: None,
        to_status: Status::Open,
        actor: None,
        reason: None,
        changed_at: t0(),
    }];
    let details = TicketDetails {
        ticket: ticket.clone(),
        comments: comments.clone(),
        history: history.clone(),
    };

    let mut repo = read_only_repo();
    repo.expect_details()
        .withf(move |org, r, v| {
            *org == ORG && *r == TicketRef::Id(id) && *v == Some(Visibility::External)
        })
        .times(1)
        .return_once(move |_, _, _| Ok(Some(details)));
    let svc = service(repo, t0() + TimeDelta::minutes(15) + TimeDelta::seconds(1));

    let view = svc
        .details(ORG, TicketRef::Id(id), Some(Visibility::External))
        .await
        .unwrap();

    assert_eq!(view.view.sla.first_response, SlaState::Breached);
    assert_eq!(view.view.sla.resolution, SlaState::Pending);
    assert!(view.view.sla.any_breached());
    assert_eq!(view.view.ticket, ticket, "the ticket itself is unchanged");
    assert_eq!(view.comments, comments);
    assert_eq!(view.history, history);
}

#[tokio::test]
async fn details_on_the_due_time_is_still_pending() {
    let ticket = stored(Status::Open, None, 1);
    let due = ticket.first_response_due_at();
    let mut repo = read_only_repo();
    repo.expect_details()
        .withf(|org, _, _| *org == ORG)
        .times(1)
        .return_once(move |_, _, _| {
            Ok(Some(TicketDetails {
                ticket,
                comments: vec![],
                history: vec![],
            }))
        });
    let svc = service(repo, due);

    let view = svc
        .details(ORG, TicketRef::Number(num(1042)), None)
        .await
        .unwrap();

    assert_eq!(view.view.sla.first_response, SlaState::Pending);
}

#[tokio::test]
async fn details_of_an_unknown_ticket_is_not_found() {
    let mut repo = read_only_repo();
    repo.expect_details()
        .withf(|org, _, _| *org == ORG)
        .times(1)
        .returning(|_, _, _| Ok(None));
    let svc = service(repo, t0());

    let err = svc
        .details(ORG, TicketRef::Number(num(3)), None)
        .await
        .unwrap_err();

    assert!(matches!(err, ServiceError::NotFound), "{err:?}");
}

#[tokio::test]
async fn details_propagates_an_unavailable_repository() {
    let mut repo = read_only_repo();
    repo.expect_details()
        .withf(|org, _, _| *org == ORG)
        .times(1)
        .returning(|_, _, _| Err(unavailable()));
    let svc = service(repo, t0());

    let err = svc
        .details(ORG, TicketRef::Number(num(3)), None)
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            ServiceError::Repository(RepositoryError::Unavailable(_))
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn list_evaluates_every_item_at_the_clocks_time() {
    let now = t0() + TimeDelta::hours(5);
    // Open, never answered: both high targets (15 min, 4 h) have passed.
    let neglected = stored(Status::Open, None, 1);
    // Answered at +1 min, resolved at +2 min: both met.
    let handled = stored(Status::Resolved, Some("alice"), 4);
    // Created just now: both pending.
    let fresh = numbered(
        TicketDraft::new(ORG, alert(Severity::High), &SlaPolicy::default(), now).ticket,
        1043,
    );
    let cursor = Cursor {
        created_at: t0(),
        id: neglected.id().as_uuid(),
    };
    let items = vec![fresh.clone(), handled.clone(), neglected.clone()];
    let query = ListQuery {
        filter: TicketFilter {
            sla_breached: None,
            ..TicketFilter::default()
        },
        ..ListQuery::default()
    };
    let expected_query = query.clone();

    let mut repo = read_only_repo();
    repo.expect_list()
        .withf(move |org, q, at| *org == ORG && *q == expected_query && *at == now)
        .times(1)
        .return_once(move |_, _, _| {
            Ok(Page {
                items,
                next_cursor: Some(cursor),
            })
        });
    let svc = service(repo, now);

    let page = svc.list(ORG, &query).await.unwrap();

    assert_eq!(page.next_cursor, Some(cursor));
    let states: Vec<(SlaState, SlaState)> = page
        .items
        .iter()
        .map(|v| (v.sla.first_response, v.sla.resolution))
        .collect();
    assert_eq!(
        states,
        vec![
            (SlaState::Pending, SlaState::Pending),
            (SlaState::Met, SlaState::Met),
            (SlaState::Breached, SlaState::Breached),
        ]
    );
    let tickets: Vec<Ticket> = page.items.into_iter().map(|v| v.ticket).collect();
    assert_eq!(
        tickets,
        vec![fresh, handled, neglected],
        "order and content as stored"
    );
}

#[tokio::test]
async fn list_propagates_an_unavailable_repository() {
    let mut repo = read_only_repo();
    repo.expect_list()
        .withf(|org, _, _| *org == ORG)
        .times(1)
        .returning(|_, _, _| Err(unavailable()));
    let svc = service(repo, t0());

    let err = svc.list(ORG, &ListQuery::default()).await.unwrap_err();

    assert!(
        matches!(
            err,
            ServiceError::Repository(RepositoryError::Unavailable(_))
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn stats_are_asked_at_the_clocks_time() {
    let now = t0() + TimeDelta::days(2);
    let filter = TicketFilter {
        camera_id: Some(cam(17)),
        ..TicketFilter::default()
    };
    let expected_filter = filter.clone();
    let mut repo = read_only_repo();
    repo.expect_stats()
        .withf(move |org, f, at| *org == ORG && *f == expected_filter && *at == now)
        .times(1)
        .returning(|_, _, _| {
            Ok(TicketStats {
                total: 3,
                ..TicketStats::default()
            })
        });
    let svc = service(repo, now);

    let stats = svc.stats(ORG, &filter).await.unwrap();

    assert_eq!(stats.total, 3);
}

#[tokio::test]
async fn stats_propagate_an_unavailable_repository() {
    let mut repo = read_only_repo();
    repo.expect_stats()
        .withf(|org, _, _| *org == ORG)
        .times(1)
        .returning(|_, _, _| Err(unavailable()));
    let svc = service(repo, t0());

    let err = svc.stats(ORG, &TicketFilter::default()).await.unwrap_err();

    assert!(
        matches!(
            err,
            ServiceError::Repository(RepositoryError::Unavailable(_))
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn alerts_pass_the_page_through_and_map_an_unknown_ticket_to_not_found() {
    let ticket = stored(Status::Open, None, 1);
    let id = ticket.id();
    let record = TicketDraft::new(ORG, alert(Severity::High), &SlaPolicy::default(), t0()).alert;
    let page = vec![
        StoredAlert {
            id: 41,
            alert: record.clone(),
        },
        StoredAlert {
            id: 40,
            alert: record,
        },
    ];
    let expected = page.clone();
    let mut repo = read_only_repo();
    repo.expect_alerts()
        .withf(move |org, r, limit, before| {
            *org == ORG && *r == TicketRef::Id(id) && *limit == 2 && *before == Some(42)
        })
        .times(1)
        .return_once(move |_, _, _, _| Ok(Some(page)));
    repo.expect_alerts()
        .withf(|org, r, _, _| *org == ORG && *r == TicketRef::Number(num(3)))
        .times(1)
        .returning(|_, _, _, _| Ok(None));
    let svc = service(repo, t0());

    let alerts = svc
        .alerts(ORG, TicketRef::Id(id), 2, Some(42))
        .await
        .unwrap();
    assert_eq!(alerts, expected);

    let err = svc
        .alerts(ORG, TicketRef::Number(num(3)), 50, None)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::NotFound), "{err:?}");
}

fn cam(n: i64) -> CameraId {
    CameraId::parse(n, "camera_id").unwrap_or_else(|e| panic!("{e}"))
}

fn num(n: i64) -> TicketNumber {
    TicketNumber::new(n).unwrap_or_else(|| panic!("{n} is no ticket number"))
}

// ----------------------------------------------------------------------------------------
// Timers
// ----------------------------------------------------------------------------------------

fn due_timer(n: u128) -> ticket_domain::DueTimer {
    ticket_domain::DueTimer {
        org: ORG,
        ticket_id: ticket_domain::TicketId::from_uuid(uuid::Uuid::from_u128(n)),
        kind: ticket_domain::TimerKind::HoldEnd,
        due_at: t0(),
    }
}

#[tokio::test]
async fn a_failing_timer_does_not_stop_the_others_and_is_reported() {
    let mut repo = MockTicketRepository::new();
    repo.expect_due_timers()
        .withf(|now, after, limit| *now == t0() && after.is_none() && *limit == 200)
        .times(1)
        .returning(|_, _, _| Ok(vec![due_timer(1), due_timer(2), due_timer(3)]));
    repo.expect_fire_timer().times(3).returning(|timer, _| {
        match timer.ticket_id.as_uuid().as_u128() {
            1 => Err(RepositoryError::Failure("corrupt row".into())),
            2 => Ok(true),
            _ => Ok(false),
        }
    });
    let round = service(repo, t0()).run_timers().await.unwrap();
    assert_eq!(round.taken, 1);
    assert_eq!(round.failed, 1);
    assert!(matches!(
        round.first_error,
        Some(RepositoryError::Failure(_))
    ));
}

#[tokio::test]
async fn timers_are_fired_page_after_page_until_a_short_one() {
    let mut repo = MockTicketRepository::new();
    let afters = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = afters.clone();
    // Two full pages, then a short one; each asked for past the last of the one before.
    repo.expect_due_timers().times(3).returning(
        move |_, after: Option<ticket_domain::DueTimer>, limit| {
            let mut seen = seen.lock().unwrap();
            seen.push(after.map(|t| t.ticket_id.as_uuid().as_u128()));
            let start = after.map_or(0, |t| t.ticket_id.as_uuid().as_u128() + 1);
            let n = if seen.len() < 3 { limit as u128 } else { 5 };
            Ok((start..start + n).map(due_timer).collect())
        },
    );
    repo.expect_fire_timer().returning(|_, _| Ok(true));
    let round = service(repo, t0()).run_timers().await.unwrap();
    assert_eq!(round.taken, 405);
    assert_eq!(round.failed, 0);
    assert_eq!(*afters.lock().unwrap(), [None, Some(199), Some(399)]);
}

#[tokio::test]
async fn a_full_page_of_failing_or_held_timers_does_not_hide_the_later_ones() {
    let mut repo = MockTicketRepository::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    repo.expect_due_timers()
        .times(2)
        .returning(move |_, after, limit| {
            seen.fetch_add(1, Ordering::SeqCst);
            Ok(match after {
                None => (0..limit as u128).map(due_timer).collect(),
                Some(_) => vec![due_timer(1_000)],
            })
        });
    repo.expect_fire_timer().returning(|timer, _| {
        match timer.ticket_id.as_uuid().as_u128() {
            1_000 => Ok(true),
            n if n % 2 == 0 => Err(RepositoryError::Failure("corrupt row".into())),
            // Held by another instance.
            _ => Ok(false),
        }
    });
    let round = service(repo, t0()).run_timers().await.unwrap();
    assert_eq!(round.taken, 1, "the timer past the failing page fired");
    assert_eq!(round.failed, 100);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_store_that_cannot_list_timers_fails_the_round() {
    let mut repo = MockTicketRepository::new();
    repo.expect_due_timers()
        .returning(|_, _, _| Err(RepositoryError::Unavailable("down".into())));
    let err = service(repo, t0()).run_timers().await.unwrap_err();
    assert!(matches!(err, ServiceError::Repository(_)), "{err:?}");
}
