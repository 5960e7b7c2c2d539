//! Connection pool and database bootstrap.

use std::time::Duration;

use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

/// The pool type the adapters share.
pub type PgPool = Pool<AsyncPgConnection>;

/// The database role a pool's connections act as (`SET ROLE` once, when each opens), so
/// row-level security applies to them: the DATABASE_URL user owns the schema and sees
/// every row; these roles never do (migration 000032).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbRole {
    /// Requests: the rows of the organization each transaction names, and none without.
    App,
    /// Background work across organizations: breach monitor, outbox dispatcher, retention.
    Worker,
}

impl DbRole {
    fn set_role_sql(self) -> &'static str {
        match self {
            DbRole::App => "SET ROLE ticket_app",
            DbRole::Worker => "SET ROLE ticket_worker",
        }
    }
}

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_size: usize,
    /// The role connections switch to; `None` keeps the DATABASE_URL user (tools, tests
    /// of the SQL itself).
    pub role: Option<DbRole>,
    /// How long a request waits for a free connection before it gets a 503.
    pub wait_timeout: Duration,
    /// How long opening a new connection may take.
    pub connect_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 16,
            role: None,
            wait_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(3),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("DATABASE_URL has no database name: {0}")]
    NoDatabaseName(String),
    #[error("cannot connect to PostgreSQL at {url}: {source}")]
    Connect {
        url: String,
        source: diesel::ConnectionError,
    },
    #[error("cannot create database {name}: {source}")]
    Create {
        name: String,
        source: diesel::result::Error,
    },
    #[error("cannot build the connection pool: {0}")]
    Pool(String),
}

/// Builds the pool. Connections are opened lazily, so this succeeds with the database down.
pub fn build_pool(database_url: &str, settings: &PoolSettings) -> Result<PgPool, BootstrapError> {
    // `Fast` recycling skips the `SELECT 1` the default runs on every checkout (one round
    // trip per request; see docs/PERFORMANCE.md). A connection the server closed is still
    // discarded: recycling checks `is_broken`, which sees the closed socket, and a query on
    // a connection that dies in between fails as "unavailable" (503) and is then dropped.
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    if let Some(role) = settings.role {
        config.custom_setup = Box::new(move |url| {
            let url = url.to_owned();
            Box::pin(async move {
                let mut conn = AsyncPgConnection::establish(&url).await?;
                conn.batch_execute(role.set_role_sql())
                    .await
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(conn)
            })
        });
    }
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    Pool::builder(manager)
        .max_size(settings.max_size)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.connect_timeout))
        .recycle_timeout(Some(settings.connect_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| BootstrapError::Pool(e.to_string()))
}

/// Splits `postgres://.../name?opts` into the URL of the `postgres` maintenance database and
/// `name`.
fn maintenance_url(database_url: &str) -> Option<(String, String)> {
    let (base, query) = match database_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (database_url, None),
    };
    let scheme_end = base.find("://")? + 3;
    let slash = base[scheme_end..].find('/')? + scheme_end;
    let name = &base[slash + 1..];
    if name.is_empty() {
        return None;
    }
    let mut url = format!("{}/postgres", &base[..slash]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    Some((url, name.to_owned()))
}

/// Creates the database named in `database_url` if it does not exist. Safe to race: a
/// concurrent creation by another instance counts as success.
pub async fn ensure_database(database_url: &str) -> Result<bool, BootstrapError> {
    match AsyncPgConnection::establish(database_url).await {
        Ok(_) => return Ok(false),
        // PostgreSQL's error 3D000 reaches us only as text.
        Err(e) if e.to_string().contains("does not exist") => {}
        Err(source) => {
            return Err(BootstrapError::Connect {
                url: redact(database_url),
                source,
            });
        }
    }
    let (admin_url, name) = maintenance_url(database_url)
        .ok_or_else(|| BootstrapError::NoDatabaseName(redact(database_url)))?;
    let mut admin = AsyncPgConnection::establish(&admin_url)
        .await
        .map_err(|source| BootstrapError::Connect {
            url: redact(&admin_url),
            source,
        })?;
    let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
    match diesel::sql_query(sql).execute(&mut admin).await {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("already exists") =>
        {
            Ok(false)
        }
        Err(source) => Err(BootstrapError::Create { name, source }),
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    match (rest.find('@'), rest.find(':')) {
        (Some(at), Some(colon)) if colon < at => {
            format!(
                "{}{}:***{}",
                &url[..scheme_end],
                &rest[..colon],
                &rest[at..]
            )
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maintenance_url_swaps_the_database_name() {
        assert_eq!(
            maintenance_url("postgres://u:p@h:5432/tickets?sslmode=disable"),
            Some((
                "postgres://u:p@h:5432/postgres?sslmode=disable".to_owned(),
                "tickets".to_owned()
            ))
        );
        assert_eq!(maintenance_url("postgres://h:5432/"), None);
        assert_eq!(maintenance_url("postgres://h:5432"), None);
    }

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
