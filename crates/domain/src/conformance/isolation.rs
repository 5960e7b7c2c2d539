//! Organizations kept apart: with two organizations' tickets in one store, what
//! [`TicketRepository`] and [`OutboxRepository`] show and change in one of them is its own
//! only, and what is unique (external ids, active dedup keys, numbers) is unique per
//! organization.

use std::collections::BTreeSet;

use futures_util::future::join_all;

use super::fixtures::*;
use super::outbox::{breach_events, unanswered};
use super::reads::{list_matches, population, stats_match_the_list};
use crate::EventType;
use crate::model::{OrgId, Status, TicketId, TicketNumber, Visibility};
use crate::notification::{DeliveryStatus, NotificationFilter, OutboxRepository};
use crate::ports::{OrganizationRepository, RepositoryError, TicketRef, TicketRepository};
use crate::ticket::{Ingested, NewAlert, Ticket};

/// Two new organizations.
async fn two<G: OrganizationRepository>(orgs: &G) -> (OrgId, OrgId) {
    let a = provision(orgs, "acme").await;
    let b = provision(orgs, "globex").await;
    assert_ne!(a, b, "two new slugs resolved to one organization");
    (a, b)
}

/// The same incidents in both organizations, as stored: in `a` a door ticket (an alert
/// merged, two comments, assigned) and a window ticket; in `b` a door ticket (a comment,
/// started). Had the store mixed the organizations, `b`'s door alert would not have made a
/// ticket.
async fn neighbours<R: TicketRepository>(
    tickets: &R,
    a: OrgId,
    b: OrgId,
) -> (Vec<Ticket>, Vec<Ticket>) {
    let door = NewAlert {
        external_id: external("evt-1"),
        ..alert("door")
    };
    let ours = create(tickets, a, door.clone(), t0()).await;
    let repeat = NewAlert {
        external_id: external("evt-2"),
        ..alert("door")
    };
    merge(tickets, a, draft(a, repeat, at(MINUTE)), at(MINUTE)).await;
    let ours = find(tickets, a, ours.id()).await;
    let (ours, _) = comment(tickets, a, &ours, Visibility::External, at(2 * MINUTE)).await;
    let (ours, _) = comment(tickets, a, &ours, Visibility::Internal, at(3 * MINUTE)).await;
    let ours = transition(
        tickets,
        a,
        &ours,
        Status::Assigned,
        Some("alice"),
        at(4 * MINUTE),
    )
    .await;
    let window = create(tickets, a, alert("window"), at(5 * MINUTE)).await;

    let theirs = create(tickets, b, door, at(6 * MINUTE)).await;
    let (theirs, _) = comment(tickets, b, &theirs, Visibility::Internal, at(7 * MINUTE)).await;
    let theirs = transition(
        tickets,
        b,
        &theirs,
        Status::InProgress,
        None,
        at(8 * MINUTE),
    )
    .await;
    (vec![ours, window], vec![theirs])
}

/// Another organization's ticket does not exist for an organization: `find`, `details` and
/// `alerts` by its id are `None`, and by its number give the organization's own ticket with
/// that number, if it has one, or `None`.
pub async fn another_organizations_ticket_is_not_found<R, G>(tickets: &R, orgs: &G)
where
    R: TicketRepository,
    G: OrganizationRepository,
{
    let (a, b) = two(orgs).await;
    let (in_a, in_b) = neighbours(tickets, a, b).await;
    for (org, own, others) in [(a, &in_a, &in_b), (b, &in_b, &in_a)] {
        for other in others {
            let what = format!("organization {org} asking for {other:?}");
            let id = TicketRef::Id(other.id());
            assert_eq!(tickets.find(org, id).await.expect("find"), None, "{what}");
            for visibility in [None, Some(Visibility::Internal), Some(Visibility::External)] {
                let got = tickets.details(org, id, visibility).await.expect("details");
                assert_eq!(got, None, "details ({visibility:?}) by id: {what}");
            }
            let got = tickets.alerts(org, id, 100, None).await.expect("alerts");
            assert_eq!(got, None, "alerts by id: {what}");

            let by_number = number(other);
            let mine = own.iter().find(|t| t.number() == other.number());
            let got = tickets.find(org, by_number).await.expect("find");
            assert_eq!(got.as_ref(), mine, "find by number: {what}");
            let got = tickets
                .details(org, by_number, None)
                .await
                .expect("details");
            let expected = match mine {
                Some(t) => Some(details(tickets, org, t.id()).await),
                None => None,
            };
            assert_eq!(got, expected, "details by number: {what}");
            let got = tickets
                .alerts(org, by_number, 100, None)
                .await
                .expect("alerts");
            let expected = match mine {
                Some(t) => Some(alerts(tickets, org, t.id()).await),
                None => None,
            };
            assert_eq!(got, expected, "alerts by number: {what}");
        }
    }
}

