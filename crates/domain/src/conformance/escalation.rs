//! Escalation chains on the timers: the chain stored with its ticket, each step run once
//! under concurrent callers with its rows and events, a skipped step never retried,
//! resolving stopping the chain, and a reopen starting a new one.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::join_all;
use serde_json::json;

use super::fixtures::*;
use crate::actor::Actor;
use crate::escalation::{EscalationPolicyRecord, EscalationRules, Steps};
use crate::event::EventType;
use crate::model::{EscalationPolicyId, OrgId, RuleName, Severity, Status, TicketId};
use crate::notification::OutboxRepository;
use crate::policy::SlaRules;
use crate::ports::{DueTimer, TicketRepository};
use crate::sla::SlaPolicy;
use crate::ticket::{Ticket, TicketDraft};
use crate::timer::TimerKind;

fn seconds(n: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(n)
}

/// Steps at 2 s (nobody answered: notify) and 4 s (still active: reassign to `sup`, raise
/// the severity, comment).
fn policy() -> EscalationPolicyRecord {
    let steps = json!([
        {"after": 2, "condition": "not_acknowledged",
         "actions": [{"type": "notify", "users": ["alice"]}]},
        {"after": 4, "condition": "not_resolved",
         "actions": [{"type": "reassign", "assignee_id": "sup"},
                     {"type": "raise_severity"},
                     {"type": "comment", "body": "escalated by policy"}]}
    ]);
    EscalationPolicyRecord {
        id: EscalationPolicyId::from_uuid(uuid::Uuid::from_u128(0xE5C)),
        name: RuleName::parse("suite", "name").expect("a name"),
        position: 1,
        filter: None,
        steps: Steps::parse(&steps).expect("valid steps"),
        repeat: 0,
        version: 1,
        archived_at: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn rules() -> SlaRules {
    SlaRules::default().with_escalations(EscalationRules::new(vec![policy()]))
}

/// A ticket created at t0 under [`policy`].
async fn chained<R: TicketRepository>(tickets: &R, org: OrgId, key: &str) -> Ticket {
    let draft = TicketDraft::under(org, alert(key), &SlaPolicy::default(), &rules(), t0());
    create_from(tickets, org, draft).await
}

async fn escalation_timer<R: TicketRepository>(
    tickets: &R,
    id: TicketId,
    now: DateTime<Utc>,
) -> Option<DueTimer> {
    tickets
        .due_timers(now, None, 1_000)
        .await
        .expect("due_timers")
        .into_iter()
        .find(|t| t.ticket_id == id && t.kind == TimerKind::Escalation)
}

/// Fires the ticket's escalation timer at `now` from three concurrent callers; how many
/// took it (0 when none is due).
async fn fire_three<R: TicketRepository>(tickets: &R, id: TicketId, now: DateTime<Utc>) -> usize {
    let Some(timer) = escalation_timer(tickets, id, now).await else {
        return 0;
    };
    join_all((0..3).map(|_| tickets.fire_timer(&timer, now)))
        .await
        .into_iter()
        .map(|r| r.expect("fire_timer"))
        .filter(|taken| *taken)
        .count()
}

/// The steps of the `ticket_escalated` events of a ticket, oldest first.
async fn steps_run<O: OutboxRepository>(outbox: &O, org: OrgId, id: TicketId) -> Vec<u64> {
    events(outbox, org, id)
        .await
        .iter()
        .filter(|e| e.event_type == EventType::TicketEscalated)
        .map(|e| e.payload["data"]["step"].as_u64().expect("a step"))
        .collect()
}

pub async fn an_escalation_chain_runs_each_step_once_in_order<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    let ticket = chained(tickets, org, "chain").await;
    let stored = find(tickets, org, ticket.id()).await;
    assert_eq!(
        stored.escalation(),
        ticket.escalation(),
        "the chain is stored"
    );
    assert!(
        escalation_timer(tickets, ticket.id(), seconds(1))
            .await
            .is_none()
    );

    assert_eq!(fire_three(tickets, ticket.id(), seconds(2)).await, 1);
    assert_eq!(steps_run(outbox, org, ticket.id()).await, vec![1]);
    let after_first = find(tickets, org, ticket.id()).await;
    assert_eq!(
        after_first.version(),
        ticket.version(),
        "a notification is no change"
    );
    assert_eq!(after_first.escalation().map(|e| e.next), Some(1));
    assert_eq!(
        fire_three(tickets, ticket.id(), seconds(3)).await,
        0,
        "the next step is not due"
    );

    assert_eq!(fire_three(tickets, ticket.id(), seconds(4)).await, 1);
    assert_eq!(steps_run(outbox, org, ticket.id()).await, vec![1, 2]);
    let done = find(tickets, org, ticket.id()).await;
    assert_eq!(done.status(), Status::Assigned);
    assert_eq!(done.assignee_id().map(|a| a.as_str()), Some("sup"));
    assert_eq!(done.severity(), Severity::Critical);
    assert_eq!(done.first_responded_at(), None, "no user acted");
    assert!(done.version() > after_first.version());
    let details = details(tickets, org, ticket.id()).await;
    let last = details.history.last().expect("history");
    assert_eq!(last.to_status, Status::Assigned);
    assert!(
        matches!(&last.actor, Some(Actor::System(s)) if s.rule() == policy().id.to_string()),
        "{last:?}"
    );
    assert_eq!(details.comments.len(), 1);
    assert!(matches!(details.comments[0].author_id, Actor::System(_)));
    let kinds = kinds(&events(outbox, org, ticket.id()).await);
    assert_eq!(
        kinds,
        vec![
            EventType::TicketCreated,
            EventType::TicketEscalated,
            EventType::StatusChanged,
            EventType::CommentAdded,
            EventType::TicketEscalated,
        ]
    );
    assert!(
        escalation_timer(tickets, ticket.id(), seconds(3600))
            .await
            .is_none(),
        "the chain is over: no timer left"
    );
}

pub async fn a_late_chain_runs_its_due_steps_in_order_at_once<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    // Every instance was down from 1 s to 60 s.
    let ticket = chained(tickets, org, "late").await;
    assert_eq!(fire_three(tickets, ticket.id(), seconds(60)).await, 1);
    assert_eq!(steps_run(outbox, org, ticket.id()).await, vec![1, 2]);
    assert_eq!(fire_three(tickets, ticket.id(), seconds(61)).await, 0);
}

