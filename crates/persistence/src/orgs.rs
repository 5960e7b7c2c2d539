//! [`OrganizationRepository`] on PostgreSQL: the `organizations` table.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use ticket_domain::{
    OrgId, OrgRef, OrgSlug, Organization, OrganizationRepository, RepositoryError,
};
use uuid::Uuid;

use crate::error::{DbError, pool_error};
use crate::pool::PgPool;
use crate::repo::set_org;
use crate::schema::organizations;
use crate::sla_config::PgSlaConfig;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = organizations, check_for_backend(diesel::pg::Pg))]
struct OrganizationRow {
    id: Uuid,
    slug: String,
    name: String,
    settings: serde_json::Value,
    created_at: DateTime<Utc>,
}

impl TryFrom<OrganizationRow> for Organization {
    type Error = DbError;

    fn try_from(r: OrganizationRow) -> Result<Self, DbError> {
        Ok(Organization {
            id: OrgId::from_uuid(r.id),
            slug: OrgSlug::parse(&r.slug, "slug").map_err(|e| DbError::Corrupt(e.to_string()))?,
            name: r.name,
            settings: r.settings,
            created_at: r.created_at,
        })
    }
}

#[derive(Debug, QueryableByName)]
struct Provisioned {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// The PostgreSQL organizations. Cheap to clone: the pool and a shared cache of the
/// slug → id mapping, which never changes once an organization exists.
#[derive(Clone)]
pub struct PgOrganizations {
    pool: PgPool,
    ids: Arc<RwLock<HashMap<OrgRef, OrgId>>>,
    /// The rules cache that holds what the settings say (flapping), dropped on a write so
    /// this instance's next alert sees it.
    rules: Option<PgSlaConfig>,
}

impl std::fmt::Debug for PgOrganizations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOrganizations").finish_non_exhaustive()
    }
}

impl PgOrganizations {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            ids: Arc::default(),
            rules: None,
        }
    }

    /// These organizations, dropping `rules`' cached copy of an organization's settings
    /// when they change.
    pub fn with_rules_cache(mut self, rules: PgSlaConfig) -> Self {
        self.rules = Some(rules);
        self
    }

    fn cached(&self, org: &OrgRef) -> Option<OrgId> {
        let ids = self.ids.read().unwrap_or_else(PoisonError::into_inner);
        ids.get(org).copied()
    }

    fn remember(&self, org: &OrgRef, id: OrgId) {
        let mut ids = self.ids.write().unwrap_or_else(PoisonError::into_inner);
        ids.insert(org.clone(), id);
    }
}

#[async_trait]
impl OrganizationRepository for PgOrganizations {
    async fn resolve(&self, org: &OrgRef) -> Result<Option<OrgId>, RepositoryError> {
        if let Some(id) = self.cached(org) {
            return Ok(Some(id));
        }
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let id = match org {
            // An id must exist; row-level security shows the row only to its own
            // organization, so the lookup names it.
            OrgRef::Id(id) => {
                let id = *id;
                conn.build_transaction()
                    .read_only()
                    .run(async |c| {
                        let (scoped, found) = tokio::join!(
                            set_org(c, id),
                            organizations::table
                                .find(id.as_uuid())
                                .select(organizations::id)
                                .first::<Uuid>(&mut &*c)
                        );
                        scoped?;
                        Ok::<_, DbError>(found.optional()?.map(OrgId::from_uuid))
                    })
                    .await?
            }
            // Provisioned once, whatever the races: the function inserts or finds it.
            OrgRef::Slug(slug) => {
                let row: Provisioned =
                    diesel::sql_query("SELECT provision_organization($1, $2, $2) AS id")
                        .bind::<SqlUuid, _>(Uuid::now_v7())
                        .bind::<Text, _>(slug.as_str())
                        .get_result(&mut conn)
                        .await
                        .map_err(DbError::from)?;
                Some(OrgId::from_uuid(row.id))
            }
        };
        if let Some(id) = id {
            self.remember(org, id);
        }
        Ok(id)
    }

    async fn get(&self, org: OrgId) -> Result<Option<Organization>, RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let row = conn
            .build_transaction()
            .read_only()
            .run(async |c| {
                let (scoped, row) = tokio::join!(
                    set_org(c, org),
                    organizations::table
                        .find(org.as_uuid())
                        .select(OrganizationRow::as_select())
                        .first::<OrganizationRow>(&mut &*c)
                );
                scoped?;
                Ok::<_, DbError>(row.optional()?)
            })
            .await?;
        Ok(row.map(Organization::try_from).transpose()?)
    }

    async fn update(
        &self,
        org: OrgId,
        name: Option<String>,
        settings: Option<serde_json::Value>,
    ) -> Result<Option<Organization>, RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let row = conn
            .transaction(async |c| {
                let current = organizations::table
                    .find(org.as_uuid())
                    .select(OrganizationRow::as_select());
                let (scoped, row) = match (name, settings) {
                    (None, None) => tokio::join!(set_org(c, org), current.first(&mut &**c)),
                    (name, settings) => tokio::join!(
                        set_org(c, org),
                        diesel::update(organizations::table.find(org.as_uuid()))
                            .set((
                                name.map(|n| organizations::name.eq(n)),
                                settings.map(|s| organizations::settings.eq(s)),
                            ))
                            .returning(OrganizationRow::as_returning())
                            .get_result(&mut &**c)
                    ),
                };
                scoped?;
                Ok::<_, DbError>(row.optional()?)
            })
            .await?;
        if let Some(rules) = &self.rules {
            rules.forget(org);
        }
        Ok(row.map(Organization::try_from).transpose()?)
    }
}
