//! The reads of [`TicketRepository`]: find, details, alerts, list and stats.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::fixtures::*;
use crate::model::OrgId;
use crate::model::{Severity, Status, TicketId, TicketNumber, Visibility};
use crate::ports::{TicketRef, TicketRepository};
use crate::query::{TargetStats, TicketFilter, TicketStats};
use crate::sla::SlaState;
use crate::ticket::{NewAlert, Ticket};

/// A ticket is found by its id and by its number, each to itself; unknown ones are `None`.
pub async fn find_by_id_and_by_number<R: TicketRepository>(tickets: &R, org: OrgId) {
    let a = create(tickets, org, alert("door"), t0()).await;
    let b = create(tickets, org, alert("window"), at(MINUTE)).await;
    for t in [&a, &b] {
        let by_id = tickets
            .find(org, TicketRef::Id(t.id()))
            .await
            .expect("find");
        assert_eq!(by_id.as_ref(), Some(t), "by id");
        let by_number = tickets.find(org, number(t)).await.expect("find");
        assert_eq!(by_number.as_ref(), Some(t), "by number");
    }
    let unknown_id = TicketRef::Id(draft(org, alert("ghost"), t0()).ticket.id());
    assert_eq!(tickets.find(org, unknown_id).await.expect("find"), None);
    assert_eq!(
        tickets
            .find(org, unknown_number(&[&a, &b]))
            .await
            .expect("find"),
        None
    );
}

/// A number no ticket of `known` has.
fn unknown_number(known: &[&Ticket]) -> TicketRef {
    let highest = known
        .iter()
        .filter_map(|t| t.number())
        .map(TicketNumber::get)
        .max()
        .unwrap_or(0);
    TicketRef::Number(TicketNumber::new(highest + 1000).expect("a positive number"))
}

/// Details hold the ticket, its comments (only those of the asked visibility) and its
/// history, both oldest first whatever order they were saved in; by id or by number.
pub async fn details_list_comments_and_history_oldest_first<R: TicketRepository>(
    tickets: &R,
    org: OrgId,
) {
    let first = draft(org, alert("door"), t0());
    let created = create_from(tickets, org, first.clone()).await;
    let (started, start) = apply(&created, Status::InProgress, None, at(30));
    tickets
        .save_transition(org, &started, created.version(), &start)
        .await
        .expect("save_transition");
    let mut saved = Vec::new();
    for (minute, visibility) in [
        (3, Visibility::Internal),
        (1, Visibility::External),
        (2, Visibility::Internal),
    ] {
        let current = find(tickets, org, created.id()).await;
        let (_, comment) = comment(tickets, org, &current, visibility, at(minute * MINUTE)).await;
        saved.push(comment);
    }
    let [late, early, middle] = <[_; 3]>::try_from(saved).expect("three comments");
    let current = find(tickets, org, created.id()).await;

    let all = details(tickets, org, created.id()).await;
    assert_eq!(all.ticket, current);
    assert_eq!(
        all.comments,
        [early.clone(), middle.clone(), late.clone()],
        "comments oldest first"
    );
    assert_eq!(
        all.history,
        [first.history(), start],
        "history oldest first"
    );

    let id = created.id();
    let visible = |v| async move {
        tickets
            .details(org, TicketRef::Id(id), Some(v))
            .await
            .expect("details")
            .expect("found")
    };
    let external = visible(Visibility::External).await;
    assert_eq!(external.comments, [early], "external comments only");
    assert_eq!(external.history, all.history, "history is not filtered");
    let internal = visible(Visibility::Internal).await;
    assert_eq!(internal.comments, [middle, late], "internal comments only");

    let by_number = tickets
        .details(org, number(&current), None)
        .await
        .expect("details");
    assert_eq!(by_number.as_ref(), Some(&all), "by number");
    let unknown = TicketRef::Id(draft(org, alert("ghost"), t0()).ticket.id());
    assert_eq!(
        tickets.details(org, unknown, None).await.expect("details"),
        None
    );
    let unknown = unknown_number(&[&current]);
    assert_eq!(
        tickets.details(org, unknown, None).await.expect("details"),
        None
    );
}

