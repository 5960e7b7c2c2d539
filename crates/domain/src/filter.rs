//! The filter language: one JSON tree that selects tickets, read by rules at ingest (the
//! in-memory evaluator here, [`Filter::matches`]) and by lists (the store compiles the
//! same tree to SQL). Both must select the same tickets; a property test in
//! `crates/persistence/tests/filter.rs` runs random trees through both.
//!
//! ```json
//! {"all": [
//!   {"field": "severity", "op": "gte", "value": "high"},
//!   {"not": {"field": "status", "op": "in", "value": ["resolved", "closed"]}},
//!   {"any": [
//!     {"field": "camera_id", "op": "in", "value": [7, 9]},
//!     {"field": "alert_data.zone", "op": "eq", "value": "dock"}
//!   ]}
//! ]}
//! ```
//!
//! Conditions are two-valued: `eq`, `in` and the ordered tests on an absent value (no
//! `alert_type`, no such `alert_data` path, a string where a number is compared) are false,
//! and `ne` / `not_in` are exactly `not` of `eq` / `in`, so true there. Only `eq` / `ne`
//! with `null` test absence.

use chrono::{DateTime, Utc};
use serde_json::{Map, Number, Value, json};
use uuid::Uuid;

use crate::error::{FieldError, ValidationErrors};
use crate::model::{ProviderId, Severity, Status};
use crate::ticket::Ticket;

/// Deepest nesting of `all` / `any` / `not` accepted.
pub const MAX_DEPTH: usize = 32;
/// Most children of one `all` / `any` node.
pub const MAX_CHILDREN: usize = 100;
/// Most conditions in one filter. Generous (a schema cannot state a total, so clients
/// cannot check it before sending); the request body limit bounds it further. At most four
/// bind values a condition keeps a statement below PostgreSQL's 65,535.
pub const MAX_CONDITIONS: usize = 10_000;
/// Most values in one `in` / `not_in` list.
pub const MAX_VALUES: usize = 100;
/// Most segments in an `alert_data` path, and the longest segment.
pub const MAX_PATH_SEGMENTS: usize = 8;
pub const MAX_SEGMENT_CHARS: usize = 64;

/// A filter tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Every child holds (an empty `all` holds).
    All(Vec<Filter>),
    /// Some child holds (an empty `any` does not).
    Any(Vec<Filter>),
    Not(Box<Filter>),
    Condition(Condition),
}

/// One test of one field.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: Field,
    pub test: Test,
}

/// What a condition reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Severity,
    Status,
    CameraId,
    ProviderId,
    AlertType,
    AssigneeId,
    CreatedAt,
    /// A value inside `alert_data`, by object keys (and array indexes, for segments that
    /// are digits only).
    AlertData(Vec<String>),
}

/// How a condition tests its field.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// The value is one of `values` (`eq` is a list of one); `negated` for `ne` / `not_in`.
    In { values: Vec<Scalar>, negated: bool },
    /// The value is absent (`eq null`); `negated` for `ne null`.
    Absent { negated: bool },
    /// An ordered comparison; false when the value is absent or not comparable.
    Compare { op: CmpOp, value: Scalar },
}

/// A value a condition compares with, already of its field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    Int(i64),
    /// An `alert_data` number, compared as a double.
    Number(f64),
    Bool(bool),
    Time(DateTime<Utc>),
    Uuid(Uuid),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Lt => "lt",
            CmpOp::Lte => "lte",
            CmpOp::Gt => "gt",
            CmpOp::Gte => "gte",
        }
    }

    fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Lt => ordering == Less,
            CmpOp::Lte => ordering != Greater,
            CmpOp::Gt => ordering == Greater,
            CmpOp::Gte => ordering != Less,
        }
    }
}

impl Field {
    fn parse(raw: &str) -> Option<Field> {
        Some(match raw {
            "severity" => Field::Severity,
            "status" => Field::Status,
            "camera_id" => Field::CameraId,
            "provider_id" => Field::ProviderId,
            "alert_type" => Field::AlertType,
            "assignee_id" => Field::AssigneeId,
            "created_at" => Field::CreatedAt,
            _ => {
                let path = raw.strip_prefix("alert_data.")?;
                Field::AlertData(path.split('.').map(str::to_owned).collect())
            }
        })
    }

