//! Inputs built through the domain's own constructors, explicit times, and reads through
//! the ports, shared by the behaviours.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::access::{OrgRef, OrgSlug, Organization};
use crate::lifecycle::{self, StatusChange};
use crate::model::{
    AlertData, AlertType, CameraId, CommentBody, DedupKey, Description, ExternalId, OrgId,
    ProviderId, Severity, Status, Title, UserId, Visibility,
};
use crate::notification::{Notification, NotificationFilter, OutboxRepository};
use crate::ports::{OrganizationRepository, RepositoryError, TicketRef, TicketRepository};
use crate::query::{ListQuery, PageLimit, TicketFilter};
use crate::sla::SlaPolicy;
use crate::ticket::{
    Comment, HistoryEntry, Ingested, NewAlert, StoredAlert, Ticket, TicketDetails, TicketDraft,
    TicketRecord,
};
use crate::{AlertRecord, TicketId};

/// Provisions the organization `slug` names through `orgs` (a slug not seen before is
/// provisioned on first use) and returns its id, which must not be the default
/// organization's. [`conformance_tests!`](crate::conformance_tests) runs each behaviour of one
/// organization in one made this way, so a store that ignored the organization would show it.
pub async fn provision<G: OrganizationRepository>(orgs: &G, slug: &str) -> OrgId {
    let slug = OrgSlug::parse(slug, "slug").expect("a slug");
    let id = orgs
        .resolve(&OrgRef::Slug(slug.clone()))
        .await
        .unwrap_or_else(|e| panic!("resolve of the new slug {slug}: {e:?}"))
        .unwrap_or_else(|| panic!("resolve of the new slug {slug} is None: it must provision"));
    assert_ne!(
        id,
        Organization::DEFAULT_ID,
        "the new slug {slug} resolved to the default organization"
    );
    id
}

/// Asserts that `ticket`, read from organization `org`, belongs to it.
#[track_caller]
pub(crate) fn assert_in(org: OrgId, ticket: &Ticket, what: &str) {
    assert_eq!(
        ticket.org_id(),
        org,
        "{what}: a ticket of another organization: {ticket:?}"
    );
}

/// The suite's base instant, with microseconds: stores must keep that precision.
pub(crate) fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(1_893_456_000_123_456).expect("a valid instant")
}

/// `seconds` after [`t0`] (before it when negative).
pub(crate) fn at(seconds: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(seconds)
}

pub(crate) const MINUTE: i64 = 60;
pub(crate) const HOUR: i64 = 3600;

pub(crate) fn provider(n: u128) -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(n))
}

pub(crate) fn camera(n: i64) -> CameraId {
    CameraId::parse(n, "camera_id").expect("a camera id")
}

pub(crate) fn user(name: &str) -> UserId {
    UserId::parse(name, "user").expect("a user id")
}

pub(crate) fn external(id: &str) -> Option<ExternalId> {
    Some(ExternalId::parse(id, "external_id").expect("an external id"))
}

/// An alert of provider 1 on camera 1, severity high, with the explicit dedup key `key`,
/// occurring when it is received. Vary it with struct update syntax.
pub(crate) fn alert(key: &str) -> NewAlert {
    NewAlert {
        title: Title::parse(&format!("Intrusion {key}"), "title").expect("a title"),
        description: Some(Description::parse("Seen by the suite", "description").expect("text")),
        severity: Severity::High,
        camera_id: camera(1),
        provider_id: provider(1),
        alert_type: Some(AlertType::parse("intrusion", "alert_type").expect("a type")),
        alert_data: AlertData::parse(json!({ "key": key, "score": 0.5 }), "alert_data")
            .expect("an object"),
        occurred_at: None,
        external_id: None,
        dedup_key: Some(DedupKey::parse(key, "dedup_key").expect("a key")),
    }
}

pub(crate) fn draft(org: OrgId, alert: NewAlert, now: DateTime<Utc>) -> TicketDraft {
    TicketDraft::new(org, alert, &SlaPolicy::default(), now)
}

/// Ingests `alert` at `now`, expecting a new ticket.
pub(crate) async fn create<R: TicketRepository>(
    tickets: &R,
    org: OrgId,
    alert: NewAlert,
    now: DateTime<Utc>,
) -> Ticket {
    create_from(tickets, org, draft(org, alert, now)).await
}

/// Ingests `draft` when it was made, expecting a new ticket.
pub(crate) async fn create_from<R: TicketRepository>(
    tickets: &R,
    org: OrgId,
    draft: TicketDraft,
) -> Ticket {
    let now = draft.ticket.created_at();
    match tickets.ingest(org, draft, now).await {
        Ok(Ingested::Created(ticket)) => {
            assert_in(org, &ticket, "ingest of a new alert");
            ticket
        }
        other => panic!("ingest of a new alert: expected Created, got {other:?}"),
    }
}

/// Ingests `draft` at `now`, expecting it merged, and returns the ticket.
pub(crate) async fn merge<R: TicketRepository>(
    tickets: &R,
    org: OrgId,
    draft: TicketDraft,
    now: DateTime<Utc>,
) -> Ticket {
    match tickets.ingest(org, draft, now).await {
        Ok(Ingested::Merged(ticket)) => ticket,
        other => panic!("ingest of a repeated alert: expected Merged, got {other:?}"),
    }
}

