//! Schemas shared by the request and response bodies, the handlers' parameters and headers
//! and the error responses: closed sets of names, text limits, ids, cursors, pages and
//! counts. Each takes its values and limits from the domain's types, so that the document
//! cannot drift from what the server accepts. Hand-built rather than derived where a derive
//! cannot say it (patterns, `oneOf`s, keys).
//!
//! Low in the inbound side (it uses only [`rules`]): it names other schemas by their
//! component names only, so every module that describes itself may use it.

use std::borrow::Cow;

use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, Object, ObjectBuilder, SchemaFormat, Type,
};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use ticket_domain::{
    AlertType, CommentBody, DedupKey, DeliveryStatus, Description, EventType, ExternalId,
    PageLimit, Reason, Severity, Status, Title, UserId, Visibility,
};

use crate::inbound::rules::{self, Assignee};

// Names: closed sets of values, listed from the domain's own tables.

fn names(description: &str, values: impl IntoIterator<Item = &'static str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .build()
}

macro_rules! named_schema {
    ($(#[$doc:meta])* $schema:ident as $name:literal = $build:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $schema;

        impl PartialSchema for $schema {
            fn schema() -> RefOr<Schema> {
                RefOr::T(Schema::Object($build))
            }
        }

        impl ToSchema for $schema {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

named_schema!(
    /// `Severity`: how urgent a ticket is.
    SeveritySchema as "Severity" = names(
        "How urgent a ticket is; it picks the SLA targets. A merged alert can raise it, never lower it.",
        Severity::ALL.iter().map(|s| s.as_str()),
    )
);
named_schema!(
    /// `Status`: where a ticket is in its lifecycle.
    StatusSchema as "Status" = names(
        &format!("Where a ticket is in its lifecycle. {}", rules::terminal_sentence()),
        Status::ALL.iter().map(|s| s.as_str()),
    )
);
named_schema!(
    /// `Visibility` of a comment.
    VisibilitySchema as "Visibility" = names(
        "Who may read a comment: operators only (`internal`) or also outside parties (`external`).",
        Visibility::ALL.iter().map(|v| v.as_str()),
    )
);
named_schema!(
    /// `DeliveryStatus` of an outbox event.
    DeliveryStatusSchema as "DeliveryStatus" = names(
        "Delivery state of an outbox event: `pending` (will be tried at `next_attempt_at`), \
         `sent`, or `failed` (given up).",
        DeliveryStatus::ALL.iter().map(|s| s.as_str()),
    )
);
named_schema!(
    /// `EventType` of an outbox event.
    EventTypeSchema as "EventType" = names(
        "What happened to the ticket.",
        EventType::ALL.iter().map(|e| e.as_str()),
    )
);

// ---------------------------------------------------------------------------------------
// Text: the domain's length limits and its idea of "blank" and "trimmed", as patterns.

/// The characters Rust's `str::trim` removes (Unicode `White_Space`), as the body of a
/// regular-expression character class valid in ECMA-262 (`u` mode) and Python alike.
pub const WHITESPACE_CLASS: &str =
    r"\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// Text the server trims: after trimming, 1..=`max` characters; no NUL anywhere.
pub fn trimmed_text_pattern(max: usize) -> String {
    let ws = WHITESPACE_CLASS;
    format!(
        r"^[{ws}]*[^\x00{ws}](?:[^\x00]{{0,{}}}[^\x00{ws}])?[{ws}]*$",
        max.saturating_sub(2)
    )
}

/// Text kept as sent: not blank, no NUL.
pub fn untrimmed_text_pattern() -> String {
    let ws = WHITESPACE_CLASS;
    format!(r"^[^\x00]*[^\x00{ws}][^\x00]*$")
}

/// Optional text where blank means "none": blank, or 1..=`max` characters after trimming.
pub fn blank_or_trimmed_text_pattern(max: usize) -> String {
    let ws = WHITESPACE_CLASS;
    format!(
        r"^[{ws}]*(?:[^\x00{ws}](?:[^\x00]{{0,{}}}[^\x00{ws}])?[{ws}]*)?$",
        max.saturating_sub(2)
    )
}

fn trimmed_text(description: &str, max: usize) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .pattern(Some(trimmed_text_pattern(max)))
        .description(Some(format!(
            "{description} 1 to {max} characters after trimming surrounding whitespace \
             (which is removed); no NUL characters."
        )))
        .build()
}

fn untrimmed_text(description: &str, max: usize) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(untrimmed_text_pattern()))
        .description(Some(format!(
            "{description} 1 to {max} characters, not blank, kept as sent; no NUL characters."
        )))
        .build()
}

named_schema!(
    /// `Title` of a ticket.
    TitleSchema as "Title" = trimmed_text("A ticket title.", Title::MAX_CHARS)
);
named_schema!(
    /// `Description` of a ticket.
    DescriptionSchema as "Description" =
        untrimmed_text("A ticket description.", Description::MAX_CHARS)
);
named_schema!(
    /// `AlertType`, e.g. `intrusion`.
    AlertTypeSchema as "AlertType" =
        trimmed_text("The kind of alert, e.g. `intrusion`.", AlertType::MAX_CHARS)
);
named_schema!(
    /// `UserId` of an assignee.
    UserIdSchema as "UserId" = trimmed_text("A user known to the gateway.", UserId::MAX_CHARS)
);
named_schema!(
    /// `ExternalId`: the provider's own alert id.
    ExternalIdSchema as "ExternalId" = trimmed_text(
        "The provider's own id for the alert; the same (`provider_id`, `external_id`) again \
         returns the ticket it went to.",
        ExternalId::MAX_CHARS,
    )
);
named_schema!(
    /// `DedupKey`: groups alerts of one incident.
    DedupKeySchema as "DedupKey" = trimmed_text(
        "Groups alerts of one incident into one active ticket.",
        DedupKey::MAX_CHARS,
    )
);
named_schema!(
    /// `CommentBody`.
    CommentBodySchema as "CommentBody" =
        untrimmed_text("A comment body.", CommentBody::MAX_CHARS)
);
named_schema!(
    /// `Reason` for a status change; blank means none.
    ReasonSchema as "Reason" = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(blank_or_trimmed_text_pattern(Reason::MAX_CHARS)))
        .description(Some(format!(
            "Why the status changes: at most {} characters after trimming surrounding \
             whitespace; blank counts as no reason; no NUL characters.",
            Reason::MAX_CHARS
        )))
        .build()
);
named_schema!(
    /// The `X-User-Id` header: a user id in visible ASCII.
    ActorSchema as "Actor" = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .pattern(Some(format!(
            r"^(?![Ss][Yy][Ss][Tt][Ee][Mm]:)[!-~](?:[\t -~]{{0,{}}}[!-~])?$",
            UserId::MAX_CHARS - 2
        )))
        .description(Some(format!(
            "The acting user, set by the gateway: 1 to {} visible ASCII characters (spaces \
             inside allowed), not starting with `system:` (system actors' names). \
             Surrounding whitespace is ignored.",
            UserId::MAX_CHARS
        )))
        .build()
);
named_schema!(
    /// The `X-Org-Id` header: an organization's slug or id.
    OrgRefSchema as "OrgRef" = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^(?:[A-Za-z0-9][A-Za-z0-9-]{0,62})?$"))
        .description(Some(
            "The caller's organization, set by the gateway: its slug (1..=63 of `a-z`, `0-9` \
             and `-`; upper case is folded) or its id (a UUID). Absent or empty: the default \
             organization. A slug named for the first time is created; an unknown id is a 403.",
        ))
        .build()
);
named_schema!(
    /// `If-Match`: a ticket version as an ETag.
    IfMatchSchema as "IfMatch" = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r#"^(?:\*|(?:W/)?"[0-9]{1,18}"|[0-9]{1,18})$"#))
        .description(Some(
            "A ticket version as its ETag: `\"3\"`, `W/\"3\"` or `3`; `*` is the same as no \
             header.",
        ))
        .build()
);
named_schema!(
    /// `ETag`: a ticket version.
    ETagSchema as "ETag" = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r#"^"[0-9]+"$"#))
        .description(Some("The ticket's `version`, quoted: `\"3\"`."))
        .build()
);
named_schema!(
    /// `Location` of a ticket.
    TicketLocationSchema as "TicketLocation" = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(
            "^/api/tickets/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        ))
        .description(Some("The ticket's URL: `/api/tickets/{uuid}`."))
        .build()
);
named_schema!(
    /// The list's keyset cursor.
    TicketCursorSchema as "TicketCursor" = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(TICKET_CURSOR_PATTERN))
        .description(Some(
            "Opaque position after the last ticket of a page: the `next_cursor` of the \
             previous page.",
        ))
        .build()
);
named_schema!(
    /// Cursor of lists paged by row id.
    IdCursorSchema as "IdCursor" = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(ID_CURSOR_PATTERN))
        .description(Some(
            "Opaque position after the last item of a page: the `next_cursor` of the previous \
             page.",
        ))
        .build()
);
named_schema!(
    /// `limit`: page size.
    PageLimitSchema as "PageLimit" = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(1))
        .maximum(Some(PageLimit::MAX))
        .default(Some(PageLimit::DEFAULT.get().into()))
        .description(Some(format!(
            "Items per page, 1 to {}.",
            PageLimit::MAX
        )))
        .build()
);
named_schema!(
    /// A ticket id in a path.
    TicketRefSchema as "TicketRef" = ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "A ticket's UUID or its number (`TCK-1001`, prefix case-insensitive). Anything \
             else names no ticket (404).",
        ))
        .examples(["TCK-1001", "01a21d65-0949-7023-b312-5f62df45ad19"])
        .build()
);

