//! Escalation policies and chains (DESIGN.md, "Automation"): the policy's body, the chain
//! copied onto a ticket, steps run once each in order, skipped when their condition is
//! false, stopped by a resolution, and the simulation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};
use ticket_domain::escalation::escalate;
use ticket_domain::lifecycle;
use ticket_domain::timer::fire;
use ticket_domain::{
    Actor, AlertData, CameraId, CommentBody, Escalated, EscalationPolicyId, EscalationPolicyRecord,
    EscalationPolicySpec, EscalationRules, EventType, Fired, NewAlert, OrgId, ProviderId, RuleName,
    Severity, SlaPolicy, SlaRules, Status, StatusChange, StepCondition, Steps, Ticket, TicketDraft,
    TimerKind, Title, UserId, Visibility, simulate,
};

const ORG: OrgId = OrgId::from_u128(7);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap()
}

fn secs(n: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(n)
}

fn user(name: &str) -> UserId {
    UserId::parse(name, "user").unwrap()
}

fn policy(steps: Value, repeat: u8, filter: Option<Value>) -> EscalationPolicyRecord {
    EscalationPolicyRecord {
        id: EscalationPolicyId::from_uuid(uuid::Uuid::from_u128(99)),
        name: RuleName::parse("night", "name").unwrap(),
        position: 1,
        filter: filter.map(|f| ticket_domain::Filter::parse(&f, "filter").unwrap()),
        steps: Steps::parse(&steps).unwrap(),
        repeat,
        version: 1,
        archived_at: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

/// Steps at 2 s (nobody answered: notify alice and the night shift) and 4 s (still open:
/// reassign to sup, raise the severity, comment).
fn two_steps() -> EscalationPolicyRecord {
    policy(
        json!([
            {"after": 2, "condition": "not_acknowledged",
             "actions": [{"type": "notify", "users": ["alice"], "groups": ["night shift"]}]},
            {"after": "4s", "condition": "not_resolved",
             "actions": [{"type": "reassign", "assignee_id": "sup"},
                         {"type": "raise_severity"},
                         {"type": "comment", "body": "escalated", "visibility": "external"}]}
        ]),
        0,
        None,
    )
}

fn alert(severity: Severity) -> NewAlert {
    NewAlert {
        title: Title::parse("Person in zone", "title").unwrap(),
        description: None,
        severity,
        camera_id: CameraId::parse(3, "camera_id").unwrap(),
        provider_id: ProviderId::from_uuid(uuid::Uuid::from_u128(1)),
        alert_type: None,
        alert_data: AlertData::empty(),
        occurred_at: None,
        external_id: None,
        dedup_key: None,
    }
}

fn rules(policies: Vec<EscalationPolicyRecord>) -> SlaRules {
    SlaRules::default().with_escalations(EscalationRules::new(policies))
}

/// A high ticket made at t0 under `policy`.
fn under(policy: EscalationPolicyRecord) -> Ticket {
    TicketDraft::under(
        ORG,
        alert(Severity::High),
        &SlaPolicy::default(),
        &rules(vec![policy]),
        t0(),
    )
    .ticket
}

fn escalated_steps(out: &Escalated) -> Vec<u64> {
    out.events
        .iter()
        .filter(|e| e.kind == EventType::TicketEscalated)
        .map(|e| e.payload["data"]["step"].as_u64().unwrap())
        .collect()
}

fn spec(body: Value) -> Result<EscalationPolicySpec, Vec<String>> {
    EscalationPolicySpec::parse(body.as_object().unwrap())
        .map_err(|e| e.0.into_iter().map(|f| f.field).collect())
}

#[test]
fn a_policy_body_is_read_whole_and_each_fault_named() {
    let ok = spec(json!({
        "name": "Night",
        "filter": {"field": "severity", "op": "eq", "value": "critical"},
        "steps": [{"after": "5m", "actions": [{"type": "notify", "users": ["a"]}]}],
        "repeat": 2
    }))
    .unwrap();
    assert_eq!(ok.repeat, 2);
    assert_eq!(ok.position, None);
    let step = &ok.steps.as_slice()[0];
    assert_eq!(step.after, TimeDelta::minutes(5));
    assert_eq!(
        step.condition,
        StepCondition::NotResolved,
        "the default condition"
    );
    // The stored form reads back to the same steps.
    assert_eq!(Steps::parse(&ok.steps.to_json()).unwrap(), ok.steps);

    let faults = spec(json!({
        "name": " ",
        "position": -1,
        "colour": "red",
        "repeat": 6,
        "steps": [
            {"after": 10, "condition": "maybe", "actions": [{"type": "notify"}]},
            {"after": 5, "actions": [{"type": "page"}], "when": 1},
            {"after": 0, "actions": []},
            {"after": 20, "actions": [
                {"type": "reassign"},
                {"type": "raise_severity", "severity": "urgent"},
                {"type": "comment", "body": "", "visibility": "public"},
                {"type": "notify", "users": ["system:x", 3], "groups": "ops"}
            ]}
        ]
    }))
    .unwrap_err();
    for field in [
        "name",
        "position",
        "colour",
        "repeat",
        "steps[0].condition",
        "steps[0].actions[0]",
        "steps[1].after",
        "steps[1].actions[0].type",
        "steps[1].when",
        "steps[2].after",
        "steps[2].actions",
        "steps[3].actions[0].assignee_id",
        "steps[3].actions[1].severity",
        "steps[3].actions[2].body",
        "steps[3].actions[2].visibility",
        "steps[3].actions[3].users[0]",
        "steps[3].actions[3].users[1]",
        "steps[3].actions[3].groups",
    ] {
        assert!(faults.contains(&field.to_owned()), "{field} in {faults:?}");
    }
    assert_eq!(spec(json!({"name": "x"})).unwrap_err(), vec!["steps"]);
    let many: Vec<Value> = (1..=21)
        .map(|i| json!({"after": i, "actions": [{"type": "raise_severity"}]}))
        .collect();
    assert_eq!(
        spec(json!({"name": "x", "steps": many})).unwrap_err(),
        vec!["steps"]
    );
}

#[test]
fn a_new_ticket_takes_the_first_policy_that_selects_it() {
    let critical_only = EscalationPolicyRecord {
        id: EscalationPolicyId::from_uuid(uuid::Uuid::from_u128(1)),
        ..policy(
            json!([{"after": 60, "actions": [{"type": "raise_severity"}]}]),
            0,
            Some(json!({"field": "severity", "op": "eq", "value": "critical"})),
        )
    };
    let rules = rules(vec![critical_only.clone(), two_steps()]);
    let make = |severity| {
        TicketDraft::under(ORG, alert(severity), &SlaPolicy::default(), &rules, t0()).ticket
    };
    let critical = make(Severity::Critical);
    let chain = critical.escalation().unwrap();
    assert_eq!(chain.policy_id, critical_only.id);
    assert_eq!((chain.started_at, chain.next), (t0(), 0));
    assert_eq!(
        make(Severity::High).escalation().unwrap().policy_id,
        two_steps().id
    );
    assert!(
        TicketDraft::under(
            ORG,
            alert(Severity::High),
            &SlaPolicy::default(),
            &SlaRules::default(),
            t0()
        )
        .ticket
        .escalation()
        .is_none(),
        "no policy, no chain"
    );
}

#[test]
fn a_chain_places_its_steps_and_rounds_in_time() {
    let ticket = under(policy(
        json!([
            {"after": 2, "actions": [{"type": "raise_severity"}]},
            {"after": 4, "actions": [{"type": "raise_severity"}]}
        ]),
        2,
        None,
    ));
    let chain = ticket.escalation().unwrap();
    let due: Vec<(u32, u32, DateTime<Utc>)> = chain
        .timeline()
        .map(|p| (p.round, p.step, p.due_at))
        .collect();
    assert_eq!(
        due,
        vec![
            (0, 1, secs(2)),
            (0, 2, secs(4)),
            (1, 1, secs(6)),
            (1, 2, secs(8)),
            (2, 1, secs(10)),
            (2, 2, secs(12)),
        ]
    );
    assert_eq!(ticket.timer(TimerKind::Escalation), Some(secs(2)));
}

#[test]
fn steps_run_once_each_in_order_when_due() {
    let ticket = under(two_steps());
    assert_eq!(escalate(&ticket, secs(1)), None, "nothing due before 2 s");
    assert_eq!(fire(&ticket, TimerKind::Escalation, secs(1)), None);

    let first = escalate(&ticket, secs(2)).unwrap();
    assert_eq!(escalated_steps(&first), vec![1]);
    let event = &first.events[0];
    assert_eq!(
        event.payload["data"]["targets"],
        json!({"users": ["alice"], "groups": ["night shift"]})
    );
    assert_eq!(
        event.payload["data"]["actor"],
        "system:escalation:00000000-0000-0000-0000-000000000063"
    );
    let after_first = first.ticket;
    assert_eq!(
        after_first.version(),
        ticket.version(),
        "a notification alone is not a change of the ticket"
    );
    assert_eq!(after_first.escalation().unwrap().next, 1);
    assert_eq!(after_first.timer(TimerKind::Escalation), Some(secs(4)));
    assert_eq!(escalate(&after_first, secs(3)), None, "step 1 runs once");

    let second = escalate(&after_first, secs(4)).unwrap();
    assert_eq!(escalated_steps(&second), vec![2]);
    let done = &second.ticket;
    assert_eq!(done.status(), Status::Assigned);
    assert_eq!(done.assignee_id(), Some(&user("sup")));
    assert_eq!(done.severity(), Severity::Critical, "high raised one level");
    assert_eq!(
        done.first_responded_at(),
        None,
        "an automated change is not a first response"
    );
    assert_eq!(second.history.len(), 1);
    let actor = Some(
        Actor::parse(
            "system:escalation:00000000-0000-0000-0000-000000000063",
            "actor",
        )
        .unwrap(),
    );
    assert_eq!(second.history[0].actor, actor);
    assert_eq!(second.history[0].to_status, Status::Assigned);
    assert_eq!(second.comments.len(), 1);
    assert_eq!(Some(second.comments[0].author_id.clone()), actor);
    assert_eq!(second.comments[0].visibility, Visibility::External);
    let kinds: Vec<EventType> = second.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            EventType::StatusChanged,
            EventType::CommentAdded,
            EventType::TicketEscalated
        ]
    );
    assert_eq!(
        second.events[2].payload["data"]["actions"][1],
        json!({"type": "raise_severity", "from": "high", "to": "critical"})
    );
    assert!(done.version() > after_first.version());
    assert_eq!(done.timer(TimerKind::Escalation), None, "the chain is over");
    assert_eq!(escalate(done, secs(3600)), None);
}

