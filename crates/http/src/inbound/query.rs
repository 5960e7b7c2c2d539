//! Query-string parsing for the list and the statistics. Each parameter is parsed into a
//! domain value; an unknown parameter or value is a 422 naming it, never silently ignored.

use ticket_domain::{
    CameraId, Cursor, DeliveryStatus, FieldError, ListQuery, NotificationFilter, PageLimit,
    ProviderId, Severity, Status, TicketFilter, TicketId, UserId, ValidationErrors, Visibility,
};

use crate::inbound::extract::{parse_digits, parse_time};
use crate::inbound::problem::ApiError;

/// Which parameters a request accepts besides the filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extra {
    Paging,
    None,
}

fn parse_bool(raw: &str, field: &str) -> Result<bool, FieldError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(FieldError::new(field, "must be true or false")),
    }
}

fn parse_i64(raw: &str, field: &str) -> Result<i64, FieldError> {
    raw.trim()
        .parse()
        .map_err(|_| FieldError::new(field, "must be an integer"))
}

/// A repeatable, comma-separable list of names (`status=open,assigned&status=resolved`).
/// An empty name (`status=`, `status=open,`) is refused like any unknown one.
fn push_names<T: Copy + PartialEq>(
    into: &mut Vec<T>,
    raw: &str,
    field: &str,
    parse: fn(&str, &str) -> Result<T, FieldError>,
) -> Result<(), FieldError> {
    for part in raw.split(',') {
        let value = parse(part, field)?;
        if !into.contains(&value) {
            into.push(value);
        }
    }
    Ok(())
}

/// A list cursor exactly as [`Cursor::encode`] writes it: lowercase hex microseconds (at
/// most 15 digits), a dot, and the id's 32 lowercase hex digits.
fn set_once<T>(slot: &mut Option<T>, value: T, field: &str) -> Result<(), FieldError> {
    if slot.is_some() {
        return Err(FieldError::new(field, "must be given at most once"));
    }
    *slot = Some(value);
    Ok(())
}

fn parse(pairs: &[(String, String)], extra: Extra) -> Result<ListQuery, ApiError> {
    let mut query = ListQuery::default();
    let mut limit = None;
    let mut errors = ValidationErrors::default();
    // The names the client used for the window (`created_from` or its alias `from`...).
    let (mut from_key, mut to_key) = ("created_from", "created_to");
    for (key, value) in pairs {
        let f = &mut query.filter;
        let key = key.as_str();
        let result = match key {
            "status" => push_names(&mut f.statuses, value, key, Status::parse),
            "severity" => push_names(&mut f.severities, value, key, Severity::parse),
            "camera_id" => parse_i64(value, key)
                .and_then(|v| CameraId::parse(v, key))
                .and_then(|v| set_once(&mut f.camera_id, v, key)),
            "provider_id" => {
                ProviderId::parse(value, key).and_then(|v| set_once(&mut f.provider_id, v, key))
            }
            "assignee_id" => {
                UserId::parse(value, key).and_then(|v| set_once(&mut f.assignee_id, v, key))
            }
            "created_from" | "from" => {
                from_key = if key == "from" {
                    "from"
                } else {
                    "created_from"
                };
                parse_time(value, key).and_then(|v| set_once(&mut f.created_from, v, key))
            }
            "created_to" | "to" => {
                to_key = if key == "to" { "to" } else { "created_to" };
                parse_time(value, key).and_then(|v| set_once(&mut f.created_to, v, key))
            }
            "sla_breached" => {
                parse_bool(value, key).and_then(|v| set_once(&mut f.sla_breached, v, key))
            }
            "limit" if extra == Extra::Paging => parse_i64(value, key)
                .and_then(|v| PageLimit::parse(v, key))
                .and_then(|v| set_once(&mut limit, v, key)),
            "cursor" if extra == Extra::Paging => {
                Cursor::decode(value, key).and_then(|v| set_once(&mut query.cursor, v, key))
            }
            other => Err(FieldError::new(
                other,
                "is not a parameter of this endpoint",
            )),
        };
        errors.collect(result);
    }
    if let (Some(from), Some(to)) = (query.filter.created_from, query.filter.created_to)
        && from > to
    {
        errors.push(FieldError::new(
            to_key,
            format!("must not be before {from_key}"),
        ));
    }
    errors.into_result().map_err(ApiError::Invalid)?;
    query.limit = limit.unwrap_or_default();
    Ok(query)
}

/// `GET /api/tickets`: filters, `limit` and `cursor`.
pub fn list_query(pairs: &[(String, String)]) -> Result<ListQuery, ApiError> {
    parse(pairs, Extra::Paging)
}

/// `GET /api/tickets/stats`: the same filters as the list (`from`/`to` as aliases of
/// `created_from`/`created_to`), no paging.
pub fn stats_filter(pairs: &[(String, String)]) -> Result<TicketFilter, ApiError> {
    parse(pairs, Extra::None).map(|q| q.filter)
}