// ---------------------------------------------------------------------------------------
// Provider payloads: any JSON, but no NUL in a string (PostgreSQL's jsonb cannot hold one).

fn no_nul() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^[^\x00]*$"))
        .build()
}

fn json_value_ref() -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
        JsonValueSchema::name(),
    ))
}

/// Any JSON value without NUL characters in its strings and keys (recursive).
#[derive(Debug)]
pub struct JsonValueSchema;

impl PartialSchema for JsonValueSchema {
    fn schema() -> RefOr<Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, SchemaType};
        RefOr::T(Schema::AnyOf(
            AnyOfBuilder::new()
                .description(Some(
                    "Any JSON value; no string or key in it holds a NUL character.",
                ))
                .item(ObjectBuilder::new().schema_type(SchemaType::from_iter([
                    Type::Null,
                    Type::Boolean,
                    Type::Number,
                ])))
                .item(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(r"^[^\x00]*$")),
                )
                .item(ArrayBuilder::new().items(json_value_ref()))
                .item(
                    ObjectBuilder::new()
                        .schema_type(Type::Object)
                        .property_names(Some(no_nul()))
                        .additional_properties(Some(AdditionalProperties::RefOr(json_value_ref()))),
                )
                .build(),
        ))
    }
}

impl ToSchema for JsonValueSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("JsonValue")
    }
}

