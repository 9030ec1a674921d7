//! The home page. The demo gallery and pipeline tabs arrive with the pipeline editor.

use leptos::prelude::*;

use crate::components::session::use_session;
use crate::i18n::*;

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    move || {
        session.me.get().map(|me| {
            let projects = me.projects.clone();
            view! {
                <section>
                    <h1>{t!(i18n, home_title)}</h1>
                    <p>{t!(i18n, home_signed_in_as)} " " <strong>{me.user.username.clone()}</strong></p>
                    <h2>{t!(i18n, home_projects)}</h2>
                    {if projects.is_empty() {
                        view! { <p class="muted">{t!(i18n, home_no_projects)}</p> }.into_any()
                    } else {
                        view! {
                            <ul class="chips">
                                {projects
                                    .into_iter()
                                    .map(|p| view! { <li>{p.name} " · " {p.role.as_str()}</li> })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }}
                </section>
            }
        })
    }
}
