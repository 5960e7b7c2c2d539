//! RFC 9457 problem details: every error this service answers is one of these, as
//! `application/problem+json`, naming the field(s) at fault for bad input. The error
//! responses of the OpenAPI document are described here too, next to the slugs and statuses
//! they name, so that adding an error touches one file.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use ticket_domain::{
    FieldError, RepositoryError, ServiceError, Status, TransitionError, ValidationErrors,
};
use utoipa::openapi::RefOr;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::{ToResponse, ToSchema};

use crate::inbound::rules;
use crate::inbound::schemas::StatusSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// `WWW-Authenticate` of a request without a bearer token.
pub const BEARER: &str = "Bearer";
/// `WWW-Authenticate` of a request whose bearer token does not verify.
pub const BEARER_INVALID_TOKEN: &str = "Bearer error=\"invalid_token\"";

/// The prefix of every problem `type`; the slug follows.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:ticket-service:problem:";

/// One invalid field: `field` as the API names it, `pointer` as a JSON pointer into the
/// request body (RFC 9457 §3), `detail` for a human.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvalidField {
    /// The body field, query parameter or header at fault (`body` for the body as a whole).
    pub field: String,
    /// `#/<field>`.
    #[schema(pattern = "^#/")]
    pub pointer: String,
    /// What is wrong with it, for a human.
    pub detail: String,
}

impl From<FieldError> for InvalidField {
    fn from(e: FieldError) -> Self {
        Self {
            pointer: format!("#/{}", e.field.replace('.', "/")),
            field: e.field,
            detail: e.message,
        }
    }
}

