//! The ticket lifecycle in the words of the API description. Every list of statuses the
//! document states is written here from `ticket_domain::Status`'s own tables (`ALL`,
//! `allowed_targets`, `is_active`, `is_resolution`), so that a change to the lifecycle
//! changes the document and the test comparing it with `docs/openapi.json` points at it.
//!
//! A leaf of the inbound side: it knows only the domain.

use ticket_domain::Status;

fn statuses(keep: impl Fn(Status) -> bool) -> impl Iterator<Item = Status> {
    Status::ALL.iter().copied().filter(move |s| keep(*s))
}

/// `` `open` ``.
fn code(status: Status) -> String {
    format!("`{}`", status.as_str())
}

/// `a`, `b` or `c` (`conjunction` "or"), in the domain's order.
fn listed(statuses: impl IntoIterator<Item = Status>, conjunction: &str) -> String {
    let mut names: Vec<String> = statuses.into_iter().map(code).collect();
    match names.pop() {
        None => "none".to_owned(),
        Some(last) if names.is_empty() => last,
        Some(last) => format!("{} {conjunction} {last}", names.join(", ")),
    }
}

/// The statuses of a ticket still worked, which takes in repeated alerts: "`open`,
/// `assigned` or `in_progress`".
pub fn active_statuses() -> String {
    listed(statuses(Status::is_active), "or")
}

/// The statuses that end the work (the SLA's resolution): "`resolved`, `closed` or
/// `false_positive`".
pub fn resolution_statuses() -> String {
    listed(statuses(Status::is_resolution), "or")
}

/// "`closed` is terminal.": the statuses no change leaves.
pub fn terminal_sentence() -> String {
    let terminal: Vec<Status> = statuses(|s| s.allowed_targets().is_empty()).collect();
    match terminal.len() {
        0 => String::new(),
        1 => format!("{} is terminal.", listed(terminal, "and")),
        _ => format!("{} are terminal.", listed(terminal, "and")),
    }
}

/// The allowed changes as a Markdown table, one row per current status.
pub fn transition_table() -> String {
    let mut table = String::from("| From | To |\n|---|---|");
    for &from in Status::ALL {
        let targets: Vec<String> = from
            .allowed_targets()
            .iter()
            .map(|&to| match (to == from, assignee_rule(to)) {
                (false, _) => code(to),
                (true, Assignee::Required) => format!("{} (re-assignment)", code(to)),
                (true, _) => format!("{} (again)", code(to)),
            })
            .collect();
        let targets = if targets.is_empty() {
            "none: terminal".to_owned()
        } else {
            targets.join(", ")
        };
        table.push_str(&format!("\n| {} | {targets} |", code(from)));
    }
    table
}

pub use ticket_domain::AssigneeRule as Assignee;

/// Whether a move to `target` takes an `assignee_id` (the domain's rule).
pub fn assignee_rule(target: Status) -> Assignee {
    target.assignee_rule()
}

/// The targets that take an `assignee_id` as `rule` says.
pub fn targets(rule: Assignee) -> impl Iterator<Item = Status> {
    statuses(move |s| assignee_rule(s) == rule)
}

/// "`assigned`", the targets that need an `assignee_id`.
pub fn assignee_required_targets() -> String {
    listed(targets(Assignee::Required), "or")
}

/// "`in_progress`", the targets that may name an `assignee_id`.
pub fn assignee_optional_targets() -> String {
    listed(targets(Assignee::Optional), "or")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ticket_domain::lifecycle::apply;
    use ticket_domain::{
        AlertData, CameraId, NewAlert, ProviderId, Severity, SlaPolicy, StatusChange, Ticket,
        TicketDraft, Title, TransitionError, UserId,
    };

    fn user(name: &str) -> UserId {
        UserId::parse(name, "user").unwrap()
    }

    fn change(target: Status, assignee: Option<&str>) -> StatusChange {
        StatusChange {
            target,
            assignee_id: assignee.map(user),
            // A hold needs one.
            reason: (target == Status::OnHold)
                .then(|| ticket_domain::Reason::parse("waiting", "reason").unwrap()),
            hold_until: None,
        }
    }

    fn step(from: &Ticket, to: Status, assignee: Option<&str>) -> Result<Ticket, TransitionError> {
        apply(
            from,
            &change(to, assignee),
            &user("operator"),
            chrono::Utc::now(),
        )
        .map(|(t, _)| t)
    }

    /// A ticket in each status, reached through the domain's own moves from a new one.
    fn one_ticket_per_status() -> Vec<Ticket> {
        let alert = NewAlert {
            title: Title::parse("Person in zone", "title").unwrap(),
            description: None,
            severity: Severity::High,
            camera_id: CameraId::parse(1, "camera_id").unwrap(),
            provider_id: ProviderId::from_uuid(uuid::Uuid::nil()),
            alert_type: None,
            alert_data: AlertData::empty(),
            occurred_at: None,
            external_id: None,
            dedup_key: None,
        };
        let new = TicketDraft::new(
            ticket_domain::Organization::DEFAULT_ID,
            alert,
            &SlaPolicy::default(),
            chrono::Utc::now(),
        )
        .ticket;
        let mut found = vec![new];
        let mut i = 0;
        while let Some(from) = found.get(i).cloned() {
            for &to in from.status().allowed_targets() {
                if found.iter().all(|t| t.status() != to) {
                    let moved = step(&from, to, None)
                        .or_else(|_| step(&from, to, Some("someone")))
                        .unwrap();
                    found.push(moved);
                }
            }
            i += 1;
        }
        found
    }

    #[test]
    fn the_assignee_rule_is_the_domains() {
        let tickets = one_ticket_per_status();
        assert_eq!(tickets.len(), Status::ALL.len(), "a status no move reaches");
        for from in &tickets {
            for &to in from.status().allowed_targets() {
                let without = step(from, to, None);
                let with = step(from, to, Some("someone-else"));
                let observed = match (&without, &with) {
                    (Err(TransitionError::AssigneeRequired), Ok(_)) => Assignee::Required,
                    (Ok(_), Ok(_)) => Assignee::Optional,
                    (Ok(_), Err(TransitionError::AssigneeNotApplicable(_))) => {
                        Assignee::NotApplicable
                    }
                    other => panic!("{} -> {to}: {other:?}", from.status()),
                };
                // The one exception the OpenAPI prose names: back from a hold, `assigned`
                // may keep the current assignee.
                let expected = if from.status() == Status::OnHold && to == Status::Assigned {
                    Assignee::Optional
                } else {
                    assignee_rule(to)
                };
                assert_eq!(expected, observed, "{} -> {to}", from.status());
            }
        }
    }

    #[test]
    fn lists_read_as_prose() {
        use Status::*;
        assert_eq!(listed([], "or"), "none");
        assert_eq!(listed([Open], "or"), "`open`");
        assert_eq!(listed([Open, Closed], "or"), "`open` or `closed`");
        assert_eq!(
            listed([Open, Assigned, Closed], "and"),
            "`open`, `assigned` and `closed`"
        );
        let table = transition_table();
        assert_eq!(table.lines().count(), 2 + Status::ALL.len(), "{table}");
    }
}