    pub fn name(&self) -> String {
        match self {
            Field::Severity => "severity".to_owned(),
            Field::Status => "status".to_owned(),
            Field::CameraId => "camera_id".to_owned(),
            Field::ProviderId => "provider_id".to_owned(),
            Field::AlertType => "alert_type".to_owned(),
            Field::AssigneeId => "assignee_id".to_owned(),
            Field::CreatedAt => "created_at".to_owned(),
            Field::AlertData(path) => format!("alert_data.{}", path.join(".")),
        }
    }

    /// Whether the field may be absent on a ticket (so `eq null` means something).
    pub fn nullable(&self) -> bool {
        matches!(
            self,
            Field::AlertType | Field::AssigneeId | Field::AlertData(_)
        )
    }

    /// Whether the field is ordered for `lt`..`gte`.
    fn ordered(&self) -> bool {
        matches!(
            self,
            Field::Severity | Field::CameraId | Field::CreatedAt | Field::AlertData(_)
        )
    }
}

const OPS: &str = "eq, ne, in, not_in, lt, lte, gt or gte";
const FIELDS: &str = "severity, status, camera_id, provider_id, alert_type, assignee_id, \
                      created_at or alert_data.<path>";

/// Parses what a caller sent, naming the place of every fault below `at` (e.g.
/// `filter.all[2].value`).
impl Filter {
    pub fn parse(raw: &Value, at: &str) -> Result<Filter, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut conditions = 0;
        let filter = parse_node(raw, at, 1, &mut conditions, &mut errors);
        if conditions > MAX_CONDITIONS {
            errors.push(FieldError::new(
                at,
                format!("has {conditions} conditions; at most {MAX_CONDITIONS}"),
            ));
        }
        match filter {
            Some(f) if errors.is_empty() => Ok(f),
            _ => Err(errors),
        }
    }

    /// The filter as JSON, in the form [`Filter::parse`] reads.
    pub fn to_json(&self) -> Value {
        match self {
            Filter::All(children) => {
                json!({ "all": children.iter().map(Filter::to_json).collect::<Vec<_>>() })
            }
            Filter::Any(children) => {
                json!({ "any": children.iter().map(Filter::to_json).collect::<Vec<_>>() })
            }
            Filter::Not(child) => json!({ "not": child.to_json() }),
            Filter::Condition(c) => c.to_json(),
        }
    }

    /// Whether `ticket` is selected.
    pub fn matches(&self, ticket: &Ticket) -> bool {
        match self {
            Filter::All(children) => children.iter().all(|c| c.matches(ticket)),
            Filter::Any(children) => children.iter().any(|c| c.matches(ticket)),
            Filter::Not(child) => !child.matches(ticket),
            Filter::Condition(c) => c.matches(ticket),
        }
    }
}

fn parse_node(
    raw: &Value,
    at: &str,
    depth: usize,
    conditions: &mut usize,
    errors: &mut ValidationErrors,
) -> Option<Filter> {
    let fail = |errors: &mut ValidationErrors, field: &str, message: String| {
        errors.push(FieldError::new(field, message));
        None
    };
    if depth > MAX_DEPTH {
        return fail(errors, at, format!("nests deeper than {MAX_DEPTH} levels"));
    }
    let Some(object) = raw.as_object() else {
        return fail(
            errors,
            at,
            "must be an object: {\"all\": [...]}, {\"any\": [...]}, {\"not\": {...}} or \
             {\"field\", \"op\", \"value\"}"
                .to_owned(),
        );
    };
    for (key, make) in [("all", Filter::All as fn(_) -> _), ("any", Filter::Any)] {
        if let Some(children) = object.get(key) {
            if object.len() != 1 {
                return fail(errors, at, format!("a {key} node has no other key"));
            }
            let Some(children) = children.as_array() else {
                return fail(
                    errors,
                    &format!("{at}.{key}"),
                    "must be an array".to_owned(),
                );
            };
            if children.len() > MAX_CHILDREN {
                return fail(
                    errors,
                    &format!("{at}.{key}"),
                    format!("holds at most {MAX_CHILDREN} children"),
                );
            }
            let parsed: Vec<Option<Filter>> = children
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    parse_node(
                        c,
                        &format!("{at}.{key}[{i}]"),
                        depth + 1,
                        conditions,
                        errors,
                    )
                })
                .collect();
            return parsed.into_iter().collect::<Option<Vec<_>>>().map(make);
        }
    }
    if let Some(child) = object.get("not") {
        if object.len() != 1 {
            return fail(errors, at, "a not node has no other key".to_owned());
        }
        return parse_node(child, &format!("{at}.not"), depth + 1, conditions, errors)
            .map(|f| Filter::Not(Box::new(f)));
    }
    *conditions += 1;
    parse_condition(object, at, errors).map(Filter::Condition)
}

