//! The navigation menu and the permission each entry needs. The UI shows only what the user
//! may open; the server adds every entry's permission to the catalog.

use std::collections::HashSet;

use super::permissions::{Action, PermissionKey, Resource};

/// One link of the side navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MenuItem {
    /// Translation key of the label.
    pub label: &'static str,
    pub path: &'static str,
    pub resource: Resource,
}

impl MenuItem {
    /// The permission needed to see the entry.
    pub fn permission(&self) -> PermissionKey {
        PermissionKey::new(Action::Menu, self.resource)
    }
}

/// A titled group of links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MenuGroup {
    pub label: &'static str,
    pub items: &'static [MenuItem],
}

/// The whole menu, in display order.
pub const MENU: &[MenuGroup] = &[
    MenuGroup {
        label: "workspace",
        items: &[
            MenuItem { label: "home", path: "/", resource: Resource::Home },
            MenuItem { label: "pipelines", path: "/pipelines", resource: Resource::Pipelines },
            MenuItem { label: "runs", path: "/runs", resource: Resource::Runs },
        ],
    },
    MenuGroup {
        label: "projects",
        items: &[
            MenuItem { label: "project_groups", path: "/projects/org", resource: Resource::Projects },
            MenuItem { label: "template_categories", path: "/projects/categories", resource: Resource::Projects },
        ],
    },
    MenuGroup {
        label: "training",
        items: &[
            MenuItem { label: "job_templates", path: "/job-templates", resource: Resource::JobTemplates },
            MenuItem { label: "images", path: "/images", resource: Resource::Images },
            MenuItem { label: "repositories", path: "/repositories", resource: Resource::Repositories },
        ],
    },
    MenuGroup {
        label: "security",
        items: &[
            MenuItem { label: "users", path: "/security/users", resource: Resource::Users },
            MenuItem { label: "roles", path: "/security/roles", resource: Resource::Roles },
            MenuItem { label: "permissions", path: "/security/permissions", resource: Resource::Permissions },
            MenuItem { label: "audit_log", path: "/security/audit-log", resource: Resource::AuditLog },
        ],
    },
    MenuGroup {
        label: "account",
        items: &[
            MenuItem { label: "profile", path: "/account", resource: Resource::Account },
            MenuItem { label: "api_tokens", path: "/account/tokens", resource: Resource::ApiTokens },
        ],
    },
];

/// The menu restricted to what `granted` allows; empty groups are dropped.
pub fn visible_menu(granted: &HashSet<PermissionKey>) -> Vec<(MenuGroup, Vec<MenuItem>)> {
    MENU.iter()
        .filter_map(|group| {
            let items: Vec<MenuItem> =
                group.items.iter().copied().filter(|item| granted.contains(&item.permission())).collect();
            (!items.is_empty()).then_some((*group, items))
        })
        .collect()
}

/// Every permission the menu refers to.
pub fn menu_permissions() -> impl Iterator<Item = PermissionKey> {
    MENU.iter().flat_map(|g| g.items.iter().map(MenuItem::permission))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_user_sees_no_security_group() {
        let gamma: HashSet<PermissionKey> = menu_permissions().filter(|p| p.in_gamma()).collect();
        let menu = visible_menu(&gamma);
        let labels: Vec<&str> = menu.iter().map(|(g, _)| g.label).collect();
        assert_eq!(labels, ["workspace", "projects", "training", "account"]);
    }

    #[test]
    fn admin_sees_everything_and_nobody_sees_nothing() {
        let all: HashSet<PermissionKey> = menu_permissions().collect();
        assert_eq!(visible_menu(&all).len(), MENU.len());
        assert!(visible_menu(&HashSet::new()).is_empty());
    }

    #[test]
    fn every_menu_path_is_a_page() {
        for p in menu_permissions() {
            assert_eq!(p.action, Action::Menu);
        }
        for g in MENU {
            for item in g.items {
                assert!(crate::routes::is_page(item.path), "{} is not a page", item.path);
            }
        }
    }
}
