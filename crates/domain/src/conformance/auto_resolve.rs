//! Auto-resolve rules on the timers: the rule stored with its ticket, the quiet period's
//! timer moving past a later alert, the resolution stored once under concurrent callers
//! with its history and event, and a ticket an operator worked on left with one comment.

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::join_all;

use super::fixtures::*;
use super::timers::{fire_from, listed};
use crate::auto_resolve::{AutoResolveRuleRecord, AutoResolveRules};
use crate::event::EventType;
use crate::ingest::{EndEvent, Ended};
use crate::model::{AutoResolveRuleId, ExternalId, OrgId, RuleName, Status, Visibility};
use crate::notification::OutboxRepository;
use crate::policy::SlaRules;
use crate::ports::{TicketRef, TicketRepository};
use crate::sla::SlaPolicy;
use crate::ticket::{Ingested, NewAlert, Ticket, TicketDraft};
use crate::timer::TimerKind;

fn seconds(n: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(n)
}

/// Quiet for 3 s: resolved, unless an operator worked on it.
fn rule() -> AutoResolveRuleRecord {
    AutoResolveRuleRecord {
        id: AutoResolveRuleId::from_uuid(uuid::Uuid::from_u128(0xA7)),
        name: RuleName::parse("suite", "name").expect("a name"),
        position: 1,
        filter: None,
        quiet_period: Some(TimeDelta::seconds(3)),
        end_event: true,
        target: Status::Resolved,
        only_if_untouched: true,
        version: 1,
        archived_at: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn draft_at(org: OrgId, key: &str, at: DateTime<Utc>) -> TicketDraft {
    let rules = SlaRules::default().with_auto_resolves(AutoResolveRules::new(vec![rule()]));
    TicketDraft::under(org, alert(key), &SlaPolicy::default(), &rules, at)
}

pub async fn a_quiet_ticket_is_resolved_once_by_its_rule<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let ticket: Ticket = create_from(tickets, org, draft_at(org, "quiet", t0())).await;
    assert_eq!(ticket.auto_resolve().map(|r| r.rule_id), Some(rule().id));
    let timer = listed(tickets, ticket.id(), TimerKind::AutoResolve, seconds(3))
        .await
        .expect("the creation stores the quiet period's timer");
    assert_eq!(timer.due_at, seconds(3));
    // An alert at 2 s: the timer due at 3 s finds it and moves to 5 s.
    merge(tickets, org, draft_at(org, "quiet", seconds(2)), seconds(2)).await;
    assert_eq!(fire_from(tickets, &timer, seconds(3), 4).await, 1);
    assert_eq!(find(tickets, org, ticket.id()).await.status(), Status::Open);
    let moved = listed(tickets, ticket.id(), TimerKind::AutoResolve, seconds(5))
        .await
        .expect("moved to the new quiet period's end");
    assert_eq!(moved.due_at, seconds(5));

    assert_eq!(fire_from(tickets, &moved, seconds(5), 4).await, 1);
    let stored = find(tickets, org, ticket.id()).await;
    assert_eq!(stored.status(), Status::Resolved);
    assert_eq!(stored.resolved_at(), Some(seconds(5)));
    let changes: Vec<_> = events(outbox, org, ticket.id())
        .await
        .into_iter()
        .filter(|e| e.event_type == EventType::StatusChanged)
        .collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].payload["data"]["to_status"], "resolved");
    let details = tickets
        .details(org, TicketRef::Id(ticket.id()), None)
        .await
        .expect("details")
        .expect("the ticket");
    let last = details.history.last().expect("history");
    assert_eq!(
        last.actor.as_ref().map(ToString::to_string),
        Some(format!("system:auto_resolve:{}", rule().id))
    );
    assert_eq!(
        last.reason.as_ref().map(|r| r.as_str().to_owned()),
        Some("auto_resolved".to_owned())
    );
    assert!(
        listed(tickets, ticket.id(), TimerKind::AutoResolve, seconds(60))
            .await
            .is_none(),
        "done: the timer goes"
    );
}