#[test]
fn late_steps_all_run_at_once_in_order() {
    let ticket = under(two_steps());
    let late = escalate(&ticket, secs(60)).unwrap();
    assert_eq!(escalated_steps(&late), vec![1, 2]);
    assert_eq!(late.ticket.escalation().unwrap().next, 2);
}

#[test]
fn a_false_condition_skips_its_step_for_good() {
    let ticket = under(two_steps());
    let (answered, _) = ticket.add_comment(
        user("bob"),
        CommentBody::parse("looking", "body").unwrap(),
        Visibility::Internal,
        secs(1),
    );
    let out = escalate(&answered, secs(2)).unwrap();
    assert!(out.events.is_empty(), "not_acknowledged is false: skipped");
    assert_eq!(out.ticket.escalation().unwrap().next, 1, "and not retried");
    assert_eq!(
        escalated_steps(&escalate(&out.ticket, secs(4)).unwrap()),
        vec![2]
    );
}

#[test]
fn resolving_stops_the_chain() {
    let ticket = under(two_steps());
    let change = StatusChange {
        target: Status::Resolved,
        assignee_id: None,
        reason: None,
        hold_until: None,
    };
    let (resolved, _) = lifecycle::apply(&ticket, &change, &user("bob"), secs(1)).unwrap();
    assert_eq!(resolved.timer(TimerKind::Escalation), None);
    assert_eq!(escalate(&resolved, secs(10)), None);
    assert_eq!(fire(&resolved, TimerKind::Escalation, secs(10)), None);
}