/// A comment or a status change on another organization's ticket is refused (`NotFound` for
/// a comment; `VersionConflict` or `NotFound` for a change) and writes nothing in either
/// organization: the ticket's own organization can still change it at the version it had.
pub async fn writes_to_another_organizations_ticket_are_refused<R, O, G>(
    tickets: &R,
    outbox: &O,
    orgs: &G,
) where
    R: TicketRepository,
    O: OutboxRepository,
    G: OrganizationRepository,
{
    let (a, b) = two(orgs).await;
    let (in_a, _) = neighbours(tickets, a, b).await;
    let target = &in_a[0];
    let at_home = snapshot(tickets, outbox, a, target.id()).await;
    let abroad = snapshot(tickets, outbox, b, target.id()).await;

    let (_, remark) = comment_on(target, "mallory", Visibility::External, at(HOUR));
    for expected in [None, Some(target.version())] {
        let result = tickets.save_comment(b, &remark, expected).await;
        let what = format!("a comment from another organization (expecting {expected:?})");
        abroad
            .refused(tickets, outbox, result, RepositoryError::NotFound, &what)
            .await;
        at_home.unchanged(tickets, outbox, &what).await;
    }

    let (next, entry) = apply(target, Status::Resolved, None, at(HOUR));
    let result = tickets
        .save_transition(b, &next, target.version(), &entry)
        .await;
    let what = "a status change from another organization";
    match &result {
        Err(RepositoryError::VersionConflict | RepositoryError::NotFound) => {}
        other => panic!("{what}: expected VersionConflict or NotFound, got {other:?}"),
    }
    abroad.unchanged(tickets, outbox, what).await;
    at_home.unchanged(tickets, outbox, what).await;

    transition(tickets, a, target, Status::Resolved, None, at(HOUR)).await;
}

/// With the same tickets in two organizations, each one's list (every filter, paged or not)
/// holds its own tickets only, and its stats count them only.
pub async fn list_and_stats_show_only_the_organizations_tickets<R, G>(tickets: &R, orgs: &G)
where
    R: TicketRepository,
    G: OrganizationRepository,
{
    let (a, b) = two(orgs).await;
    let in_a = population(tickets, a).await;
    let in_b = population(tickets, b).await;
    for (org, own) in [(a, in_a), (b, in_b)] {
        list_matches(tickets, org, own).await;
        stats_match_the_list(tickets, org).await;
    }
}