fn parse_condition(
    object: &Map<String, Value>,
    at: &str,
    errors: &mut ValidationErrors,
) -> Option<Condition> {
    let mut fail = |field: String, message: String| {
        errors.push(FieldError::new(field, message));
        None
    };
    if let Some(extra) = object
        .keys()
        .find(|k| !matches!(k.as_str(), "field" | "op" | "value"))
    {
        return fail(
            format!("{at}.{extra}"),
            "is not a key of a condition (field, op, value) or a node (all, any, not)".to_owned(),
        );
    }
    let Some(name) = object.get("field").and_then(Value::as_str) else {
        return fail(format!("{at}.field"), format!("must be one of {FIELDS}"));
    };
    let Some(field) = Field::parse(name) else {
        return fail(format!("{at}.field"), format!("must be one of {FIELDS}"));
    };
    if let Field::AlertData(path) = &field {
        let valid = path.len() <= MAX_PATH_SEGMENTS
            && path.iter().all(|s| {
                !s.is_empty()
                    && s.chars().count() <= MAX_SEGMENT_CHARS
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
        if !valid {
            return fail(
                format!("{at}.field"),
                format!(
                    "an alert_data path is 1..={MAX_PATH_SEGMENTS} segments of 1..={MAX_SEGMENT_CHARS} \
                     letters, digits or '_', joined by '.'"
                ),
            );
        }
    }
    let Some(op) = object.get("op").and_then(Value::as_str) else {
        return fail(format!("{at}.op"), format!("must be one of {OPS}"));
    };
    let value_at = format!("{at}.value");
    let Some(value) = object.get("value") else {
        return fail(value_at, "is required (null tests absence)".to_owned());
    };
    let scalar = |v: &Value| -> Result<Scalar, String> { scalar_of(&field, v) };
    let test = match op {
        "eq" | "ne" if value.is_null() => {
            if !field.nullable() {
                return fail(
                    value_at,
                    format!("{} is never absent: null matches nothing", field.name()),
                );
            }
            Test::Absent {
                negated: op == "ne",
            }
        }
        "eq" | "ne" => match scalar(value) {
            Ok(v) => Test::In {
                values: vec![v],
                negated: op == "ne",
            },
            Err(m) => return fail(value_at, m),
        },
        "in" | "not_in" => {
            let Some(list) = value.as_array() else {
                return fail(value_at, "must be an array of values".to_owned());
            };
            if list.is_empty() || list.len() > MAX_VALUES {
                return fail(value_at, format!("must hold 1..={MAX_VALUES} values"));
            }
            let mut values = Vec::with_capacity(list.len());
            for (i, v) in list.iter().enumerate() {
                match scalar(v) {
                    Ok(v) => values.push(v),
                    Err(m) => return fail(format!("{value_at}[{i}]"), m),
                }
            }
            Test::In {
                values,
                negated: op == "not_in",
            }
        }
        "lt" | "lte" | "gt" | "gte" => {
            let op = match op {
                "lt" => CmpOp::Lt,
                "lte" => CmpOp::Lte,
                "gt" => CmpOp::Gt,
                _ => CmpOp::Gte,
            };
            if !field.ordered() {
                return fail(
                    format!("{at}.op"),
                    format!("{} is not ordered: use eq, ne, in or not_in", field.name()),
                );
            }
            let v = match scalar(value) {
                Ok(v) => v,
                Err(m) => return fail(value_at, m),
            };
            match (&field, v) {
                (Field::Severity, v @ Scalar::Text(_))
                | (Field::AlertData(_), v @ Scalar::Number(_))
                | (_, v @ (Scalar::Int(_) | Scalar::Time(_))) => Test::Compare { op, value: v },
                _ => return fail(value_at, "an ordered comparison takes a number".to_owned()),
            }
        }
        _ => return fail(format!("{at}.op"), format!("must be one of {OPS}")),
    };
    Some(Condition { field, test })
}

/// The severities an ordered test against `pivot` selects (severities are ordered by
/// urgency, `info` least): a set, so the store can test it with `= ANY`. Empty when
/// `pivot` is not a severity, which the parser never lets through.
pub fn severities(op: CmpOp, pivot: &str) -> Vec<Severity> {
    let Ok(pivot) = Severity::parse(pivot, "value") else {
        return Vec::new();
    };
    Severity::ALL
        .iter()
        .copied()
        .filter(|s| op.holds(s.cmp(&pivot)))
        .collect()
}

/// `raw` as a value of `field`'s type.
fn scalar_of(field: &Field, raw: &Value) -> Result<Scalar, String> {
    let text = || raw.as_str().ok_or_else(|| "must be a string".to_owned());
    match field {
        Field::Severity => Severity::parse(text()?, "value")
            .map(|s| Scalar::Text(s.as_str().to_owned()))
            .map_err(|e| e.message),
        Field::Status => Status::parse(text()?, "value")
            .map(|s| Scalar::Text(s.as_str().to_owned()))
            .map_err(|e| e.message),
        // Camera ids are not negative (`CameraId`).
        Field::CameraId => integer(raw)
            .filter(|n| *n >= 0)
            .map(Scalar::Int)
            .ok_or_else(|| "must be a non-negative integer".to_owned()),
        Field::ProviderId => ProviderId::parse(text()?, "value")
            .map(|p| Scalar::Uuid(p.as_uuid()))
            .map_err(|e| e.message),
        Field::AlertType | Field::AssigneeId => {
            let s = text()?;
            if s.is_empty() || s.chars().count() > 255 || s.contains('\0') {
                return Err("must be 1..=255 characters, without NUL".to_owned());
            }
            Ok(Scalar::Text(s.to_owned()))
        }
        Field::CreatedAt => {
            let s = text()?;
            let t = DateTime::parse_from_rfc3339(s)
                .map_err(|_| "must be an RFC 3339 time".to_owned())?
                .with_timezone(&Utc);
            // The store keeps microseconds.
            Ok(Scalar::Time(crate::ports::to_micros(t)))
        }
        Field::AlertData(_) => match raw {
            // Stored alert data holds no NUL (`AlertData::parse`); PostgreSQL text cannot.
            Value::String(s) if s.contains('\0') => Err("must not contain NUL".to_owned()),
            Value::String(s) => Ok(Scalar::Text(s.clone())),
            Value::Bool(b) => Ok(Scalar::Bool(*b)),
            Value::Number(n) => n
                .as_f64()
                .map(Scalar::Number)
                .ok_or_else(|| "must be a finite number".to_owned()),
            _ => Err("must be a string, a number or a boolean".to_owned()),
        },
    }
}

/// An integer as JSON Schema counts them: `7`, and also `7.0`.
fn integer(raw: &Value) -> Option<i64> {
    // i64::MIN is -2^63; 2^63 itself is out of range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    raw.as_i64().or_else(|| {
        let f = raw.as_f64()?;
        #[allow(clippy::cast_possible_truncation)]
        (f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f)).then_some(f as i64)
    })
}

