//! Shows its children only to users holding a permission; others see the 403 message.

use leptos::prelude::*;

use super::session::use_session;
use crate::domain::permissions::PermissionKey;
use crate::i18n::*;

#[component]
pub fn Gate(permission: PermissionKey, children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let i18n = use_i18n();
    move || {
        if session.can(permission) {
            children().into_any()
        } else {
            view! {
                <div class="error forbidden" role="alert">
                    <h2>{t!(i18n, forbidden_title)}</h2>
                    <p>{t!(i18n, forbidden_body)}</p>
                </div>
            }
            .into_any()
        }
    }
}
