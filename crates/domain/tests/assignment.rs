//! Automatic assignment (DESIGN.md, "Automation"): rule and group bodies, the choice of a
//! member, and the assignment itself (a status change by the rule's system actor, no first
//! response).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use ticket_domain::assignment::{
    assign, assignment_failed, choose, members_from_json, members_to_json,
};
use ticket_domain::{
    Actor, AlertData, AssignTo, AssignmentRuleId, AssignmentRuleRecord, AssignmentRuleSpec,
    AssignmentRules, CameraId, Candidate, EventType, NewAlert, OperatorGroupId, OperatorGroupSpec,
    OrgId, ProviderId, RuleName, Severity, SlaPolicy, SlaRules, Status, Strategy, TicketDraft,
    Title, UserId,
};

const ORG: OrgId = OrgId::from_u128(7);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap()
}

fn user(name: &str) -> UserId {
    UserId::parse(name, "user").unwrap()
}

fn candidate(name: &str, available: bool, capacity: Option<u32>, load: i64) -> Candidate {
    Candidate {
        user_id: user(name),
        available,
        capacity,
        load,
    }
}

fn fields(result: Result<impl std::fmt::Debug, ticket_domain::ValidationErrors>) -> Vec<String> {
    result.unwrap_err().0.into_iter().map(|f| f.field).collect()
}

fn rule_spec(body: Value) -> Result<AssignmentRuleSpec, ticket_domain::ValidationErrors> {
    AssignmentRuleSpec::parse(body.as_object().unwrap())
}

#[test]
fn a_rule_names_a_user_or_a_group_as_its_strategy_needs() {
    let fixed =
        rule_spec(json!({"name": "To sup", "strategy": "fixed", "user_id": "sup"})).unwrap();
    assert_eq!(fixed.target, AssignTo::User(user("sup")));
    let group = "0192f0c4-8d3e-7a1b-9c2d-3e4f5a6b7c8d";
    let rr = rule_spec(
        json!({"name": "RR", "strategy": "round_robin", "group_id": group,
                              "filter": {"field": "severity", "op": "eq", "value": "high"}}),
    )
    .unwrap();
    assert_eq!(rr.target.strategy(), Strategy::RoundRobin);
    assert!(rr.filter.is_some());

    assert_eq!(
        fields(rule_spec(
            json!({"name": "x", "strategy": "fixed", "group_id": group})
        )),
        vec!["group_id", "user_id"]
    );
    assert_eq!(
        fields(rule_spec(
            json!({"name": "x", "strategy": "least_loaded", "user_id": "a"})
        )),
        vec!["user_id", "group_id"]
    );
    assert_eq!(
        fields(rule_spec(
            json!({"name": "", "strategy": "random", "colour": 1})
        )),
        vec!["colour", "name", "strategy"]
    );
    assert_eq!(
        fields(rule_spec(
            json!({"name": "x", "strategy": "round_robin", "group_id": "g"})
        )),
        vec!["group_id"]
    );
}

