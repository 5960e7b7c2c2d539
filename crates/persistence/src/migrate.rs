//! Embedded migrations, run under a PostgreSQL advisory lock so that several instances
//! starting at once never migrate concurrently: the first migrates, the others wait and
//! then find nothing pending.

use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::sql_types::Bool;
use diesel::{Connection, ConnectionError, RunQueryDsl};
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The SQL files of `migrations/` at the workspace root, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Key of the advisory lock held while migrating ("tickets" in ASCII).
const MIGRATION_LOCK: i64 = 0x0074_6963_6b65_7473;

/// How often an instance waiting for another's migration asks for the lock again.
const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("cannot connect to the database to migrate it")]
    Connect(#[from] ConnectionError),
    #[error("migration failed: {0}")]
    Migrate(String),
    #[error("the migration thread panicked")]
    Panicked,
    #[error(
        "INVALID indexes (a CREATE INDEX CONCURRENTLY was interrupted): {}; drop each with \
         DROP INDEX CONCURRENTLY and start again: its migration, not recorded as applied, \
         builds it anew (docs/OPERATIONS.md, Migrations)",
        .0.join(", ")
    )]
    InvalidIndexes(Vec<String>),
}

/// Indexes an interrupted `CREATE INDEX CONCURRENTLY` left behind. `IF NOT EXISTS` would
/// take one for done, the migration would be recorded, and the next one would drop the
/// plain index it replaces; refusing to migrate makes it noticed first.
const INVALID_INDEXES_SQL: &str = "\
    SELECT i.indexrelid::regclass::text AS name FROM pg_index i \
    JOIN pg_class c ON c.oid = i.indexrelid \
    WHERE NOT i.indisvalid AND c.relnamespace = current_schema()::regnamespace \
    ORDER BY 1";

#[derive(diesel::QueryableByName)]
struct IndexName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// Applies every pending migration; returns the versions applied.
pub async fn run_pending(database_url: &str) -> Result<Vec<String>, MigrationError> {
    let url = database_url.to_owned();
    // diesel_migrations is synchronous. The wrapper blocks on its own runtime, which must not
    // be nested in the caller's: run it on a plain thread with none.
    let worker = std::thread::spawn(move || migrate_blocking(&url));
    tokio::task::spawn_blocking(move || worker.join())
        .await
        .map_err(|_| MigrationError::Panicked)?
        .map_err(|_| MigrationError::Panicked)?
}

fn migrate_blocking(url: &str) -> Result<Vec<String>, MigrationError> {
    let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(url)?;
    let failed = |e: &dyn std::fmt::Display| MigrationError::Migrate(e.to_string());
    // Polled, not waited for: a backend blocked in `pg_advisory_lock` holds a snapshot, and
    // `CREATE INDEX CONCURRENTLY` in the holder's migration waits for every older snapshot
    // to go, so the two would deadlock (and PostgreSQL would abort one of them).
    loop {
        let locked: bool = diesel::select(sql::<Bool>(&format!(
            "pg_try_advisory_lock({MIGRATION_LOCK})"
        )))
        .get_result(&mut conn)
        .map_err(|e| failed(&e))?;
        if locked {
            break;
        }
        std::thread::sleep(LOCK_POLL);
    }
    // Checked under the lock (no migration of ours is building an index now) and before
    // migrating, so that a migration dropping the index a broken one replaces never runs.
    let applied = diesel::sql_query(INVALID_INDEXES_SQL)
        .load::<IndexName>(&mut conn)
        .map_err(|e| failed(&e))
        .and_then(|invalid| match invalid.is_empty() {
            true => Ok(()),
            false => Err(MigrationError::InvalidIndexes(
                invalid.into_iter().map(|i| i.name).collect(),
            )),
        })
        .and_then(|()| {
            conn.run_pending_migrations(MIGRATIONS)
                .map(|versions| versions.iter().map(ToString::to_string).collect())
                .map_err(|e| failed(&*e))
        });
    // Closing the connection releases the lock too; unlock explicitly all the same.
    let _ = conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
    applied
}
