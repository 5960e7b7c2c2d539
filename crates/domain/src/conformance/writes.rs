//! [`TicketRepository::save_transition`] and [`TicketRepository::save_comment`].

use futures_util::future::{join, join_all};

use super::fixtures::*;
use crate::EventType;
use crate::model::OrgId;
use crate::model::{Status, Visibility};
use crate::notification::OutboxRepository;
use crate::ports::RepositoryError::{self, DuplicateActive, NotFound, VersionConflict};
use crate::ports::TicketRepository;

/// A change saved at the stored version writes the ticket as [`crate::lifecycle::apply`]
/// computed it, its history row and a `status_changed` event, through a whole lifecycle.
pub async fn save_transition_writes_ticket_history_and_event<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    let created = create(tickets, org, alert("door"), t0()).await;
    let mut history = details(tickets, org, created.id()).await.history;
    let steps = [
        (Status::Assigned, Some("alice"), MINUTE),
        (Status::Assigned, Some("bob"), 2 * MINUTE),
        (Status::InProgress, None, 3 * MINUTE),
        (Status::Resolved, None, 4 * MINUTE),
        (Status::Open, None, 5 * MINUTE),
        (Status::Closed, None, 6 * MINUTE),
    ];
    let mut current = created;
    for (step, (target, assignee, when)) in steps.into_iter().enumerate() {
        let (next, entry) = apply(&current, target, assignee, at(when));
        if let Err(e) = tickets
            .save_transition(org, &next, current.version(), &entry)
            .await
        {
            panic!("step {step}: save_transition to {target} failed: {e:?}");
        }
        assert_eq!(
            find(tickets, org, next.id()).await,
            next,
            "step {step}: ticket stored"
        );
        history.push(entry);
        let stored = details(tickets, org, next.id()).await;
        assert_eq!(stored.history, history, "step {step}: history row appended");
        let written = kinds(&events(outbox, org, next.id()).await);
        assert_eq!(written.len(), step + 2, "step {step}: one event per change");
        assert_eq!(
            written.last(),
            Some(&EventType::StatusChanged),
            "step {step}"
        );
        current = next;
    }
    assert_eq!(current.status(), Status::Closed);
    assert_eq!(current.version(), 7);
}

/// A change computed from a version that is no longer stored (older, or ahead) is refused
/// with `VersionConflict` and writes nothing; of two changes from one version saved at
/// once, exactly one is stored.
pub async fn save_transition_at_a_stale_version_conflicts_and_writes_nothing<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    let (created, assigned) = created_then_assigned(tickets, org, "door").await;
    let before = snapshot(tickets, outbox, org, created.id()).await;

    let (stale, stale_entry) = apply(&created, Status::InProgress, None, at(2 * MINUTE));
    let (ahead, ahead_entry) = apply(&assigned, Status::InProgress, None, at(2 * MINUTE));
    let attempts = [
        (&stale, created.version(), &stale_entry, "older"),
        (&ahead, assigned.version() + 1, &ahead_entry, "ahead"),
    ];
    for (ticket, version, entry, which) in attempts {
        let result = tickets.save_transition(org, ticket, version, entry).await;
        let what = format!("save_transition at an {which} version");
        before
            .refused(tickets, outbox, result, VersionConflict, &what)
            .await;
    }

    let (x, x_entry) = apply(&assigned, Status::InProgress, None, at(3 * MINUTE));
    let (y, y_entry) = apply(&assigned, Status::Resolved, None, at(3 * MINUTE));
    let (rx, ry) = join(
        tickets.save_transition(org, &x, assigned.version(), &x_entry),
        tickets.save_transition(org, &y, assigned.version(), &y_entry),
    )
    .await;
    let (winner, winner_entry) = match (rx, ry) {
        (Ok(()), Err(RepositoryError::VersionConflict)) => (x, x_entry),
        (Err(RepositoryError::VersionConflict), Ok(())) => (y, y_entry),
        other => panic!("two saves from one version: expected one Ok, one conflict: {other:?}"),
    };
    assert_eq!(find(tickets, org, created.id()).await, winner);
    let history = details(tickets, org, created.id()).await.history;
    assert_eq!(history.len(), 3, "one history row for the winner only");
    assert_eq!(history.last(), Some(&winner_entry));
    assert_eq!(events(outbox, org, created.id()).await.len(), 3);
}

