//! The frame of every list page: the permission gate, the title, and the "new" button.

use leptos::prelude::*;

use super::gate::Gate;
use crate::domain::permissions::PermissionKey;

#[component]
pub fn ListPage(
    permission: PermissionKey,
    #[prop(into)] title: Signal<String>,
    /// Where the "new" button leads, with its label; no button when absent.
    #[prop(optional, into)]
    new: Option<(&'static str, Signal<String>)>,
    children: ChildrenFn,
) -> impl IntoView {
    view! {
        <Gate permission=permission>
            <section>
                <div class="page-head">
                    <h1>{title}</h1>
                    {new.map(|(href, label)| view! { <a class="button" href=href>{label}</a> })}
                </div>
                {children()}
            </section>
        </Gate>
    }
}
