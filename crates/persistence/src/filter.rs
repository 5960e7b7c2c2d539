//! One SQL rendering of [`TicketFilter`], shared by the list and the statistics so both
//! count exactly the same tickets.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, BigInt, Bool, Double, Text, Timestamptz};
use ticket_domain::filter::{CmpOp, Condition, Field, Filter, Scalar, Test, severities};
use ticket_domain::{OrgId, TicketFilter};
use uuid::Uuid;

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Text(String),
    TextArray(Vec<String>),
    Int8(i64),
    Int8Array(Vec<i64>),
    Uuid(Uuid),
    UuidArray(Vec<Uuid>),
    Timestamp(DateTime<Utc>),
    TimestampArray(Vec<DateTime<Utc>>),
    Float8(f64),
    Float8Array(Vec<f64>),
    BoolArray(Vec<bool>),
}

/// SQL conditions joined by AND, with their bind values in placeholder order.
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

/// The SQL operator of an ordered comparison.
fn sql_op(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Lt => "<",
        CmpOp::Lte => "<=",
        CmpOp::Gt => ">",
        CmpOp::Gte => ">=",
    }
}

/// The values of an `in` list on a column, as one typed array.
fn array_of(values: &[Scalar]) -> Bind {
    match values.first() {
        Some(Scalar::Int(_)) => Bind::Int8Array(
            values
                .iter()
                .filter_map(|v| match v {
                    Scalar::Int(n) => Some(*n),
                    _ => None,
                })
                .collect(),
        ),
        Some(Scalar::Time(_)) => Bind::TimestampArray(
            values
                .iter()
                .filter_map(|v| match v {
                    Scalar::Time(t) => Some(*t),
                    _ => None,
                })
                .collect(),
        ),
        Some(Scalar::Uuid(_)) => Bind::UuidArray(
            values
                .iter()
                .filter_map(|v| match v {
                    Scalar::Uuid(u) => Some(*u),
                    _ => None,
                })
                .collect(),
        ),
        _ => Bind::TextArray(
            values
                .iter()
                .filter_map(|v| match v {
                    Scalar::Text(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
        ),
    }
}

/// What the SLA clocks read at the bound time `now`: `now`, or while on hold the start of
/// the hold (`Ticket::sla_clock`; LEAST skips a NULL).
pub(crate) fn sla_clock_sql(now: &str) -> String {
    format!("LEAST(held_since, {now})")
}

/// Whether either SLA target is breached at the bound time `now`: an event after its due
/// time, or no event and the due time passed on the SLA clock. Never NULL.
pub(crate) fn breached_sql(now: &str) -> String {
    let clock = sla_clock_sql(now);
    format!(
        "(COALESCE(first_responded_at > first_response_due_at, first_response_due_at < {clock}) \
         OR COALESCE(resolved_at > resolution_due_at, resolution_due_at < {clock}))"
    )
}

impl Conditions {
    /// Adds a bind value and returns its placeholder.
    pub(crate) fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    /// The filter's conditions over organization `org`'s tickets; `now` decides
    /// `sla_breached`.
    pub(crate) fn from_filter(org: OrgId, filter: &TicketFilter, now: DateTime<Utc>) -> Self {
        let mut c = Conditions::default();
        let clauses = c.filter_clauses(org, filter, now);
        c.clauses = clauses;
        c
    }

    /// The conditions of `filter`, binding its values here; returned rather than pushed so
    /// several sub-queries can share one set of bind values.
    pub(crate) fn filter_clauses(
        &mut self,
        org: OrgId,
        filter: &TicketFilter,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        // The organization leads every clause list, as it leads every list index.
        let mut clauses = vec![format!("org_id = {}", self.bind(Bind::Uuid(org.as_uuid())))];
        // One value is an equality, not `= ANY`: only then does the planner walk the
        // (column, created_at, id) index in order (a deep page of `status=open` goes from
        // a second to a tenth of a millisecond on a million tickets).
        let statuses: Vec<String> = filter
            .statuses
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        if let Some(clause) = self.one_of("status", statuses) {
            clauses.push(clause);
        }
        let severities: Vec<String> = filter
            .severities
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        if let Some(clause) = self.one_of("severity", severities) {
            clauses.push(clause);
        }
        if let Some(camera) = filter.camera_id {
            let p = self.bind(Bind::Int8(camera.get()));
            clauses.push(format!("camera_id = {p}"));
        }
        if let Some(provider) = filter.provider_id {
            let p = self.bind(Bind::Uuid(provider.as_uuid()));
            clauses.push(format!("provider_id = {p}"));
        }
        if let Some(assignee) = &filter.assignee_id {
            let p = self.bind(Bind::Text(assignee.as_str().to_owned()));
            clauses.push(format!("assignee_id = {p}"));
        }
        if let Some(from) = filter.created_from {
            let p = self.bind(Bind::Timestamp(from));
            clauses.push(format!("created_at >= {p}"));
        }
        if let Some(to) = filter.created_to {
            let p = self.bind(Bind::Timestamp(to));
            clauses.push(format!("created_at <= {p}"));
        }
        if let Some(breached) = filter.sla_breached {
            let p = self.bind(Bind::Timestamp(now));
            let expr = breached_sql(&p);
            clauses.push(if breached {
                expr
            } else {
                format!("NOT {expr}")
            });
        }
        if let Some(expr) = &filter.expr {
            clauses.push(self.expr_sql(expr));
        }
        clauses
    }

    /// A tree of the filter language as one boolean expression, restating
    /// [`Filter::matches`]: every condition is two-valued (`COALESCE(.., false)`), so `NOT`
    /// is the evaluator's `!` (`crates/persistence/tests/filter.rs` checks both agree).
    pub(crate) fn expr_sql(&mut self, filter: &Filter) -> String {
        match filter {
            Filter::All(children) if children.is_empty() => "TRUE".to_owned(),
            Filter::Any(children) if children.is_empty() => "FALSE".to_owned(),
            Filter::All(children) => self.joined(children, " AND "),
            Filter::Any(children) => self.joined(children, " OR "),
            Filter::Not(child) => format!("(NOT {})", self.expr_sql(child)),
            Filter::Condition(c) => self.condition_sql(c),
        }
    }

    fn joined(&mut self, children: &[Filter], with: &str) -> String {
        let parts: Vec<String> = children.iter().map(|c| self.expr_sql(c)).collect();
        format!("({})", parts.join(with))
    }

    fn condition_sql(&mut self, c: &Condition) -> String {
        let column = match &c.field {
            Field::Severity => "severity",
            Field::Status => "status",
            Field::CameraId => "camera_id",
            Field::ProviderId => "provider_id",
            Field::AlertType => "alert_type",
            Field::AssigneeId => "assignee_id",
            Field::CreatedAt => "created_at",
            Field::AlertData(path) => return self.json_condition_sql(path, &c.test),
        };
        match &c.test {
            Test::Absent { negated: false } => format!("({column} IS NULL)"),
            Test::Absent { negated: true } => format!("({column} IS NOT NULL)"),
            Test::In { values, negated } => {
                let p = self.bind(array_of(values));
                // A NOT NULL column needs no COALESCE, and without one the planner can use
                // its index.
                let hit = if c.field.nullable() {
                    format!("COALESCE({column} = ANY({p}), false)")
                } else {
                    format!("({column} = ANY({p}))")
                };
                if *negated {
                    format!("(NOT {hit})")
                } else {
                    hit
                }
            }
            // Ordered fields (severity, camera_id, created_at) are NOT NULL.
            Test::Compare { op, value } => {
                let p = match value {
                    Scalar::Int(n) => self.bind(Bind::Int8(*n)),
                    Scalar::Time(t) => self.bind(Bind::Timestamp(*t)),
                    // Severities are few: the test is the set it selects.
                    Scalar::Text(pivot) => {
                        let set: Vec<String> = severities(*op, pivot)
                            .iter()
                            .map(|s| s.as_str().to_owned())
                            .collect();
                        let p = self.bind(Bind::TextArray(set));
                        return format!("({column} = ANY({p}))");
                    }
                    // The parser allows no other ordered column value.
                    _ => return "FALSE".to_owned(),
                };
                format!("({column} {} {p})", sql_op(*op))
            }
        }
    }

    /// A condition on an `alert_data` path: the value's JSON type is tested before its text
    /// is cast (a CASE, so the cast never sees another type).
    fn json_condition_sql(&mut self, path: &[String], test: &Test) -> String {
        let p = self.bind(Bind::TextArray(path.to_vec()));
        let kind = format!("jsonb_typeof(alert_data #> {p})");
        let text = format!("(alert_data #>> {p})");
        match test {
            Test::Absent { negated } => {
                let absent = format!("(COALESCE({kind}, 'null') = 'null')");
                if *negated {
                    format!("(NOT {absent})")
                } else {
                    absent
                }
            }
            Test::In { values, negated } => {
                let (mut texts, mut numbers, mut bools) = (Vec::new(), Vec::new(), Vec::new());
                for v in values {
                    match v {
                        Scalar::Text(s) => texts.push(s.clone()),
                        Scalar::Number(n) => numbers.push(*n),
                        Scalar::Bool(b) => bools.push(*b),
                        _ => {}
                    }
                }
                let mut parts = Vec::new();
                if !texts.is_empty() {
                    let q = self.bind(Bind::TextArray(texts));
                    parts.push(format!(
                        "CASE WHEN {kind} = 'string' THEN {text} = ANY({q}) ELSE false END"
                    ));
                }
                if !numbers.is_empty() {
                    let q = self.bind(Bind::Float8Array(numbers));
                    parts.push(format!(
                        "CASE WHEN {kind} = 'number' THEN {text}::float8 = ANY({q}) ELSE false END"
                    ));
                }
                if !bools.is_empty() {
                    let q = self.bind(Bind::BoolArray(bools));
                    parts.push(format!(
                        "CASE WHEN {kind} = 'boolean' THEN {text}::boolean = ANY({q}) ELSE false END"
                    ));
                }
                let hit = if parts.is_empty() {
                    "FALSE".to_owned()
                } else {
                    format!("({})", parts.join(" OR "))
                };
                if *negated {
                    format!("(NOT {hit})")
                } else {
                    hit
                }
            }
            Test::Compare { op, value } => match value {
                Scalar::Number(n) => {
                    let q = self.bind(Bind::Float8(*n));
                    format!(
                        "CASE WHEN {kind} = 'number' THEN {text}::float8 {} {q} ELSE false END",
                        sql_op(*op)
                    )
                }
                _ => "FALSE".to_owned(),
            },
        }
    }

    /// `column = $n` for one value, `column = ANY($n)` for several, nothing for none.
    fn one_of(&mut self, column: &str, mut values: Vec<String>) -> Option<String> {
        match values.len() {
            0 => None,
            1 => {
                let p = self.bind(Bind::Text(values.remove(0)));
                Some(format!("{column} = {p}"))
            }
            _ => {
                let p = self.bind(Bind::TextArray(values));
                Some(format!("{column} = ANY({p})"))
            }
        }
    }

    /// `WHERE ...`, or nothing when there is no condition.
    pub(crate) fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// `sql` with this filter's values bound in order.
    pub(crate) fn query(self, sql: String) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
        let mut query = diesel::sql_query(sql).into_boxed::<Pg>();
        for value in self.binds {
            query = match value {
                Bind::Text(v) => query.bind::<Text, _>(v),
                Bind::TextArray(v) => query.bind::<Array<Text>, _>(v),
                Bind::Int8(v) => query.bind::<BigInt, _>(v),
                Bind::Int8Array(v) => query.bind::<Array<BigInt>, _>(v),
                Bind::Uuid(v) => query.bind::<diesel::sql_types::Uuid, _>(v),
                Bind::UuidArray(v) => query.bind::<Array<diesel::sql_types::Uuid>, _>(v),
                Bind::Timestamp(v) => query.bind::<Timestamptz, _>(v),
                Bind::TimestampArray(v) => query.bind::<Array<Timestamptz>, _>(v),
                Bind::Float8(v) => query.bind::<Double, _>(v),
                Bind::Float8Array(v) => query.bind::<Array<Double>, _>(v),
                Bind::BoolArray(v) => query.bind::<Array<Bool>, _>(v),
            };
        }
        query
    }
}
