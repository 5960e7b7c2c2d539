//! Every migration reverts and re-applies cleanly (the `down.sql` files are kept honest),
//! and running the migrations again is a no-op.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::MigrationHarness;
use ticket_persistence::migrate::MIGRATIONS;
use ticket_persistence::test_db::TestDatabase;

fn tables(conn: &mut AsyncConnectionWrapper<AsyncPgConnection>) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(
        "SELECT count(*) AS n FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .get_result::<Count>(conn)
    .unwrap()
    .n
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_revert_and_reapply() {
    let db = TestDatabase::new().await;
    let url = db.url();
    // The sync harness blocks on a runtime of its own: run it on a plain thread.
    std::thread::spawn(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url).unwrap();
        let migrated = tables(&mut conn);
        assert!(migrated > 0, "the template is migrated");
        let reverted = conn.revert_all_migrations(MIGRATIONS).unwrap().len();
        assert!(reverted > 0);
        assert_eq!(tables(&mut conn), 0, "down.sql leaves nothing behind");
        conn.batch_execute("SELECT 1").unwrap();
        let applied = conn.run_pending_migrations(MIGRATIONS).unwrap().len();
        assert_eq!(applied, reverted);
        assert_eq!(
            tables(&mut conn),
            migrated,
            "re-applying restores every table"
        );
        assert!(conn.run_pending_migrations(MIGRATIONS).unwrap().is_empty());
    })
    .join()
    .unwrap();
    let again = ticket_persistence::run_pending(&db.url()).await.unwrap();
    assert!(
        again.is_empty(),
        "migrating twice applies nothing: {again:?}"
    );
}

/// Runs `sql` on `db` over a connection of its own.
async fn execute(db: &TestDatabase, sql: &str) {
    use diesel_async::{AsyncConnection, SimpleAsyncConnection};
    let mut conn = AsyncPgConnection::establish(&db.url()).await.unwrap();
    conn.batch_execute(sql).await.unwrap();
}

/// An index left INVALID by an interrupted `CREATE INDEX CONCURRENTLY` stops the start-up
/// with its name, instead of being taken for done; dropping it is the repair.
#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_index_is_refused_by_name() {
    let db = TestDatabase::new().await;
    // What an interrupted build leaves (the tests run as a superuser).
    execute(
        &db,
        "UPDATE pg_index SET indisvalid = false \
         WHERE indexrelid = 'tickets_org_camera_created_cov_idx'::regclass",
    )
    .await;
    let error = ticket_persistence::run_pending(&db.url())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ticket_persistence::MigrationError::InvalidIndexes(names)
            if names == &["tickets_org_camera_created_cov_idx".to_owned()]),
        "{error}"
    );
    assert!(error.to_string().contains("DROP INDEX CONCURRENTLY"));

    execute(
        &db,
        "DROP INDEX CONCURRENTLY tickets_org_camera_created_cov_idx",
    )
    .await;
    ticket_persistence::run_pending(&db.url()).await.unwrap();
}
