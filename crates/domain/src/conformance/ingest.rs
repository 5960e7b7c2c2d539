//! [`TicketRepository::ingest`]: create, replay, merge, and concurrent identical alerts.

use futures_util::future::join_all;

use super::fixtures::*;
use crate::EventType;
use crate::model::OrgId;
use crate::model::{Severity, Status};
use crate::notification::{DeliveryStatus, OutboxRepository};
use crate::ports::TicketRepository;
use crate::ticket::{Ingested, NewAlert};

/// A new alert becomes a ticket: the draft as given, with a number from the store, its
/// first alert, its creation history row and a pending `ticket_created` event.
pub async fn ingest_creates_a_numbered_ticket<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let first = draft(org, alert("door"), t0());
    let created = create_from(tickets, org, first.clone()).await;
    assert!(created.number().is_some(), "a created ticket has a number");
    assert_eq!(
        content(&created),
        content(&first.ticket),
        "the created ticket is the draft, as given"
    );
    assert_eq!(
        find(tickets, org, created.id()).await,
        created,
        "find by id"
    );
    let by_number = tickets.find(org, number(&created)).await.expect("find");
    assert_eq!(by_number.as_ref(), Some(&created), "find by number");

    let stored = details(tickets, org, created.id()).await;
    assert_eq!(
        stored.history,
        vec![first.history()],
        "one creation history row"
    );
    assert!(stored.comments.is_empty());
    let stored_alerts = alerts(tickets, org, created.id()).await;
    assert_eq!(stored_alerts.len(), 1, "the first alert is kept");
    assert_eq!(stored_alerts[0].alert, first.alert);

    let written = events(outbox, org, created.id()).await;
    assert_eq!(kinds(&written), [EventType::TicketCreated]);
    assert_eq!(written[0].status, DeliveryStatus::Pending);
    assert_eq!(written[0].attempts, 0);

    // Another incident: another ticket, another number.
    let other = create(tickets, org, alert("window"), at(MINUTE)).await;
    assert_ne!(other.id(), created.id());
    assert!(other.number().is_some());
    assert_ne!(other.number(), created.number(), "numbers are unique");
}

/// An alert whose (`provider_id`, `external_id`) was taken in before is answered with that
/// ticket, as stored, and writes nothing, whatever else it says and even after the ticket
/// left the active statuses. Another provider's alert with the same id is another alert.
pub async fn ingest_replay_returns_the_ticket_and_writes_nothing<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    let original = NewAlert {
        external_id: external("evt-1"),
        ..alert("door")
    };
    let created = create(tickets, org, original.clone(), t0()).await;
    let before = snapshot(tickets, outbox, org, created.id()).await;

    let replays = [
        original.clone(),
        NewAlert {
            external_id: external("evt-1"),
            severity: Severity::Critical,
            occurred_at: Some(at(30)),
            ..alert("window")
        },
    ];
    for (i, replay) in replays.into_iter().enumerate() {
        let now = at(MINUTE * (i as i64 + 1));
        match tickets.ingest(org, draft(org, replay, now), now).await {
            Ok(Ingested::Replayed(ticket)) => assert_eq!(ticket, created, "replay {i}"),
            other => panic!("replay {i}: expected Replayed, got {other:?}"),
        }
        before
            .unchanged(tickets, outbox, &format!("replay {i}"))
            .await;
    }

    let resolved = transition(
        tickets,
        org,
        &created,
        Status::Resolved,
        None,
        at(5 * MINUTE),
    )
    .await;
    let now = at(10 * MINUTE);
    match tickets
        .ingest(org, draft(org, original.clone(), now), now)
        .await
    {
        Ok(Ingested::Replayed(ticket)) => {
            assert_eq!(
                ticket, resolved,
                "a replay answers the ticket as stored now"
            );
        }
        other => panic!("replay after resolution: expected Replayed, got {other:?}"),
    }
    assert_eq!(alerts(tickets, org, created.id()).await.len(), 1);

    let elsewhere = NewAlert {
        provider_id: provider(2),
        ..original
    };
    let other = create(tickets, org, elsewhere, now).await;
    assert_ne!(other.id(), created.id(), "external ids are per provider");
}

