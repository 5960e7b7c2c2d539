//! Row-level security, checked in SQL as the service's own roles: the second lock on
//! tenancy, which holds whatever a query forgets (migration 000032).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeDelta, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use ticket_domain::{
    AlertData, AssignTo, AssignmentConfigRepository, AssignmentRuleSpec,
    AutoResolveConfigRepository, BusinessCalendar, CalendarSpec, CameraId,
    EscalationConfigRepository, EscalationPolicySpec, ListQuery, Member, NewAlert,
    OperatorGroupSpec, OrgId, OrgRef, OrgSlug, OrganizationRepository, ProviderId, RuleName,
    Severity, SeverityTargets, SlaConfigRepository, SlaPolicy, SlaPolicySpec, Steps, Strategy,
    SuppressionWindowRepository, TicketDraft, TicketRepository, Title, UserId,
};
use ticket_persistence::test_db::TestDatabase;
use ticket_persistence::{
    DbRole, PgOrganizations, PgSlaConfig, PgTicketRepository, PoolSettings, build_pool,
};
use uuid::Uuid;

const TENANT_TABLES: [&str; 16] = [
    "organizations",
    "tickets",
    "ticket_alerts",
    "ticket_comments",
    "ticket_state_history",
    "notification_logs",
    "ticket_timers",
    "business_calendars",
    "sla_policies",
    "escalation_policies",
    "auto_resolve_rules",
    "suppression_windows",
    "dropped_alerts",
    "operator_groups",
    "assignment_rules",
    "operators",
];

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Flags {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    superuser: bool,
    #[diesel(sql_type = Bool)]
    bypass: bool,
}

/// Two organizations with one ticket, one calendar and one SLA policy each, made through
/// the repositories (as the owner).
async fn two_organizations(db: &TestDatabase) -> (OrgId, OrgId) {
    let pool = build_pool(&db.url(), &PoolSettings::default()).unwrap();
    let orgs = PgOrganizations::new(pool.clone());
    let repo = PgTicketRepository::new(pool.clone());
    let mut ids = Vec::new();
    for slug in ["acme", "globex"] {
        let org = orgs
            .resolve(&OrgRef::Slug(OrgSlug::parse(slug, "org").unwrap()))
            .await
            .unwrap()
            .unwrap();
        let alert = NewAlert {
            title: Title::parse("Person at gate", "title").unwrap(),
            description: None,
            severity: Severity::High,
            camera_id: CameraId::parse(1, "camera_id").unwrap(),
            provider_id: ProviderId::from_uuid(Uuid::from_u128(9)),
            alert_type: None,
            alert_data: AlertData::empty(),
            occurred_at: None,
            external_id: None,
            dedup_key: None,
        };
        let now = Utc::now() - TimeDelta::hours(1);
        let draft = TicketDraft::new(org, alert.clone(), &SlaPolicy::default(), now);
        repo.ingest(org, draft, now).await.unwrap();
        let sla = PgSlaConfig::new(pool.clone());
        let calendar = sla
            .create_calendar(
                org,
                &CalendarSpec {
                    name: RuleName::parse("Office", "name").unwrap(),
                    calendar: BusinessCalendar::parse(&serde_json::json!({
                        "time_zone": "UTC",
                        "weekly_hours": {"monday": [{"start": "09:00", "end": "17:00"}]},
                    }))
                    .unwrap(),
                },
                now,
            )
            .await
            .unwrap();
        let targets = serde_json::json!({"high": {"first_response": 60, "resolution": 120}});
        sla.create_sla_policy(
            org,
            &SlaPolicySpec {
                name: RuleName::parse("All", "name").unwrap(),
                position: None,
                filter: None,
                targets: SeverityTargets::parse(&targets).unwrap(),
                calendar_id: Some(calendar.id),
                warn_percent: None,
            },
            now,
        )
        .await
        .unwrap();
        let steps = serde_json::json!([{"after": 60, "actions": [{"type": "raise_severity"}]}]);
        sla.create_escalation_policy(
            org,
            &EscalationPolicySpec {
                name: RuleName::parse("Nag", "name").unwrap(),
                position: None,
                filter: None,
                steps: Steps::parse(&steps).unwrap(),
                repeat: 0,
            },
            now,
        )
        .await
        .unwrap();
        let group = sla
            .create_operator_group(
                org,
                &OperatorGroupSpec {
                    name: RuleName::parse("Night", "name").unwrap(),
                    members: vec![Member {
                        user_id: UserId::parse("alice", "user_id").unwrap(),
                        capacity: Some(3),
                    }],
                },
                now,
            )
            .await
            .unwrap();
        sla.create_assignment_rule(
            org,
            &AssignmentRuleSpec {
                name: RuleName::parse("Nobody's", "name").unwrap(),
                position: None,
                // Takes no ticket: the seeded ticket stays as the test expects.
                filter: Some(
                    ticket_domain::Filter::parse(
                        &serde_json::json!({"field": "camera_id", "op": "eq", "value": 424242}),
                        "filter",
                    )
                    .unwrap(),
                ),
                target: AssignTo::Group {
                    group: group.id,
                    strategy: Strategy::RoundRobin,
                },
            },
            now,
        )
        .await
        .unwrap();
        sla.set_availability(org, &UserId::parse("alice", "user_id").unwrap(), true, now)
            .await
            .unwrap();
        sla.create_auto_resolve_rule(
            org,
            &ticket_domain::AutoResolveRuleSpec::parse(
                serde_json::json!({"name": "Nobody's", "quiet_period": 60,
                    "filter": {"field": "camera_id", "op": "eq", "value": 424242}})
                .as_object()
                .unwrap(),
            )
            .unwrap(),
            now,
        )
        .await
        .unwrap();
        // Drops camera 424242's alerts, and has dropped one.
        sla.create_suppression_window(
            org,
            &ticket_domain::suppression::WindowSpec::parse(
                serde_json::json!({"reason": "Nobody's", "starts_at": now, "duration": "3h",
                    "mode": "drop",
                    "filter": {"field": "camera_id", "op": "eq", "value": 424242}})
                .as_object()
                .unwrap(),
            )
            .unwrap(),
            "root",
            now,
        )
        .await
        .unwrap();
        let rules = sla.sla_rules(org).await.unwrap();
        let dropped = NewAlert {
            camera_id: CameraId::parse(424242, "camera_id").unwrap(),
            ..alert
        };
        let draft = TicketDraft::under(org, dropped, &SlaPolicy::default(), &rules, Utc::now());
        let taken = repo.ingest(org, draft, Utc::now()).await.unwrap();
        assert!(
            matches!(taken, ticket_domain::Ingested::Dropped(_)),
            "{taken:?}"
        );
        ids.push(org);
    }
    (ids[0], ids[1])
}