/// An RFC 9457 problem document, the body of every error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:ticket-service:problem:<slug>`.
    #[serde(rename = "type")]
    #[schema(schema_with = problem_types)]
    pub kind: String,
    /// Short summary of the type.
    #[schema(value_type = String)]
    pub title: &'static str,
    /// The HTTP status.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong here, for a human.
    pub detail: String,
    /// For bad input: one entry per field, parameter or header at fault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<InvalidField>,
    /// For a refused transition: where the ticket may go from its current status.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<StatusSchema>, required = false)]
    pub allowed_transitions: Option<Vec<Status>>,
    /// For a refused transition: the ticket's status now.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = StatusSchema, required = false)]
    pub current_status: Option<Status>,
    /// For a version conflict: the ticket's version now.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = i64, required = false, minimum = 1)]
    pub current_version: Option<i64>,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON at all.
    #[error("the request body is not a valid JSON document")]
    Malformed(ValidationErrors),
    /// Well-formed, but a field, parameter or header is invalid.
    #[error("{0}")]
    Invalid(ValidationErrors),
    #[error("this action needs the acting user in the X-User-Id header")]
    MissingActor,
    /// No bearer token (JWT mode): RFC 6750 §3.1 asks for a bare `WWW-Authenticate: Bearer`.
    #[error("this request needs a bearer token: Authorization: Bearer <JWT>")]
    MissingCredentials,
    /// A bearer token that does not verify; the reason, for the client's developer.
    #[error("the bearer token is not valid: {0}")]
    InvalidToken(String),
    /// The caller is known, but its roles do not allow this.
    #[error("{0}")]
    Forbidden(String),
    #[error("no ticket with this id or number")]
    NotFound,
    #[error("no route {0}")]
    NoRoute(String),
    /// The methods the resource does allow, for the `Allow` header.
    #[error("this method is not allowed here; allowed: {0}")]
    MethodNotAllowed(String),
    #[error(transparent)]
    Transition(TransitionError),
    #[error("the ticket is at version {current}, not {expected} (If-Match)")]
    VersionMismatch { expected: i64, current: i64 },
    #[error("the ticket is being changed concurrently; retry")]
    Contention,
    #[error(
        "another active ticket holds this incident (same provider and dedup key); work on that one or resolve it first"
    )]
    DuplicateActive,
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("the request headers are larger than {0} bytes")]
    HeadersTooLarge(usize),
    /// A configuration object (calendar, SLA policy) that does not exist for the caller.
    #[error("no {0} with this id")]
    ObjectNotFound(&'static str),
    /// A configuration object's `If-Match` names another version.
    #[error("the object is at version {current}, not the one If-Match names")]
    StaleObject { current: i64 },
    /// A configuration object is archived, or still used.
    #[error("{0}")]
    ObjectConflict(String),
    #[error("the database is unavailable; retry shortly")]
    Unavailable,
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid(ValidationErrors::single(field, message))
    }

    /// Every slug [`ApiError::slug`] can return.
    pub const SLUGS: &'static [&'static str] = &[
        "malformed-request",
        "validation-error",
        "missing-actor",
        "missing-credentials",
        "invalid-token",
        "forbidden",
        "ticket-not-found",
        "not-found",
        "method-not-allowed",
        "invalid-transition",
        "already-assigned",
        "assignee-required",
        "version-conflict",
        "concurrent-modification",
        "duplicate-active-ticket",
        "object-not-found",
        "object-conflict",
        "payload-too-large",
        "headers-too-large",
        "service-unavailable",
        "internal-error",
    ];

    fn slug(&self) -> &'static str {
        match self {
            ApiError::Malformed(_) => "malformed-request",
            ApiError::Invalid(_) => "validation-error",
            ApiError::MissingActor => "missing-actor",
            ApiError::MissingCredentials => "missing-credentials",
            ApiError::InvalidToken(_) => "invalid-token",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound => "ticket-not-found",
            ApiError::NoRoute(_) => "not-found",
            ApiError::MethodNotAllowed(_) => "method-not-allowed",
            ApiError::Transition(TransitionError::NotAllowed { .. }) => "invalid-transition",
            ApiError::Transition(TransitionError::AlreadyAssigned(_)) => "already-assigned",
            ApiError::Transition(TransitionError::AssigneeRequired) => "assignee-required",
            ApiError::Transition(_) => "validation-error",
            ApiError::VersionMismatch { .. } => "version-conflict",
            ApiError::Contention => "concurrent-modification",
            ApiError::DuplicateActive => "duplicate-active-ticket",
            ApiError::ObjectNotFound(_) => "object-not-found",
            ApiError::StaleObject { .. } => "version-conflict",
            ApiError::ObjectConflict(_) => "object-conflict",
            ApiError::PayloadTooLarge(_) => "payload-too-large",
            ApiError::HeadersTooLarge(_) => "headers-too-large",
            ApiError::Unavailable => "service-unavailable",
            ApiError::Internal => "internal-error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::Malformed(_) => "Malformed request",
            ApiError::Invalid(_) => "Invalid request",
            ApiError::MissingActor => "Acting user required",
            ApiError::MissingCredentials => "Authentication required",
            ApiError::InvalidToken(_) => "Invalid token",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::NotFound => "Ticket not found",
            ApiError::NoRoute(_) => "Not found",
            ApiError::MethodNotAllowed(_) => "Method not allowed",
            ApiError::Transition(TransitionError::NotAllowed { .. }) => "Transition not allowed",
            ApiError::Transition(TransitionError::AlreadyAssigned(_)) => "Already assigned",
            ApiError::Transition(TransitionError::AssigneeRequired) => "Assignee required",
            ApiError::Transition(_) => "Invalid request",
            ApiError::VersionMismatch { .. } => "Version conflict",
            ApiError::Contention => "Concurrent modification",
            ApiError::DuplicateActive => "Another active ticket exists",
            ApiError::ObjectNotFound(_) => "Not found",
            ApiError::StaleObject { .. } => "Version conflict",
            ApiError::ObjectConflict(_) => "Conflict",
            ApiError::PayloadTooLarge(_) => "Request body too large",
            ApiError::HeadersTooLarge(_) => "Request headers too large",
            ApiError::Unavailable => "Service unavailable",
            ApiError::Internal => "Internal server error",
        }
    }

    pub fn problem(&self) -> Problem {
        let mut problem = Problem {
            kind: format!("{PROBLEM_TYPE_PREFIX}{}", self.slug()),
            title: self.title(),
            status: self.status_code().as_u16(),
            detail: self.to_string(),
            errors: Vec::new(),
            allowed_transitions: None,
            current_status: None,
            current_version: None,
        };
        match self {
            ApiError::Malformed(errors) | ApiError::Invalid(errors) => {
                problem.errors = errors.0.iter().cloned().map(InvalidField::from).collect();
            }
            ApiError::Transition(TransitionError::NotAllowed { from, allowed, .. }) => {
                problem.allowed_transitions = Some(allowed.to_vec());
                problem.current_status = Some(*from);
            }
            ApiError::Transition(
                TransitionError::AssigneeRequired | TransitionError::AssigneeNotApplicable(_),
            ) => {
                problem.errors = vec![InvalidField::from(FieldError::new(
                    "assignee_id",
                    self.to_string(),
                ))];
            }
            ApiError::Transition(TransitionError::ReasonRequired) => {
                problem.errors = vec![InvalidField::from(FieldError::new(
                    "reason",
                    self.to_string(),
                ))];
            }
            ApiError::Transition(
                TransitionError::HoldUntilNotApplicable(_) | TransitionError::HoldUntilPast,
            ) => {
                problem.errors = vec![InvalidField::from(FieldError::new(
                    "hold_until",
                    self.to_string(),
                ))];
            }
            ApiError::VersionMismatch { current, .. } | ApiError::StaleObject { current } => {
                problem.current_version = Some(*current);
            }
            _ => {}
        }
        problem
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MissingActor | ApiError::MissingCredentials | ApiError::InvalidToken(_) => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::NoRoute(_) | ApiError::ObjectNotFound(_) => {
                StatusCode::NOT_FOUND
            }
            ApiError::StaleObject { .. } | ApiError::ObjectConflict(_) => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Transition(
                TransitionError::NotAllowed { .. } | TransitionError::AlreadyAssigned(_),
            ) => StatusCode::CONFLICT,
            ApiError::Transition(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::VersionMismatch { .. } | ApiError::Contention | ApiError::DuplicateActive => {
                StatusCode::CONFLICT
            }
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self {
            ApiError::Unavailable => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            ApiError::MethodNotAllowed(allow) => {
                if let Ok(value) = HeaderValue::from_str(allow) {
                    response.insert_header((header::ALLOW, value));
                }
            }
            // RFC 6750 §3: the error code only when a token was sent; the reason stays in
            // the problem's detail, so no client text has to be quoted into a header.
            ApiError::MissingCredentials => {
                response.insert_header((header::WWW_AUTHENTICATE, BEARER));
            }
            ApiError::InvalidToken(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, BEARER_INVALID_TOKEN));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound => ApiError::NotFound,
            ServiceError::Transition(e) => ApiError::Transition(e),
            ServiceError::VersionMismatch { expected, current } => {
                ApiError::VersionMismatch { expected, current }
            }
            ServiceError::Contention => ApiError::Contention,
            ServiceError::DuplicateActive => ApiError::DuplicateActive,
            ServiceError::Forbidden(e) => e.into(),
            ServiceError::Repository(e) => e.into(),
        }
    }
}

