//! [`OrganizationRepository`] on PostgreSQL: the `organizations` table.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use ticket_domain::{
    OrgId, OrgRef, OrgSlug, Organization, OrganizationRepository, RepositoryError,
};
use uuid::Uuid;

use crate::error::{DbError, pool_error};
use crate::pool::PgPool;
use crate::schema::organizations;

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
        }
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
            OrgRef::Id(id) => organizations::table
                .find(id.as_uuid())
                .select(organizations::id)
                .first::<Uuid>(&mut conn)
                .await
                .optional()
                .map_err(DbError::from)?
                .map(OrgId::from_uuid),
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
        let row = organizations::table
            .find(org.as_uuid())
            .select(OrganizationRow::as_select())
            .first::<OrganizationRow>(&mut conn)
            .await
            .optional()
            .map_err(DbError::from)?;
        Ok(row.map(Organization::try_from).transpose()?)
    }

    async fn update(
        &self,
        org: OrgId,
        name: Option<String>,
        settings: Option<serde_json::Value>,
    ) -> Result<Option<Organization>, RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let current = organizations::table
            .find(org.as_uuid())
            .select(OrganizationRow::as_select());
        let row = match (name, settings) {
            (None, None) => current.first(&mut conn).await,
            (name, settings) => {
                diesel::update(organizations::table.find(org.as_uuid()))
                    .set((
                        name.map(|n| organizations::name.eq(n)),
                        settings.map(|s| organizations::settings.eq(s)),
                    ))
                    .returning(OrganizationRow::as_returning())
                    .get_result(&mut conn)
                    .await
            }
        }
        .optional()
        .map_err(DbError::from)?;
        Ok(row.map(Organization::try_from).transpose()?)
    }
}
