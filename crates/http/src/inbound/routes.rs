//! Handlers: HTTP in, use case, HTTP out. No rule lives here.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use ticket_domain::{
    Action, Clock, EndEvent, Ended, HealthCheck, IngestOutcome, OrgId, OrganizationRepository,
    OutboxRepository, Received, SlaConfigRepository, TicketId, TicketNumber, TicketRef,
    TicketRepository, TicketService,
};

use crate::inbound::auth::caller_allowed;
use crate::inbound::dto::SearchRequest;
use crate::inbound::dto::parse_incoming;
use crate::inbound::dto::{
    AlertResponse, CommentRequest, CommentResponse, DroppedAlertResponse, DroppedResponse,
    EndEventResponse, HealthResponse, Incoming, NotificationResponse, OrganizationPatch,
    OrganizationResponse, PageResponse, ReadyResponse, StatsResponse, StatusChangeRequest,
    TicketDetailsResponse, TicketResponse,
};
use crate::inbound::extract::{etag, if_match, query_pairs, read_body, read_json};
use crate::inbound::problem::{
    ApiError, Conflict, InternalError, MalformedRequest, MissingActor, NotPermitted,
    PayloadTooLarge, ServiceUnavailable, TicketNotFound, ValidationError,
};
use crate::inbound::query::{
    details_visibility, id_page, list_query, notification_query, stats_filter,
};
use crate::inbound::rules;
use crate::inbound::schemas::SearchRequestSchema;
use crate::inbound::schemas::{
    ActorSchema, AlertPageSchema, DeliveryStatusSchema, ETagSchema, IdCursorSchema, IfMatchSchema,
    IncomingOkSchema, IncomingSchema, NotificationPageSchema, OrgRefSchema, PageLimitSchema,
    SeveritySchema, StatusChangeSchema, StatusSchema, TicketCursorSchema, TicketLocationSchema,
    TicketPageSchema, TicketRefSchema, UserIdSchema, VisibilitySchema,
};

type Service<R, C> = web::Data<TicketService<R, C>>;
type Orgs = web::Data<dyn OrganizationRepository>;

/// What `/health` reports about this process.
#[derive(Debug, Clone)]
pub struct ServiceInfo {
    pub name: String,
    pub version: &'static str,
}

/// A ticket id in a path: a UUID or a human number (`TCK-1042`). Anything else names no
/// ticket, so it is a 404 like an unknown id.
pub(crate) fn ticket_ref(raw: &str) -> Result<TicketRef, ApiError> {
    if let Some(number) = TicketNumber::parse(raw) {
        return Ok(TicketRef::Number(number));
    }
    TicketId::parse(raw, "ticket_id")
        .map(TicketRef::Id)
        .map_err(|_| ApiError::NotFound)
}

fn ticket_location(id: uuid::Uuid) -> String {
    format!("/api/tickets/{id}")
}

/// Liveness
///
/// 200 whenever the process is serving; the database is not checked.
#[utoipa::path(
    get,
    path = "/health",
    tag = "operations",
    responses((status = 200, description = "The process is serving", body = HealthResponse)),
)]
pub(crate) async fn health(info: web::Data<ServiceInfo>) -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse {
        status: "ok",
        service: info.name.clone(),
        version: info.version,
    })
}

/// Readiness
///
/// 200 when the database answers, else 503.
#[utoipa::path(
    get,
    path = "/ready",
    tag = "operations",
    responses(
        (status = 200, description = "The database answers", body = ReadyResponse),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn ready(check: web::Data<dyn HealthCheck>) -> Result<HttpResponse, ApiError> {
    check.ready().await?;
    Ok(HttpResponse::Ok().json(ReadyResponse { status: "ready" }))
}

/// A ticket's alerts
///
/// The alerts taken into the ticket (the first and every merged one), newest first, one
/// page at a time.
#[utoipa::path(
    get,
    path = "/api/tickets/{id}/alerts",
    tag = "tickets",
    params(
        ("id" = TicketRefSchema, Path),
        ("limit" = Option<PageLimitSchema>, Query),
        ("cursor" = Option<IdCursorSchema>, Query),
    ),
    responses(
        (status = 200, description = "A page of alerts", body = AlertPageSchema),
        (status = 404, response = TicketNotFound),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn list_alerts<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::Read).await?;
    let ticket = ticket_ref(&path)?;
    let (limit, before) = id_page(&query_pairs(&req), |_, _| None)?;
    let alerts = service
        .alerts(caller.org, ticket, limit + 1, before)
        .await?;
    Ok(HttpResponse::Ok().json(id_paged(alerts, limit, |a| a.id, AlertResponse::from)))
}