impl From<ticket_domain::Forbidden> for ApiError {
    fn from(error: ticket_domain::Forbidden) -> Self {
        ApiError::Forbidden(error.to_string())
    }
}

impl From<ticket_domain::ConfigError> for ApiError {
    fn from(error: ticket_domain::ConfigError) -> Self {
        use ticket_domain::ConfigError;
        match error {
            ConfigError::NotFound(what) => ApiError::ObjectNotFound(what),
            ConfigError::VersionConflict { current } => ApiError::StaleObject { current },
            ConfigError::Archived => {
                ApiError::ObjectConflict("the object is archived and no longer changes".into())
            }
            ConfigError::InUse(why) => ApiError::ObjectConflict(why),
            ConfigError::Invalid(errors) => ApiError::Invalid(errors),
            ConfigError::Repository(e) => e.into(),
        }
    }
}

impl From<RepositoryError> for ApiError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound => ApiError::NotFound,
            RepositoryError::VersionConflict => ApiError::Contention,
            RepositoryError::DuplicateActive => ApiError::DuplicateActive,
            RepositoryError::Unavailable(source) => {
                tracing::warn!(error = %source, "database unavailable");
                ApiError::Unavailable
            }
            RepositoryError::Failure(source) => {
                tracing::error!(error = ?source, "database failure");
                ApiError::Internal
            }
        }
    }
}

/// The problem `type`s this service answers.
fn problem_types() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(
            ApiError::SLUGS
                .iter()
                .map(|slug| format!("{PROBLEM_TYPE_PREFIX}{slug}")),
        ))
        .build()
}

// The problem+json responses of the OpenAPI document, one component per status.

fn problem_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                Problem::name(),
            ))))
            .build(),
    )
}

macro_rules! problem_response {
    ($(#[$doc:meta])* $name:ident = $description:expr $(, |$r:ident| $extra:expr)?) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                let response = problem_response($description);
                $(let $r = response; let response = $extra;)?
                (stringify!($name), RefOr::T(response.build()))
            }
        }
    };
}

