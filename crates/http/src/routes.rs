//! Handlers: HTTP in, use case, HTTP out. No rule lives here.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use ticket_domain::{
    Clock, HealthCheck, IngestOutcome, OutboxRepository, TicketId, TicketNumber, TicketRef,
    TicketRepository, TicketService,
};

use crate::dto::{
    AlertResponse, CommentRequest, CommentResponse, CreateTicketRequest, NotificationResponse,
    PageResponse, StatsResponse, StatusChangeRequest, TicketDetailsResponse, TicketResponse,
};
use crate::extract::{actor, etag, if_match, parse_json, query_pairs, read_body};
use crate::problem::ApiError;
use crate::query::{details_visibility, id_page, list_query, notification_query, stats_filter};

type Service<R, C> = web::Data<TicketService<R, C>>;

/// What `/health` reports about this process.
#[derive(Debug, Clone)]
pub struct ServiceInfo {
    pub name: String,
    pub version: &'static str,
}

/// A ticket id in a path: a UUID or a human number (`TCK-1042`). Anything else names no
/// ticket, so it is a 404 like an unknown id.
fn ticket_ref(raw: &str) -> Result<TicketRef, ApiError> {
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

async fn health(info: web::Data<ServiceInfo>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "ok",
        "service": info.name,
        "version": info.version,
    }))
}

/// Readiness: 200 when the database answers, else 503 problem+json.
async fn ready(check: web::Data<dyn HealthCheck>) -> Result<HttpResponse, ApiError> {
    check.ready().await?;
    Ok(HttpResponse::Ok().json(json!({"status": "ready"})))
}

async fn list_alerts<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ticket = ticket_ref(&path)?;
    let (limit, before) = id_page(&query_pairs(&req), |_, _| None)?;
    let alerts = service.alerts(ticket, limit + 1, before).await?;
    Ok(HttpResponse::Ok().json(id_paged(alerts, limit, |a| a.id, AlertResponse::from)))
}

async fn list_notifications(
    outbox: web::Data<dyn OutboxRepository>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (filter, limit, before) = notification_query(&query_pairs(&req))?;
    let rows = outbox.list(&filter, limit + 1, before).await?;
    Ok(HttpResponse::Ok().json(id_paged(rows, limit, |n| n.id, NotificationResponse::from)))
}

/// A page of a list fetched with one row more than `limit`: that row, if present, says
/// another page follows, starting below the last id shown.
fn id_paged<T, U>(
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

async fn create_ticket<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload).await?;
    let alert = parse_json::<CreateTicketRequest>(&body)?.parse()?;
    let (outcome, view) = service.ingest(alert).await?;
    let (id, version) = (view.ticket.id.0, view.ticket.version);
    let mut response = match outcome {
        IngestOutcome::Created => {
            let mut r = HttpResponse::Created();
            r.insert_header((header::LOCATION, ticket_location(id)));
            r
        }
        IngestOutcome::Merged | IngestOutcome::Replayed => {
            let mut r = HttpResponse::Ok();
            r.insert_header((header::CONTENT_LOCATION, ticket_location(id)));
            r
        }
    };
    Ok(response
        .insert_header((header::ETAG, etag(version)))
        .json(TicketResponse::from(view)))
}

async fn list_tickets<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = list_query(&query_pairs(&req))?;
    let page = service.list(&query).await?;
    Ok(HttpResponse::Ok().json(PageResponse {
        items: page.items.into_iter().map(TicketResponse::from).collect(),
        next_cursor: page.next_cursor.map(|c| c.encode()),
    }))
}

async fn ticket_stats<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let filter = stats_filter(&query_pairs(&req))?;
    let stats = service.stats(&filter).await?;
    Ok(HttpResponse::Ok().json(StatsResponse::from(stats)))
}

async fn get_ticket<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ticket = ticket_ref(&path)?;
    let visibility = details_visibility(&query_pairs(&req))?;
    let details = service.details(ticket, visibility).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(details.view.ticket.version)))
        .json(TicketDetailsResponse::from(details)))
}

async fn change_status<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ticket = ticket_ref(&path)?;
    let actor = actor(&req)?;
    let expected = if_match(&req)?;
    let body = read_body(payload).await?;
    let change = parse_json::<StatusChangeRequest>(&body)?.parse()?;
    let view = service
        .change_status(ticket, &change, &actor, expected)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(view.ticket.version)))
        .json(TicketResponse::from(view)))
}

async fn add_comment<R: TicketRepository, C: Clock>(
    service: Service<R, C>,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ticket = ticket_ref(&path)?;
    let author = actor(&req)?;
    let expected = if_match(&req)?;
    let body = read_body(payload).await?;
    let (text, visibility) = parse_json::<CommentRequest>(&body)?.parse()?;
    let (comment, view) = service
        .add_comment(ticket, &author, text, visibility, expected)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, ticket_location(view.ticket.id.0)))
        .insert_header((header::ETAG, etag(view.ticket.version)))
        .json(CommentResponse::from(comment)))
}

/// A 405 naming the methods `allow`ed on the resource.
fn method_not_allowed(allow: &'static str) -> actix_web::Route {
    web::to(move || async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed(allow.into())) })
}

/// The answer for a path no route matches.
pub async fn no_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NoRoute(req.path().to_owned()))
}

/// Registers every route. The caller provides `web::Data<TicketService<R, C>>`,
/// `web::Data<ServiceInfo>`, `web::Data<dyn OutboxRepository>` and `web::Data<dyn HealthCheck>`.
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
    // Before `{id}`, which would otherwise take "stats" as an id.
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
        web::resource("/ready")
            .route(web::get().to(ready))
            .default_service(method_not_allowed("GET")),
    );
}