named_schema!(
    /// `alert_data`.
    AlertDataSchema as "AlertData" = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(format!(
            "The provider's payload, stored as given: a JSON object of at most {} bytes as \
             JSON text; no string or key in it holds a NUL character.",
            ticket_domain::MAX_ALERT_DATA_BYTES
        )))
        .property_names(Some(no_nul()))
        .additional_properties(Some(AdditionalProperties::RefOr(json_value_ref())))
        .build()
);

// ---------------------------------------------------------------------------------------
// The status change: which targets take an `assignee_id`.

fn status_change_variant(title: &str, rule: Assignee, hold: bool) -> Object {
    // `on_hold` has a variant of its own: it needs a reason and may take `hold_until`.
    let targets = rules::targets(rule)
        .filter(|s| (*s == Status::OnHold) == hold)
        .map(Status::as_str);
    let user = || RefOr::Ref(utoipa::openapi::Ref::from_schema_name(UserIdSchema::name()));
    let null = || ObjectBuilder::new().schema_type(Type::Null).build();
    let assignee: RefOr<Schema> = match rule {
        Assignee::Required => user(),
        Assignee::Optional => RefOr::T(Schema::OneOf(
            utoipa::openapi::schema::OneOfBuilder::new()
                .item(null())
                .item(user())
                .build(),
        )),
        Assignee::NotApplicable => RefOr::T(Schema::Object(null())),
    };
    let reason_ref = || RefOr::Ref(utoipa::openapi::Ref::from_schema_name(ReasonSchema::name()));
    let reason: RefOr<Schema> = if hold {
        // A hold needs a reason: not blank here.
        RefOr::T(Schema::Object(trimmed_text(
            "Why the ticket waits (required).",
            Reason::MAX_CHARS,
        )))
    } else {
        RefOr::T(Schema::OneOf(
            utoipa::openapi::schema::OneOfBuilder::new()
                .item(null())
                .item(reason_ref())
                .build(),
        ))
    };
    let hold_until: RefOr<Schema> = if hold {
        let time = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)));
        RefOr::T(Schema::OneOf(
            utoipa::openapi::schema::OneOfBuilder::new()
                .item(null())
                .item(time)
                .description(Some(
                    "When the ticket returns by itself to the status it came from; later \
                     than now (422 otherwise). Absent or null: it waits for a user.",
                ))
                .build(),
        ))
    } else {
        RefOr::T(Schema::Object(null()))
    };
    let object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .title(Some(title))
        .property(
            "status",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(targets))
                .description(Some("The target status.")),
        )
        .required("status")
        .property("assignee_id", assignee)
        .property("reason", reason)
        .property("hold_until", hold_until);
    let object = if hold {
        object.required("reason")
    } else {
        object
    };
    match rule {
        Assignee::Required => object.required("assignee_id").build(),
        Assignee::Optional | Assignee::NotApplicable => object.build(),
    }
}

