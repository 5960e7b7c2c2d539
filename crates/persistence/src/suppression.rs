//! [`SuppressionWindowRepository`] on PostgreSQL (`suppression_windows`, migration
//! 000055), under the rules every configuration object follows (see `sla_config`). A
//! window is stored as its spec's parts and read back through
//! [`WindowSpec::parse`], so a row that no longer parses is reported, not used.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::{Value, json};
use std::collections::HashMap;

use ticket_domain::suppression::{DroppedAlert, WindowRecord, WindowSpec, WindowState, Windows};
use ticket_domain::{
    ConfigError, Filter, OrgId, RepositoryError, SuppressionWindowId, SuppressionWindowRepository,
};
use uuid::Uuid;

use crate::error::{DbError, pool_error};
use crate::repo::set_org;
use crate::rows::DroppedAlertRow;
use crate::schema::{dropped_alerts, suppression_windows};
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
            dropped_alerts: 0,
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

async fn dropped_count(
    c: &mut diesel_async::AsyncPgConnection,
    org: OrgId,
    id: SuppressionWindowId,
) -> Result<i64, DbError> {
    Ok(dropped_alerts::table
        .filter(dropped_alerts::org_id.eq(org.as_uuid()))
        .filter(dropped_alerts::window_id.eq(id.as_uuid()))
        .count()
        .get_result(c)
        .await?)
}

/// The windows that may still apply at `now` (not cancelled, not over), oldest first, and
/// whether the organization has ever had a `drop` window: for the rules cache.
pub(crate) async fn live_windows(
    c: &mut diesel_async::AsyncPgConnection,
    org: OrgId,
    now: DateTime<Utc>,
) -> Result<Windows, DbError> {
    let rows: Vec<WindowRow> = suppression_windows::table
        .filter(suppression_windows::org_id.eq(org.as_uuid()))
        .filter(suppression_windows::cancelled_at.is_null())
        .order((suppression_windows::created_at, suppression_windows::id))
        .select(columns())
        .load(&mut *c)
        .await?;
    let drops: bool = diesel::select(diesel::dsl::exists(
        suppression_windows::table
            .filter(suppression_windows::org_id.eq(org.as_uuid()))
            .filter(suppression_windows::mode.eq("drop")),
    ))
    .get_result(c)
    .await?;
    let windows = rows
        .into_iter()
        .map(WindowRecord::try_from)
        .filter(|w| {
            w.as_ref()
                .map_or(true, |w| w.state(now) != WindowState::Expired)
        })
        .collect::<Result<_, _>>()?;
    Ok(Windows::new(windows, drops))
}

#[async_trait]
impl SuppressionWindowRepository for PgSlaConfig {
    async fn suppression_windows(&self, org: OrgId) -> Result<Vec<WindowRecord>, RepositoryError> {
        let (rows, counts): (Vec<WindowRow>, Vec<(Uuid, i64)>) = read_in!(self, org, |c| {
            let rows = suppression_windows::table
                .filter(suppression_windows::org_id.eq(org.as_uuid()))
                .order((
                    suppression_windows::created_at.desc(),
                    suppression_windows::id.desc(),
                ))
                .select(columns())
                .load(c)
                .await?;
            let counts = dropped_alerts::table
                .filter(dropped_alerts::org_id.eq(org.as_uuid()))
                .group_by(dropped_alerts::window_id)
                .select((dropped_alerts::window_id, diesel::dsl::count_star()))
                .load(c)
                .await?;
            Ok((rows, counts))
        })?;
        let counts: HashMap<Uuid, i64> = counts.into_iter().collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let dropped = counts.get(&r.id).copied().unwrap_or(0);
                WindowRecord::try_from(r).map(|mut w| {
                    w.dropped_alerts = dropped;
                    w
                })
            })
            .collect::<Result<_, _>>()?)
    }

    async fn suppression_window(
        &self,
        org: OrgId,
        id: SuppressionWindowId,
    ) -> Result<Option<WindowRecord>, RepositoryError> {
        let (row, dropped): (Option<WindowRow>, i64) = read_in!(self, org, |c| {
            let row = suppression_windows::table
                .find((org.as_uuid(), id.as_uuid()))
                .select(columns())
                .first(c)
                .await
                .optional()?;
            Ok((row, dropped_count(c, org, id).await?))
        })?;
        Ok(row
            .map(|r| {
                WindowRecord::try_from(r).map(|mut w| {
                    w.dropped_alerts = dropped;
                    w
                })
            })
            .transpose()?)
    }

    async fn dropped_alerts(
        &self,
        org: OrgId,
        id: SuppressionWindowId,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Option<Vec<DroppedAlert>>, RepositoryError> {
        let rows: Option<Vec<DroppedAlertRow>> = read_in!(self, org, |c| {
            let exists: Option<Uuid> = suppression_windows::table
                .find((org.as_uuid(), id.as_uuid()))
                .select(suppression_windows::id)
                .first(c)
                .await
                .optional()?;
            if exists.is_none() {
                return Ok(None);
            }
            let mut query = dropped_alerts::table
                .filter(dropped_alerts::org_id.eq(org.as_uuid()))
                .filter(dropped_alerts::window_id.eq(id.as_uuid()))
                .order(dropped_alerts::id.desc())
                .limit(limit)
                .select(DroppedAlertRow::as_select())
                .into_boxed();
            if let Some(before) = before {
                query = query.filter(dropped_alerts::id.lt(before));
            }
            Ok(Some(query.load(c).await?))
        })?;
        Ok(rows
            .map(|rows| rows.into_iter().map(DroppedAlert::try_from).collect())
            .transpose()?)
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
            // The window's silent tickets are released now: their release moves to now
            // (the ticket, so a later change keeps the timer there, and the timer itself).
            // Tickets, then their timers: the order every writer locks them in.
            diesel::sql_query(
                "WITH moved AS ( \
                   UPDATE tickets SET suppressed_until = $3, version = version + 1, \
                     updated_at = $3 \
                   WHERE org_id = $1 AND suppression_window_id = $2 AND suppressed_until > $3 \
                   RETURNING id) \
                 UPDATE ticket_timers SET due_at = $3 \
                 WHERE kind = 'release' AND ticket_id IN (SELECT id FROM moved)",
            )
            .bind::<diesel::sql_types::Uuid, _>(org.as_uuid())
            .bind::<diesel::sql_types::Uuid, _>(id.as_uuid())
            .bind::<diesel::sql_types::Timestamptz, _>(now)
            .execute(c)
            .await?;
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
        let dropped = self
            .suppression_window(org, id)
            .await?
            .map_or(0, |w| w.dropped_alerts);
        let mut window = WindowRecord::try_from(row).map_err(RepositoryError::from)?;
        window.dropped_alerts = dropped;
        Ok(window)
    }
}
