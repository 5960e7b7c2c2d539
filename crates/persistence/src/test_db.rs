//! A private database per test (feature `test-db`), so tests run in parallel and never
//! share rows. A template database is migrated once per migration set (its name carries a
//! hash of `migrations/`), under an advisory lock shared by all test processes; each test
//! clones it with `CREATE DATABASE ... TEMPLATE`, which is much faster than migrating.
//!
//! The server is found at `TEST_DATABASE_URL`, else `postgres://postgres@localhost:5432`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// Key of the advisory lock taken while the template is checked or built.
const TEMPLATE_LOCK: i64 = 0x7469_636b_7465_7374;

/// A database that exists for the life of this value and is dropped after it.
#[derive(Debug)]
pub struct TestDatabase {
    server: String,
    name: String,
}

fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@localhost:5432".to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// A fingerprint of every file under `migrations/`, so a changed migration gets a new
/// template instead of a stale one.
fn migrations_fingerprint() -> u64 {
    fn visit(dir: &Path, files: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                visit(&path, files);
            } else if let Ok(bytes) = std::fs::read(&path) {
                files.push((path.display().to_string(), bytes));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let mut files = Vec::new();
    visit(&root, &mut files);
    files.sort();
    let mut hasher = DefaultHasher::new();
    files.hash(&mut hasher);
    hasher.finish()
}

async fn admin(server: &str) -> AsyncPgConnection {
    AsyncPgConnection::establish(&format!("{server}/postgres"))
        .await
        .unwrap_or_else(|e| panic!("test PostgreSQL at {server} is not reachable: {e}"))
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> bool {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    let row: Found =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS found")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(conn)
            .await
            .expect("query pg_database");
    row.found
}

async fn ensure_template(server: &str) -> String {
    let template = format!("ticket_test_tmpl_{:016x}", migrations_fingerprint());
    let mut conn = admin(server).await;
    diesel::sql_query(format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
        .execute(&mut conn)
        .await
        .expect("lock");
    if !database_exists(&mut conn, &template).await {
        let building = format!("{template}_build");
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
        diesel::sql_query(format!("CREATE DATABASE {building}"))
            .execute(&mut conn)
            .await
            .expect("create template");
        crate::run_pending(&format!("{server}/{building}"))
            .await
            .expect("migrate template");
        // Renamed only once complete: a template that exists is fully migrated.
        diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {template}"))
            .execute(&mut conn)
            .await
            .expect("rename template");
    }
    diesel::sql_query(format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
        .execute(&mut conn)
        .await
        .expect("unlock");
    template
}

impl TestDatabase {
    /// A fresh, fully migrated, empty database.
    pub async fn new() -> Self {
        let server = server_url();
        let template = ensure_template(&server).await;
        let name = format!("ticket_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin(&server).await;
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut conn)
            .await
            .expect("clone template");
        Self { server, name }
    }

    /// The URL of this database.
    pub fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let server = self.server.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime; do the async work on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let mut conn = admin(&server).await;
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            });
        })
        .join();
    }
}