/// The body of `PATCH /api/tickets/{id}/status` ([`crate::inbound::dto::StatusChangeRequest`]):
/// one variant per way the target status treats `assignee_id`.
#[derive(Debug)]
pub struct StatusChangeSchema;

impl PartialSchema for StatusChangeSchema {
    fn schema() -> RefOr<Schema> {
        RefOr::T(Schema::OneOf(
            utoipa::openapi::schema::OneOfBuilder::new()
                .description(Some(format!(
                    "`PATCH /api/tickets/{{id}}/status`: the target `status`, the new \
                     `assignee_id` where one applies, and an optional `reason`. Unknown fields \
                     are ignored. Moving to {} needs the `assignee_id` (422 \
                     `assignee-required` without it; back from `on_hold` the current \
                     assignee stays when none is named); {} may name one (default: the \
                     current assignee, else the acting user); other targets take none (422). \
                     `on_hold` needs a `reason` and may take `hold_until`; no other target \
                     takes `hold_until` (422).",
                    rules::assignee_required_targets(),
                    rules::assignee_optional_targets(),
                )))
                .item(status_change_variant("Assign", Assignee::Required, false))
                .item(status_change_variant(
                    "Start work",
                    Assignee::Optional,
                    false,
                ))
                .item(status_change_variant("Hold", Assignee::NotApplicable, true))
                .item(status_change_variant(
                    "Reopen, resolve or close",
                    Assignee::NotApplicable,
                    false,
                ))
                .examples([serde_json::json!({
                    "status": "assigned",
                    "assignee_id": "bob",
                    "reason": "on shift"
                })])
                .build(),
        ))
    }
}

impl ToSchema for StatusChangeSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("StatusChangeRequest")
    }
}

/// A `oneOf` over named schemas, with a description.
fn one_of(description: &str, names: &[&str]) -> RefOr<Schema> {
    let mut builder = utoipa::openapi::schema::OneOfBuilder::new().description(Some(description));
    for name in names {
        builder = builder.item(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(*name)));
    }
    RefOr::T(Schema::OneOf(builder.build()))
}

/// The body of `POST /api/tickets`: an alert, or an end event.
#[derive(Debug)]
pub struct IncomingSchema;

impl PartialSchema for IncomingSchema {
    fn schema() -> RefOr<Schema> {
        one_of(
            "An alert (`event_action` absent or `trigger`), or an end event \
             (`\"event_action\": \"resolve\"`).",
            &["CreateTicketRequest", "EndEventRequest"],
        )
    }
}

impl ToSchema for IncomingSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("IncomingRequest")
    }
}

/// The 200 answer of `POST /api/tickets`: the ticket an alert was merged into or replayed
/// from, or what an end event did.
#[derive(Debug)]
pub struct IncomingOkSchema;

impl PartialSchema for IncomingOkSchema {
    fn schema() -> RefOr<Schema> {
        one_of(
            "For an alert, the ticket it was merged into or replayed from; for an end event, \
             what it did.",
            &["TicketResponse", "EndEventResponse"],
        )
    }
}

impl ToSchema for IncomingOkSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("IncomingOk")
    }
}

// ---------------------------------------------------------------------------------------
// Pages.

/// `{"items": [item...], "next_cursor": cursor | null}`.
fn page_of(item: &str, cursor_pattern: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "One page of a list. Pass `next_cursor` as `cursor` (with the same filters) for \
             the next page; it is `null` on the last page.",
        ))
        .property(
            "items",
            ArrayBuilder::new().items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(item))),
        )
        .required("items")
        .property(
            "next_cursor",
            ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                    Type::String,
                    Type::Null,
                ]))
                .pattern(Some(cursor_pattern)),
        )
        .required("next_cursor")
        .build()
}