/// Notifications
///
/// The outbox: every ticket event and its delivery state, newest first, one page at a time.
#[utoipa::path(
    get,
    path = "/api/notifications",
    tag = "notifications",
    params(
        ("ticket_id" = Option<uuid::Uuid>, Query, description = "Only this ticket's events (its UUID)."),
        ("status" = Option<DeliveryStatusSchema>, Query, description = "Only events in this delivery state."),
        ("limit" = Option<PageLimitSchema>, Query),
        ("cursor" = Option<IdCursorSchema>, Query),
    ),
    responses(
        (status = 200, description = "A page of events", body = NotificationPageSchema),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn list_notifications(
    outbox: web::Data<dyn OutboxRepository>,
    orgs: Orgs,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::Read).await?;
    let (filter, limit, before) = notification_query(&query_pairs(&req))?;
    let rows = outbox.list(caller.org, &filter, limit + 1, before).await?;
    Ok(HttpResponse::Ok().json(id_paged(rows, limit, |n| n.id, NotificationResponse::from)))
}

/// A page of a list fetched with one row more than `limit`: that row, if present, says
/// another page follows, starting below the last id shown.
pub(crate) fn id_paged<T, U>(
    mut rows: Vec<T>,
    limit: i64,
    id: impl Fn(&T) -> i64,
    into: impl Fn(T) -> U,
) -> PageResponse<U> {
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = more
        .then(|| rows.last().map(|r| id(r).to_string()))
        .flatten();
    PageResponse {
        items: rows.into_iter().map(into).collect(),
        next_cursor,
    }
}

/// The description of [`create_ticket`], naming the active statuses.
fn create_ticket_description() -> String {
    format!(
        "An alert from an analytics provider; no `X-User-Id` is needed. Decided atomically, \
         safe under concurrent identical requests:\n\n\
         1. **Replay**: an alert with the same (`provider_id`, `external_id`) was taken in \
         before: 200 with the ticket it went to; nothing is written.\n\
         2. **Merge**: a ticket with the same (`provider_id`, `dedup_key`) is {}: the alert \
         joins it (`alert_count` + 1, `last_alert_at` moved, severity raised if higher, due \
         times unchanged): 200.\n\
         3. **Create**: otherwise a new `open` ticket: 201.\n\n\
         Suppression windows act between 2 and 3: the first window with an occurrence \
         running whose filter selects the alert takes it. `drop`: the alert is kept with \
         the window and no ticket is made: 202 `DroppedResponse` (a replay of it: 202 \
         again, `replayed: true`). `collect`: the occurrence's alerts (per provider) gather \
         in one ticket, whose `dedup_key` is `window/<window id>/<occurrence start>`. \
         `suppress`: the new ticket is silent (`suppressed`) until the occurrence ends. \
         Under `drop` and `suppress`, a ticket active before the window still takes \
         its incident's alerts as usual; under `collect` the window's ticket takes them.\n\n\
         **Inhibition**: while a ticket of an inhibiting alert type (`camera_offline`, \
         `tampering`, or the organization's `settings.inhibition.alert_types`) is active \
         for a camera, a new ticket of that camera's other alerts is made silent \
         (`inhibited`) until it ends, then released or resolved without a word \
         (`settings.inhibition.on_end`: `release` or `drop`).\n\n\
         With `\"event_action\": \"resolve\"` the body is an **end event** \
         (`EndEventRequest`): the provider says an incident is over. It names the incident \
         by an earlier alert's `external_id` (that alert's ticket, if still active), else by \
         its dedup key (the active ticket with it). The ticket's auto-resolve rule, when it \
         takes end events, resolves it (or closes it) at once, or, if an operator has worked \
         on it and the rule acts only on untouched tickets, leaves it with a system comment. \
         Always 200 with `{{outcome, ticket}}` (`EndEventResponse`): an end event for \
         nothing active, a replayed one included, changes nothing and is no error.",
        rules::active_statuses()
    )
}

