//! One SQL rendering of [`TicketFilter`], shared by the list and the statistics so both
//! count exactly the same tickets.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, BigInt, Text, Timestamptz};
use ticket_domain::{Severity, Status, TicketFilter};
use uuid::Uuid;

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Text(String),
    TextArray(Vec<String>),
    Int8(i64),
    Uuid(Uuid),
    Timestamp(DateTime<Utc>),
}

/// SQL conditions joined by AND, with their bind values in placeholder order.
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

/// Whether either SLA target is breached at the bound time `now`: an event after its due
/// time, or no event and the due time passed. Never NULL.
pub(crate) fn breached_sql(now: &str) -> String {
    format!(
        "(COALESCE(first_responded_at > first_response_due_at, first_response_due_at < {now}) \
         OR COALESCE(resolved_at > resolution_due_at, resolution_due_at < {now}))"
    )
}

impl Conditions {
    /// Adds a bind value and returns its placeholder.
    pub(crate) fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    pub(crate) fn push(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    /// The filter's conditions; `now` decides `sla_breached`.
    pub(crate) fn from_filter(filter: &TicketFilter, now: DateTime<Utc>) -> Self {
        let mut c = Conditions::default();
        if !filter.statuses.is_empty() {
            let names = filter
                .statuses
                .iter()
                .map(|s| Status::as_str(*s).to_owned());
            let p = c.bind(Bind::TextArray(names.collect()));
            c.push(format!("status = ANY({p})"));
        }
        if !filter.severities.is_empty() {
            let names = filter
                .severities
                .iter()
                .map(|s| Severity::as_str(*s).to_owned());
            let p = c.bind(Bind::TextArray(names.collect()));
            c.push(format!("severity = ANY({p})"));
        }
        if let Some(camera) = filter.camera_id {
            let p = c.bind(Bind::Int8(camera.0));
            c.push(format!("camera_id = {p}"));
        }
        if let Some(provider) = filter.provider_id {
            let p = c.bind(Bind::Uuid(provider.0));
            c.push(format!("provider_id = {p}"));
        }
        if let Some(assignee) = &filter.assignee_id {
            let p = c.bind(Bind::Text(assignee.as_str().to_owned()));
            c.push(format!("assignee_id = {p}"));
        }
        if let Some(from) = filter.created_from {
            let p = c.bind(Bind::Timestamp(from));
            c.push(format!("created_at >= {p}"));
        }
        if let Some(to) = filter.created_to {
            let p = c.bind(Bind::Timestamp(to));
            c.push(format!("created_at <= {p}"));
        }
        if let Some(breached) = filter.sla_breached {
            let p = c.bind(Bind::Timestamp(now));
            let expr = breached_sql(&p);
            c.push(if breached {
                expr
            } else {
                format!("NOT {expr}")
            });
        }
        c
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
                Bind::Uuid(v) => query.bind::<diesel::sql_types::Uuid, _>(v),
                Bind::Timestamp(v) => query.bind::<Timestamptz, _>(v),
            };
        }
        query
    }
}