const TICKET_CURSOR_PATTERN: &str = r"^[0-9a-f]{1,15}\.[0-9a-f]{32}$";
const ID_CURSOR_PATTERN: &str = r"^[0-9]{1,18}$";

named_schema!(
    /// A page of tickets.
    TicketPageSchema as "TicketPage" = page_of("TicketResponse", TICKET_CURSOR_PATTERN)
);
named_schema!(
    /// A page of a ticket's alerts.
    AlertPageSchema as "AlertPage" = page_of("AlertResponse", ID_CURSOR_PATTERN)
);
named_schema!(
    /// A page of the alerts a suppression window dropped.
    DroppedAlertPageSchema as "DroppedAlertPage" =
        page_of("DroppedAlertResponse", ID_CURSOR_PATTERN)
);
named_schema!(
    /// A page of outbox events.
    NotificationPageSchema as "NotificationPage" =
        page_of("NotificationResponse", ID_CURSOR_PATTERN)
);

// ---------------------------------------------------------------------------------------
// Statistics: counts keyed by name, provider or camera.

fn count() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(0))
        .build()
}

/// An object with exactly these keys, each a count.
fn counts_of(keys: impl IntoIterator<Item = &'static str>) -> Object {
    keys.into_iter()
        .fold(ObjectBuilder::new().schema_type(Type::Object), |o, key| {
            o.property(key, count()).required(key)
        })
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .build()
}

/// An object from keys matching `names` to counts.
fn counts_by(names: Object) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(Some(names))
        .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::Object(
            count(),
        )))))
        .build()
}

pub(crate) fn counts_by_status() -> Object {
    counts_of(Status::ALL.iter().map(|s| s.as_str()))
}

pub(crate) fn counts_by_severity() -> Object {
    counts_of(Severity::ALL.iter().map(|s| s.as_str()))
}

pub(crate) fn counts_by_provider() -> Object {
    counts_by(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .build(),
    )
}

pub(crate) fn counts_by_camera() -> Object {
    counts_by(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[0-9]+$"))
            .build(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn whitespace_class_is_rusts_whitespace() {
        // Expand the class by hand: single characters and ranges of \x / \u escapes.
        let mut listed = Vec::new();
        let mut rest = WHITESPACE_CLASS;
        let escape = |s: &str| -> (char, usize) {
            match s.as_bytes() {
                [b'\\', b't', ..] => ('\t', 2),
                [b'\\', b'n', ..] => ('\n', 2),
                [b'\\', b'r', ..] => ('\r', 2),
                [b'\\', b'x', ..] => (
                    char::from_u32(u32::from_str_radix(&s[2..4], 16).unwrap()).unwrap(),
                    4,
                ),
                [b'\\', b'u', ..] => (
                    char::from_u32(u32::from_str_radix(&s[2..6], 16).unwrap()).unwrap(),
                    6,
                ),
                _ => (s.chars().next().unwrap(), 1),
            }
        };
        while !rest.is_empty() {
            let (first, n) = escape(rest);
            rest = &rest[n..];
            if let Some(after) = rest.strip_prefix('-') {
                let (last, n) = escape(after);
                rest = &after[n..];
                listed.extend(first..=last);
            } else {
                listed.push(first);
            }
        }
        let rust: Vec<char> = (0..=char::MAX as u32)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .collect();
        listed.sort_unstable();
        assert_eq!(listed, rust);
    }
}

// ---------------------------------------------------------------------------------------
// The filter language (`ticket_domain::filter`).

/// A schema written as JSON (the filter's variants are many and regular).
pub(crate) fn from_json(raw: serde_json::Value) -> RefOr<Schema> {
    serde_json::from_value(raw).unwrap_or_else(|e| {
        // Only a mistake in the literal below can get here; a test parses it.
        RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .description(Some(format!("unreadable schema: {e}")))
                .build(),
        ))
    })
}

