//! [`SuppressionWindowRepository`] on PostgreSQL (`suppression_windows`, migration
//! 000055), under the rules every configuration object follows (see `sla_config`). A
//! window is stored as its spec's parts and read back through
//! [`WindowSpec::parse`], so a row that no longer parses is reported, not used.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::{Value, json};
use ticket_domain::suppression::{WindowRecord, WindowSpec};
use ticket_domain::{
    ConfigError, Filter, OrgId, RepositoryError, SuppressionWindowId, SuppressionWindowRepository,
};
use uuid::Uuid;

use crate::error::{DbError, pool_error};
use crate::repo::set_org;
use crate::schema::suppression_windows;
use crate::sla_config::{PgSlaConfig, Stored, TxError, corrupt, current, read_in, write_in};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = suppression_windows, check_for_backend(diesel::pg::Pg))]
pub(crate) struct WindowRow {
    id: Uuid,
    reason: String,
    filter: Option<Value>,
    mode: String,
    starts_at: DateTime<Utc>,
    duration_seconds: i64,
    rrule: Option<String>,
    time_zone: Option<String>,
    created_by: String,
    cancelled_at: Option<DateTime<Utc>>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<WindowRow> for WindowRecord {
    type Error = DbError;

    fn try_from(r: WindowRow) -> Result<Self, DbError> {
        let mut body = json!({
            "reason": r.reason,
            "filter": r.filter,
            "mode": r.mode,
            "starts_at": r.starts_at,
            "duration": r.duration_seconds,
        });
        if let (Some(rrule), Some(time_zone)) = (&r.rrule, &r.time_zone) {
            body["recurrence"] = json!({"rrule": rrule, "time_zone": time_zone});
        }
        let spec = body
            .as_object()
            .map(WindowSpec::parse)
            .unwrap_or_else(|| unreachable!("a json! object"))
            .map_err(|e| corrupt("suppression window", r.id, e))?;
        Ok(WindowRecord {
            id: SuppressionWindowId::from_uuid(r.id),
            spec,
            created_by: r.created_by,
            cancelled_at: r.cancelled_at,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

impl Stored for WindowRow {
    const WHAT: &'static str = "suppression window";
    fn version(&self) -> i64 {
        self.version
    }
    fn archived_at(&self) -> Option<DateTime<Utc>> {
        None
    }
}

fn columns() -> diesel::dsl::AsSelect<WindowRow, diesel::pg::Pg> {
    WindowRow::as_select()
}

#[async_trait]
impl SuppressionWindowRepository for PgSlaConfig {
    async fn suppression_windows(&self, org: OrgId) -> Result<Vec<WindowRecord>, RepositoryError> {
        let rows: Vec<WindowRow> = read_in!(self, org, |c| {
            Ok(suppression_windows::table
                .filter(suppression_windows::org_id.eq(org.as_uuid()))
                .order((
                    suppression_windows::created_at.desc(),
                    suppression_windows::id.desc(),
                ))
                .select(columns())
                .load(c)
                .await?)
        })?;
        Ok(rows
            .into_iter()
            .map(WindowRecord::try_from)
            .collect::<Result<_, _>>()?)
    }

    async fn suppression_window(
        &self,
        org: OrgId,
        id: SuppressionWindowId,
    ) -> Result<Option<WindowRecord>, RepositoryError> {
        let row: Option<WindowRow> = read_in!(self, org, |c| {
            Ok(suppression_windows::table
                .find((org.as_uuid(), id.as_uuid()))
                .select(columns())
                .first(c)
                .await
                .optional()?)
        })?;
        Ok(row.map(WindowRecord::try_from).transpose()?)
    }

    async fn create_suppression_window(
        &self,
        org: OrgId,
        spec: &WindowSpec,
        created_by: &str,
        now: DateTime<Utc>,
    ) -> Result<WindowRecord, ConfigError> {
        let row: WindowRow = write_in!(self, org, |c| {
            Ok(diesel::insert_into(suppression_windows::table)
                .values((
                    suppression_windows::org_id.eq(org.as_uuid()),
                    suppression_windows::id.eq(Uuid::now_v7()),
                    suppression_windows::reason.eq(spec.reason.as_str()),
                    suppression_windows::filter.eq(spec.filter.as_ref().map(Filter::to_json)),
                    suppression_windows::mode.eq(spec.mode.as_str()),
                    suppression_windows::starts_at.eq(spec.starts_at),
                    suppression_windows::duration_seconds.eq(spec.duration.num_seconds()),
                    suppression_windows::rrule
                        .eq(spec.recurrence.as_ref().map(|r| r.rrule.as_str())),
                    suppression_windows::time_zone
                        .eq(spec.recurrence.as_ref().map(|r| r.time_zone.name())),
                    suppression_windows::created_by.eq(created_by),
                    suppression_windows::created_at.eq(now),
                    suppression_windows::updated_at.eq(now),
                ))
                .returning(columns())
                .get_result(c)
                .await?)
        })?;
        Ok(WindowRecord::try_from(row).map_err(RepositoryError::from)?)
    }

    async fn cancel_suppression_window(
        &self,
        org: OrgId,
        id: SuppressionWindowId,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<WindowRecord, ConfigError> {
        let key = (org.as_uuid(), id.as_uuid());
        let row: WindowRow = write_in!(self, org, |c| {
            let found: Option<WindowRow> = suppression_windows::table
                .find(key)
                .select(columns())
                .for_update()
                .first(c)
                .await
                .optional()?;
            let found = current(found, expected_version)?;
            if found.cancelled_at.is_some() {
                return Ok(found);
            }
            Ok(diesel::update(suppression_windows::table.find(key))
                .set((
                    suppression_windows::cancelled_at.eq(now),
                    suppression_windows::version.eq(suppression_windows::version + 1),
                    suppression_windows::updated_at.eq(now),
                ))
                .returning(columns())
                .get_result(c)
                .await?)
        })?;
        Ok(WindowRecord::try_from(row).map_err(RepositoryError::from)?)
    }
}
