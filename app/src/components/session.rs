//! The signed-in user, shared with every page through context.

use std::collections::HashSet;

use leptos::prelude::*;

use crate::domain::permissions::PermissionKey;
use crate::model::Me;

/// Who is signed in (set by the shell once `/api/v1/me` answers).
#[derive(Clone, Copy)]
pub struct Session {
    pub me: RwSignal<Option<Me>>,
}

impl Session {
    pub fn permissions(&self) -> HashSet<PermissionKey> {
        self.me.with(|me| me.as_ref().map(|m| m.permissions.iter().copied().collect()).unwrap_or_default())
    }

    pub fn can(&self, permission: PermissionKey) -> bool {
        self.me.with(|me| me.as_ref().is_some_and(|m| m.permissions.contains(&permission)))
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
