//! An external panel (dashboard) configured by the administrator, framed inside Cubist.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::client;
use crate::components::status::fetched;
use crate::i18n::*;
use crate::model::Panel;

#[component]
pub fn PanelPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let panels = LocalResource::new(|| client::get::<Vec<Panel>>("/api/v1/panels"));
    view! {
        <section class="panel-page">
            {fetched(panels, move |panels| {
                let id = params.with(|p| p.get("id")).unwrap_or_default();
                match panels.into_iter().find(|p| p.id == id) {
                    Some(panel) => view! {
                        <iframe class="panel-frame" data-testid="panel-frame" title=panel.title.clone() src=panel.url.clone()
                            referrerpolicy="no-referrer"></iframe>
                    }.into_any(),
                    None => view! { <p class="error">{t!(i18n, not_found_body)}</p> }.into_any(),
                }
            })}
        </section>
    }
}
