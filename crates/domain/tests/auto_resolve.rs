//! Auto-resolve rules (DESIGN.md, "Automation"): the rule's body, the first match copied
//! onto a new ticket, the quiet period moving with each alert, end events, a ticket an
//! operator worked on left alone with one system comment.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};
use ticket_domain::auto_resolve::{Cause, auto_resolve, quiet_until};
use ticket_domain::timer::fire;
use ticket_domain::{
    Actor, AlertData, AutoResolve, AutoResolveRuleId, AutoResolveRuleRecord, AutoResolveRuleSpec,
    AutoResolveRules, AutoResolved, CameraId, CommentBody, DedupKey, EndDecision, EndEvent, Ended,
    EventType, ExternalId, Fired, NewAlert, OrgId, ProviderId, RuleName, Severity, SlaPolicy,
    SlaRules, Status, Ticket, TicketDraft, TimerKind, Title, UserId, Visibility, decide_end,
};

const ORG: OrgId = OrgId::from_u128(7);
fn rule_id(n: u128) -> AutoResolveRuleId {
    AutoResolveRuleId::from_uuid(uuid::Uuid::from_u128(n))
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().unwrap()
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

fn spec(body: Value) -> Result<AutoResolveRuleSpec, ticket_domain::ValidationErrors> {
    AutoResolveRuleSpec::parse(body.as_object().unwrap())
}

fn fields(body: Value) -> Vec<String> {
    spec(body)
        .unwrap_err()
        .0
        .into_iter()
        .map(|f| f.field)
        .collect()
}

fn record(id: u128, body: Value) -> AutoResolveRuleRecord {
    let s = spec(body).unwrap();
    AutoResolveRuleRecord {
        id: rule_id(id),
        name: s.name,
        position: s.position.unwrap_or(0),
        filter: s.filter,
        quiet_period: s.quiet_period,
        end_event: s.end_event,
        target: s.target,
        only_if_untouched: s.only_if_untouched,
        version: 1,
        archived_at: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn alert(severity: Severity) -> NewAlert {
    NewAlert {
        title: Title::parse("Gate open", "title").unwrap(),
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

/// A ticket made at t0 under one rule with `body`.
fn under(body: Value) -> Ticket {
    let rules =
        SlaRules::new(vec![]).with_auto_resolves(AutoResolveRules::new(vec![record(42, body)]));
    TicketDraft::under(
        ORG,
        alert(Severity::High),
        &SlaPolicy::default(),
        &rules,
        t0(),
    )
    .ticket
}

/// `ticket` with one more alert, received at `at`.
fn merged(ticket: &Ticket, at: DateTime<Utc>) -> Ticket {
    let draft = TicketDraft::new(ORG, alert(Severity::High), &SlaPolicy::default(), at);
    ticket.merge_alert(&draft.alert, at)
}

#[test]
fn a_rule_reads_its_defaults_and_names_each_fault() {
    let r = spec(json!({"name": "Quiet gates", "quiet_period": "3s"})).unwrap();
    assert_eq!(r.quiet_period, Some(secs(3)));
    assert!(r.end_event, "end events act by default");
    assert_eq!(r.target, Status::Resolved);
    assert!(r.only_if_untouched);
    let r = spec(
        json!({"name": "Ends", "target_status": "closed", "only_if_untouched": false,
                        "end_event": true}),
    )
    .unwrap();
    assert_eq!(
        (r.quiet_period, r.target, r.only_if_untouched),
        (None, Status::Closed, false)
    );
    assert_eq!(
        fields(json!({"name": "Never", "end_event": false})),
        vec!["quiet_period"],
        "a rule that would never act"
    );
    assert_eq!(
        fields(json!({"name": "", "quiet_period": 0, "end_event": "yes",
                      "target_status": "open", "only_if_untouched": 1, "colour": "red"})),
        vec![
            "colour",
            "name",
            "quiet_period",
            "end_event",
            "only_if_untouched",
            "target_status"
        ]
    );
}

#[test]
fn the_first_matching_rule_is_copied_onto_a_new_ticket() {
    let rules = AutoResolveRules::new(vec![
        record(
            1,
            json!({"name": "Critical", "quiet_period": 60,
                   "filter": {"field": "severity", "op": "eq", "value": "critical"}}),
        ),
        record(2, json!({"name": "Rest", "quiet_period": 30})),
        record(3, json!({"name": "Never reached", "quiet_period": 10})),
    ]);
    let sla = SlaRules::new(vec![]).with_auto_resolves(rules);
    let at = |s| TicketDraft::under(ORG, alert(s), &SlaPolicy::default(), &sla, t0()).ticket;
    let critical = at(Severity::Critical);
    assert_eq!(critical.auto_resolve().unwrap().rule_id, rule_id(1));
    let low = at(Severity::Low);
    let rule = low.auto_resolve().unwrap();
    assert_eq!(rule.rule_id, rule_id(2));
    assert_eq!(rule.quiet_period, Some(secs(30)));
    assert!(!rule.declined);
    let none = TicketDraft::under(
        ORG,
        alert(Severity::Low),
        &SlaPolicy::default(),
        &SlaRules::new(vec![]),
        t0(),
    )
    .ticket;
    assert_eq!(none.auto_resolve(), None);
    assert_eq!(none.timer(TimerKind::AutoResolve), None);
}

#[test]
fn the_quiet_period_runs_from_the_last_alert() {
    let t = under(json!({"name": "Quiet", "quiet_period": 3}));
    assert_eq!(quiet_until(&t), Some(t0() + secs(3)));
    assert_eq!(t.timer(TimerKind::AutoResolve), Some(t0() + secs(3)));
    let later = merged(&t, t0() + secs(2));
    assert_eq!(later.timer(TimerKind::AutoResolve), Some(t0() + secs(5)));
    // The timer set for t0 + 3 s finds the alert of t0 + 2 s: nothing yet, it moves on.
    assert_eq!(fire(&later, TimerKind::AutoResolve, t0() + secs(3)), None);
    assert_eq!(
        auto_resolve(
            &later,
            Cause::Quiet,
            t0() + secs(5) - TimeDelta::microseconds(1)
        ),
        None
    );
    let Some(Fired::AutoResolved(AutoResolved::Resolved {
        ticket,
        history,
        event,
    })) = fire(&later, TimerKind::AutoResolve, t0() + secs(5))
    else {
        panic!("quiet for 3 s since the last alert: resolved");
    };
    assert_eq!(ticket.status(), Status::Resolved);
    assert_eq!(ticket.resolved_at(), Some(t0() + secs(5)));
    assert_eq!(ticket.first_responded_at(), None, "no one responded");
    assert_eq!(history.reason.as_ref().unwrap().as_str(), "auto_resolved");
    assert_eq!(
        history.actor.unwrap().to_string(),
        format!("system:auto_resolve:{}", rule_id(42))
    );
    assert_eq!(event.expect("an event").kind, EventType::StatusChanged);
    assert_eq!(ticket.timer(TimerKind::AutoResolve), None, "done");
    assert_eq!(fire(&ticket, TimerKind::AutoResolve, t0() + secs(60)), None);
}

#[test]
fn a_rule_may_close_instead() {
    let t = under(json!({"name": "Close", "quiet_period": 3, "target_status": "closed"}));
    let Some(AutoResolved::Resolved { ticket, .. }) =
        auto_resolve(&t, Cause::Quiet, t0() + secs(3))
    else {
        panic!("closed");
    };
    assert_eq!(ticket.status(), Status::Closed);
}

#[test]
fn a_ticket_an_operator_worked_on_gets_one_comment_instead() {
    let t = under(json!({"name": "Quiet", "quiet_period": 3}));
    let (worked, _) = t.add_comment(
        UserId::parse("ann", "user").unwrap(),
        CommentBody::parse("on it", "body").unwrap(),
        Visibility::External,
        t0() + secs(1),
    );
    let Some(AutoResolved::Declined {
        ticket,
        comment,
        event,
    }) = auto_resolve(&worked, Cause::Quiet, t0() + secs(3))
    else {
        panic!("left open with a comment");
    };
    assert_eq!(ticket.status(), Status::Open);
    assert!(ticket.auto_resolve().unwrap().declined);
    assert_eq!(ticket.version(), worked.version() + 1);
    assert_eq!(comment.visibility, Visibility::Internal);
    assert_eq!(
        comment.author_id,
        Actor::System(worked.auto_resolve().unwrap().actor())
    );
    assert_eq!(
        comment.body.as_str(),
        "Auto-resolve: no alert for 3 s, but an operator has worked on this ticket, so it \
         stays open; it would have been resolved."
    );
    assert_eq!(event.kind, EventType::CommentAdded);
    // Once: the rule is done with the ticket, end events included.
    assert_eq!(ticket.timer(TimerKind::AutoResolve), None);
    assert_eq!(auto_resolve(&ticket, Cause::Quiet, t0() + secs(99)), None);
    assert_eq!(
        auto_resolve(&ticket, Cause::EndEvent, t0() + secs(99)),
        None
    );

    // Unless the rule says otherwise.
    let t = under(json!({"name": "Any", "quiet_period": 3, "only_if_untouched": false}));
    let (worked, _) = t.add_comment(
        UserId::parse("ann", "user").unwrap(),
        CommentBody::parse("on it", "body").unwrap(),
        Visibility::External,
        t0() + secs(1),
    );
    assert!(matches!(
        auto_resolve(&worked, Cause::Quiet, t0() + secs(3)),
        Some(AutoResolved::Resolved { .. })
    ));
}

#[test]
fn an_end_event_resolves_at_once_if_the_rule_takes_end_events() {
    let t = under(json!({"name": "Ends", "end_event": true}));
    assert_eq!(t.timer(TimerKind::AutoResolve), None, "no quiet period");
    let Some(AutoResolved::Resolved { ticket, .. }) =
        auto_resolve(&t, Cause::EndEvent, t0() + secs(1))
    else {
        panic!("resolved by the end event");
    };
    assert_eq!(ticket.status(), Status::Resolved);
    assert_eq!(
        auto_resolve(&ticket, Cause::EndEvent, t0() + secs(2)),
        None,
        "replayed"
    );
    let quiet_only = under(json!({"name": "Quiet", "quiet_period": 60, "end_event": false}));
    assert_eq!(
        auto_resolve(&quiet_only, Cause::EndEvent, t0() + secs(1)),
        None
    );
    assert_eq!(
        auto_resolve(&quiet_only, Cause::Quiet, t0() + secs(59)),
        None
    );
}

#[test]
fn the_rule_on_a_ticket_reads_back_as_written() {
    let t = under(
        json!({"name": "Quiet", "quiet_period": 90, "target_status": "closed",
                         "only_if_untouched": false}),
    );
    let rule = t.auto_resolve().unwrap();
    assert_eq!(AutoResolve::parse(&rule.to_json()).unwrap(), *rule);
    let plain = under(json!({"name": "Ends"}));
    let rule = plain.auto_resolve().unwrap();
    assert_eq!(AutoResolve::parse(&rule.to_json()).unwrap(), *rule);
    assert!(AutoResolve::parse(&json!({"rule_id": rule_id(42)})).is_err());
    let mut zero = rule.to_json();
    zero["quiet_period"] = json!(0);
    assert!(
        AutoResolve::parse(&zero).is_err(),
        "a quiet period is at least 1 s"
    );
    zero["quiet_period"] = json!(1);
    assert_eq!(
        AutoResolve::parse(&zero).unwrap().quiet_period,
        Some(secs(1))
    );
    assert_eq!(
        RuleName::parse("Quiet", "name").unwrap().as_str(),
        "Quiet",
        "names are kept as written"
    );
}

fn end(external: Option<&str>, key: Option<&str>) -> EndEvent {
    EndEvent {
        provider_id: ProviderId::from_uuid(uuid::Uuid::from_u128(1)),
        external_id: external.map(|e| ExternalId::parse(e, "external_id").unwrap()),
        dedup_key: key.map(|k| DedupKey::parse(k, "dedup_key").unwrap()),
    }
}

#[test]
fn an_end_event_finds_its_ticket_by_the_earlier_alert_else_by_its_key() {
    let t = under(json!({"name": "Ends"}));
    let key = t.dedup_key().as_str().to_owned();
    let at = t0() + secs(5);
    let resolved = |d: EndDecision| match d {
        EndDecision::Apply { before, outcome } => match *outcome {
            AutoResolved::Resolved { ticket, .. } => (*before, ticket),
            other => panic!("resolved, not {other:?}"),
        },
        other => panic!("resolved, not {other:?}"),
    };

    // By its key.
    let (before, after) = resolved(decide_end(
        &end(None, Some(&key)),
        None,
        Some(t.clone()),
        at,
    ));
    assert_eq!(before, t);
    assert_eq!(after.status(), Status::Resolved);
    assert_eq!(
        decide_end(&end(None, Some(&key)), None, Some(t.clone()), at).ended(),
        Ended::Resolved(after.clone())
    );
    // By the earlier alert's external id, whatever the key says.
    let (_, by_id) = resolved(decide_end(
        &end(Some("a-1"), Some("other")),
        Some(t.clone()),
        None,
        at,
    ));
    assert_eq!(by_id.id(), t.id());
    // An external id that names no earlier alert: the key decides.
    resolved(decide_end(
        &end(Some("end-9"), Some(&key)),
        None,
        Some(t.clone()),
        at,
    ));

    // The earlier alert's ticket is over: nothing, though another is active for the key.
    let fresh = under(json!({"name": "Ends"}));
    assert_eq!(
        decide_end(
            &end(Some("a-1"), Some(&key)),
            Some(after.clone()),
            Some(fresh),
            at
        ),
        EndDecision::NothingActive
    );
    // Nothing at all, or a replay once resolved.
    assert_eq!(
        decide_end(&end(None, Some(&key)), None, None, at),
        EndDecision::NothingActive
    );
    assert_eq!(
        decide_end(&end(None, Some(&key)), None, Some(after), at).ended(),
        Ended::NothingActive
    );
    // A store that over-fetched: another key, another provider.
    assert_eq!(
        decide_end(&end(None, Some("other")), None, Some(t.clone()), at),
        EndDecision::NothingActive
    );
    assert_eq!(
        decide_end(&end(None, None), None, Some(t.clone()), at),
        EndDecision::NothingActive,
        "no key named"
    );
    let mut foreign = end(Some("a-1"), Some(&key));
    foreign.provider_id = ProviderId::from_uuid(uuid::Uuid::from_u128(2));
    assert_eq!(
        decide_end(&foreign, Some(t.clone()), Some(t.clone()), at),
        EndDecision::NothingActive
    );
}

#[test]
fn an_end_event_the_rule_does_not_take_leaves_the_ticket() {
    let key = |t: &Ticket| t.dedup_key().as_str().to_owned();
    let at = t0() + secs(5);
    let quiet_only = under(json!({"name": "Quiet", "quiet_period": 60, "end_event": false}));
    let decision = decide_end(
        &end(None, Some(&key(&quiet_only))),
        None,
        Some(quiet_only.clone()),
        at,
    );
    assert_eq!(decision, EndDecision::Ignore(Box::new(quiet_only.clone())));
    assert_eq!(decision.ended(), Ended::Ignored(quiet_only));

    // No rule at all.
    let plain = TicketDraft::new(ORG, alert(Severity::High), &SlaPolicy::default(), t0()).ticket;
    assert_eq!(
        decide_end(
            &end(None, Some(&key(&plain))),
            None,
            Some(plain.clone()),
            at
        )
        .ended(),
        Ended::Ignored(plain)
    );

    // Worked on: the rule comments once, then ignores the next end event.
    let t = under(json!({"name": "Ends"}));
    let (worked, _) = t.add_comment(
        UserId::parse("ann", "user").unwrap(),
        CommentBody::parse("on it", "body").unwrap(),
        Visibility::Internal,
        t0() + secs(1),
    );
    let decision = decide_end(&end(None, Some(&key(&t))), None, Some(worked.clone()), at);
    let EndDecision::Apply { outcome, .. } = decision.clone() else {
        panic!("declined, not {decision:?}");
    };
    let AutoResolved::Declined {
        ticket, comment, ..
    } = *outcome
    else {
        panic!("declined, not {outcome:?}");
    };
    assert_eq!(
        comment.body.as_str(),
        "Auto-resolve: the provider sent an end event, but an operator has worked on this \
         ticket, so it stays open; it would have been resolved."
    );
    assert_eq!(decision.ended(), Ended::Declined(ticket.clone()));
    assert_eq!(
        decide_end(&end(None, Some(&key(&t))), None, Some(ticket.clone()), at),
        EndDecision::Ignore(Box::new(ticket))
    );
}