/// Take in an alert
///
/// Replay, merge or create: see [`create_ticket_description`].
#[utoipa::path(
    post,
    path = "/api/tickets",
    tag = "tickets",
    description = create_ticket_description(),
    request_body = IncomingSchema,
    responses(
        (status = 201, description = "A new ticket", body = TicketResponse, headers(
            ("Location" = TicketLocationSchema, description = "The new ticket"),
            ("ETag" = ETagSchema, description = "The ticket's version"),
        )),
        (status = 200, description = "The alert was merged into an active ticket, or replayed (a `TicketResponse`); or what an end event did (an `EndEventResponse`)", body = IncomingOkSchema, headers(
            ("Content-Location" = TicketLocationSchema, description = "The ticket"),
            ("ETag" = ETagSchema, description = "The ticket's version"),
        )),
        (status = 202, description = "A `drop` suppression window took the alert: kept with the window, no ticket", body = DroppedResponse),
        (status = 400, response = MalformedRequest),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn create_ticket<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    sla: web::Data<dyn SlaConfigRepository>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::PostAlert).await?;
    let alert = match parse_incoming(&read_body(payload).await?)? {
        Incoming::Alert(alert) => alert,
        Incoming::End(event) => {
            caller.require_post_alert(event.provider_id)?;
            return end_event(&service, caller.org, &event).await;
        }
    };
    caller.require_post_alert(alert.provider_id)?;
    let rules = sla.sla_rules(caller.org).await?;
    let (outcome, view) = match service.ingest_under(caller.org, alert, &rules).await? {
        Received::Ticket(outcome, view) => (outcome, view),
        Received::Dropped { alert, replayed } => {
            return Ok(HttpResponse::Accepted().json(DroppedResponse {
                outcome: "dropped",
                replayed,
                alert: DroppedAlertResponse::from(alert),
            }));
        }
    };
    let (id, version) = (view.ticket.id().as_uuid(), view.ticket.version());
    let mut response = match outcome {
        IngestOutcome::Created => {
            let mut r = HttpResponse::Created();
            r.insert_header((header::LOCATION, ticket_location(id)));
            r
        }
        IngestOutcome::Merged | IngestOutcome::Replayed | IngestOutcome::Reopened => {
            let mut r = HttpResponse::Ok();
            r.insert_header((header::CONTENT_LOCATION, ticket_location(id)));
            r
        }
    };
    Ok(response
        .insert_header((header::ETAG, etag(version)))
        .json(TicketResponse::from(&view)))
}

/// Answers an end event: 200 with what it did and the ticket, if any.
async fn end_event<R: TicketRepository, C: Clock>(
    service: &Service<R, C>,
    org: OrgId,
    event: &EndEvent,
) -> Result<HttpResponse, ApiError> {
    let (ended, view) = service.end_event(org, event).await?;
    let outcome = match ended {
        Ended::Resolved(_) => "resolved",
        Ended::Declined(_) => "declined",
        Ended::Ignored(_) => "ignored",
        Ended::NothingActive => "nothing_active",
    };
    let mut response = HttpResponse::Ok();
    if let Some(v) = &view {
        response
            .insert_header((
                header::CONTENT_LOCATION,
                ticket_location(v.ticket.id().as_uuid()),
            ))
            .insert_header((header::ETAG, etag(v.ticket.version())));
    }
    Ok(response.json(EndEventResponse {
        outcome,
        ticket: view.as_ref().map(TicketResponse::from),
    }))
}

