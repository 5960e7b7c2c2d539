//! [`AutoResolveConfigRepository`] on PostgreSQL (`auto_resolve_rules`, migration 000049),
//! under the rules every configuration object follows (see `sla_config`).

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use ticket_domain::{
    AutoResolveConfigRepository, AutoResolveRuleId, AutoResolveRuleRecord, AutoResolveRuleSpec,
    ConfigError, Filter, OrgId, Removal, RepositoryError, Status,
};
use uuid::Uuid;

use crate::error::{DbError, pool_error};
use crate::repo::set_org;
use crate::schema::{auto_resolve_rules, tickets};
use crate::sla_config::{
    PgSlaConfig, Stored, TxError, corrupt, current, name, next_position, read_in, replaceable,
    write_in,
};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = auto_resolve_rules, check_for_backend(diesel::pg::Pg))]
pub(crate) struct AutoResolveRow {
    id: Uuid,
    name: String,
    position: i32,
    filter: Option<serde_json::Value>,
    quiet_seconds: Option<i64>,
    end_event: bool,
    target_status: String,
    only_if_untouched: bool,
    version: i64,
    archived_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<AutoResolveRow> for AutoResolveRuleRecord {
    type Error = DbError;

    fn try_from(r: AutoResolveRow) -> Result<Self, DbError> {
        Ok(AutoResolveRuleRecord {
            id: AutoResolveRuleId::from_uuid(r.id),
            name: name(&r.name, r.id)?,
            position: r.position,
            filter: r
                .filter
                .map(|f| Filter::parse(&f, "filter"))
                .transpose()
                .map_err(|e| corrupt("filter of auto-resolve rule", r.id, e))?,
            quiet_period: r
                .quiet_seconds
                .map(|s| {
                    TimeDelta::try_seconds(s).ok_or_else(|| {
                        corrupt("quiet_seconds of auto-resolve rule", r.id, "out of range")
                    })
                })
                .transpose()?,
            end_event: r.end_event,
            target: Status::parse(&r.target_status, "target_status")
                .map_err(|e| corrupt("target_status of auto-resolve rule", r.id, e))?,
            only_if_untouched: r.only_if_untouched,
            version: r.version,
            archived_at: r.archived_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

impl Stored for AutoResolveRow {
    const WHAT: &'static str = "auto-resolve rule";
    fn version(&self) -> i64 {
        self.version
    }
    fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.archived_at
    }
}

fn columns() -> diesel::dsl::AsSelect<AutoResolveRow, diesel::pg::Pg> {
    AutoResolveRow::as_select()
}

/// The organization's active rules in the order they apply (for the rules cache).
pub(crate) async fn active_rules(
    c: &mut AsyncPgConnection,
    org: OrgId,
) -> Result<Vec<AutoResolveRuleRecord>, DbError> {
    let rows: Vec<AutoResolveRow> = auto_resolve_rules::table
        .filter(auto_resolve_rules::org_id.eq(org.as_uuid()))
        .filter(auto_resolve_rules::archived_at.is_null())
        .order((
            auto_resolve_rules::position,
            auto_resolve_rules::created_at,
            auto_resolve_rules::id,
        ))
        .select(columns())
        .load(c)
        .await?;
    rows.into_iter()
        .map(AutoResolveRuleRecord::try_from)
        .collect()
}

fn quiet_seconds(spec: &AutoResolveRuleSpec) -> Option<i64> {
    spec.quiet_period.map(|q| q.num_seconds())
}

#[async_trait]
impl AutoResolveConfigRepository for PgSlaConfig {
    async fn auto_resolve_rules(
        &self,
        org: OrgId,
        include_archived: bool,
    ) -> Result<Vec<AutoResolveRuleRecord>, RepositoryError> {
        let rows: Vec<AutoResolveRow> = read_in!(self, org, |c| {
            let mut query = auto_resolve_rules::table
                .filter(auto_resolve_rules::org_id.eq(org.as_uuid()))
                .select(columns())
                .order((
                    auto_resolve_rules::archived_at.is_not_null(),
                    auto_resolve_rules::position,
                    auto_resolve_rules::created_at,
                    auto_resolve_rules::id,
                ))
                .into_boxed();
            if !include_archived {
                query = query.filter(auto_resolve_rules::archived_at.is_null());
            }
            Ok(query.load(c).await?)
        })?;
        Ok(rows
            .into_iter()
            .map(AutoResolveRuleRecord::try_from)
            .collect::<Result<_, _>>()?)
    }

    async fn auto_resolve_rule(
        &self,
        org: OrgId,
        id: AutoResolveRuleId,
    ) -> Result<Option<AutoResolveRuleRecord>, RepositoryError> {
        let row: Option<AutoResolveRow> = read_in!(self, org, |c| {
            Ok(auto_resolve_rules::table
                .find((org.as_uuid(), id.as_uuid()))
                .select(columns())
                .first(c)
                .await
                .optional()?)
        })?;
        Ok(row.map(AutoResolveRuleRecord::try_from).transpose()?)
    }

    async fn create_auto_resolve_rule(
        &self,
        org: OrgId,
        spec: &AutoResolveRuleSpec,
        now: DateTime<Utc>,
    ) -> Result<AutoResolveRuleRecord, ConfigError> {
        let row: AutoResolveRow = write_in!(self, org, |c| {
            let position = match spec.position {
                Some(p) => p,
                None => next_position!(c, auto_resolve_rules, org),
            };
            Ok(diesel::insert_into(auto_resolve_rules::table)
                .values((
                    auto_resolve_rules::org_id.eq(org.as_uuid()),
                    auto_resolve_rules::id.eq(Uuid::now_v7()),
                    auto_resolve_rules::name.eq(spec.name.as_str()),
                    auto_resolve_rules::position.eq(position),
                    auto_resolve_rules::filter.eq(spec.filter.as_ref().map(Filter::to_json)),
                    auto_resolve_rules::quiet_seconds.eq(quiet_seconds(spec)),
                    auto_resolve_rules::end_event.eq(spec.end_event),
                    auto_resolve_rules::target_status.eq(spec.target.as_str()),
                    auto_resolve_rules::only_if_untouched.eq(spec.only_if_untouched),
                    auto_resolve_rules::created_at.eq(now),
                    auto_resolve_rules::updated_at.eq(now),
                ))
                .returning(columns())
                .get_result(c)
                .await?)
        })?;
        Ok(AutoResolveRuleRecord::try_from(row).map_err(RepositoryError::from)?)
    }

    async fn replace_auto_resolve_rule(
        &self,
        org: OrgId,
        id: AutoResolveRuleId,
        spec: &AutoResolveRuleSpec,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<AutoResolveRuleRecord, ConfigError> {
        let key = (org.as_uuid(), id.as_uuid());
        let row: AutoResolveRow = write_in!(self, org, |c| {
            let found = auto_resolve_rules::table
                .find(key)
                .select(columns())
                .for_update()
                .first(c)
                .await
                .optional()?;
            let found = replaceable(found, expected_version)?;
            // A replacement without a position keeps the rule where it is.
            let position = spec.position.unwrap_or(found.position);
            Ok(diesel::update(auto_resolve_rules::table.find(key))
                .set((
                    auto_resolve_rules::name.eq(spec.name.as_str()),
                    auto_resolve_rules::position.eq(position),
                    auto_resolve_rules::filter.eq(spec.filter.as_ref().map(Filter::to_json)),
                    auto_resolve_rules::quiet_seconds.eq(quiet_seconds(spec)),
                    auto_resolve_rules::end_event.eq(spec.end_event),
                    auto_resolve_rules::target_status.eq(spec.target.as_str()),
                    auto_resolve_rules::only_if_untouched.eq(spec.only_if_untouched),
                    auto_resolve_rules::version.eq(auto_resolve_rules::version + 1),
                    auto_resolve_rules::updated_at.eq(now),
                ))
                .returning(columns())
                .get_result(c)
                .await?)
        })?;
        Ok(AutoResolveRuleRecord::try_from(row).map_err(RepositoryError::from)?)
    }

    async fn remove_auto_resolve_rule(
        &self,
        org: OrgId,
        id: AutoResolveRuleId,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Removal<AutoResolveRuleRecord>, ConfigError> {
        let key = (org.as_uuid(), id.as_uuid());
        let removal: Removal<AutoResolveRow> = write_in!(self, org, |c| {
            let found: Option<AutoResolveRow> = auto_resolve_rules::table
                .find(key)
                .select(columns())
                .for_update()
                .first(c)
                .await
                .optional()?;
            let found = current(found, expected_version)?;
            if found.archived_at.is_some() {
                return Ok(Removal::Archived(found));
            }
            // Served by tickets_auto_resolve_rule_idx (000051): spelt as the index's
            // expression, the key a constant.
            let referenced: bool = diesel::select(exists(
                tickets::table
                    .filter(tickets::org_id.eq(org.as_uuid()))
                    .filter(tickets::auto_resolve.is_not_null())
                    .filter(
                        diesel::dsl::sql::<diesel::sql_types::Bool>(
                            "auto_resolve ->> 'rule_id' = ",
                        )
                        .bind::<diesel::sql_types::Text, _>(id.as_uuid().to_string()),
                    ),
            ))
            .get_result(c)
            .await?;
            if referenced {
                let archived = diesel::update(auto_resolve_rules::table.find(key))
                    .set((
                        auto_resolve_rules::archived_at.eq(now),
                        auto_resolve_rules::version.eq(auto_resolve_rules::version + 1),
                        auto_resolve_rules::updated_at.eq(now),
                    ))
                    .returning(columns())
                    .get_result(c)
                    .await?;
                return Ok(Removal::Archived(archived));
            }
            diesel::delete(auto_resolve_rules::table.find(key))
                .execute(c)
                .await?;
            Ok(Removal::Deleted)
        })?;
        Ok(removal
            .try_map(AutoResolveRuleRecord::try_from)
            .map_err(RepositoryError::from)?)
    }
}