problem_response!(
    /// 400.
    MalformedRequest = "`malformed-request`: the body is empty or not valid JSON."
);
problem_response!(
    /// 401.
    MissingActor = "`missing-actor`: this action needs the acting user in `X-User-Id`, \
                    which is missing or blank."
);
problem_response!(
    /// 401 of an operation that authenticates its caller.
    Unauthorized = "`missing-credentials`: no `Authorization: Bearer` token (JWT mode); \
                    `invalid-token`: the token is malformed, expired or not yet valid, signed \
                    by an unknown key or with another algorithm, for another issuer or \
                    audience, or lacks the organization claim. `detail` says which.",
    |r| r.header(
        "WWW-Authenticate",
        HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::String).enum_values(Some([
                BEARER,
                BEARER_INVALID_TOKEN,
            ])))
            .description(Some("RFC 6750: `error=\"invalid_token\"` when a token was sent."))
            .build(),
    )
);
problem_response!(
    /// 403.
    NotPermitted = "`forbidden`: the caller's roles do not allow this action, or a provider \
                    posts under another provider's id. `detail` names the missing permission."
);
problem_response!(
    /// 404.
    TicketNotFound = "`ticket-not-found`: no ticket with this id or number."
);
problem_response!(
    /// 409.
    Conflict = "The change conflicts with the ticket's current state: `invalid-transition` \
                (with `allowed_transitions` and `current_status`), `already-assigned`, \
                `version-conflict` (`If-Match` names another version; with \
                `current_version`), `concurrent-modification` (too many concurrent writers; \
                retry) or `duplicate-active-ticket` (another active ticket holds this \
                incident)."
);
problem_response!(
    /// 404 of a configuration object.
    ObjectNotFound = "`object-not-found`: no such object in the caller's organization."
);
problem_response!(
    /// 409 of a configuration object.
    ObjectConflict = "`version-conflict`: `If-Match` names another version (with \
                      `current_version`); `object-conflict`: the object is archived and no \
                      longer changes, or (removing a calendar) an active SLA policy uses it."
);
problem_response!(
    /// 413.
    PayloadTooLarge = "`payload-too-large`: the body is over 524,288 bytes."
);
problem_response!(
    /// 422.
    ValidationError = &format!(
        "`validation-error`: a field, parameter or header is invalid, missing or of the wrong \
         type, or the body is not a JSON object; `assignee-required`: moving to {} without an \
         `assignee_id`. `errors` names each field.",
        rules::assignee_required_targets()
    )
);
problem_response!(
    /// 500.
    InternalError = "`internal-error`: a bug or corrupt stored data, never client input."
);
problem_response!(
    /// 503.
    ServiceUnavailable = "`service-unavailable`: the database cannot be reached; retry.",
    |r| r.header(
        "Retry-After",
        HeaderBuilder::new()
            .schema(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^[0-9]+$")),
            )
            .description(Some("Seconds to wait before retrying."))
            .build(),
    )
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ticket_domain::{Status, TransitionError};

    #[test]
    fn every_slug_is_listed() {
        let errors = [
            ApiError::Malformed(ValidationErrors::default()),
            ApiError::Invalid(ValidationErrors::default()),
            ApiError::MissingActor,
            ApiError::Forbidden("no".into()),
            ApiError::NotFound,
            ApiError::NoRoute("/x".into()),
            ApiError::MethodNotAllowed("GET".into()),
            ApiError::Transition(TransitionError::NotAllowed {
                from: Status::Closed,
                to: Status::Open,
                allowed: &[],
            }),
            ApiError::Transition(TransitionError::AssigneeRequired),
            ApiError::Transition(TransitionError::AlreadyAssigned(
                ticket_domain::UserId::parse("bob", "assignee_id").unwrap(),
            )),
            ApiError::Transition(TransitionError::AssigneeNotApplicable(Status::Closed)),
            ApiError::Transition(TransitionError::ReasonRequired),
            ApiError::Transition(TransitionError::HoldUntilPast),
            ApiError::Transition(TransitionError::HoldUntilNotApplicable(Status::Open)),
            ApiError::VersionMismatch {
                expected: 1,
                current: 2,
            },
            ApiError::Contention,
            ApiError::DuplicateActive,
            ApiError::PayloadTooLarge(1),
            ApiError::HeadersTooLarge(1),
            ApiError::Unavailable,
            ApiError::Internal,
        ];
        for error in &errors {
            assert!(ApiError::SLUGS.contains(&error.slug()), "{error:?}");
        }
    }
}