#[test]
fn a_reassignment_to_the_current_assignee_and_a_raise_past_critical_do_nothing() {
    let ticket = TicketDraft::under(
        ORG,
        alert(Severity::Critical),
        &SlaPolicy::default(),
        &rules(vec![policy(
            json!([{"after": 1, "actions": [
                {"type": "reassign", "assignee_id": "sup"},
                {"type": "raise_severity", "severity": "low"},
                {"type": "raise_severity"}
            ]}]),
            0,
            None,
        )]),
        t0(),
    )
    .ticket;
    let change = StatusChange {
        target: Status::Assigned,
        assignee_id: Some(user("sup")),
        reason: None,
        hold_until: None,
    };
    let (assigned, _) = lifecycle::apply(&ticket, &change, &user("bob"), t0()).unwrap();
    let Some(Fired::Escalated(out)) = fire(&assigned, TimerKind::Escalation, secs(1)) else {
        panic!("the step is due");
    };
    assert!(out.history.is_empty());
    assert_eq!(out.ticket.version(), assigned.version(), "nothing changed");
    let actions = &out.events[0].payload["data"]["actions"];
    assert_eq!(actions[0]["skipped"], "already assigned");
    assert_eq!(actions[1]["skipped"], "severity already as high");
    assert_eq!(actions[2]["skipped"], "severity already as high");
}