impl Scalar {
    fn to_json(&self) -> Value {
        match self {
            Scalar::Text(s) => Value::String(s.clone()),
            Scalar::Int(n) => json!(n),
            Scalar::Number(n) => Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Scalar::Bool(b) => Value::Bool(*b),
            Scalar::Time(t) => json!(t),
            Scalar::Uuid(u) => json!(u),
        }
    }
}

impl Condition {
    fn to_json(&self) -> Value {
        let field = self.field.name();
        match &self.test {
            Test::Absent { negated } => {
                json!({"field": field, "op": if *negated { "ne" } else { "eq" }, "value": null})
            }
            Test::In { values, negated } => {
                let op = if *negated { "not_in" } else { "in" };
                json!({"field": field, "op": op, "value": values.iter().map(Scalar::to_json).collect::<Vec<_>>()})
            }
            Test::Compare { op, value } => {
                json!({"field": field, "op": op.as_str(), "value": value.to_json()})
            }
        }
    }

    fn matches(&self, ticket: &Ticket) -> bool {
        let found = self.value_of(ticket);
        let scalar = match &found {
            Found::Scalar(v) => Some(v),
            Found::Absent | Found::Other => None,
        };
        match &self.test {
            Test::Absent { negated } => matches!(found, Found::Absent) != *negated,
            Test::In { values, negated } => {
                let hit = scalar.is_some_and(|v| values.iter().any(|x| x == v));
                hit != *negated
            }
            Test::Compare { op, value: bound } => match (scalar, bound) {
                (Some(Scalar::Text(a)), Scalar::Text(pivot)) => {
                    severities(*op, pivot).iter().any(|s| s.as_str() == a)
                }
                (Some(Scalar::Int(a)), Scalar::Int(b)) => op.holds(a.cmp(b)),
                (Some(Scalar::Time(a)), Scalar::Time(b)) => op.holds(a.cmp(b)),
                (Some(Scalar::Number(a)), Scalar::Number(b)) => {
                    a.partial_cmp(b).is_some_and(|o| op.holds(o))
                }
                _ => false,
            },
        }
    }