pub async fn a_worked_ticket_gets_one_comment_from_its_rule<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    let ticket: Ticket = create_from(tickets, org, draft_at(org, "worked", t0())).await;
    let (worked, _) = comment(tickets, org, &ticket, Visibility::External, seconds(1)).await;
    let timer = listed(tickets, ticket.id(), TimerKind::AutoResolve, seconds(3))
        .await
        .expect("the quiet period's timer");
    assert_eq!(fire_from(tickets, &timer, seconds(3), 4).await, 1);
    let stored = find(tickets, org, ticket.id()).await;
    assert_eq!(stored.status(), Status::Open);
    assert_eq!(stored.version(), worked.version() + 1);
    assert!(stored.auto_resolve().is_some_and(|r| r.declined));
    let details = tickets
        .details(org, TicketRef::Id(ticket.id()), None)
        .await
        .expect("details")
        .expect("the ticket");
    let by_rule: Vec<_> = details
        .comments
        .iter()
        .filter(|c| c.author_id.to_string().starts_with("system:auto_resolve:"))
        .collect();
    assert_eq!(by_rule.len(), 1, "{:?}", details.comments);
    assert_eq!(by_rule[0].visibility, Visibility::Internal);
    let comments = events(outbox, org, ticket.id())
        .await
        .into_iter()
        .filter(|e| e.event_type == EventType::CommentAdded)
        .count();
    assert_eq!(comments, 2, "the operator's and the rule's");
    assert!(
        listed(tickets, ticket.id(), TimerKind::AutoResolve, seconds(60))
            .await
            .is_none()
    );
}

pub async fn concurrent_end_events_resolve_once<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let external_id = ExternalId::parse("ends-1", "external_id").expect("an id");
    let rules = SlaRules::default().with_auto_resolves(AutoResolveRules::new(vec![rule()]));
    let first = NewAlert {
        external_id: Some(external_id.clone()),
        ..alert("ends")
    };
    let draft = TicketDraft::under(org, first, &SlaPolicy::default(), &rules, t0());
    let ticket: Ticket = create_from(tickets, org, draft).await;
    let by_key = EndEvent {
        provider_id: ticket.provider_id(),
        external_id: None,
        dedup_key: Some(ticket.dedup_key().clone()),
    };
    // The first alert's external id names the same incident.
    let by_alert = EndEvent {
        external_id: Some(external_id),
        dedup_key: None,
        ..by_key.clone()
    };
    let events_sent = [&by_key, &by_alert, &by_key, &by_alert];
    let results = join_all(
        events_sent
            .iter()
            .map(|e| tickets.end_event(org, e, seconds(1))),
    )
    .await;
    let mut resolved = 0;
    for result in results {
        match result.expect("an end event") {
            Ended::Resolved(t) => {
                assert_eq!(t.id(), ticket.id());
                assert_eq!(t.status(), Status::Resolved);
                resolved += 1;
            }
            Ended::NothingActive => {}
            other => panic!("resolved or nothing active, not {other:?}"),
        }
    }
    assert_eq!(resolved, 1, "one of four concurrent end events acts");
    let stored = find(tickets, org, ticket.id()).await;
    assert_eq!(stored.status(), Status::Resolved);
    assert_eq!(stored.version(), ticket.version() + 1);
    let changes = events(outbox, org, ticket.id())
        .await
        .into_iter()
        .filter(|e| e.event_type == EventType::StatusChanged)
        .count();
    assert_eq!(changes, 1);
    // Another organization's end event does not find it.
    let other = OrgId::from_u128(0xE17D);
    assert_eq!(
        tickets.end_event(other, &by_key, seconds(2)).await.ok(),
        Some(Ended::NothingActive)
    );
}

pub async fn a_burst_after_an_automatic_resolution_reopens_the_ticket_once<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    let ticket: Ticket = create_from(tickets, org, draft_at(org, "flaps", t0())).await;
    let ended = EndEvent {
        provider_id: ticket.provider_id(),
        external_id: None,
        dedup_key: Some(ticket.dedup_key().clone()),
    };
    let resolved = tickets.end_event(org, &ended, seconds(1)).await;
    assert!(matches!(resolved, Ok(Ended::Resolved(_))), "{resolved:?}");
    // Eight identical alerts at once, 2 s later: one reopens, the others join it.
    let burst = join_all(
        (0..8).map(|_| tickets.ingest(org, draft_at(org, "flaps", seconds(2)), seconds(2))),
    )
    .await;
    let (mut reopened, mut merged) = (0, 0);
    for result in burst {
        match result.expect("an alert") {
            Ingested::Reopened(t) => {
                assert_eq!(t.id(), ticket.id());
                reopened += 1;
            }
            Ingested::Merged(t) => {
                assert_eq!(t.id(), ticket.id());
                merged += 1;
            }
            other => panic!("reopened or merged, not {other:?}"),
        }
    }
    assert_eq!((reopened, merged), (1, 7));
    let stored = find(tickets, org, ticket.id()).await;
    assert_eq!(stored.status(), Status::Open);
    assert_eq!(stored.reopen_count(), 1);
    assert_eq!(stored.alert_count(), 9);
    let changes = events(outbox, org, ticket.id())
        .await
        .into_iter()
        .filter(|e| e.event_type == EventType::StatusChanged)
        .count();
    assert_eq!(changes, 2, "the resolution and the one reopen");
}