/// List tickets
///
/// Newest first (by `created_at`, then `id`), one page at a time. Every filter given must
/// match. `status` and `severity` may be repeated and/or comma-separated
/// (`status=open,assigned&status=in_progress`); every other parameter may appear once. An
/// unknown parameter or value is a 422 naming it. `created_to` must not be before
/// `created_from`.
#[utoipa::path(
    get,
    path = "/api/tickets",
    tag = "tickets",
    params(
        ("status" = Option<Vec<StatusSchema>>, Query, style = Form, explode, description = "Any of these statuses."),
        ("severity" = Option<Vec<SeveritySchema>>, Query, style = Form, explode, description = "Any of these severities."),
        ("camera_id" = Option<i64>, Query, minimum = 0, description = "This camera."),
        ("provider_id" = Option<uuid::Uuid>, Query, description = "This provider."),
        ("assignee_id" = Option<UserIdSchema>, Query, description = "Assigned to this user (exact match)."),
        ("created_from" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "`created_at >= created_from` (alias `from`)."),
        ("created_to" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "`created_at <= created_to` (alias `to`); not before `created_from`."),
        ("sla_breached" = Option<bool>, Query, description = "`true`: at least one SLA target is breached at the time of the request; `false`: none is."),
        ("limit" = Option<PageLimitSchema>, Query),
        ("cursor" = Option<TicketCursorSchema>, Query),
    ),
    responses(
        (status = 200, description = "A page of tickets", body = TicketPageSchema),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn list_tickets<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::Read).await?;
    let query = list_query(&query_pairs(&req))?;
    Ok(ticket_page(service.list(caller.org, &query).await?))
}

/// A page of tickets as the list and the search answer it.
fn ticket_page(page: ticket_domain::Page<ticket_domain::TicketView>) -> HttpResponse {
    HttpResponse::Ok().json(PageResponse {
        items: page.items.iter().map(TicketResponse::from).collect(),
        next_cursor: page.next_cursor.map(|c| c.encode()),
    })
}

/// Search tickets
///
/// The list, selected by a tree of the filter language (see the `Filter` schema): the same
/// order and paging as `GET /api/tickets`. Pass `next_cursor` back with the same filter
/// for the next page. A bad filter is 422 naming the place; a search that runs longer than
/// 5 s is cancelled (503).
#[utoipa::path(
    post,
    path = "/api/tickets/search",
    tag = "tickets",
    request_body = SearchRequestSchema,
    responses(
        (status = 200, description = "A page of tickets", body = TicketPageSchema),
        (status = 400, response = MalformedRequest),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn search_tickets<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::Read).await?;
    let query = read_json::<SearchRequest>(payload).await?.parse()?;
    Ok(ticket_page(service.list(caller.org, &query).await?))
}

/// Statistics
///
/// Counts and SLA figures over the tickets matching the filters, computed at the time of the
/// request. The figures count exactly the tickets `GET /api/tickets` returns for the same
/// filters. `to` must not be before `from`.
#[utoipa::path(
    get,
    path = "/api/tickets/stats",
    tag = "tickets",
    params(
        ("from" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "`created_at >= from` (alias `created_from`)."),
        ("to" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "`created_at <= to` (alias `created_to`); not before `from`."),
        ("provider_id" = Option<uuid::Uuid>, Query, description = "This provider."),
        ("camera_id" = Option<i64>, Query, minimum = 0, description = "This camera."),
        ("severity" = Option<Vec<SeveritySchema>>, Query, style = Form, explode, description = "Any of these severities (repeatable and/or comma-separated)."),
        ("status" = Option<Vec<StatusSchema>>, Query, style = Form, explode, description = "Any of these statuses (repeatable and/or comma-separated)."),
        ("assignee_id" = Option<UserIdSchema>, Query, description = "Assigned to this user (exact match)."),
        ("sla_breached" = Option<bool>, Query, description = "With (`true`) or without (`false`) a breached SLA target now."),
    ),
    responses(
        (status = 200, description = "The figures", body = StatsResponse),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn ticket_stats<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::Read).await?;
    let filter = stats_filter(&query_pairs(&req))?;
    let stats = service.stats(caller.org, &filter).await?;
    Ok(HttpResponse::Ok().json(StatsResponse::from(stats)))
}