    /// The ticket's value of the field.
    fn value_of(&self, t: &Ticket) -> Found {
        let text = |s: &str| Found::Scalar(Scalar::Text(s.to_owned()));
        match &self.field {
            Field::Severity => text(t.severity().as_str()),
            Field::Status => text(t.status().as_str()),
            Field::CameraId => Found::Scalar(Scalar::Int(t.camera_id().get())),
            Field::ProviderId => Found::Scalar(Scalar::Uuid(t.provider_id().as_uuid())),
            Field::AlertType => t.alert_type().map_or(Found::Absent, |a| text(a.as_str())),
            Field::AssigneeId => t.assignee_id().map_or(Found::Absent, |a| text(a.as_str())),
            Field::CreatedAt => Found::Scalar(Scalar::Time(t.created_at())),
            Field::AlertData(path) => {
                let mut at = t.alert_data().as_json();
                for segment in path {
                    let next = match at {
                        Value::Object(map) => map.get(segment),
                        // Digits index an array, as PostgreSQL's `#>` reads them.
                        Value::Array(items) => {
                            segment.parse::<usize>().ok().and_then(|i| items.get(i))
                        }
                        _ => None,
                    };
                    match next {
                        Some(v) => at = v,
                        None => return Found::Absent,
                    }
                }
                match at {
                    Value::String(s) => text(s),
                    Value::Bool(b) => Found::Scalar(Scalar::Bool(*b)),
                    Value::Number(n) => n
                        .as_f64()
                        .map_or(Found::Other, |f| Found::Scalar(Scalar::Number(f))),
                    Value::Null => Found::Absent,
                    Value::Object(_) | Value::Array(_) => Found::Other,
                }
            }
        }
    }
}

/// A ticket's value of a field.
enum Found {
    /// No value: no `alert_type`, no such path, or JSON `null` there.
    Absent,
    Scalar(Scalar),
    /// An object or an array: present, but equal to no scalar and not ordered.
    Other,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::{AlertData, AlertType, CameraId, OrgId, Title};
    use crate::sla::SlaPolicy;
    use crate::ticket::{NewAlert, TicketDraft};
    use chrono::TimeZone;