/// An alert is answered within its organization only: the same provider, external id and
/// dedup key in another organization make a ticket there (not a replay, not a merge), then
/// replays and merges stay in each one; sent to both at once, it makes one ticket in each.
pub async fn the_same_alert_in_two_organizations_makes_two_tickets<R, O, G>(
    tickets: &R,
    outbox: &O,
    orgs: &G,
) where
    R: TicketRepository,
    O: OutboxRepository,
    G: OrganizationRepository,
{
    let (a, b) = two(orgs).await;
    let original = NewAlert {
        external_id: external("evt-1"),
        ..alert("door")
    };
    let in_a = create(tickets, a, original.clone(), t0()).await;
    let in_b = create(tickets, b, original.clone(), at(MINUTE)).await;
    assert_ne!(in_a.id(), in_b.id());

    let repeat = NewAlert {
        external_id: external("evt-2"),
        ..alert("door")
    };
    for (i, (org, own)) in [(a, &in_a), (b, &in_b)].into_iter().enumerate() {
        let now = at((i as i64 + 2) * MINUTE);
        match tickets
            .ingest(org, draft(org, original.clone(), now), now)
            .await
        {
            Ok(Ingested::Replayed(t)) => assert_eq!(t, *own, "a replay in {org}"),
            other => panic!("a replay in {org}: expected its own ticket Replayed, got {other:?}"),
        }
        let merged = merge(tickets, org, draft(org, repeat.clone(), now), now).await;
        assert_eq!(
            merged.id(),
            own.id(),
            "a merge in {org} joins its own ticket"
        );
        assert_eq!(merged.alert_count(), 2, "a merge in {org}");
        assert_eq!(alerts(tickets, org, own.id()).await.len(), 2);
        assert_eq!(
            kinds(&events(outbox, org, own.id()).await),
            [EventType::TicketCreated, EventType::AlertMerged],
            "the events of {org}'s ticket"
        );
    }

    // At once, four copies in each organization: one ticket in each.
    let burst = NewAlert {
        external_id: external("evt-3"),
        ..alert("burst")
    };
    let copies = [a, b].into_iter().flat_map(|org| {
        let burst = burst.clone();
        (0..4).map(move |i| (org, draft(org, burst.clone(), at(HOUR + i))))
    });
    let results = join_all(copies.map(|(org, d)| async move {
        let now = d.ticket.created_at();
        (org, tickets.ingest(org, d, now).await)
    }))
    .await;
    let mut created: Vec<(OrgId, TicketId)> = Vec::new();
    let mut answered: Vec<(OrgId, TicketId)> = Vec::new();
    for (org, result) in results {
        match result {
            Ok(Ingested::Created(t)) => created.push((org, t.id())),
            Ok(Ingested::Replayed(t)) => answered.push((org, t.id())),
            other => panic!("one alert sent at once to two organizations: {other:?}"),
        }
    }
    let mut orgs_created: Vec<OrgId> = created.iter().map(|(org, _)| *org).collect();
    orgs_created.sort_unstable();
    let mut both = vec![a, b];
    both.sort_unstable();
    assert_eq!(
        orgs_created, both,
        "one ticket in each organization: {created:?}"
    );
    for (org, id) in answered {
        assert!(
            created.contains(&(org, id)),
            "a copy in {org} answered with ticket {id}, not its organization's: {created:?}"
        );
    }
}

/// Ticket numbers count per organization: a new organization's first ticket is number 1,
/// whatever other organizations hold, and numbers are unique within each one; one number
/// names a different ticket in each organization.
pub async fn ticket_numbers_count_from_one_in_each_organization<R, G>(tickets: &R, orgs: &G)
where
    R: TicketRepository,
    G: OrganizationRepository,
{
    let (a, b) = two(orgs).await;
    let mut in_a = Vec::new();
    let mut in_b = Vec::new();
    for i in 0..3 {
        in_a.push(create(tickets, a, alert(&format!("a{i}")), at(i)).await);
    }
    for i in 0..2 {
        in_b.push(create(tickets, b, alert(&format!("b{i}")), at(10 + i)).await);
        in_a.push(create(tickets, a, alert(&format!("a{}", i + 3)), at(20 + i)).await);
    }
    let first = TicketNumber::new(1).expect("a positive number");
    for (org, own) in [(a, &in_a), (b, &in_b)] {
        assert_eq!(
            own[0].number(),
            Some(first),
            "the first ticket of new organization {org}"
        );
        let numbers: BTreeSet<_> = own.iter().map(Ticket::number).collect();
        assert_eq!(numbers.len(), own.len(), "numbers unique in {org}: {own:?}");
        let got = tickets
            .find(org, TicketRef::Number(first))
            .await
            .expect("find");
        assert_eq!(got.as_ref(), Some(&own[0]), "number 1 in {org}");
    }
}

