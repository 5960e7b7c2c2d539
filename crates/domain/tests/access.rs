//! Roles and what they allow, organization names: the table of the design, cell by cell.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ticket_domain::{
    Action, Caller, Forbidden, OrgRef, OrgSlug, Organization, ProviderId, Role, Status, UserId,
};

const ACTIONS: [Action; 8] = [
    Action::Read,
    Action::PostAlert,
    Action::ChangeStatus,
    Action::Comment,
    Action::AssignOthers,
    Action::Reopen,
    Action::ReadConfig,
    Action::WriteConfig,
];

/// Rows: roles; columns: `ACTIONS` in order.
const TABLE: [(Role, [bool; 8]); 5] = [
    //                   read  post  status comment others reopen rconf wconf
    (
        Role::Viewer,
        [true, false, false, false, false, false, false, false],
    ),
    (
        Role::Operator,
        [true, true, true, true, false, false, false, false],
    ),
    (
        Role::Supervisor,
        [true, true, true, true, true, true, true, false],
    ),
    (
        Role::Admin,
        [true, true, true, true, true, true, true, true],
    ),
    (
        Role::Provider,
        [false, true, false, false, false, false, false, false],
    ),
];

#[test]
fn every_cell_of_the_roles_table() {
    assert_eq!(TABLE.len(), Role::ALL.len());
    for (role, row) in TABLE {
        for (action, allowed) in ACTIONS.into_iter().zip(row) {
            assert_eq!(role.allows(action), allowed, "{role} {action:?}");
        }
    }
}

fn user(name: &str) -> UserId {
    UserId::parse(name, "sub").unwrap()
}

fn caller(roles: &[Role]) -> Caller {
    Caller {
        user: Some(user("ann")),
        org: Organization::DEFAULT_ID,
        roles: roles.to_vec(),
        provider: None,
    }
}

#[test]
fn any_role_of_several_is_enough_and_none_allows_nothing() {
    let both = caller(&[Role::Viewer, Role::Provider]);
    assert!(both.may(Action::Read));
    assert!(both.may(Action::PostAlert));
    assert!(!both.may(Action::Comment));
    let nobody = caller(&[]);
    for action in ACTIONS {
        assert!(!nobody.may(action));
    }
    assert_eq!(
        nobody.require(Action::Read),
        Err(Forbidden::Role {
            action: Action::Read,
            roles: "none".to_owned()
        })
    );
    assert!(matches!(
        caller(&[Role::Viewer, Role::Operator]).require(Action::Reopen),
        Err(Forbidden::Role { roles, .. }) if roles == "viewer, operator"
    ));
}

#[test]
fn a_provider_posts_only_under_its_own_provider_id() {
    let own = ProviderId::from_uuid(uuid::Uuid::from_u128(5));
    let other = ProviderId::from_uuid(uuid::Uuid::from_u128(6));
    let mut provider = caller(&[Role::Provider]);
    provider.provider = Some(own);
    assert_eq!(provider.require_post_alert(own), Ok(()));
    assert_eq!(
        provider.require_post_alert(other),
        Err(Forbidden::OtherProvider)
    );
    provider.provider = None;
    assert_eq!(
        provider.require_post_alert(own),
        Err(Forbidden::OtherProvider)
    );
    // Operators post for any provider; a viewer for none.
    assert_eq!(caller(&[Role::Operator]).require_post_alert(other), Ok(()));
    assert!(matches!(
        caller(&[Role::Viewer]).require_post_alert(own),
        Err(Forbidden::Role { .. })
    ));
    let mut both = caller(&[Role::Provider, Role::Supervisor]);
    both.provider = Some(own);
    assert_eq!(both.require_post_alert(other), Ok(()));
}

#[test]
fn reopening_and_assigning_others_need_a_supervisor() {
    let operator = caller(&[Role::Operator]);
    let supervisor = caller(&[Role::Supervisor]);
    let ann = user("ann");
    let bob = user("bob");
    // Working one's own ticket.
    assert_eq!(
        operator.require_status_change(Status::Open, Status::InProgress, None),
        Ok(())
    );
    assert_eq!(
        operator.require_status_change(Status::Open, Status::Assigned, Some(&ann)),
        Ok(())
    );
    assert_eq!(
        operator.require_status_change(Status::InProgress, Status::Resolved, None),
        Ok(())
    );
    assert_eq!(
        operator.require_status_change(Status::Resolved, Status::Closed, None),
        Ok(())
    );
    // Someone else, or a reopen.
    assert!(
        operator
            .require_status_change(Status::Open, Status::Assigned, Some(&bob))
            .is_err()
    );
    assert!(
        operator
            .require_status_change(Status::Open, Status::InProgress, Some(&bob))
            .is_err()
    );
    for from in [Status::Resolved, Status::FalsePositive] {
        for to in [Status::Open, Status::InProgress] {
            assert!(
                operator.require_status_change(from, to, None).is_err(),
                "{from}->{to}"
            );
            assert_eq!(supervisor.require_status_change(from, to, None), Ok(()));
        }
    }
    assert_eq!(
        supervisor.require_status_change(Status::Open, Status::Assigned, Some(&bob)),
        Ok(())
    );
    // A provider-only caller has no user: any assignee is someone else.
    let mut nobody = caller(&[Role::Operator]);
    nobody.user = None;
    assert!(
        nobody
            .require_status_change(Status::Open, Status::Assigned, Some(&ann))
            .is_err()
    );
    assert!(
        caller(&[Role::Viewer])
            .require_status_change(Status::Open, Status::InProgress, None)
            .is_err()
    );
}

#[test]
fn slugs_are_dns_labels_folded_to_lower_case() {
    for (raw, parsed) in [
        ("acme", "acme"),
        ("ACME-2", "acme-2"),
        (" site-7 ", "site-7"),
    ] {
        assert_eq!(OrgSlug::parse(raw, "org").unwrap().as_str(), parsed);
    }
    let longest = "a".repeat(OrgSlug::MAX_CHARS);
    assert!(OrgSlug::parse(&longest, "org").is_ok());
    for raw in ["", "-acme", "ac me", "acmé", "a_b", &"a".repeat(64)] {
        let err = OrgSlug::parse(raw, "X-Org-Id").err().map(|e| e.field);
        assert_eq!(err.as_deref(), Some("X-Org-Id"), "{raw:?}");
    }
}

#[test]
fn an_org_is_named_by_id_or_slug() {
    let id = "00000000-0000-0000-0000-000000000001";
    assert_eq!(
        OrgRef::parse(id, "org"),
        Ok(OrgRef::Id(Organization::DEFAULT_ID))
    );
    assert_eq!(
        OrgRef::parse("default", "org"),
        Ok(OrgRef::Slug(
            OrgSlug::parse(Organization::DEFAULT_SLUG, "x").unwrap()
        ))
    );
    assert!(OrgRef::parse("not a slug", "org").is_err());
}

#[test]
fn operators_set_their_own_availability_and_supervisors_anyones() {
    let operator = caller(&[Role::Operator]);
    assert!(operator.require_set_availability(&user("ann")).is_ok());
    assert!(operator.require_set_availability(&user("ben")).is_err());
    let supervisor = caller(&[Role::Supervisor]);
    assert!(supervisor.require_set_availability(&user("ben")).is_ok());
    let viewer = caller(&[Role::Viewer]);
    assert!(viewer.require_set_availability(&user("ann")).is_err());
}