/// A ticket's alerts come newest first, at most `limit`, below `before` when given, and only
/// its own; an unknown ticket is `None`.
pub async fn alerts_page_newest_first<R: TicketRepository>(tickets: &R, org: OrgId) {
    let first = draft(org, alert("door"), t0());
    let ticket = create_from(tickets, org, first.clone()).await;
    let mut sent = vec![first.alert];
    for i in 1..5 {
        let now = at(i * MINUTE);
        let repeat = NewAlert {
            external_id: external(&format!("evt-{i}")),
            ..alert("door")
        };
        let repeat = draft(org, repeat, now);
        sent.push(filed(&repeat.alert, ticket.id()));
        merge(tickets, org, repeat, now).await;
    }
    let other = create(tickets, org, alert("window"), at(MINUTE)).await;
    merge(
        tickets,
        org,
        draft(org, alert("window"), at(2 * MINUTE)),
        at(2 * MINUTE),
    )
    .await;

    let all = alerts(tickets, org, ticket.id()).await;
    let records: Vec<_> = all.iter().map(|a| a.alert.clone()).collect();
    sent.reverse();
    assert_eq!(records, sent, "every alert of the ticket, newest first");
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "ids descend");

    let id = ticket.id();
    let page = |limit, before| async move {
        tickets
            .alerts(org, TicketRef::Id(id), limit, before)
            .await
            .expect("alerts")
            .expect("found")
    };
    let mut walked = Vec::new();
    let mut before = None;
    loop {
        let next = page(2, before).await;
        assert!(next.len() <= 2, "limit 2 gave {}", next.len());
        let Some(last) = next.last() else { break };
        before = Some(last.id);
        walked.extend(next);
    }
    assert_eq!(
        walked, all,
        "pages of 2 with `before` visit every alert once"
    );
    assert_eq!(page(100, Some(all[0].id + 1)).await, all);
    assert!(page(100, Some(all[4].id)).await.is_empty());

    let by_number = tickets
        .alerts(org, number(&ticket), 100, None)
        .await
        .expect("alerts");
    assert_eq!(by_number, Some(all));
    assert_eq!(alerts(tickets, org, other.id()).await.len(), 2);
    let unknown = TicketRef::Id(draft(org, alert("ghost"), t0()).ticket.id());
    assert_eq!(
        tickets
            .alerts(org, unknown, 100, None)
            .await
            .expect("alerts"),
        None
    );
    let unknown = unknown_number(&[&ticket, &other]);
    assert_eq!(
        tickets
            .alerts(org, unknown, 100, None)
            .await
            .expect("alerts"),
        None
    );
}

/// The list is newest first (`created_at`, then id), and following the cursors visits every
/// ticket exactly once, ending with no cursor on the page that holds the last one.
pub async fn list_pages_visit_every_ticket_once_newest_first<R: TicketRepository>(
    tickets: &R,
    org: OrgId,
) {
    let mut all = Vec::new();
    for (i, minute) in [5, 1, 9, 3, 7, 2, 8].into_iter().enumerate() {
        all.push(create(tickets, org, alert(&format!("t{i}")), at(minute * MINUTE)).await);
    }
    // Created at one instant: the id breaks the tie.
    for i in 0..3 {
        all.push(create(tickets, org, alert(&format!("tie{i}")), at(4 * MINUTE)).await);
    }
    newest_first(&mut all);
    let ids: Vec<TicketId> = all.iter().map(Ticket::id).collect();
    for limit in [1u16, 2, 3, 4, 10, 11] {
        let pages = pages(tickets, org, &TicketFilter::default(), limit, at(HOUR)).await;
        let walked: Vec<TicketId> = pages.iter().flatten().map(Ticket::id).collect();
        assert_eq!(
            walked, ids,
            "limit {limit}: every ticket once, newest first"
        );
        assert_eq!(
            pages.len(),
            all.len().div_ceil(usize::from(limit)),
            "limit {limit}: full pages, and no cursor after the last ticket"
        );
    }
    let listed = list_all(tickets, org, &TicketFilter::default(), at(HOUR)).await;
    assert_eq!(listed, all, "listed tickets are the stored ones");
}