    fn ticket(data: Value, alert_type: Option<&str>) -> Ticket {
        let alert = NewAlert {
            title: Title::parse("Person in zone", "title").unwrap(),
            description: None,
            severity: Severity::High,
            camera_id: CameraId::parse(7, "camera_id").unwrap(),
            provider_id: ProviderId::from_uuid(Uuid::from_u128(1)),
            alert_type: alert_type.map(|a| AlertType::parse(a, "alert_type").unwrap()),
            alert_data: AlertData::parse(data, "alert_data").unwrap(),
            occurred_at: None,
            external_id: None,
            dedup_key: None,
        };
        let now = Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).unwrap();
        TicketDraft::new(OrgId::from_u128(7), alert, &SlaPolicy::default(), now).ticket
    }

    fn parse(raw: Value) -> Filter {
        Filter::parse(&raw, "filter").unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    fn fields(raw: Value) -> Vec<String> {
        Filter::parse(&raw, "filter")
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn every_field_and_operator_selects_as_documented() {
        let t = ticket(
            json!({"zone": "dock", "score": 0.9, "armed": true, "cams": [{"id": 3}], "n": null}),
            Some("intrusion"),
        );
        let yes = [
            json!({"field": "severity", "op": "eq", "value": "high"}),
            json!({"field": "severity", "op": "gte", "value": "medium"}),
            json!({"field": "severity", "op": "lte", "value": "high"}),
            json!({"field": "severity", "op": "in", "value": ["critical", "high"]}),
            json!({"field": "status", "op": "ne", "value": "closed"}),
            json!({"field": "camera_id", "op": "gt", "value": 6}),
            json!({"field": "camera_id", "op": "lte", "value": 7}),
            json!({"field": "camera_id", "op": "not_in", "value": [1, 2]}),
            json!({"field": "provider_id", "op": "eq", "value": Uuid::from_u128(1)}),
            json!({"field": "alert_type", "op": "eq", "value": "intrusion"}),
            json!({"field": "alert_type", "op": "ne", "value": null}),
            json!({"field": "assignee_id", "op": "eq", "value": null}),
            json!({"field": "assignee_id", "op": "ne", "value": "bob"}),
            json!({"field": "created_at", "op": "gte", "value": "2026-05-01T08:00:00Z"}),
            json!({"field": "created_at", "op": "lt", "value": "2026-05-01T08:00:00.000001Z"}),
            json!({"field": "alert_data.zone", "op": "in", "value": ["dock", "gate"]}),
            json!({"field": "alert_data.score", "op": "gte", "value": 0.9}),
            json!({"field": "alert_data.score", "op": "eq", "value": 0.9}),
            json!({"field": "alert_data.armed", "op": "eq", "value": true}),
            json!({"field": "alert_data.cams.0.id", "op": "eq", "value": 3}),
            json!({"field": "alert_data.n", "op": "eq", "value": null}),
            json!({"field": "alert_data.missing", "op": "eq", "value": null}),
            json!({"field": "alert_data.cams", "op": "ne", "value": null}),
            json!({"field": "alert_data.zone", "op": "ne", "value": 3}),
        ];
        for raw in yes {
            assert!(parse(raw.clone()).matches(&t), "{raw}");
            let negated = json!({"not": raw});
            assert!(!parse(negated.clone()).matches(&t), "{negated}");
        }
        let no = [
            json!({"field": "severity", "op": "gt", "value": "high"}),
            json!({"field": "severity", "op": "lt", "value": "high"}),
            json!({"field": "camera_id", "op": "lt", "value": 7}),
            json!({"field": "camera_id", "op": "gte", "value": 8}),
            json!({"field": "assignee_id", "op": "eq", "value": "bob"}),
            json!({"field": "alert_type", "op": "eq", "value": null}),
            json!({"field": "created_at", "op": "gt", "value": "2026-05-01T08:00:00Z"}),
            json!({"field": "created_at", "op": "lte", "value": "2026-05-01T07:59:59.999999Z"}),
            // Absent or not comparable: false, whatever the operator.
            json!({"field": "alert_data.missing", "op": "eq", "value": 1}),
            json!({"field": "alert_data.missing", "op": "lt", "value": 1}),
            json!({"field": "alert_data.zone", "op": "gt", "value": 1}),
            json!({"field": "alert_data.zone", "op": "eq", "value": "Dock"}),
            json!({"field": "alert_data.cams", "op": "eq", "value": 3}),
            json!({"field": "alert_data.cams.1.id", "op": "eq", "value": 3}),
            json!({"field": "alert_data.cams.x", "op": "ne", "value": null}),
            json!({"field": "alert_data.zone.x", "op": "ne", "value": null}),
            json!({"field": "alert_data.score", "op": "lt", "value": 0.9}),
            json!({"field": "alert_data.score", "op": "gt", "value": 0.9}),
            json!({"field": "alert_data.armed", "op": "eq", "value": "true"}),
        ];
        for raw in no {
            assert!(!parse(raw.clone()).matches(&t), "{raw}");
        }
    }

    #[test]
    fn nodes_combine_as_logic_does() {
        let t = ticket(json!({}), None);
        let yes = json!({"field": "camera_id", "op": "eq", "value": 7});
        let no = json!({"field": "camera_id", "op": "eq", "value": 8});
        assert!(parse(json!({"all": []})).matches(&t));
        assert!(!parse(json!({"any": []})).matches(&t));
        assert!(parse(json!({"all": [yes, yes]})).matches(&t));
        assert!(!parse(json!({"all": [yes, no]})).matches(&t));
        assert!(parse(json!({"any": [no, yes]})).matches(&t));
        assert!(!parse(json!({"any": [no, no]})).matches(&t));
        assert!(parse(json!({"not": {"any": [no]}})).matches(&t));
    }

    #[test]
    fn a_filter_reads_back_from_its_json() {
        let raw = json!({"all": [
            {"field": "severity", "op": "gte", "value": "high"},
            {"not": {"field": "status", "op": "in", "value": ["resolved", "closed"]}},
            {"any": [
                {"field": "camera_id", "op": "lt", "value": 9},
                {"field": "alert_data.zone", "op": "ne", "value": null},
                {"field": "alert_data.score", "op": "gte", "value": 0.5},
                {"field": "created_at", "op": "gt", "value": "2026-05-01T08:00:00.123456Z"},
                {"field": "provider_id", "op": "not_in", "value": [Uuid::from_u128(9)]}
            ]}
        ]});
        let f = parse(raw);
        assert_eq!(parse(f.to_json()), f);
        // An ordered test that selects no severity reads back too, as written.
        let none = json!({"field": "severity", "op": "gt", "value": "critical"});
        let f = parse(none.clone());
        assert_eq!(f.to_json(), none);
        assert_eq!(parse(f.to_json()), f);
    }

    #[test]
    fn a_bad_filter_names_every_place_at_fault() {
        assert_eq!(fields(json!([])), ["filter"]);
        assert_eq!(
            fields(json!({"field": "alert_type", "op": "eq"})),
            ["filter.value"]
        );
        // An integer as JSON Schema counts them.
        let t = ticket(json!({}), None);
        assert!(parse(json!({"field": "camera_id", "op": "eq", "value": 7.0})).matches(&t));
        assert_eq!(
            fields(json!({"field": "camera_id", "op": "eq", "value": 7.5})),
            ["filter.value"]
        );
        assert_eq!(fields(json!({"all": {}})), ["filter.all"]);
        assert_eq!(
            fields(json!({"all": [
                {"field": "colour", "op": "eq", "value": 1},
                {"field": "severity", "op": "eq", "value": "urgent"},
                {"any": [{"field": "camera_id", "op": "like", "value": 1}]},
                {"field": "status", "op": "gte", "value": "open"},
                {"field": "camera_id", "op": "in", "value": [1, "two"]},
                {"field": "camera_id", "op": "eq", "value": null},
                {"field": "alert_data.a-b", "op": "eq", "value": 1},
                {"field": "alert_data.a", "op": "eq", "value": {"x": 1}},
                {"field": "camera_id", "op": "in", "value": []},
                {"field": "camera_id", "op": "eq", "value": 1, "extra": true},
                {"all": [], "any": []}
            ]})),
            [
                "filter.all[0].field",
                "filter.all[1].value",
                "filter.all[2].any[0].op",
                "filter.all[3].op",
                "filter.all[4].value[1]",
                "filter.all[5].value",
                "filter.all[6].field",
                "filter.all[7].value",
                "filter.all[8].value",
                "filter.all[9].extra",
                "filter.all[10]",
            ]
        );
    }

    #[test]
    fn text_values_are_bounded_and_free_of_nul() {
        for field in ["alert_type", "assignee_id"] {
            let with = |v: Value| json!({"field": field, "op": "eq", "value": v});
            assert!(Filter::parse(&with(json!("x".repeat(255))), "f").is_ok());
            for bad in [json!(""), json!("x".repeat(256)), json!("a\u{0}b")] {
                let fields = fields(with(bad.clone()));
                assert_eq!(fields, ["filter.value"], "{field} {bad}");
            }
        }
        // `alert_data` strings: any length the body allows, but no NUL.
        assert!(
            Filter::parse(
                &json!({"field": "alert_data.a", "op": "eq", "value": ""}),
                "f"
            )
            .is_ok()
        );
        let nul = json!({"field": "alert_data.a", "op": "eq", "value": "a\u{0}b"});
        assert_eq!(fields(nul), ["filter.value"]);
    }

    #[test]
    fn limits_on_depth_conditions_values_and_paths() {
        let cond = json!({"field": "camera_id", "op": "eq", "value": 1});
        let mut deep = cond.clone();
        for _ in 0..MAX_DEPTH - 1 {
            deep = json!({"not": deep});
        }
        assert!(Filter::parse(&deep, "f").is_ok());
        assert!(Filter::parse(&json!({"not": deep}), "f").is_err());
        // Every kind of node counts a level.
        let mut nested = json!({"field": "camera_id", "op": "eq", "value": 1});
        for i in 0..MAX_DEPTH - 1 {
            nested = if i % 2 == 0 {
                json!({"all": [nested]})
            } else {
                json!({"any": [nested]})
            };
        }
        assert!(Filter::parse(&nested, "f").is_ok());
        assert!(Filter::parse(&json!({"any": [nested.clone()]}), "f").is_err());
        assert!(Filter::parse(&json!({"all": [nested]}), "f").is_err());
        // A total beyond the limit, in nodes each within theirs.
        let node = json!({"all": vec![cond.clone(); MAX_CHILDREN]});
        let nodes = MAX_CONDITIONS / MAX_CHILDREN;
        let at_limit = json!({"any": vec![node.clone(); nodes]});
        assert!(Filter::parse(&at_limit, "f").is_ok());
        let beyond = json!({"any": [at_limit, cond]});
        assert_eq!(Filter::parse(&beyond, "f").unwrap_err().0[0].field, "f");
        let wide = json!({"any": vec![json!({"all": []}); MAX_CHILDREN + 1]});
        assert_eq!(Filter::parse(&wide, "f").unwrap_err().0[0].field, "f.any");
        assert!(
            Filter::parse(&json!({"any": vec![json!({"all": []}); MAX_CHILDREN]}), "f").is_ok()
        );
        let values: Vec<i64> = (0..MAX_VALUES as i64).collect();
        let raw = json!({"field": "camera_id", "op": "in", "value": values});
        assert!(Filter::parse(&raw, "f").is_ok());
        let values: Vec<i64> = (0..=MAX_VALUES as i64).collect();
        let raw = json!({"field": "camera_id", "op": "in", "value": values});
        assert!(Filter::parse(&raw, "f").is_err());
        let path = ["a"; MAX_PATH_SEGMENTS + 1].join(".");
        let raw = json!({"field": format!("alert_data.{path}"), "op": "eq", "value": 1});
        assert!(Filter::parse(&raw, "f").is_err());
        let long = "x".repeat(MAX_SEGMENT_CHARS + 1);
        let raw = json!({"field": format!("alert_data.{long}"), "op": "eq", "value": 1});
        assert!(Filter::parse(&raw, "f").is_err());
    }
}