pub async fn a_skipped_step_stays_skipped_and_resolving_stops_the_chain<R, O>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
) where
    R: TicketRepository,
    O: OutboxRepository,
{
    let ticket = chained(tickets, org, "answered").await;
    let (answered, _) = comment(
        tickets,
        org,
        &ticket,
        crate::Visibility::Internal,
        seconds(1),
    )
    .await;
    assert_eq!(fire_three(tickets, ticket.id(), seconds(2)).await, 1);
    assert!(
        steps_run(outbox, org, ticket.id()).await.is_empty(),
        "answered: the not_acknowledged step is skipped"
    );
    let resolved = transition(tickets, org, &answered, Status::Resolved, None, seconds(3)).await;
    // The timer left for step 2 fires as a no-op.
    assert_eq!(fire_three(tickets, ticket.id(), seconds(4)).await, 1);
    assert!(steps_run(outbox, org, ticket.id()).await.is_empty());
    let stored = find(tickets, org, ticket.id()).await;
    assert_eq!(stored.version(), resolved.version());
    assert_eq!(stored.status(), Status::Resolved);
    assert!(
        escalation_timer(tickets, ticket.id(), seconds(3600))
            .await
            .is_none()
    );
}

pub async fn a_reopen_stores_a_new_chain_and_its_timer<R, O>(tickets: &R, outbox: &O, org: OrgId)
where
    R: TicketRepository,
    O: OutboxRepository,
{
    let ticket = chained(tickets, org, "reopened").await;
    let resolved = transition(tickets, org, &ticket, Status::Resolved, None, seconds(1)).await;
    // The service starts the chain of the reopen (TicketService::change_status_under).
    let (mut reopened, entry) = apply(&resolved, Status::Open, None, seconds(10));
    reopened.escalation = Some(Arc::new(policy().chain(seconds(10))));
    tickets
        .save_transition(org, &reopened, resolved.version(), &entry)
        .await
        .expect("save the reopen");
    let stored = find(tickets, org, ticket.id()).await;
    assert_eq!(stored.escalation().map(|e| e.started_at), Some(seconds(10)));
    let timer = escalation_timer(tickets, ticket.id(), seconds(12))
        .await
        .expect("the new chain's timer");
    assert_eq!(timer.due_at, seconds(12));
    assert_eq!(fire_three(tickets, ticket.id(), seconds(12)).await, 1);
    // Reopened by a user: a first response exists, so step 1 is skipped.
    assert!(steps_run(outbox, org, ticket.id()).await.is_empty());
    assert_eq!(fire_three(tickets, ticket.id(), seconds(14)).await, 1);
    assert_eq!(steps_run(outbox, org, ticket.id()).await, vec![2]);
}