#[test]
fn a_group_lists_distinct_members_with_capacities() {
    let spec = OperatorGroupSpec::parse(
        json!({"name": "Night", "members": [{"user_id": "a", "capacity": 2}, {"user_id": "b"}]})
            .as_object()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(spec.members.len(), 2);
    assert_eq!(spec.members[0].capacity, Some(2));
    assert_eq!(spec.members[1].capacity, None);
    let faults = fields(OperatorGroupSpec::parse(
        json!({"name": "Night", "members": [
            {"user_id": "a"}, {"user_id": "a"}, {"capacity": -1}, {"user_id": "c", "rank": 1}, 3
        ]})
        .as_object()
        .unwrap(),
    ));
    assert_eq!(
        faults,
        vec![
            "members[1].user_id",
            "members[2].user_id",
            "members[2].capacity",
            "members[3].rank",
            "members[4]"
        ]
    );
}

#[test]
fn round_robin_gives_the_turns_to_the_eligible_members_in_order() {
    let all = [
        candidate("a", true, None, 0),
        candidate("b", true, None, 5),
        candidate("c", true, None, 0),
    ];
    let picks: Vec<usize> = (0..6)
        .map(|turn| choose(Strategy::RoundRobin, &all, turn).unwrap())
        .collect();
    assert_eq!(picks, vec![0, 1, 2, 0, 1, 2]);
    let some = [
        candidate("a", true, None, 0),
        candidate("b", false, None, 0),
        candidate("c", true, Some(1), 1),
        candidate("d", true, Some(2), 1),
    ];
    let picks: Vec<usize> = (0..4)
        .map(|turn| choose(Strategy::RoundRobin, &some, turn).unwrap())
        .collect();
    assert_eq!(
        picks,
        vec![0, 3, 0, 3],
        "b (away) and c (full) skipped; the turns alternate over the eligible"
    );
    assert_eq!(choose(Strategy::RoundRobin, &some, -7), Some(3));
    assert_eq!(choose(Strategy::RoundRobin, &some, i64::MAX), Some(3));
    assert_eq!(choose(Strategy::RoundRobin, &some, i64::MIN), Some(0));
    let none = [
        candidate("a", false, None, 0),
        candidate("b", true, Some(0), 0),
    ];
    assert_eq!(choose(Strategy::RoundRobin, &none, 0), None);
    assert_eq!(choose(Strategy::RoundRobin, &[], 0), None);
}

#[test]
fn least_loaded_takes_the_eligible_member_with_fewest_active_tickets() {
    let members = [
        candidate("a", true, None, 3),
        candidate("b", false, None, 0),
        candidate("c", true, Some(2), 2),
        candidate("d", true, None, 1),
        candidate("e", true, None, 1),
    ];
    assert_eq!(
        choose(Strategy::LeastLoaded, &members, 0),
        Some(3),
        "ties: first listed"
    );
    assert!(!members[2].eligible(), "at capacity");
    assert!(members[3].eligible());
    assert!(candidate("x", true, Some(2), 1).eligible());
}

/// A high-severity alert of camera 3.
fn high_alert() -> NewAlert {
    NewAlert {
        title: Title::parse("Person in zone", "title").unwrap(),
        description: None,
        severity: Severity::High,
        camera_id: CameraId::parse(3, "camera_id").unwrap(),
        provider_id: ProviderId::from_uuid(uuid::Uuid::from_u128(1)),
        alert_type: None,
        alert_data: AlertData::empty(),
        occurred_at: None,
        external_id: None,
        dedup_key: None,
    }
}

fn plan_for(target: AssignTo) -> ticket_domain::AssignmentPlan {
    let rule = AssignmentRuleRecord {
        id: AssignmentRuleId::from_uuid(uuid::Uuid::from_u128(5)),
        name: RuleName::parse("Night", "name").unwrap(),
        position: 1,
        filter: None,
        target,
        version: 1,
        archived_at: None,
        created_at: t0(),
        updated_at: t0(),
    };
    let rules = SlaRules::default().with_assignments(AssignmentRules::new(vec![rule]));
    TicketDraft::under(ORG, high_alert(), &SlaPolicy::default(), &rules, t0())
        .assignment
        .expect("the rule takes the ticket")
}

#[test]
fn an_automatic_assignment_is_a_system_change_and_no_first_response() {
    let group = OperatorGroupId::from_uuid(uuid::Uuid::from_u128(9));
    let plan = plan_for(AssignTo::Group {
        group,
        strategy: Strategy::RoundRobin,
    });
    let draft = TicketDraft::new(
        ORG,
        NewAlert {
            title: Title::parse("t", "title").unwrap(),
            description: None,
            severity: Severity::Low,
            camera_id: CameraId::parse(1, "camera_id").unwrap(),
            provider_id: ProviderId::from_uuid(uuid::Uuid::from_u128(1)),
            alert_type: None,
            alert_data: AlertData::empty(),
            occurred_at: None,
            external_id: None,
            dedup_key: None,
        },
        &SlaPolicy::default(),
        t0(),
    );
    assert_eq!(draft.assignment, None, "no rules, no plan");
    let (assigned, entry, event) = assign(&draft.ticket, &plan, &user("bob"), t0()).unwrap();
    assert_eq!(assigned.status(), Status::Assigned);
    assert_eq!(assigned.assignee_id(), Some(&user("bob")));
    assert_eq!(assigned.first_responded_at(), None);
    assert_eq!(
        entry.actor,
        Some(
            Actor::parse(
                "system:assignment:00000000-0000-0000-0000-000000000005",
                "a"
            )
            .unwrap()
        )
    );
    assert_eq!(
        (entry.from_status, entry.to_status),
        (Some(Status::Open), Status::Assigned)
    );
    assert_eq!(event.kind, EventType::StatusChanged);
    assert_eq!(
        assign(&assigned, &plan, &user("carol"), t0()),
        None,
        "only a new, open ticket"
    );
    let failed = assignment_failed(&draft.ticket, &plan, "nobody", t0());
    assert_eq!(failed.kind, EventType::AssignmentFailed);
    assert_eq!(failed.payload["data"]["group_id"], json!(group));
    assert_eq!(failed.payload["data"]["reason"], "nobody");
}

#[test]
fn members_read_back_as_written_and_a_bad_list_is_refused() {
    let members = vec![
        ticket_domain::Member {
            user_id: user("a"),
            capacity: Some(2),
        },
        ticket_domain::Member {
            user_id: user("b"),
            capacity: None,
        },
    ];
    let stored = members_to_json(&members);
    assert_eq!(
        stored,
        json!([{"user_id": "a", "capacity": 2}, {"user_id": "b", "capacity": null}])
    );
    assert_eq!(members_from_json(&stored).unwrap(), members);
    assert!(members_from_json(&json!([{"user_id": "a"}, {"user_id": ""}])).is_err());
    let too_many: Vec<Value> = (0..=ticket_domain::assignment::MAX_MEMBERS)
        .map(|i| json!({"user_id": format!("u{i}")}))
        .collect();
    assert!(members_from_json(&Value::Array(too_many)).is_err());
}

#[test]
fn an_unknown_member_of_a_body_alone_refuses_it() {
    assert_eq!(
        fields(OperatorGroupSpec::parse(
            json!({"name": "Night", "members": [], "colour": "red"})
                .as_object()
                .unwrap()
        )),
        vec!["colour"]
    );
    assert_eq!(
        fields(rule_spec(
            json!({"name": "x", "strategy": "fixed", "user_id": "sup", "colour": "red"})
        )),
        vec!["colour"]
    );
}

#[test]
fn a_rule_takes_only_the_tickets_its_filter_selects_and_names_its_user() {
    let sup = AssignTo::User(user("sup"));
    assert_eq!(sup.user(), Some(&user("sup")));
    let group = AssignTo::Group {
        group: OperatorGroupId::from_uuid(uuid::Uuid::from_u128(9)),
        strategy: Strategy::RoundRobin,
    };
    assert_eq!(group.user(), None);
    let spec = rule_spec(
        json!({"name": "Critical only", "strategy": "fixed", "user_id": "sup",
                                "filter": {"field": "severity", "op": "eq", "value": "critical"}}),
    )
    .unwrap();
    let rule = AssignmentRuleRecord {
        id: AssignmentRuleId::from_uuid(uuid::Uuid::from_u128(6)),
        name: spec.name,
        position: 1,
        filter: spec.filter,
        target: spec.target,
        version: 1,
        archived_at: None,
        created_at: t0(),
        updated_at: t0(),
    };
    let rules = AssignmentRules::new(vec![rule]);
    let high = TicketDraft::new(ORG, high_alert(), &SlaPolicy::default(), t0()).ticket;
    assert_eq!(rules.plan_for(&high), None, "a high ticket is not critical");
}