/// One ticket
///
/// The ticket with its comments and history, both oldest first.
#[utoipa::path(
    get,
    path = "/api/tickets/{id}",
    tag = "tickets",
    params(
        ("id" = TicketRefSchema, Path),
        ("visibility" = Option<VisibilitySchema>, Query, description = "Only the comments of this visibility (`external` hides internal ones); all when absent."),
    ),
    responses(
        (status = 200, description = "The ticket", body = TicketDetailsResponse, headers(
            ("ETag" = ETagSchema, description = "The ticket's version"),
        )),
        (status = 404, response = TicketNotFound),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn get_ticket<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::Read).await?;
    let ticket = ticket_ref(&path)?;
    let visibility = details_visibility(&query_pairs(&req))?;
    let details = service.details(caller.org, ticket, visibility).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(details.view.ticket.version())))
        .json(TicketDetailsResponse::new(
            &details.view,
            details.comments,
            details.history,
        )))
}

/// The description of [`change_status`], with the domain's table of allowed changes.
fn change_status_description() -> String {
    format!(
        "Moves the ticket through its lifecycle (assign, start, resolve, close, reopen...), as \
         the acting user. Every accepted change writes one history row and one \
         `status_changed` event with the ticket, atomically. Allowed moves:\n\n{}",
        rules::transition_table()
    )
}

/// Change the status
///
/// Through the lifecycle: see [`change_status_description`].
#[utoipa::path(
    patch,
    path = "/api/tickets/{id}/status",
    tag = "tickets",
    description = change_status_description(),
    params(
        ("id" = TicketRefSchema, Path),
        ("X-User-Id" = ActorSchema, Header, description = "The acting user."),
        ("If-Match" = Option<IfMatchSchema>, Header, nullable = false, description = "Refuse the change (409) unless the ticket is at this version."),
    ),
    request_body = StatusChangeSchema,
    responses(
        (status = 200, description = "The changed ticket", body = TicketResponse, headers(
            ("ETag" = ETagSchema, description = "The ticket's new version"),
        )),
        (status = 400, response = MalformedRequest),
        (status = 401, response = MissingActor),
        (status = 404, response = TicketNotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn change_status<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    sla: web::Data<dyn SlaConfigRepository>,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Authenticated first, like every handler: an anonymous caller learns nothing from the
    // id it sent. The acting user is the verified one: the token's `sub`, or `X-User-Id`
    // in header mode.
    let caller = caller_allowed(&req, orgs.as_ref(), Action::ChangeStatus).await?;
    let actor = caller.user.clone().ok_or(ApiError::MissingActor)?;
    let ticket = ticket_ref(&path)?;
    let expected = if_match(&req)?;
    let change = read_json::<StatusChangeRequest>(payload).await?.parse()?;
    // A reopen starts an escalation chain by the organization's policies (cached).
    let rules = if change.target.is_active() {
        sla.sla_rules(caller.org).await?
    } else {
        Default::default()
    };
    let view = service
        .change_status_under(&caller, ticket, &change, &actor, expected, &rules)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(view.ticket.version())))
        .json(TicketResponse::from(&view)))
}

/// Add a comment
///
/// A comment by the acting user. It is a first response (sets `first_responded_at` if
/// nothing has) and raises the ticket's `version`; the comment and a `comment_added` event
/// are written with the ticket, atomically.
#[utoipa::path(
    post,
    path = "/api/tickets/{id}/comments",
    tag = "tickets",
    params(
        ("id" = TicketRefSchema, Path),
        ("X-User-Id" = ActorSchema, Header, description = "The acting user, the comment's author."),
        ("If-Match" = Option<IfMatchSchema>, Header, nullable = false, description = "Refuse the comment (409) unless the ticket is at this version."),
    ),
    request_body = CommentRequest,
    responses(
        (status = 201, description = "The comment", body = CommentResponse, headers(
            ("Location" = TicketLocationSchema, description = "The ticket, whose details list the comment"),
            ("ETag" = ETagSchema, description = "The ticket's new version"),
        )),
        (status = 400, response = MalformedRequest),
        (status = 401, response = MissingActor),
        (status = 404, response = TicketNotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn add_comment<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    orgs: Orgs,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::Comment).await?;
    let author = caller.user.clone().ok_or(ApiError::MissingActor)?;
    let ticket = ticket_ref(&path)?;
    let expected = if_match(&req)?;
    let (text, visibility) = read_json::<CommentRequest>(payload).await?.parse()?;
    let (comment, view) = service
        .add_comment(caller.org, ticket, &author, text, visibility, expected)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            ticket_location(view.ticket.id().as_uuid()),
        ))
        .insert_header((header::ETAG, etag(view.ticket.version())))
        .json(CommentResponse::from(comment)))
}

