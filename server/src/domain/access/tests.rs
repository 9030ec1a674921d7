//! Every row rule as one table: persona × resource × act → allowed, hidden or refused.

use std::collections::HashSet;

use app::domain::permissions::{Action, PermissionKey, Resource};
use app::model::{ProjectRole, UserId};

use super::delegation::{self, AccountChange, RoleFacts};
use super::{Act, Row, Verdict, Who, decide, powers};

const ME: UserId = UserId(7);
const OTHER: UserId = UserId(8);

/// Who asks, by the facts that matter: admin, whether they made the row, their project role.
#[derive(Clone, Copy)]
struct Persona {
    admin: bool,
    made_it: bool,
    role: Option<ProjectRole>,
}

const PERSONAS: [Persona; 5] = [
    Persona { admin: true, made_it: false, role: None },
    Persona { admin: false, made_it: true, role: Some(ProjectRole::Dev) },
    Persona { admin: false, made_it: false, role: Some(ProjectRole::Creator) },
    Persona { admin: false, made_it: false, role: Some(ProjectRole::Dev) },
    Persona { admin: false, made_it: false, role: None },
];

#[derive(Clone, Copy)]
enum Kind {
    Pipeline,
    DemoPipeline,
    ReleasedTemplate,
    TestTemplate,
    Registry,
    Project,
}

fn row(kind: Kind, p: Persona) -> Row {
    let created_by = Some(if p.made_it { ME } else { OTHER });
    match kind {
        Kind::Pipeline => Row::Pipeline { created_by, demo: false, role: p.role },
        Kind::DemoPipeline => Row::Pipeline { created_by, demo: true, role: p.role },
        Kind::ReleasedTemplate => Row::Template { created_by, released: true },
        Kind::TestTemplate => Row::Template { created_by, released: false },
        Kind::Registry => Row::Registry { created_by },
        Kind::Project => Row::Project { role: p.role },
    }
}

/// Columns: admin, maker (project dev), project creator, project dev, outsider.
/// A = allowed, H = hidden (404), R = refused (403).
const TABLE: &[(Kind, Act, &str)] = &[
    (Kind::Pipeline, Act::See, "AAAAH"),
    (Kind::Pipeline, Act::Change, "AAARH"),
    (Kind::Pipeline, Act::Delete, "AAARH"),
    (Kind::DemoPipeline, Act::See, "AAAAA"),
    (Kind::DemoPipeline, Act::Change, "ARRRR"),
    (Kind::DemoPipeline, Act::Delete, "ARRRR"),
    (Kind::ReleasedTemplate, Act::See, "AAAAA"),
    (Kind::ReleasedTemplate, Act::Change, "AARRR"),
    (Kind::ReleasedTemplate, Act::Delete, "AARRR"),
    (Kind::TestTemplate, Act::See, "AAHHH"),
    (Kind::TestTemplate, Act::Change, "AAHHH"),
    (Kind::TestTemplate, Act::Delete, "AAHHH"),
    (Kind::Registry, Act::See, "AAHHH"),
    (Kind::Registry, Act::Change, "AAHHH"),
    (Kind::Registry, Act::Delete, "AAHHH"),
    (Kind::Project, Act::See, "AAAAA"),
    (Kind::Project, Act::Change, "ARARR"),
    (Kind::Project, Act::Delete, "ARRRR"),
];

fn letter(v: Verdict) -> char {
    match v {
        Verdict::Allowed => 'A',
        Verdict::Hidden => 'H',
        Verdict::Refused(_) => 'R',
    }
}

#[test]
fn every_row_rule_matches_the_table() {
    for (kind, act, expected) in TABLE {
        let got: String =
            PERSONAS.iter().map(|p| letter(decide(Who { user: ME, admin: p.admin }, *act, row(*kind, *p)))).collect();
        assert_eq!(&got, expected, "{act:?} on row {:?}", row(*kind, PERSONAS[1]));
    }
}

#[test]
fn a_maker_who_left_the_project_no_longer_reaches_the_pipeline() {
    let left = Row::Pipeline { created_by: Some(ME), demo: false, role: None };
    assert_eq!(decide(Who { user: ME, admin: false }, Act::Change, left), Verdict::Hidden);
}

const MANAGER: Who = Who { user: ME, admin: false };
const ADMIN: Who = Who { user: ME, admin: true };

#[test]
fn delegated_managers_never_reach_administrators_or_roles() {
    let plain = AccountChange::default();
    let of_admin = AccountChange { target_admin: true, ..AccountChange::default() };
    let stronger = AccountChange { target_exceeds: true, ..AccountChange::default() };
    let roles = AccountChange { roles: true, ..AccountChange::default() };
    assert!(delegation::account_change(MANAGER, plain).is_ok());
    assert!(delegation::account_change(MANAGER, of_admin).is_err());
    assert!(delegation::account_change(MANAGER, stronger).is_err());
    assert!(delegation::account_change(MANAGER, roles).is_err());
    for change in [plain, of_admin, stronger, roles] {
        assert!(delegation::account_change(ADMIN, change).is_ok());
    }
}

#[test]
fn roles_are_changed_only_within_what_one_holds() {
    let held = RoleFacts { builtin: false, held: true };
    let other = RoleFacts { builtin: false, held: false };
    let builtin = RoleFacts { builtin: true, held: false };
    assert!(delegation::role_change(MANAGER, other).is_ok());
    assert!(delegation::role_change(MANAGER, held).is_err());
    assert!(delegation::role_change(ADMIN, held).is_ok());
    assert!(delegation::role_change(ADMIN, builtin).is_err());

    let edit_roles = PermissionKey::new(Action::Edit, Resource::Roles);
    let edit_users = PermissionKey::new(Action::Edit, Resource::Users);
    let mine: HashSet<_> = [edit_roles].into();
    assert!(delegation::grant(MANAGER, &mine, &[edit_roles]).is_ok());
    let refused = delegation::grant(MANAGER, &mine, &[edit_roles, edit_users]).unwrap_err();
    assert!(refused.to_string().contains("edit:users"), "{refused}");
    assert!(delegation::grant(ADMIN, &HashSet::new(), &[edit_users]).is_ok());
}

#[test]
fn far_reaching_mounts_are_for_administrators_wherever_written() {
    for text in ["/data(hostpath):/data", "creds(secret):/etc/creds", "10.0.0.1/export(nfs):/nfs"] {
        assert!(powers::mounts_reach_beyond(text), "{text}");
    }
    for text in ["ws(pvc):/mnt", "4G(memory):/dev/shm", "cfg(configmap):/etc/cfg", ""] {
        assert!(!powers::mounts_reach_beyond(text), "{text}");
    }
    let raw: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(r#"{"volume_mount": "creds(secret):/etc/creds"}"#).unwrap();
    assert!(powers::project(MANAGER, &raw).is_err());
    assert!(powers::project(ADMIN, &raw).is_ok());
}