async fn connect_as(db: &TestDatabase, role: &str) -> AsyncPgConnection {
    let mut conn = AsyncPgConnection::establish(&db.url()).await.unwrap();
    conn.batch_execute(&format!("SET ROLE {role}"))
        .await
        .unwrap();
    conn
}

async fn count(conn: &mut AsyncPgConnection, sql: &str) -> Result<i64, diesel::result::Error> {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .await
        .map(|c| c.n)
}

#[tokio::test]
async fn the_service_roles_are_neither_superusers_nor_above_row_security() {
    let db = TestDatabase::new().await;
    let mut conn = AsyncPgConnection::establish(&db.url()).await.unwrap();
    let roles: Vec<Flags> = diesel::sql_query(
        "SELECT rolname::text AS name, rolsuper AS superuser, rolbypassrls AS bypass \
         FROM pg_roles WHERE rolname IN ('ticket_app', 'ticket_worker') ORDER BY rolname",
    )
    .load(&mut conn)
    .await
    .unwrap();
    assert_eq!(roles.len(), 2);
    for role in roles {
        assert!(!role.superuser && !role.bypass, "{}", role.name);
    }
    // Every tenant table forces its policies, on its owner too.
    #[derive(QueryableByName)]
    struct Table {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Bool)]
        enabled: bool,
        #[diesel(sql_type = Bool)]
        forced: bool,
    }
    let tables: Vec<Table> = diesel::sql_query(
        "SELECT relname::text AS name, relrowsecurity AS enabled, relforcerowsecurity AS forced \
         FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace \
           AND relname <> '__diesel_schema_migrations'",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let mut names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    let mut expected = TENANT_TABLES.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected, "a new table must get its policies");
    assert!(tables.iter().all(|t| t.enabled && t.forced));
}

#[tokio::test]
async fn without_an_organization_every_query_fails_closed() {
    let db = TestDatabase::new().await;
    two_organizations(&db).await;
    let mut conn = connect_as(&db, "ticket_app").await;
    for table in TENANT_TABLES {
        let result = count(&mut conn, &format!("SELECT count(*) AS n FROM {table}")).await;
        assert!(result.is_err(), "{table}: {result:?}");
    }
    // A transaction that set it and ended leaves nothing behind on the connection.
    conn.batch_execute(
        "BEGIN; SELECT set_config('app.org_id', '00000000-0000-0000-0000-000000000001', true); \
         COMMIT;",
    )
    .await
    .unwrap();
    let after = count(&mut conn, "SELECT count(*) AS n FROM tickets").await;
    assert!(
        after.is_err(),
        "the setting outlived its transaction: {after:?}"
    );
}