/// The alert record as filed under `ticket` (a merged draft carries its own new id).
pub(crate) fn filed(alert: &AlertRecord, ticket: TicketId) -> AlertRecord {
    AlertRecord {
        ticket_id: ticket,
        ..alert.clone()
    }
}

/// The change to `target` by the operator at `now`, computed by [`lifecycle::apply`].
pub(crate) fn apply(
    ticket: &Ticket,
    target: Status,
    assignee: Option<&str>,
    now: DateTime<Utc>,
) -> (Ticket, HistoryEntry) {
    let change = StatusChange {
        target,
        assignee_id: assignee.map(user),
        reason: None,
        hold_until: None,
    };
    lifecycle::apply(ticket, &change, &user("operator"), now)
        .unwrap_or_else(|e| panic!("the suite asked for a refused change: {e}"))
}

/// Moves `ticket` to `target` at `now` and stores it; returns the new state.
pub(crate) async fn transition<R: TicketRepository>(
    tickets: &R,
    org: OrgId,
    ticket: &Ticket,
    target: Status,
    assignee: Option<&str>,
    now: DateTime<Utc>,
) -> Ticket {
    let (next, entry) = apply(ticket, target, assignee, now);
    if let Err(e) = tickets
        .save_transition(org, &next, ticket.version(), &entry)
        .await
    {
        panic!("save_transition to {target} at the current version failed: {e:?}");
    }
    next
}

/// A comment on `ticket` by `author` at `now`, computed by [`Ticket::add_comment`]: the
/// ticket it should leave, and the comment.
pub(crate) fn comment_on(
    ticket: &Ticket,
    author: &str,
    visibility: Visibility,
    now: DateTime<Utc>,
) -> (Ticket, Comment) {
    let body = CommentBody::parse(&format!("{author} at {now}"), "body").expect("a body");
    ticket.add_comment(user(author), body, visibility, now)
}

/// Comments on `ticket` at `now` and stores it; returns the ticket as stored and the comment.
pub(crate) async fn comment<R: TicketRepository>(
    tickets: &R,
    org: OrgId,
    ticket: &Ticket,
    visibility: Visibility,
    now: DateTime<Utc>,
) -> (Ticket, Comment) {
    let (_, comment) = comment_on(ticket, "operator", visibility, now);
    let stored = tickets
        .save_comment(org, &comment, None)
        .await
        .unwrap_or_else(|e| panic!("save_comment failed: {e:?}"));
    (stored, comment)
}

pub(crate) fn number(ticket: &Ticket) -> TicketRef {
    TicketRef::Number(
        ticket
            .number()
            .unwrap_or_else(|| panic!("a stored ticket has a number: {ticket:?}")),
    )
}

pub(crate) async fn find<R: TicketRepository>(tickets: &R, org: OrgId, id: TicketId) -> Ticket {
    let found = tickets
        .find(org, TicketRef::Id(id))
        .await
        .expect("find")
        .unwrap_or_else(|| panic!("ticket {id} is not found"));
    assert_in(org, &found, "find");
    found
}

pub(crate) async fn details<R: TicketRepository>(
    tickets: &R,
    org: OrgId,
    id: TicketId,
) -> TicketDetails {
    tickets
        .details(org, TicketRef::Id(id), None)
        .await
        .expect("details")
        .unwrap_or_else(|| panic!("details of ticket {id} are not found"))
}

/// Every alert of the ticket, newest first.
pub(crate) async fn alerts<R: TicketRepository>(
    tickets: &R,
    org: OrgId,
    id: TicketId,
) -> Vec<StoredAlert> {
    tickets
        .alerts(org, TicketRef::Id(id), 1000, None)
        .await
        .expect("alerts")
        .unwrap_or_else(|| panic!("alerts of ticket {id}: the ticket is not found"))
}

/// Every outbox event matching `filter`, oldest first, read page by page.
pub(crate) async fn events_where<O: OutboxRepository>(
    outbox: &O,
    org: OrgId,
    filter: &NotificationFilter,
) -> Vec<Notification> {
    let mut all: Vec<Notification> = Vec::new();
    loop {
        let before = all.last().map(|e| e.id);
        let page = outbox
            .list(org, filter, 100, before)
            .await
            .expect("outbox list");
        let done = page.len() < 100;
        for e in &page {
            assert_eq!(
                e.payload["org_id"],
                json!(org),
                "the outbox list of organization {org} shows another's event: {e:?}"
            );
        }
        all.extend(page);
        if done {
            all.reverse();
            return all;
        }
    }
}

/// Every outbox event, oldest first.
pub(crate) async fn all_events<O: OutboxRepository>(outbox: &O, org: OrgId) -> Vec<Notification> {
    events_where(outbox, org, &NotificationFilter::default()).await
}