/// One organization's outbox list shows its events only, whatever the filter or page, and
/// never another's ticket's; claims, deliveries and breach records work across
/// organizations, each event staying in its ticket's.
pub async fn the_outbox_list_shows_only_the_organizations_events<R, O, G>(
    tickets: &R,
    outbox: &O,
    orgs: &G,
) where
    R: TicketRepository,
    O: OutboxRepository,
    G: OrganizationRepository,
{
    let (a, b) = two(orgs).await;
    // Interleaved, so the two organizations' event ids interleave too.
    let mut owned: Vec<(OrgId, TicketId)> = Vec::new();
    for i in 0..3 {
        for org in [a, b] {
            let t = create(tickets, org, alert(&format!("t{i}")), at(i)).await;
            comment(tickets, org, &t, Visibility::Internal, at(MINUTE + i)).await;
            owned.push((org, t.id()));
        }
    }
    let claimed = outbox
        .claim_due(at(HOUR), at(2 * HOUR), 100, 1)
        .await
        .expect("claim_due");
    assert_eq!(
        claimed.len(),
        6,
        "a claim takes every organization's events"
    );
    for e in &claimed {
        outbox.mark_sent(e.id, at(HOUR)).await.expect("mark_sent");
    }
    // Critical and never answered: both targets breached at two hours, the others none.
    let mut late = Vec::new();
    for (org, n) in [(a, 1), (b, 2)] {
        let ids: Vec<TicketId> = unanswered(tickets, org, n)
            .await
            .iter()
            .map(Ticket::id)
            .collect();
        owned.extend(ids.iter().map(|id| (org, *id)));
        late.push(ids);
    }
    let recorded = tickets
        .record_sla_breaches(at(2 * HOUR), 100)
        .await
        .expect("record_sla_breaches");
    assert_eq!(recorded, 6, "the breaches of both organizations");
    let own_ids = |org: OrgId| -> BTreeSet<TicketId> {
        owned
            .iter()
            .filter(|(o, _)| *o == org)
            .map(|(_, id)| *id)
            .collect()
    };

    for ((org, other), late) in [(a, b), (b, a)].into_iter().zip(&late) {
        let listed = all_events(outbox, org).await;
        let tickets_listed: BTreeSet<TicketId> = listed.iter().map(|e| e.ticket_id).collect();
        assert_eq!(
            tickets_listed,
            own_ids(org),
            "the tickets of {org}'s events"
        );
        assert_eq!(
            breach_events(outbox, org, late).await,
            vec![2; late.len()],
            "{org}'s breach events"
        );
        let sent = listed
            .iter()
            .filter(|e| e.status == DeliveryStatus::Sent)
            .count();
        assert_eq!(sent, 3, "the deliveries of {org}'s events");

        let mut walked = Vec::new();
        let mut before = None;
        loop {
            let page = outbox
                .list(org, &NotificationFilter::default(), 1, before)
                .await
                .expect("outbox list");
            let Some(last) = page.last() else { break };
            before = Some(last.id);
            walked.extend(page);
        }
        walked.reverse();
        assert_eq!(
            walked, listed,
            "pages of 1 in {org} skip the other's events"
        );

        for id in own_ids(other) {
            for status in [
                None,
                Some(DeliveryStatus::Sent),
                Some(DeliveryStatus::Pending),
            ] {
                let filter = NotificationFilter {
                    ticket_id: Some(id),
                    status,
                };
                let got = outbox.list(org, &filter, 100, None).await.expect("list");
                assert!(
                    got.is_empty(),
                    "{org} lists {other}'s ticket's events: {got:?}"
                );
            }
        }
    }
}