/// The `Filter` document: one variant per node and per (field, kind of operator).
fn filter_schema() -> serde_json::Value {
    use serde_json::json;
    use ticket_domain::filter::{
        MAX_CHILDREN, MAX_CONDITIONS, MAX_DEPTH, MAX_PATH_SEGMENTS, MAX_SEGMENT_CHARS, MAX_VALUES,
    };
    let node = |key: &str, child: serde_json::Value| {
        json!({
            "type": "object", "title": key,
            "properties": { key: child }, "required": [key], "additionalProperties": false
        })
    };
    let children = json!({
        "type": "array", "maxItems": MAX_CHILDREN,
        "items": {"$ref": "#/components/schemas/Filter"}
    });
    let condition = |title: &str,
                     field: serde_json::Value,
                     ops: &[&str],
                     value: serde_json::Value| {
        json!({
            "type": "object", "title": title,
            "properties": {"field": field, "op": {"type": "string", "enum": ops}, "value": value},
            "required": ["field", "op", "value"], "additionalProperties": false
        })
    };
    let list = |item: serde_json::Value| json!({"type": "array", "minItems": 1, "maxItems": MAX_VALUES, "items": item});
    let field = |name: &str| json!({"type": "string", "enum": [name]});
    let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let severity = json!({"type": "string", "enum": severities});
    let status = json!({"type": "string", "enum": statuses});
    let camera = json!({"type": "integer", "format": "int64", "minimum": 0, "maximum": i64::MAX});
    let uuid = json!({"type": "string", "format": "uuid"});
    let text =
        json!({"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^\\x00]*$"});
    // At least 20 characters: `2026-01-31T12:00:00Z` is the shortest RFC 3339 time.
    let time = json!({"type": "string", "format": "date-time", "minLength": 20});
    let json_scalar = json!({"oneOf": [
        {"type": "string", "pattern": "^[^\\x00]*$"}, {"type": "number"}, {"type": "boolean"}
    ]});
    let path = json!({
        "type": "string",
        "pattern": format!(
            "^alert_data(\\.[A-Za-z0-9_]{{1,{MAX_SEGMENT_CHARS}}}){{1,{MAX_PATH_SEGMENTS}}}$"
        ),
        "description": "`alert_data.` and a path of object keys (digits also index arrays)."
    });
    let eq = ["eq", "ne"];
    let set = ["in", "not_in"];
    let ordered = ["lt", "lte", "gt", "gte"];
    let eq_or_ordered = ["eq", "ne", "lt", "lte", "gt", "gte"];
    let nullable = |v: &serde_json::Value| json!({"oneOf": [{"type": "null"}, v]});
    let mut variants = vec![
        node("all", children.clone()),
        node("any", children),
        node("not", json!({"$ref": "#/components/schemas/Filter"})),
        condition(
            "severity",
            field("severity"),
            &eq_or_ordered,
            severity.clone(),
        ),
        condition("severity in", field("severity"), &set, list(severity)),
        condition("status", field("status"), &eq, status.clone()),
        condition("status in", field("status"), &set, list(status)),
        condition(
            "camera_id",
            field("camera_id"),
            &eq_or_ordered,
            camera.clone(),
        ),
        condition("camera_id in", field("camera_id"), &set, list(camera)),
        condition("provider_id", field("provider_id"), &eq, uuid.clone()),
        condition("provider_id in", field("provider_id"), &set, list(uuid)),
        condition(
            "created_at",
            field("created_at"),
            &eq_or_ordered,
            time.clone(),
        ),
        condition("created_at in", field("created_at"), &set, list(time)),
        condition("alert_data", path.clone(), &eq, nullable(&json_scalar)),
        condition("alert_data in", path.clone(), &set, list(json_scalar)),
        condition(
            "alert_data ordered",
            path,
            &ordered,
            json!({"type": "number"}),
        ),
    ];
    for name in ["alert_type", "assignee_id"] {
        variants.push(condition(name, field(name), &eq, nullable(&text)));
        variants.push(condition(
            &format!("{name} in"),
            field(name),
            &set,
            list(text.clone()),
        ));
    }
    json!({
        "description": format!(
            "A tree of `all` / `any` / `not` over conditions `{{\"field\", \"op\", \"value\"}}`. \
             Conditions are two-valued: one on an absent value is false (`ne` and `not_in` \
             are `not` of `eq` and `in`); `eq` / `ne` with `null` test absence. Severities \
             are ordered by urgency (`gte high`: high or critical). At most {MAX_CONDITIONS} \
             conditions, {MAX_CHILDREN} children a node and {MAX_DEPTH} levels; a bad filter is 422 naming the place, e.g. \
             `filter.all[2].value`."
        ),
        "oneOf": variants,
    })
}