/// A repeated alert joins the active ticket with the same (`provider_id`, `dedup_key`) as
/// [`crate::Ticket::merge_alert`] computes it: one more alert, `last_alert_at` moved, severity
/// only raised; the alert is kept and an `alert_merged` event written. Another key or
/// provider makes another ticket.
pub async fn ingest_merges_into_the_active_ticket<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let first = create(
        tickets,
        org,
        NewAlert {
            severity: Severity::Medium,
            ..alert("door")
        },
        t0(),
    )
    .await;

    let raise = draft(
        org,
        NewAlert {
            severity: Severity::Critical,
            occurred_at: Some(at(50)),
            external_id: external("evt-2"),
            ..alert("door")
        },
        at(MINUTE),
    );
    let expected = first.merge_alert(&raise.alert, at(MINUTE));
    let merged = merge(tickets, org, raise.clone(), at(MINUTE)).await;
    assert_eq!(
        merged, expected,
        "merged as Ticket::merge_alert computes it"
    );
    assert_eq!(merged.alert_count(), 2);
    assert_eq!(merged.severity(), Severity::Critical, "severity raised");
    assert_eq!(merged.last_alert_at(), at(50));
    assert_eq!(
        find(tickets, org, first.id()).await,
        merged,
        "the merge is stored"
    );

    let lower = draft(
        org,
        NewAlert {
            severity: Severity::Low,
            occurred_at: Some(at(-30)),
            ..alert("door")
        },
        at(2 * MINUTE),
    );
    let expected = merged.merge_alert(&lower.alert, at(2 * MINUTE));
    let merged = merge(tickets, org, lower.clone(), at(2 * MINUTE)).await;
    assert_eq!(
        merged, expected,
        "merged as Ticket::merge_alert computes it"
    );
    assert_eq!(
        merged.severity(),
        Severity::Critical,
        "severity never lowered"
    );
    assert_eq!(
        merged.last_alert_at(),
        at(50),
        "last_alert_at never goes back"
    );
    assert_eq!(merged.alert_count(), 3);
    assert_eq!(find(tickets, org, first.id()).await, merged);

    let kept: Vec<_> = alerts(tickets, org, first.id())
        .await
        .into_iter()
        .map(|a| a.alert)
        .collect();
    assert_eq!(kept.len(), 3, "every alert is kept");
    assert_eq!(kept[0], filed(&lower.alert, first.id()), "newest first");
    assert_eq!(kept[1], filed(&raise.alert, first.id()));
    assert_eq!(
        kinds(&events(outbox, org, first.id()).await),
        [
            EventType::TicketCreated,
            EventType::AlertMerged,
            EventType::AlertMerged
        ]
    );
    assert_eq!(details(tickets, org, first.id()).await.history.len(), 1);

    let other_key = create(tickets, org, alert("window"), at(3 * MINUTE)).await;
    let other_provider = NewAlert {
        provider_id: provider(2),
        ..alert("door")
    };
    let other_provider = create(tickets, org, other_provider, at(3 * MINUTE)).await;
    for other in [other_key, other_provider] {
        assert_ne!(other.id(), first.id());
    }
}

/// A ticket that left the active statuses (resolved, false positive, closed) takes no more
/// alerts: the next alert with its key opens a new ticket, which takes the following ones.
pub async fn ingest_after_the_ticket_left_the_active_statuses_opens_a_new_one<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    for (i, end) in [Status::Resolved, Status::FalsePositive, Status::Closed]
        .into_iter()
        .enumerate()
    {
        let key = format!("door-{i}");
        let old = create(tickets, org, alert(&key), t0()).await;
        let ended = transition(tickets, org, &old, end, None, at(MINUTE)).await;

        let new = create(tickets, org, alert(&key), at(2 * MINUTE)).await;
        assert_ne!(new.id(), old.id(), "after {end}");
        assert_ne!(new.number(), old.number());
        assert_eq!(
            find(tickets, org, old.id()).await,
            ended,
            "the {end} ticket is untouched"
        );
        assert_eq!(alerts(tickets, org, old.id()).await.len(), 1);

        let next = draft(org, alert(&key), at(3 * MINUTE));
        let merged = merge(tickets, org, next, at(3 * MINUTE)).await;
        assert_eq!(
            merged.id(),
            new.id(),
            "the new active ticket takes the next alert"
        );
        assert_eq!(
            kinds(&events(outbox, org, old.id()).await),
            [EventType::TicketCreated, EventType::StatusChanged]
        );
    }
}