/// The instant the filter and stats behaviours evaluate the SLA at.
fn now() -> DateTime<Utc> {
    at(5 * HOUR)
}

/// A varied store: every status, several severities, cameras, providers and assignees,
/// tickets created over a few hours, SLA targets met, breached and pending at [`now`].
pub(crate) async fn population<R: TicketRepository>(tickets: &R, org: OrgId) -> Vec<Ticket> {
    use Severity::*;
    use Status::*;
    // (severity, camera, provider, steps: (target, assignee, minutes after creation))
    type Step = (Status, Option<&'static str>, i64);
    let plan: [(Severity, i64, u128, &[Step]); 14] = [
        (Critical, 1, 1, &[]),
        (High, 2, 1, &[(Assigned, Some("alice"), 5)]),
        (Medium, 1, 2, &[(InProgress, Some("bob"), 30)]),
        (Low, 3, 2, &[(InProgress, None, 10), (Resolved, None, 60)]),
        (Info, 2, 1, &[(Resolved, None, 30), (Closed, None, 40)]),
        (Critical, 3, 1, &[(FalsePositive, None, 2)]),
        (High, 1, 2, &[(Assigned, Some("alice"), 20)]),
        (
            Critical,
            2,
            2,
            &[(Assigned, Some("bob"), 3), (Resolved, None, 90)],
        ),
        (Low, 1, 1, &[]),
        (Info, 3, 2, &[(Closed, None, 100)]),
        (
            Medium,
            2,
            1,
            &[(Assigned, Some("carol"), 70), (Open, None, 80)],
        ),
        (High, 3, 1, &[(Resolved, None, 10), (InProgress, None, 20)]),
        (
            Critical,
            1,
            2,
            &[(InProgress, Some("alice"), 1), (Resolved, None, 30)],
        ),
        (Medium, 3, 1, &[(FalsePositive, None, 20), (Open, None, 30)]),
    ];
    let mut stored = Vec::new();
    for (i, (severity, cam, prov, steps)) in plan.into_iter().enumerate() {
        let created_at = at(i as i64 * 17 * MINUTE);
        let alert = NewAlert {
            severity,
            camera_id: camera(cam),
            provider_id: provider(prov),
            ..alert(&format!("p{i}"))
        };
        let mut ticket = create(tickets, org, alert, created_at).await;
        for (target, assignee, minutes) in steps {
            let when = created_at + chrono::TimeDelta::minutes(*minutes);
            ticket = transition(tickets, org, &ticket, *target, *assignee, when).await;
        }
        stored.push(ticket);
    }
    // A comment as the first response.
    let (answered, _) = comment(tickets, org, &stored[0], Visibility::External, at(MINUTE)).await;
    stored[0] = answered;
    stored
}

/// The filters the behaviours try, each alone and in combination.
fn filters() -> Vec<TicketFilter> {
    use Severity::*;
    use Status::*;
    let f = TicketFilter::default;
    vec![
        f(),
        TicketFilter {
            statuses: vec![Open],
            ..f()
        },
        TicketFilter {
            statuses: vec![Open, Assigned, InProgress],
            ..f()
        },
        TicketFilter {
            statuses: vec![Resolved, Closed, FalsePositive],
            ..f()
        },
        TicketFilter {
            severities: vec![Critical],
            ..f()
        },
        TicketFilter {
            severities: vec![Critical, High],
            ..f()
        },
        TicketFilter {
            camera_id: Some(camera(2)),
            ..f()
        },
        TicketFilter {
            provider_id: Some(provider(2)),
            ..f()
        },
        TicketFilter {
            assignee_id: Some(user("alice")),
            ..f()
        },
        TicketFilter {
            assignee_id: Some(user("nobody")),
            ..f()
        },
        TicketFilter {
            created_from: Some(at(5 * 17 * MINUTE)),
            ..f()
        },
        TicketFilter {
            created_to: Some(at(5 * 17 * MINUTE)),
            ..f()
        },
        TicketFilter {
            created_from: Some(at(3 * 17 * MINUTE)),
            created_to: Some(at(9 * 17 * MINUTE)),
            ..f()
        },
        TicketFilter {
            sla_breached: Some(true),
            ..f()
        },
        TicketFilter {
            sla_breached: Some(false),
            ..f()
        },
        TicketFilter {
            statuses: vec![Open, Assigned],
            severities: vec![Critical, High],
            provider_id: Some(provider(1)),
            ..f()
        },
        TicketFilter {
            camera_id: Some(camera(1)),
            sla_breached: Some(true),
            statuses: vec![InProgress, Open],
            ..f()
        },
        TicketFilter {
            assignee_id: Some(user("alice")),
            statuses: vec![Assigned],
            created_to: Some(at(HOUR)),
            ..f()
        },
    ]
}

/// Whether `t` matches `filter` at `now`: the filter's meaning, from the domain's rules.
fn matches(filter: &TicketFilter, t: &Ticket, now: DateTime<Utc>) -> bool {
    (filter.statuses.is_empty() || filter.statuses.contains(&t.status()))
        && (filter.severities.is_empty() || filter.severities.contains(&t.severity()))
        && filter.camera_id.is_none_or(|c| c == t.camera_id())
        && filter.provider_id.is_none_or(|p| p == t.provider_id())
        && filter
            .assignee_id
            .as_ref()
            .is_none_or(|a| Some(a) == t.assignee_id())
        && filter
            .created_from
            .is_none_or(|from| t.created_at() >= from)
        && filter.created_to.is_none_or(|to| t.created_at() <= to)
        && filter
            .sla_breached
            .is_none_or(|b| b == t.sla_status(now).any_breached())
}

/// The list keeps exactly the tickets each filter (status, severity, camera, provider,
/// assignee, creation window, SLA breached at `now`, and combinations) means, newest first,
/// also when paged.
pub async fn list_filters_select_the_matching_tickets<R: TicketRepository>(
    tickets: &R,
    org: OrgId,
) {
    let population = population(tickets, org).await;
    list_matches(tickets, org, population).await;
}

/// Asserts that organization `org`'s list of each of [`filters`] holds the tickets of
/// `population` (its tickets, as stored) that match it, newest first, also when paged.
pub(crate) async fn list_matches<R: TicketRepository>(
    tickets: &R,
    org: OrgId,
    mut population: Vec<Ticket>,
) {
    newest_first(&mut population);
    for filter in filters() {
        let expected: Vec<TicketId> = population
            .iter()
            .filter(|t| matches(&filter, t, now()))
            .map(Ticket::id)
            .collect();
        let listed: Vec<TicketId> = list_all(tickets, org, &filter, now())
            .await
            .iter()
            .map(Ticket::id)
            .collect();
        assert_eq!(listed, expected, "list of {filter:?}");
        let paged: Vec<TicketId> = pages(tickets, org, &filter, 3, now())
            .await
            .iter()
            .flatten()
            .map(Ticket::id)
            .collect();
        assert_eq!(paged, expected, "list of {filter:?} in pages of 3");
    }
}

/// Counts by key, without zeros.
fn count<K: Ord>(keys: impl Iterator<Item = K>) -> BTreeMap<K, i64> {
    let mut counts = BTreeMap::new();
    for key in keys {
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// Asserts the stats' counts `by` one key (zeros aside) are those of the listed tickets.
#[track_caller]
fn check_counts<K: Ord + Clone + std::fmt::Debug>(
    what: &str,
    filter: &TicketFilter,
    by: &BTreeMap<K, i64>,
    listed: &[Ticket],
    key: impl Fn(&Ticket) -> K,
) {
    let nonzero: BTreeMap<K, i64> = by
        .iter()
        .filter(|(_, n)| **n != 0)
        .map(|(k, n)| (k.clone(), *n))
        .collect();
    assert_eq!(
        nonzero,
        count(listed.iter().map(key)),
        "by {what} of {filter:?}"
    );
}

/// Checks one target's figures against the tickets it covers: `target` gives each ticket's
/// due time and event.
#[track_caller]
fn check_target(
    name: &str,
    filter: &TicketFilter,
    figures: &TargetStats,
    listed: &[Ticket],
    target: impl Fn(&Ticket) -> (DateTime<Utc>, Option<DateTime<Utc>>),
) {
    let states = count(listed.iter().map(|t| {
        let (due, event) = target(t);
        match SlaState::evaluate(due, event, now()) {
            SlaState::Met => 0,
            SlaState::Breached => 1,
            SlaState::Pending => 2,
        }
    }));
    let state = |k| states.get(&k).copied().unwrap_or(0);
    let (met, breached, pending) = (state(0), state(1), state(2));
    let got = (figures.met, figures.breached, figures.pending);
    assert_eq!(
        got,
        (met, breached, pending),
        "{name} met/breached/pending of {filter:?}"
    );
    let expected_pct = TargetStats {
        met,
        breached,
        ..TargetStats::default()
    }
    .with_compliance()
    .compliance_pct;
    assert_eq!(
        figures.compliance_pct, expected_pct,
        "{name} compliance of {filter:?}"
    );

    let durations: Vec<f64> = listed
        .iter()
        .filter_map(|t| target(t).1.map(|at| at - t.created_at()))
        .map(|d| d.num_microseconds().expect("a short duration") as f64 / 1e6)
        .collect();
    if durations.is_empty() {
        assert_eq!(
            figures.mean_seconds, None,
            "{name} mean over nothing, {filter:?}"
        );
        assert_eq!(
            figures.p50_seconds, None,
            "{name} p50 over nothing, {filter:?}"
        );
        assert_eq!(
            figures.p90_seconds, None,
            "{name} p90 over nothing, {filter:?}"
        );
        return;
    }
    let mean = durations.iter().sum::<f64>() / durations.len() as f64;
    let got = figures.mean_seconds.unwrap_or(f64::NAN);
    assert!(
        (got - mean).abs() < 1e-3,
        "{name} mean of {filter:?}: {got} != {mean}"
    );
    let lowest = durations.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = durations.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (p50, p90) = (figures.p50_seconds, figures.p90_seconds);
    let within = |p: Option<f64>| p.is_some_and(|p| p >= lowest - 1e-3 && p <= highest + 1e-3);
    assert!(
        within(p50) && within(p90) && p50 <= p90,
        "{name} percentiles of {filter:?}: p50 {p50:?}, p90 {p90:?} over {durations:?}"
    );
}

/// For every filter of the list, the stats count the tickets the list shows: the total,
/// by status, severity, provider and camera, and each SLA target's met, breached and pending
/// (by [`SlaState::evaluate`] at `now`), compliance and mean time.
pub async fn stats_agree_with_the_list<R: TicketRepository>(tickets: &R, org: OrgId) {
    population(tickets, org).await;
    stats_match_the_list(tickets, org).await;
}

/// Asserts that organization `org`'s stats of each of [`filters`] count the tickets its list
/// shows, over a store holding [`population`] in `org`.
pub(crate) async fn stats_match_the_list<R: TicketRepository>(tickets: &R, org: OrgId) {
    let mut seen = TicketStats::default();
    for filter in filters() {
        let listed = list_all(tickets, org, &filter, now()).await;
        let stats = tickets.stats(org, &filter, now()).await.expect("stats");
        assert_eq!(stats.total, listed.len() as i64, "total of {filter:?}");
        let f = &filter;
        check_counts("status", f, &stats.by_status, &listed, Ticket::status);
        check_counts("severity", f, &stats.by_severity, &listed, Ticket::severity);
        check_counts(
            "provider",
            f,
            &stats.by_provider,
            &listed,
            Ticket::provider_id,
        );
        check_counts("camera", f, &stats.by_camera, &listed, Ticket::camera_id);
        check_target(
            "first response",
            &filter,
            &stats.first_response,
            &listed,
            |t| (t.first_response_due_at(), t.first_responded_at()),
        );
        check_target("resolution", &filter, &stats.resolution, &listed, |t| {
            (t.resolution_due_at(), t.resolved_at())
        });
        if filter == TicketFilter::default() {
            seen = stats;
        }
    }
    // The population exercises every state of both targets, so the checks above bite.
    for (name, t) in [
        ("first response", &seen.first_response),
        ("resolution", &seen.resolution),
    ] {
        assert!(
            t.met > 0 && t.breached > 0 && t.pending > 0,
            "{name}: {t:?}"
        );
    }
}