/// Reopening a ticket while a newer active ticket has its dedup key is refused with
/// `DuplicateActive` and writes nothing; once that one is closed, the reopen goes through.
pub async fn reopening_onto_an_active_duplicate_is_refused<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    let old = create(tickets, org, alert("door"), t0()).await;
    let resolved = transition(tickets, org, &old, Status::Resolved, None, at(MINUTE)).await;
    let newer = create(tickets, org, alert("door"), at(2 * MINUTE)).await;
    let before = snapshot(tickets, outbox, org, old.id()).await;

    for target in [Status::Open, Status::InProgress] {
        let (reopened, entry) = apply(&resolved, target, None, at(3 * MINUTE));
        let result = tickets
            .save_transition(org, &reopened, resolved.version(), &entry)
            .await;
        let what = format!("reopening to {target} onto an active duplicate");
        before
            .refused(tickets, outbox, result, DuplicateActive, &what)
            .await;
    }

    transition(tickets, org, &newer, Status::Closed, None, at(4 * MINUTE)).await;
    let reopened = transition(tickets, org, &resolved, Status::Open, None, at(5 * MINUTE)).await;
    assert_eq!(find(tickets, org, old.id()).await, reopened);
}

/// A comment is stored with its effect as [`crate::Ticket::add_comment`] computes it
/// (version + 1, `updated_at` never back, `first_responded_at` the earliest response), a
/// `comment_added` event, and the ticket as stored is returned; with or without the expected
/// version.
pub async fn save_comment_applies_the_comment_rule<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let created = create(tickets, org, alert("door"), t0()).await;
    let (expected, first) = comment_on(&created, "alice", Visibility::Internal, at(2 * MINUTE));
    let stored = tickets
        .save_comment(org, &first, None)
        .await
        .expect("save_comment");
    assert_eq!(
        stored, expected,
        "the first comment, as Ticket::add_comment computes it"
    );
    assert_eq!(stored.first_responded_at(), Some(at(2 * MINUTE)));
    assert_eq!(find(tickets, org, created.id()).await, stored);

    let (expected, second) = comment_on(&stored, "bob", Visibility::External, at(4 * MINUTE));
    let stored = tickets
        .save_comment(org, &second, Some(stored.version()))
        .await
        .expect("save_comment at the current version");
    assert_eq!(stored, expected, "the second comment");
    assert_eq!(
        stored.first_responded_at(),
        Some(at(2 * MINUTE)),
        "set once"
    );
    assert_eq!(stored.version(), 3);
    assert_eq!(stored.updated_at(), at(4 * MINUTE));
    assert_eq!(find(tickets, org, created.id()).await, stored);

    // Timed before the last change (a slow request): `updated_at` does not go back.
    let (expected, slow) = comment_on(&stored, "carol", Visibility::Internal, at(3 * MINUTE));
    let stored = tickets
        .save_comment(org, &slow, None)
        .await
        .expect("save_comment");
    assert_eq!(stored, expected, "a comment older than the last change");
    assert_eq!(stored.updated_at(), at(4 * MINUTE));
    assert_eq!(find(tickets, org, created.id()).await, stored);
    let kept = details(tickets, org, created.id()).await.comments;
    assert_eq!(kept, [first, slow, second], "comments oldest first");
    assert_eq!(
        kinds(&events(outbox, org, created.id()).await),
        [
            EventType::TicketCreated,
            EventType::CommentAdded,
            EventType::CommentAdded,
            EventType::CommentAdded
        ]
    );

    // A status change was the first response: a later comment leaves it.
    let (_, assigned) = created_then_assigned(tickets, org, "window").await;
    let (expected, late) = comment_on(&assigned, "alice", Visibility::Internal, at(5 * MINUTE));
    let stored = tickets
        .save_comment(org, &late, None)
        .await
        .expect("save_comment");
    assert_eq!(stored, expected);
    assert_eq!(stored.first_responded_at(), Some(at(MINUTE)));

    // Recorded out of order, a comment older than the first response becomes it.
    let (expected, early) = comment_on(&stored, "bob", Visibility::Internal, at(30));
    let stored = tickets
        .save_comment(org, &early, None)
        .await
        .expect("save_comment");
    assert_eq!(stored, expected, "an out-of-order comment");
    assert_eq!(
        stored.first_responded_at(),
        Some(at(30)),
        "the earliest response"
    );
    assert_eq!(
        stored.updated_at(),
        at(5 * MINUTE),
        "updated_at does not go back"
    );
}