/// The outbox events of one ticket, oldest first.
pub(crate) async fn events<O: OutboxRepository>(
    outbox: &O,
    org: OrgId,
    id: TicketId,
) -> Vec<Notification> {
    let filter = NotificationFilter {
        ticket_id: Some(id),
        status: None,
    };
    events_where(outbox, org, &filter).await
}

pub(crate) fn kinds(events: &[Notification]) -> Vec<crate::EventType> {
    events.iter().map(|e| e.event_type).collect()
}

/// The event with id `id`, as listed now.
pub(crate) async fn event<O: OutboxRepository>(outbox: &O, org: OrgId, id: i64) -> Notification {
    outbox
        .list(org, &NotificationFilter::default(), 1, Some(id + 1))
        .await
        .expect("outbox list")
        .into_iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("outbox event {id} is not listed"))
}

/// The pages of the list for `filter` at `now`, `limit` a page, following the cursors.
pub(crate) async fn pages<R: TicketRepository>(
    tickets: &R,
    org: OrgId,
    filter: &TicketFilter,
    limit: u16,
    now: DateTime<Utc>,
) -> Vec<Vec<Ticket>> {
    let mut query = ListQuery {
        filter: filter.clone(),
        limit: PageLimit::parse(i64::from(limit), "limit").expect("a page limit"),
        cursor: None,
    };
    let mut pages = Vec::new();
    loop {
        let page = tickets.list(org, &query, now).await.expect("list");
        for t in &page.items {
            assert_in(org, t, "list");
        }
        assert!(
            page.items.len() <= usize::from(limit),
            "a page of limit {limit} holds {} tickets",
            page.items.len()
        );
        pages.push(page.items);
        match page.next_cursor {
            Some(cursor) if pages.len() <= 10_000 => query.cursor = Some(cursor),
            Some(_) => panic!("the list cursors never end"),
            None => return pages,
        }
    }
}

/// Every ticket matching `filter` at `now`, in list order.
pub(crate) async fn list_all<R: TicketRepository>(
    tickets: &R,
    org: OrgId,
    filter: &TicketFilter,
    now: DateTime<Utc>,
) -> Vec<Ticket> {
    pages(tickets, org, filter, PageLimit::MAX, now)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// The list order: newest first, then by id (descending).
pub(crate) fn newest_first(tickets: &mut [Ticket]) {
    tickets.sort_by_key(|t| std::cmp::Reverse((t.created_at(), t.id())));
}

/// Everything the ports show of the store and of one ticket: a write that must write nothing
/// leaves it equal.
#[derive(Debug, PartialEq)]
pub(crate) struct Snapshot {
    org: OrgId,
    id: TicketId,
    tickets: Vec<Ticket>,
    details: Option<TicketDetails>,
    alerts: Option<Vec<StoredAlert>>,
    events: Vec<Notification>,
}

pub(crate) async fn snapshot<R: TicketRepository, O: OutboxRepository>(
    tickets: &R,
    outbox: &O,
    org: OrgId,
    id: TicketId,
) -> Snapshot {
    Snapshot {
        org,
        id,
        tickets: list_all(tickets, org, &TicketFilter::default(), t0()).await,
        details: tickets
            .details(org, TicketRef::Id(id), None)
            .await
            .expect("details"),
        alerts: tickets
            .alerts(org, TicketRef::Id(id), 1000, None)
            .await
            .expect("alerts"),
        events: all_events(outbox, org).await,
    }
}

impl Snapshot {
    /// Asserts that the store still shows this snapshot after `what`.
    pub(crate) async fn unchanged<R: TicketRepository, O: OutboxRepository>(
        &self,
        tickets: &R,
        outbox: &O,
        what: &str,
    ) {
        let now = snapshot(tickets, outbox, self.org, self.id).await;
        assert!(
            now == *self,
            "{what} wrote something: before {self:#?}, after {now:#?}"
        );
    }

    /// Asserts that `result` of `what` is the error `expected` and that it wrote nothing.
    pub(crate) async fn refused<R, O, T>(
        &self,
        tickets: &R,
        outbox: &O,
        result: Result<T, RepositoryError>,
        expected: RepositoryError,
        what: &str,
    ) where
        R: TicketRepository,
        O: OutboxRepository,
        T: std::fmt::Debug,
    {
        match &result {
            Err(e) if std::mem::discriminant(e) == std::mem::discriminant(&expected) => {}
            other => panic!("{what}: expected Err({expected:?}), got {other:?}"),
        }
        self.unchanged(tickets, outbox, what).await;
    }
}

/// A ticket for the incident `key` created at [`t0`] and the same assigned to alice a minute
/// later, as stored.
pub(crate) async fn created_then_assigned<R: TicketRepository>(
    tickets: &R,
    org: OrgId,
    key: &str,
) -> (Ticket, Ticket) {
    let created = create(tickets, org, alert(key), t0()).await;
    let assigned = transition(
        tickets,
        org,
        &created,
        Status::Assigned,
        Some("alice"),
        at(MINUTE),
    )
    .await;
    (created, assigned)
}

/// Every field of a ticket but its number, which the store gives on insert.
pub(crate) fn content(t: &Ticket) -> TicketRecord {
    TicketRecord {
        number: None,
        ..t.to_record()
    }
}
