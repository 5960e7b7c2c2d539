//! Every statement of the hot write paths is prepared once per connection and then reused:
//! an uncached statement costs a round trip and a parse in PostgreSQL on every request.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeDelta, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use ticket_domain::{
    AlertData, Caller, CameraId, CommentBody, NewAlert, Organization, OutboxRepository, ProviderId,
    Role, Severity, SlaPolicy, Status, StatusChange, SystemClock, TicketRef, TicketService, Title,
    UserId, Visibility,
};
use ticket_persistence::test_db::TestDatabase;
use ticket_persistence::{PgOutbox, PgTicketRepository, PoolSettings, build_pool};
use uuid::Uuid;

#[derive(QueryableByName, Debug)]
struct Prepared {
    #[diesel(sql_type = Text)]
    statement: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn alert(camera: i64) -> NewAlert {
    NewAlert {
        title: Title::parse("Person in restricted zone", "title").unwrap(),
        description: None,
        severity: Severity::High,
        camera_id: CameraId::parse(camera, "camera_id").expect("camera"),
        provider_id: ProviderId::from_uuid(Uuid::nil()),
        alert_type: None,
        alert_data: AlertData::empty(),
        occurred_at: None,
        external_id: None,
        dedup_key: None,
    }
}

#[tokio::test]
async fn write_statements_are_prepared_once_per_connection() {
    let db = TestDatabase::new().await;
    // One connection, so every request below runs on the session inspected at the end.
    let settings = PoolSettings {
        max_size: 1,
        ..PoolSettings::default()
    };
    let pool = build_pool(&db.url(), &settings).unwrap();
    let service = TicketService::new(
        PgTicketRepository::new(pool.clone()),
        SystemClock,
        SlaPolicy::default(),
    );
    let outbox = PgOutbox::new(pool.clone());
    let actor = UserId::parse("op-1", "actor").unwrap();
    for round in 0..3 {
        every_write(&service, &outbox, &actor, round).await;
    }

    let mut conn = pool.get().await.unwrap();
    let prepared: Vec<Prepared> = diesel::sql_query(
        "SELECT statement, count(*) AS n FROM pg_prepared_statements \
         WHERE statement ~* '^\\s*(INSERT|UPDATE|WITH)' GROUP BY 1 ORDER BY 1",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let again: Vec<&str> = prepared
        .iter()
        .filter(|p| p.n > 1)
        .map(|p| p.statement.as_str())
        .collect();
    assert!(again.is_empty(), "prepared more than once: {again:?}");
    // Each distinct write of the requests is there: the check above saw them all.
    assert!(
        prepared.len() >= 10,
        "expected every write statement, found {prepared:?}"
    );

    // A newer release's migration adds columns while this one runs: the cached statements
    // name their columns, so they still run ("cached plan must not change result type").
    conn.batch_execute(
        "ALTER TABLE tickets ADD COLUMN later TEXT; \
         ALTER TABLE notification_logs ADD COLUMN later TEXT;",
    )
    .await
    .unwrap();
    drop(conn);
    every_write(&service, &outbox, &actor, 3).await;
}

/// Create, merge, status change, comment and an outbox claim: every hot write path.
async fn every_write(
    service: &TicketService<PgTicketRepository, SystemClock>,
    outbox: &PgOutbox,
    actor: &UserId,
    camera: i64,
) {
    let org = Organization::DEFAULT_ID;
    let (_, created) = service
        .ingest(org, alert(camera))
        .await
        .unwrap()
        .ticket()
        .unwrap();
    service.ingest(org, alert(camera)).await.unwrap(); // merged
    let id = TicketRef::Id(created.ticket.id());
    let change = StatusChange {
        target: Status::InProgress,
        assignee_id: None,
        reason: None,
        hold_until: None,
    };
    service
        .change_status(&supervisor(actor), id, &change, actor, None)
        .await
        .unwrap();
    let body = CommentBody::parse("on my way", "body").unwrap();
    service
        .add_comment(org, id, actor, body, Visibility::Internal, None)
        .await
        .unwrap();
    let now = Utc::now();
    let claimed = outbox
        .claim_due(now, now + TimeDelta::minutes(1), 10, 10)
        .await
        .unwrap();
    assert!(!claimed.is_empty(), "the new events are due");
}

fn supervisor(user: &UserId) -> Caller {
    Caller {
        user: Some(user.clone()),
        org: Organization::DEFAULT_ID,
        roles: vec![Role::Supervisor],
        provider: None,
    }
}