#[test]
fn sla_conditions_follow_the_targets() {
    // High: first response due at 15 min, warned at 12 min.
    let ticket = under(policy(
        json!([
            {"after": 60, "condition": "sla_warning", "actions": [{"type": "raise_severity"}]},
            {"after": 780, "condition": "sla_warning", "actions": [{"type": "raise_severity"}]},
            {"after": 840, "condition": "sla_breached", "actions": [{"type": "raise_severity"}]},
            {"after": 960, "condition": "sla_breached", "actions": [{"type": "raise_severity"}]}
        ]),
        0,
        None,
    ));
    let warn = ticket.first_response_warn_at().unwrap();
    let due = ticket.first_response_due_at();
    assert_eq!((warn, due), (secs(720), secs(900)));
    for (condition, at, holds) in [
        (StepCondition::SlaWarning, secs(719), false),
        (StepCondition::SlaWarning, secs(720), true),
        (StepCondition::SlaBreached, secs(900), false),
        (StepCondition::SlaBreached, secs(901), true),
        (StepCondition::NotAcknowledged, secs(901), true),
        (StepCondition::NotResolved, secs(901), true),
    ] {
        assert_eq!(condition.holds(&ticket, at), holds, "{condition} at {at}");
    }
    let sim = simulate(&ticket, ticket.escalation().unwrap());
    let runs: Vec<bool> = sim.iter().map(|s| s.runs).collect();
    assert_eq!(runs, vec![false, true, false, true]);
    assert_eq!(sim[1].outcome["actions"][0]["to"], "critical");
    assert_eq!(
        sim[3].outcome["actions"][0]["skipped"],
        "severity already as high"
    );
    assert_eq!(sim[0].outcome, Value::Null);
}

#[test]
fn a_simulation_shows_skipped_steps_and_stores_nothing() {
    let ticket = under(two_steps());
    let (answered, _) = ticket.add_comment(
        user("bob"),
        CommentBody::parse("looking", "body").unwrap(),
        Visibility::Internal,
        secs(1),
    );
    let chain = two_steps().chain(t0());
    let sim = simulate(&answered, &chain);
    let summary: Vec<(u32, u32, DateTime<Utc>, bool)> = sim
        .iter()
        .map(|s| (s.round, s.step, s.due_at, s.runs))
        .collect();
    assert_eq!(summary, vec![(1, 1, secs(2), false), (1, 2, secs(4), true)]);
    assert_eq!(sim[1].outcome["actions"][0]["assignee_id"], "sup");
    let sim = simulate(&ticket, &chain);
    assert!(sim.iter().all(|s| s.runs), "nobody answered: both run");
}

