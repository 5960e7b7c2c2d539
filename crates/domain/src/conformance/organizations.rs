//! [`OrganizationRepository`]: resolving (and provisioning) organizations, reading and
//! updating them.

use futures_util::future::join_all;
use serde_json::json;

use super::fixtures::provision;
use crate::access::{OrgRef, OrgSlug, Organization};
use crate::model::OrgId;
use crate::ports::OrganizationRepository;

fn slug(s: &str) -> OrgRef {
    OrgRef::Slug(OrgSlug::parse(s, "slug").expect("a slug"))
}

async fn get<G: OrganizationRepository>(orgs: &G, id: OrgId) -> Organization {
    orgs.get(id)
        .await
        .expect("get")
        .unwrap_or_else(|| panic!("organization {id} is not found"))
}

async fn resolve<G: OrganizationRepository>(orgs: &G, org: &OrgRef) -> Option<OrgId> {
    orgs.resolve(org)
        .await
        .unwrap_or_else(|e| panic!("resolve of {org:?}: {e:?}"))
}

/// The default organization exists, by id and by its slug. A new slug is provisioned on
/// first use and resolves to that one organization ever after, by slug and by id; `get`
/// reads it with its slug and settings as a JSON object. Another slug is another
/// organization.
pub async fn resolve_provisions_a_new_slug_once<G: OrganizationRepository>(orgs: &G) {
    let default = Organization::DEFAULT_ID;
    assert_eq!(resolve(orgs, &OrgRef::Id(default)).await, Some(default));
    assert_eq!(
        resolve(orgs, &slug(Organization::DEFAULT_SLUG)).await,
        Some(default)
    );
    assert_eq!(
        get(orgs, default).await.slug.as_str(),
        Organization::DEFAULT_SLUG
    );

    let acme = provision(orgs, "acme").await;
    assert_eq!(resolve(orgs, &slug("acme")).await, Some(acme), "again");
    assert_eq!(resolve(orgs, &OrgRef::Id(acme)).await, Some(acme), "by id");
    let stored = get(orgs, acme).await;
    assert_eq!(stored.id, acme);
    assert_eq!(stored.slug.as_str(), "acme");
    assert!(
        stored.settings.is_object(),
        "settings are a JSON object: {stored:?}"
    );

    let globex = provision(orgs, "globex").await;
    assert_ne!(globex, acme, "two slugs, two organizations");
    assert_eq!(resolve(orgs, &slug("acme")).await, Some(acme));
}

/// A new slug resolved by several callers at once (as by several instances on an
/// organization's first requests) is provisioned once: every caller gets the one id.
pub async fn concurrent_resolves_of_a_new_slug_give_one_id<G: OrganizationRepository>(orgs: &G) {
    const BURST: usize = 8;
    let refs: Vec<OrgRef> = ["north", "south"]
        .into_iter()
        .flat_map(|s| std::iter::repeat_n(slug(s), BURST))
        .collect();
    let ids = join_all(refs.iter().map(|r| resolve(orgs, r))).await;
    let (north, south) = ids.split_at(BURST);
    for (name, ids) in [("north", north), ("south", south)] {
        let first = ids[0].unwrap_or_else(|| panic!("{name} is not provisioned"));
        assert!(
            ids.iter().all(|id| *id == Some(first)),
            "{name} resolved at once to several ids: {ids:?}"
        );
        assert_eq!(get(orgs, first).await.slug.as_str(), name);
        assert_eq!(
            resolve(orgs, &slug(name)).await,
            Some(first),
            "{name} later"
        );
    }
    assert_ne!(north[0], south[0], "two slugs, two organizations");
}

/// An id no organization has is not provisioned: `resolve` and `get` are `None`, and so is
/// `update`, which creates nothing.
pub async fn an_unknown_organization_id_is_none<G: OrganizationRepository>(orgs: &G) {
    let unknown = OrgId::from_u128(0x0c0f_fee0_0000_4000_8000_0000_0000_0042);
    assert_eq!(resolve(orgs, &OrgRef::Id(unknown)).await, None, "resolve");
    assert_eq!(orgs.get(unknown).await.expect("get"), None, "get");
    let updated = orgs
        .update(unknown, Some("Ghost".to_owned()), Some(json!({ "a": 1 })))
        .await
        .expect("update");
    assert_eq!(updated, None, "update");
    assert_eq!(
        resolve(orgs, &OrgRef::Id(unknown)).await,
        None,
        "after update"
    );
    assert_eq!(orgs.get(unknown).await.expect("get"), None, "after update");
}

/// `update` changes the name, the settings (replaced whole) or both, and returns the
/// organization as stored, which `get` reads back; nothing given changes nothing. The id,
/// slug and creation time stay, and other organizations are untouched.
pub async fn update_changes_name_and_settings_and_get_reads_them_back<G>(orgs: &G)
where
    G: OrganizationRepository,
{
    let acme = provision(orgs, "acme").await;
    let globex = provision(orgs, "globex").await;
    let created = get(orgs, acme).await;
    let neighbour = get(orgs, globex).await;

    let update = |name: Option<&'static str>, settings: Option<serde_json::Value>| async move {
        let updated = orgs
            .update(acme, name.map(str::to_owned), settings)
            .await
            .expect("update")
            .unwrap_or_else(|| panic!("update of organization {acme}: not found"));
        assert_eq!(get(orgs, acme).await, updated, "get reads the update back");
        updated
    };
    let renamed = update(Some("Acme Corp"), None).await;
    let expected = Organization {
        name: "Acme Corp".to_owned(),
        ..created.clone()
    };
    assert_eq!(renamed, expected, "a new name, the rest kept");

    let first_settings = json!({ "timezone": "Europe/Paris", "sla": { "critical": 5 } });
    let configured = update(None, Some(first_settings.clone())).await;
    let expected = Organization {
        settings: first_settings,
        ..renamed
    };
    assert_eq!(configured, expected, "new settings, the name kept");

    let second_settings = json!({ "locale": "fr" });
    let both = update(Some("Acme"), Some(second_settings.clone())).await;
    let expected = Organization {
        name: "Acme".to_owned(),
        settings: second_settings,
        ..created
    };
    assert_eq!(both, expected, "both at once; the settings replaced whole");

    assert_eq!(
        update(None, None).await,
        both,
        "nothing given, nothing changed"
    );
    assert_eq!(get(orgs, globex).await, neighbour, "another organization");
    assert_eq!(resolve(orgs, &slug("acme")).await, Some(acme));
}
