//! The actix-web side: requests in, problems and the OpenAPI document out.
//!
//! Modules, each using only those listed before it (the test `layering` checks that the
//! `crate::` references form no cycle):
//!
//! - [`rules`]: the lifecycle's lists of statuses in words, from the domain's tables;
//! - [`schemas`]: shared OpenAPI schemas (names, text limits, ids, cursors, pages, counts);
//! - [`problem`]: `ApiError`, the RFC 9457 `Problem`, and the error responses of the document;
//! - [`extract`]: bodies, headers and raw values parsed, with errors naming the field;
//! - [`identity`]: `Identity` (a caller whose organization is still a reference) and the
//!   identity headers of header mode;
//! - [`jwks`]: the keys that verify bearer tokens, from a file or fetched and cached;
//! - [`jwt`]: bearer tokens verified and read into an `Identity`;
//! - [`auth`]: the `Authenticator` (header or JWT mode), `identity(&req)`, and
//!   `caller_allowed`, the prologue of every handler (organization resolved, roles checked);
//! - [`dto`]: request and response bodies and their conversion to and from domain values;
//! - [`query`]: query strings parsed into the domain's filters and pages;
//! - [`routes`]: the handlers and their `#[utoipa::path]` descriptions;
//! - [`openapi`]: the document assembled from all of the above, and its serving;
//! - this module: [`configure`], which registers the routes and the document.

pub mod assignment;
pub mod auth;
pub mod auto_resolve;
pub mod config;
pub mod dto;
pub mod escalation;
pub mod extract;
pub mod identity;
pub mod jwks;
pub mod jwt;
pub mod openapi;
pub mod problem;
pub mod query;
pub mod routes;
pub mod rules;
pub mod schemas;
pub mod suppression;

use actix_web::web;
use ticket_domain::{Clock, TicketRepository};

/// Registers every route, the OpenAPI document and Swagger UI. The caller provides the
/// `web::Data` that [`routes::configure`] lists.
pub fn configure<R: TicketRepository, C: Clock>(cfg: &mut web::ServiceConfig) {
    routes::configure::<R, C>(cfg);
    config::configure::<R, C>(cfg);
    escalation::configure::<R, C>(cfg);
    assignment::configure::<R, C>(cfg);
    auto_resolve::configure::<R, C>(cfg);
    suppression::configure::<R, C>(cfg);
    openapi::configure(cfg);
}
