//! Turning raw HTTP (body bytes, headers, query strings) into parsed values, with an error
//! that names the field at fault. Handlers take only infallible extractors and call these,
//! so no framework default (plain-text 400s) ever reaches a client.

use actix_web::HttpRequest;
use actix_web::web::{Bytes, Payload};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use ticket_domain::{FieldError, ValidationErrors};

use crate::inbound::problem::ApiError;

/// Largest request body accepted: room for a 256 KiB `alert_data` plus the other fields.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// The header carrying the acting user, set by the API gateway.
pub const USER_HEADER: &str = "x-user-id";

/// Reads the whole body, refusing more than [`MAX_BODY_BYTES`] with a 413.
pub async fn read_body(payload: Payload) -> Result<Bytes, ApiError> {
    match payload.to_bytes_limited(MAX_BODY_BYTES).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(ApiError::Malformed(ValidationErrors::single(
            "body",
            "could not read the request body",
        ))),
        Err(_) => Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES)),
    }
}

/// Reads the body (see [`read_body`]) and parses it (see [`parse_json`]).
pub async fn read_json<T: DeserializeOwned>(payload: Payload) -> Result<T, ApiError> {
    parse_json(&read_body(payload).await?)
}

/// Parses a JSON body into `T`. Syntax errors are 400; a field of the wrong type or a
/// missing field is 422 naming that field.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Malformed(ValidationErrors::single(
            "body",
            "a JSON object is required",
        )));
    }
    // serde would read a struct from an array too; a body is always an object here.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(_) => ApiError::invalid("body", "must be a JSON object"),
            Err(e) => malformed(&strip_position(&e.to_string())),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = strip_position(&inner.to_string());
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = missing_field(&message).unwrap_or(path);
                let field = if field == "." {
                    "body".to_owned()
                } else {
                    field
                };
                ApiError::Invalid(ValidationErrors(vec![FieldError::new(field, message)]))
            }
            _ => malformed(&message),
        }
    })?;
    de.end()
        .map_err(|e| malformed(&strip_position(&e.to_string())))?;
    Ok(value)
}

fn malformed(message: &str) -> ApiError {
    ApiError::Malformed(ValidationErrors::single(
        "body",
        format!("invalid JSON: {message}"),
    ))
}

/// serde's "missing field `title`" names the field in the message, not the path.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_owned())
}

/// Drops serde_json's " at line 1 column 5" suffix, meaningless to most clients.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Parses an RFC 3339 timestamp into UTC.
pub fn parse_time(raw: &str, field: &str) -> Result<DateTime<Utc>, FieldError> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            FieldError::new(
                field,
                "must be an RFC 3339 timestamp, e.g. 2026-01-31T12:00:00Z",
            )
        })
}

/// The value of header `name`, `None` when absent or blank; a value that is not visible
/// ASCII is a 422 naming the header as `field` (its usual spelling, e.g. `X-User-Id`).
pub fn header_text<'r>(
    req: &'r HttpRequest,
    name: &str,
    field: &str,
) -> Result<Option<&'r str>, ApiError> {
    let Some(value) = req.headers().get(name) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::invalid(field, "must be visible ASCII"))?;
    Ok(Some(text).filter(|t| !t.trim().is_empty()))
}

/// A single field's parse error as a 422.
pub fn field_error(error: FieldError) -> ApiError {
    ApiError::Invalid(ValidationErrors(vec![error]))
}

/// The version named by `If-Match` (`"3"`, `W/"3"` or `3`); `*` or no header is `None`.
/// Anything else, a sign or unbalanced quotes included, is a 422.
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(actix_web::http::header::IF_MATCH) else {
        return Ok(None);
    };
    let invalid = || ApiError::invalid("If-Match", "must be an ETag of this ticket, e.g. \"3\"");
    let text = value.to_str().map_err(|_| invalid())?.trim();
    if text == "*" {
        return Ok(None);
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    let digits = tag
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .or((tag == text).then_some(tag))
        .ok_or_else(invalid)?;
    parse_digits(digits).map(Some).ok_or_else(invalid)
}

/// 1 to 18 ASCII digits (so always an `i64`), nothing else: no sign, no spaces.
pub fn parse_digits(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// An ETag for a ticket version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// Query-string pairs, decoded, in order.
pub fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Largest total size of a request's header names and values.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Middleware (`actix_web::middleware::from_fn`): refuses requests whose headers add up to
/// more than [`MAX_HEADER_BYTES`] with a 431 problem, before any handler reads them.
pub async fn limit_headers(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let size: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if size > MAX_HEADER_BYTES {
        let response =
            actix_web::ResponseError::error_response(&ApiError::HeadersTooLarge(MAX_HEADER_BYTES));
        return Ok(req.into_response(response));
    }
    next.call(req).await.map(|res| res.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        title: String,
        camera_id: i64,
    }

    fn field_of(result: Result<Body, ApiError>) -> (u16, String) {
        let error = result.unwrap_err();
        let problem = error.problem();
        (problem.status, problem.errors[0].field.clone())
    }

    #[test]
    fn wrong_type_names_the_field() {
        let r = parse_json::<Body>(br#"{"title": "x", "camera_id": "one"}"#);
        assert_eq!(field_of(r), (422, "camera_id".to_owned()));
    }

    #[test]
    fn missing_field_is_named() {
        let r = parse_json::<Body>(br#"{"camera_id": 1}"#);
        assert_eq!(field_of(r), (422, "title".to_owned()));
    }

    #[test]
    fn syntax_error_is_400() {
        let r = parse_json::<Body>(br#"{"title": "#);
        assert_eq!(field_of(r), (400, "body".to_owned()));
        let r = parse_json::<Body>(b"");
        assert_eq!(field_of(r), (400, "body".to_owned()));
        let r = parse_json::<Body>(br#"{"title": "x", "camera_id": 1} trailing"#);
        assert_eq!(field_of(r), (400, "body".to_owned()));
    }

    #[test]
    fn if_match_is_a_version_etag_or_a_star() {
        let version = |value: &str| {
            let req = actix_web::test::TestRequest::default()
                .insert_header(("If-Match", value))
                .to_http_request();
            if_match(&req).ok()
        };
        assert_eq!(version("\"3\""), Some(Some(3)));
        assert_eq!(version("W/\"3\""), Some(Some(3)));
        assert_eq!(version("3"), Some(Some(3)));
        assert_eq!(version(" * "), Some(None));
        for bad in [
            "+3",
            "-3",
            "\"3",
            "3\"",
            "W/3",
            "\"\"",
            "\"3 \"",
            "1234567890123456789",
            "x",
        ] {
            assert_eq!(version(bad), None, "{bad}");
        }
    }

    #[test]
    fn not_an_object_is_422_on_the_body() {
        let r = parse_json::<Body>(b"[1, 2]");
        assert_eq!(field_of(r), (422, "body".to_owned()));
    }
}