#[test]
fn a_reassign_step_leaves_a_held_ticket_alone() {
    let ticket = under(two_steps());
    let to = |t: &Ticket, target: Status, reason: Option<&str>, at| {
        let change = StatusChange {
            target,
            assignee_id: None,
            reason: reason.map(|r| ticket_domain::Reason::parse(r, "reason").unwrap()),
            hold_until: None,
        };
        lifecycle::apply(t, &change, &user("bob"), at).unwrap().0
    };
    let working = to(&ticket, Status::InProgress, None, secs(1));
    let held = to(&working, Status::OnHold, Some("guard on the way"), secs(2));
    let out = escalate(&held, secs(4)).unwrap();
    assert_eq!(out.ticket.status(), Status::OnHold, "the hold stays");
    assert!(out.history.is_empty());
    assert_eq!(
        out.events.last().unwrap().payload["data"]["actions"][0]["skipped"],
        "on hold"
    );
}

#[test]
fn a_duration_too_large_for_time_is_a_fault_not_a_crash() {
    for after in [
        json!(9_223_372_036_854_775_807_i64),
        json!(-9_223_372_036_854_775_807_i64),
        json!(1e300),
    ] {
        let faults = spec(json!({"name": "x", "steps": [
            {"after": after, "actions": [{"type": "raise_severity"}]}
        ]}))
        .unwrap_err();
        assert_eq!(faults, vec!["steps[0].after"], "{after}");
    }
}

#[test]
fn one_unknown_member_alone_refuses_a_body_and_equal_afters_are_in_order() {
    let step = |extra: Value| {
        let mut action = json!({"type": "notify", "users": ["alice"]});
        if let (Some(a), Some(e)) = (action.as_object_mut(), extra.as_object()) {
            a.extend(e.clone());
        }
        json!({"name": "P", "steps": [{"after": 60, "actions": [action]}]})
    };
    assert_eq!(
        spec(step(json!({"colour": "red"}))).unwrap_err(),
        vec!["steps[0].actions[0].colour"]
    );
    let mut body = step(json!({}));
    body["colour"] = json!("red");
    assert_eq!(spec(body).unwrap_err(), vec!["colour"]);
    let crowd: Vec<String> = (0..51).map(|i| format!("u{i}")).collect();
    assert_eq!(
        spec(step(json!({"users": crowd}))).unwrap_err(),
        vec!["steps[0].actions[0].users"]
    );
    let same = json!({"name": "P", "steps": [
        {"after": 60, "actions": [{"type": "notify", "users": ["a"]}]},
        {"after": "1m", "actions": [{"type": "notify", "users": ["b"]}]}
    ]});
    assert!(
        spec(same).is_ok(),
        "two steps due at once run in list order"
    );
}

#[test]
fn a_chain_reads_back_as_written_and_counts_its_run() {
    let t = under(two_steps());
    let chain = t.escalation().unwrap();
    assert_eq!(
        ticket_domain::Escalation::parse(&chain.to_json()).unwrap(),
        *chain
    );
    assert_eq!(chain.steps_in_run(), 2);
}

#[test]
fn a_reassign_step_takes_a_ticket_from_another_assignee() {
    let ticket = under(policy(
        json!([{"after": 1, "actions": [{"type": "reassign", "assignee_id": "sup"}]}]),
        0,
        None,
    ));
    let change = StatusChange {
        target: Status::Assigned,
        assignee_id: Some(user("ann")),
        reason: None,
        hold_until: None,
    };
    let (assigned, _) = lifecycle::apply(&ticket, &change, &user("bob"), t0()).unwrap();
    let Some(Fired::Escalated(out)) = fire(&assigned, TimerKind::Escalation, secs(1)) else {
        panic!("the step is due");
    };
    assert_eq!(out.ticket.assignee_id(), Some(&user("sup")));
    assert_eq!(out.history.len(), 1);
    let step = out
        .events
        .iter()
        .find(|e| e.kind == EventType::TicketEscalated)
        .unwrap();
    assert_eq!(step.payload["data"]["actions"][0]["assignee_id"], "sup");
    assert_eq!(step.payload["data"]["actions"][0]["skipped"], Value::Null);
}