/// `Filter`: a tree of the filter language.
#[derive(Debug)]
pub struct FilterSchema;

impl PartialSchema for FilterSchema {
    fn schema() -> RefOr<Schema> {
        from_json(filter_schema())
    }
}

impl ToSchema for FilterSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Filter")
    }
}

/// The body of `POST /api/tickets/search` ([`crate::inbound::dto::SearchRequest`]).
#[derive(Debug)]
pub struct SearchRequestSchema;

impl PartialSchema for SearchRequestSchema {
    fn schema() -> RefOr<Schema> {
        from_json(serde_json::json!({
            "type": "object",
            "additionalProperties": false,
            "description": "A filter and the list's paging. An unknown member is a 422.",
            "properties": {
                "filter": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Filter"}],
                    "description": "Absent or null: every ticket."},
                "cursor": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/TicketCursor"}],
                    "description": "`next_cursor` of the previous page, with the same filter."},
                "limit": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/PageLimit"}]}
            },
            "examples": [{"filter": {"all": [
                {"field": "severity", "op": "gte", "value": "high"},
                {"field": "alert_data.zone", "op": "eq", "value": "dock"}
            ]}, "limit": 50}]
        }))
    }
}

impl ToSchema for SearchRequestSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("SearchRequest")
    }
}

#[cfg(test)]
mod filter_schema_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_filter_schemas_are_read_whole() {
        let filter: RefOr<Schema> = serde_json::from_value(filter_schema()).unwrap();
        let text = serde_json::to_string(&filter).unwrap();
        assert!(!text.contains("unreadable schema"), "{text}");
        let search = serde_json::to_string(&SearchRequestSchema::schema()).unwrap();
        assert!(!search.contains("unreadable schema"), "{search}");
    }
}

/// The members of an end event.
fn end_event_properties() -> serde_json::Value {
    serde_json::json!({
        "event_action": {"type": "string", "pattern": "^resolve$"},
        "provider_id": {"type": "string", "format": "uuid",
            "description": "The analytics provider that sent the alert."},
        "external_id": {"$ref": "#/components/schemas/ExternalId",
            "description": "The `external_id` of an alert of the incident."},
        "dedup_key": {"$ref": "#/components/schemas/DedupKey",
            "description": "The incident's dedup key."},
        "camera_id": {"type": "integer", "minimum": 0,
            "maximum": 9_223_372_036_854_775_807_i64,
            "description": "With `alert_type` or `title`: the dedup key an alert without one would get."},
        "alert_type": {"$ref": "#/components/schemas/AlertType"},
        "title": {"$ref": "#/components/schemas/Title"}
    })
}

/// The body of an end event ([`crate::inbound::dto::EndEventRequest`]), written out: one
/// complete object per way of naming the incident (`anyOf`), each requiring its members,
/// which a derive cannot say. Complete objects rather than a shared `properties` with an
/// `anyOf` of `required` lists: test generators (schemathesis 4.32) read those apart.
#[derive(Debug)]
pub struct EndEventRequestSchema;

impl PartialSchema for EndEventRequestSchema {
    fn schema() -> RefOr<Schema> {
        let way = |title: &str, names: &[&str]| {
            let mut required = vec!["event_action", "provider_id"];
            required.extend_from_slice(names);
            serde_json::json!({
                "type": "object",
                "title": title,
                "required": required,
                "properties": end_event_properties()
            })
        };
        from_json(serde_json::json!({
            "description": "`POST /api/tickets` with `\"event_action\": \"resolve\"`: the provider \
                says the incident of an earlier alert is over. It names the incident by that \
                alert's `external_id`, or by its dedup key: `dedup_key`, else derived from \
                `camera_id` and `alert_type` (or else `title`) as for an alert, so an alert's own \
                body with `event_action` added names its incident. These members may be absent \
                but not null. Other alert fields are ignored.",
            "anyOf": [
                way("By dedup key", &["dedup_key"]),
                way("By an earlier alert", &["external_id"]),
                way("By camera and alert type", &["camera_id", "alert_type"]),
                way("By camera and title", &["camera_id", "title"])
            ],
            "examples": [{"event_action": "resolve",
                "provider_id": "6f1c2b9e-8a4d-4c1e-9f0a-3b5d7e9c1a24",
                "dedup_key": "dock-2-intrusion"}]
        }))
    }
}

impl ToSchema for EndEventRequestSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("EndEventRequest")
    }
}