/// The caller's organization
///
/// The organization the caller acts in (`X-Org-Id`, else the default one).
#[utoipa::path(
    get,
    path = "/api/organization",
    tag = "organizations",
    params(
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
    ),
    responses(
        (status = 200, description = "The organization", body = OrganizationResponse),
        (status = 403, response = NotPermitted),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn get_organization(
    orgs: Orgs,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::Read).await?;
    let org = orgs.get(caller.org).await?.ok_or_else(unknown_org)?;
    Ok(HttpResponse::Ok().json(OrganizationResponse::from(org)))
}

/// Change the caller's organization
///
/// Its name and/or settings (admins only).
#[utoipa::path(
    patch,
    path = "/api/organization",
    tag = "organizations",
    params(
        ("X-Org-Id" = Option<OrgRefSchema>, Header, nullable = false),
    ),
    request_body = OrganizationPatch,
    responses(
        (status = 200, description = "The organization as changed", body = OrganizationResponse),
        (status = 400, response = MalformedRequest),
        (status = 403, response = NotPermitted),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationError),
        (status = 500, response = InternalError),
        (status = 503, response = ServiceUnavailable),
    ),
)]
pub(crate) async fn patch_organization(
    orgs: Orgs,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_allowed(&req, orgs.as_ref(), Action::WriteConfig).await?;
    let (name, settings) = read_json::<OrganizationPatch>(payload).await?.parse()?;
    let org = orgs
        .update(caller.org, name, settings)
        .await?
        .ok_or_else(unknown_org)?;
    Ok(HttpResponse::Ok().json(OrganizationResponse::from(org)))
}

/// The caller's organization was resolved but is gone: the answer `auth::caller` gives for
/// an organization it does not know (organizations are never deleted, so at most a race),
/// not the ticket 404.
fn unknown_org() -> ApiError {
    ApiError::Forbidden("the caller's organization is unknown".into())
}

/// A 405 naming the methods `allow`ed on the resource.
pub fn method_not_allowed(allow: &'static str) -> actix_web::Route {
    web::to(move || async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed(allow.into())) })
}

/// The answer for a path no route matches.
pub async fn no_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NoRoute(req.path().to_owned()))
}

/// Registers every handler (the OpenAPI document and Swagger UI are added by
/// [`crate::inbound::configure`]). The caller provides `web::Data<TicketService<R, C>>`,
/// `web::Data<ServiceInfo>`, `web::Data<dyn OutboxRepository>`, `web::Data<dyn HealthCheck>`,
/// `web::Data<dyn OrganizationRepository>` and `web::Data<Authenticator>`.
pub fn configure<R: TicketRepository, C: Clock>(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/health")
            .route(web::get().to(health))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/api/tickets")
            .route(web::get().to(list_tickets::<R, C>))
            .route(web::post().to(create_ticket::<R, C>))
            .default_service(method_not_allowed("GET, POST")),
    )
    // Before `{id}`, which would otherwise take "stats" or "search" as an id.
    .service(
        web::resource("/api/tickets/search")
            .route(web::post().to(search_tickets::<R, C>))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/api/tickets/stats")
            .route(web::get().to(ticket_stats::<R, C>))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/api/tickets/{id}")
            .route(web::get().to(get_ticket::<R, C>))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/api/tickets/{id}/status")
            .route(web::patch().to(change_status::<R, C>))
            .default_service(method_not_allowed("PATCH")),
    )
    .service(
        web::resource("/api/tickets/{id}/comments")
            .route(web::post().to(add_comment::<R, C>))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/api/tickets/{id}/alerts")
            .route(web::get().to(list_alerts::<R, C>))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/api/notifications")
            .route(web::get().to(list_notifications))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/api/organization")
            .route(web::get().to(get_organization))
            .route(web::patch().to(patch_organization))
            .default_service(method_not_allowed("GET, PATCH")),
    )
    .service(
        web::resource("/ready")
            .route(web::get().to(ready))
            .default_service(method_not_allowed("GET")),
    );
}