#[tokio::test]
async fn an_organization_sees_and_writes_only_its_own_rows() {
    let db = TestDatabase::new().await;
    let (acme, globex) = two_organizations(&db).await;
    let mut conn = connect_as(&db, "ticket_app").await;
    let scoped = |org: OrgId| format!("SELECT set_config('app.org_id', '{}', true)", org.as_uuid());
    conn.batch_execute(&format!("BEGIN; {};", scoped(acme)))
        .await
        .unwrap();
    // Each organization has one of everything but comments, and its ticket two timers
    // (its first response's warning and breach).
    for table in TENANT_TABLES {
        let n = count(&mut conn, &format!("SELECT count(*) AS n FROM {table}"))
            .await
            .unwrap();
        let expected = match table {
            "ticket_comments" => 0,
            "ticket_timers" => 2,
            _ => 1,
        };
        assert_eq!(n, expected, "{table}: acme's own rows only");
    }
    let others = count(
        &mut conn,
        &format!(
            "SELECT count(*) AS n FROM tickets WHERE org_id = '{}'",
            globex.as_uuid()
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        others, 0,
        "asked for by name, globex's rows still do not exist"
    );
    // Moving a row to another organization, or writing one there, is refused.
    let moved = conn
        .batch_execute(&format!(
            "UPDATE tickets SET org_id = '{}'",
            globex.as_uuid()
        ))
        .await;
    assert!(moved.is_err(), "{moved:?}");
    conn.batch_execute("ROLLBACK").await.unwrap();

    // The repository, on a pool of the request role, lists only the organization it is
    // given.
    let pool = build_pool(
        &db.url(),
        &PoolSettings {
            role: Some(DbRole::App),
            ..PoolSettings::default()
        },
    )
    .unwrap();
    let repo = PgTicketRepository::new(pool);
    for org in [acme, globex] {
        let page = repo
            .list(org, &ListQuery::default(), Utc::now())
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
        assert!(page.items.iter().all(|t| t.org_id() == org));
    }
}

#[tokio::test]
async fn the_worker_sees_every_organization_but_writes_each_rows_own() {
    let db = TestDatabase::new().await;
    let (acme, globex) = two_organizations(&db).await;
    let mut conn = connect_as(&db, "ticket_worker").await;
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM tickets")
            .await
            .unwrap(),
        2
    );
    // An event of acme's ticket filed under globex is refused.
    let forged = conn
        .batch_execute(&format!(
            "INSERT INTO notification_logs (org_id, ticket_id, event_type, payload, \
               next_attempt_at, created_at) \
             SELECT '{}', id, 'sla_breached', '{{}}', now(), now() FROM tickets \
             WHERE org_id = '{}'",
            globex.as_uuid(),
            acme.as_uuid()
        ))
        .await;
    assert!(forged.is_err(), "{forged:?}");
    let own = conn
        .batch_execute(&format!(
            "INSERT INTO notification_logs (org_id, ticket_id, event_type, payload, \
               next_attempt_at, created_at) \
             SELECT org_id, id, 'sla_breached', '{{}}', now(), now() FROM tickets \
             WHERE org_id = '{}'",
            acme.as_uuid()
        ))
        .await;
    assert!(own.is_ok(), "{own:?}");
    // It reads no ticket content it does not need: no alert, comment or history row.
    for table in ["ticket_alerts", "ticket_comments", "ticket_state_history"] {
        let denied = count(&mut conn, &format!("SELECT count(*) AS n FROM {table}")).await;
        assert!(denied.is_err(), "{table}: {denied:?}");
    }
}

#[tokio::test]
async fn the_roles_hold_no_right_beyond_their_work() {
    let db = TestDatabase::new().await;
    let (acme, globex) = two_organizations(&db).await;
    // The worker stamps breaches; it cannot move a ticket to another organization.
    let mut worker = connect_as(&db, "ticket_worker").await;
    let moved = worker
        .batch_execute(&format!(
            "UPDATE tickets SET org_id = '{}' WHERE org_id = '{}'",
            globex.as_uuid(),
            acme.as_uuid()
        ))
        .await;
    assert!(moved.is_err(), "{moved:?}");
    let stamped = worker
        .batch_execute("UPDATE tickets SET first_response_breach_notified_at = now()")
        .await;
    assert!(stamped.is_ok(), "{stamped:?}");
    // A request cannot draw numbers from an organization's sequence itself.
    let mut app = connect_as(&db, "ticket_app").await;
    let burned = app
        .batch_execute(&format!(
            "SELECT nextval(ticket_number_sequence('{}'))",
            globex.as_uuid()
        ))
        .await;
    assert!(burned.is_err(), "{burned:?}");
}