/// `GET /api/tickets/{id}`: optional `visibility` of the comments shown.
pub fn details_visibility(pairs: &[(String, String)]) -> Result<Option<Visibility>, ApiError> {
    let mut visibility = None;
    let mut errors = ValidationErrors::default();
    for (key, value) in pairs {
        let result = match key.as_str() {
            "visibility" => {
                Visibility::parse(value, key).and_then(|v| set_once(&mut visibility, v, key))
            }
            other => Err(FieldError::new(
                other,
                "is not a parameter of this endpoint",
            )),
        };
        errors.collect(result);
    }
    errors.into_result().map_err(ApiError::Invalid)?;
    Ok(visibility)
}

/// `limit` (1..=500, default 50) and an id `cursor`, for lists paged by row id.
pub fn id_page(
    pairs: &[(String, String)],
    mut extra: impl FnMut(&str, &str) -> Option<Result<(), FieldError>>,
) -> Result<(i64, Option<i64>), ApiError> {
    let mut limit = None;
    let mut cursor = None;
    let mut errors = ValidationErrors::default();
    for (key, value) in pairs {
        let key = key.as_str();
        let result = match key {
            "limit" => parse_i64(value, key)
                .and_then(|v| PageLimit::parse(v, key))
                .and_then(|v| set_once(&mut limit, v, key)),
            "cursor" => parse_digits(value)
                .ok_or_else(|| FieldError::new(key, "is not a cursor this service issued"))
                .and_then(|v| set_once(&mut cursor, v, key)),
            other => extra(other, value).unwrap_or_else(|| {
                Err(FieldError::new(
                    other,
                    "is not a parameter of this endpoint",
                ))
            }),
        };
        errors.collect(result);
    }
    errors.into_result().map_err(ApiError::Invalid)?;
    Ok((i64::from(limit.unwrap_or_default().get()), cursor))
}

/// `GET /api/notifications`: `ticket_id`, `status`, and id paging.
pub fn notification_query(
    pairs: &[(String, String)],
) -> Result<(NotificationFilter, i64, Option<i64>), ApiError> {
    let mut filter = NotificationFilter::default();
    let (limit, cursor) = id_page(pairs, |key, value| match key {
        "ticket_id" => {
            Some(TicketId::parse(value, key).and_then(|v| set_once(&mut filter.ticket_id, v, key)))
        }
        "status" => Some(
            DeliveryStatus::parse(value, key).and_then(|v| set_once(&mut filter.status, v, key)),
        ),
        _ => None,
    })?;
    Ok((filter, limit, cursor))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn statuses_repeat_and_split_on_commas() {
        let q = list_query(&pairs("status=open,assigned&status=resolved&status=open")).unwrap();
        assert_eq!(
            q.filter.statuses,
            vec![Status::Open, Status::Assigned, Status::Resolved]
        );
    }

    #[test]
    fn unknown_values_and_parameters_name_the_field() {
        for (q, field) in [
            ("status=opened", "status"),
            ("status=", "status"),
            ("severity=high,", "severity"),
            ("severity=urgent", "severity"),
            ("limit=501", "limit"),
            ("limit=abc", "limit"),
            ("camera_id=-1", "camera_id"),
            ("provider_id=xyz", "provider_id"),
            ("created_from=yesterday", "created_from"),
            ("sla_breached=maybe", "sla_breached"),
            ("cursor=nope", "cursor"),
            ("cursor=-1.0123456789abcdef0123456789abcdef", "cursor"),
            ("cursor=1.0123456789ABCDEF0123456789ABCDEF", "cursor"),
            ("colour=red", "colour"),
            ("limit=5&limit=6", "limit"),
        ] {
            let problem = list_query(&pairs(q)).unwrap_err().problem();
            assert_eq!(problem.status, 422, "{q}");
            assert_eq!(problem.errors[0].field, field, "{q}");
        }
    }

    #[test]
    fn stats_take_from_and_to_but_no_paging() {
        let f = stats_filter(&pairs("from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z")).unwrap();
        assert!(f.created_from.is_some() && f.created_to.is_some());
        assert!(stats_filter(&pairs("limit=5")).is_err());
    }

    #[test]
    fn a_cursor_reads_back_as_issued() {
        let cursor = Cursor {
            created_at: chrono::DateTime::from_timestamp_micros(1_795_000_000_123_456).unwrap(),
            id: uuid::Uuid::now_v7(),
        };
        let q = list_query(&pairs(&format!("cursor={}", cursor.encode()))).unwrap();
        assert_eq!(q.cursor, Some(cursor));
        assert!(notification_query(&pairs("cursor=12")).is_ok());
        for bad in [
            "cursor=-12",
            "cursor=+12",
            "cursor=%2012",
            "cursor=1234567890123456789",
        ] {
            assert!(notification_query(&pairs(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn reversed_window_is_refused() {
        let q = "created_from=2026-02-01T00:00:00Z&created_to=2026-01-01T00:00:00Z";
        assert!(list_query(&pairs(q)).is_err());
        let q = "from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z";
        let problem = stats_filter(&pairs(q)).unwrap_err().problem();
        assert_eq!(problem.errors[0].field, "to");
        assert_eq!(problem.errors[0].detail, "must not be before from");
    }
}