/// How many concurrent requests the concurrency behaviours send.
const BURST: usize = 8;

/// Identical alerts sent at once open exactly one ticket: one `Created`, the rest `Merged`
/// into it, and every alert counted.
pub async fn concurrent_identical_alerts_open_one_ticket<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let drafts = (0..BURST).map(|i| {
        let now = at(i as i64);
        let alert = NewAlert {
            occurred_at: Some(now),
            ..alert("burst")
        };
        (draft(org, alert, now), now)
    });
    let results = join_all(drafts.map(|(d, now)| tickets.ingest(org, d, now))).await;
    let mut created = Vec::new();
    let mut merged = Vec::new();
    for result in results {
        match result {
            Ok(Ingested::Created(t)) => created.push(t),
            Ok(Ingested::Merged(t)) => merged.push(t),
            other => panic!("a burst of identical alerts: unexpected {other:?}"),
        }
    }
    assert_eq!(
        created.len(),
        1,
        "exactly one ticket is created: {created:?}"
    );
    assert_eq!(merged.len(), BURST - 1, "the others merge");
    let id = created[0].id();
    assert!(
        merged.iter().all(|t| t.id() == id),
        "all into the one ticket"
    );

    let stored = find(tickets, org, id).await;
    assert_eq!(stored.alert_count(), BURST as i32, "every alert counted");
    assert_eq!(stored.last_alert_at(), at(BURST as i64 - 1));
    assert_eq!(stored.first_alert_at(), at(0));
    assert_eq!(alerts(tickets, org, id).await.len(), BURST);
    let written = kinds(&events(outbox, org, id).await);
    let merges = written.iter().filter(|k| **k == EventType::AlertMerged);
    assert_eq!(merges.count(), BURST - 1);
    assert_eq!(written.len(), BURST, "{written:?}");
    let all = list_all(tickets, org, &Default::default(), t0()).await;
    assert_eq!(all.len(), 1, "one ticket in the store");
}

/// The same alert (provider and external id) sent several times at once makes one ticket:
/// one `Created`, the rest `Replayed`, one alert kept. Also when the copies carry different
/// dedup keys, so only the external id ties them together.
pub async fn concurrent_replays_make_one_ticket<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    for (round, same_key) in [true, false].into_iter().enumerate() {
        let evt = format!("evt-{round}");
        let copies = (0..BURST).map(|i| {
            let key = if same_key {
                format!("replayed-{round}")
            } else {
                format!("replayed-{round}-{i}")
            };
            let alert = NewAlert {
                external_id: external(&evt),
                ..alert(&key)
            };
            draft(org, alert, at(i as i64))
        });
        let results = join_all(
            copies
                .enumerate()
                .map(|(i, d)| tickets.ingest(org, d, at(i as i64))),
        )
        .await;
        let mut created = Vec::new();
        let mut ids = Vec::new();
        for result in results {
            match result {
                Ok(Ingested::Created(t)) => {
                    ids.push(t.id());
                    created.push(t);
                }
                Ok(Ingested::Replayed(t)) => ids.push(t.id()),
                other => panic!("concurrent replays (same key: {same_key}): {other:?}"),
            }
        }
        assert_eq!(created.len(), 1, "one ticket (same key: {same_key})");
        let id = created[0].id();
        assert!(
            ids.iter().all(|i| *i == id),
            "every copy answers the one ticket"
        );
        let stored = find(tickets, org, id).await;
        assert_eq!(stored.alert_count(), 1, "a replay is not a new alert");
        assert_eq!(stored.version(), 1, "a replay changes nothing");
        assert_eq!(alerts(tickets, org, id).await.len(), 1);
        assert_eq!(
            kinds(&events(outbox, org, id).await),
            [EventType::TicketCreated]
        );
    }
    let all = list_all(tickets, org, &Default::default(), t0()).await;
    assert_eq!(all.len(), 2, "one ticket per round: {all:?}");
}
