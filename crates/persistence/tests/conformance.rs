//! The port conformance suite of `ticket_domain::conformance`, run against the PostgreSQL
//! adapters: each behaviour is one test, on a private database of its own.

use ticket_persistence::test_db::TestDatabase;
use ticket_persistence::{PgOrganizations, PgOutbox, PgTicketRepository, PoolSettings, build_pool};

/// The three adapters over one pool of a fresh database, which lives as long as the test.
async fn store() -> (PgTicketRepository, PgOutbox, PgOrganizations, TestDatabase) {
    let db = TestDatabase::new().await;
    let pool = build_pool(&db.url(), &PoolSettings::default())
        .unwrap_or_else(|e| panic!("a pool for the test database: {e}"));
    (
        PgTicketRepository::new(pool.clone()),
        PgOutbox::new(pool.clone()),
        PgOrganizations::new(pool),
        db,
    )
}

ticket_domain::conformance_tests!(store());