/// Comments saved at once without an expected version all succeed: each applied once.
pub async fn concurrent_comments_all_succeed<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    const N: usize = 8;
    let created = create(tickets, org, alert("door"), t0()).await;
    let comments: Vec<_> = (0..N)
        .map(|i| comment_on(&created, &format!("user-{i}"), Visibility::Internal, at(60)).1)
        .collect();
    let results = join_all(comments.iter().map(|c| tickets.save_comment(org, c, None))).await;
    let mut versions = Vec::new();
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Ok(ticket) => versions.push(ticket.version()),
            Err(e) => panic!("concurrent comment {i} failed: {e:?}"),
        }
    }
    versions.sort_unstable();
    let expected: Vec<i64> = (2..=N as i64 + 1).collect();
    assert_eq!(
        versions, expected,
        "each comment applied once, in some order"
    );

    let stored = find(tickets, org, created.id()).await;
    assert_eq!(stored.version(), N as i64 + 1);
    assert_eq!(stored.first_responded_at(), Some(at(MINUTE)));
    assert_eq!(stored.updated_at(), at(60));
    let mut kept: Vec<_> = details(tickets, org, created.id())
        .await
        .comments
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut sent: Vec<_> = comments.iter().map(|c| c.id).collect();
    kept.sort_unstable();
    sent.sort_unstable();
    assert_eq!(kept, sent, "every comment kept once");
    let written = kinds(&events(outbox, org, created.id()).await);
    let added = written.iter().filter(|k| **k == EventType::CommentAdded);
    assert_eq!(added.count(), N);
}

/// A comment with an expected version other than the stored one is refused with
/// `VersionConflict` and writes nothing.
pub async fn save_comment_at_a_stale_version_conflicts_and_writes_nothing<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    let (created, assigned) = created_then_assigned(tickets, org, "door").await;
    let before = snapshot(tickets, outbox, org, created.id()).await;
    let (_, comment) = comment_on(&assigned, "alice", Visibility::Internal, at(2 * MINUTE));
    for version in [created.version(), assigned.version() + 1] {
        let result = tickets.save_comment(org, &comment, Some(version)).await;
        let what = format!("save_comment expecting version {version}");
        before
            .refused(tickets, outbox, result, VersionConflict, &what)
            .await;
    }
    let stored = tickets
        .save_comment(org, &comment, Some(assigned.version()))
        .await
        .expect("save_comment at the stored version");
    assert_eq!(stored.version(), assigned.version() + 1);
}

/// A comment on a ticket that does not exist is `NotFound`, with or without an expected
/// version, and writes nothing.
pub async fn save_comment_on_an_unknown_ticket_is_not_found<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    let known = create(tickets, org, alert("door"), t0()).await;
    let before = snapshot(tickets, outbox, org, known.id()).await;
    let never_stored = draft(org, alert("ghost"), t0()).ticket;
    let (_, comment) = comment_on(&never_stored, "alice", Visibility::Internal, at(60));
    for expected in [None, Some(1)] {
        let result = tickets.save_comment(org, &comment, expected).await;
        let what = format!("a comment on an unknown ticket (expecting {expected:?})");
        before
            .refused(tickets, outbox, result, NotFound, &what)
            .await;
    }
}
