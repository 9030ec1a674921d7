//! Every pipeline the user may see, searchable by name or description, newest change first.

use leptos::prelude::*;

use crate::client;
use crate::components::list_page::ListPage;
use crate::components::pager::Pager;
use crate::components::status::fetched;
use crate::domain::permissions::{Action, PermissionKey, Resource};
use crate::i18n::*;
use crate::model::{Page, PipelineSummary};

const PAGE_SIZE: u32 = 50;

#[component]
pub fn PipelinesPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = RwSignal::new(String::new());
    let page = RwSignal::new(1u32);
    let list = LocalResource::new(move || {
        let q: String = js_sys::encode_uri_component(&query.get()).into();
        let path = format!("/api/v1/pipelines?q={q}&page={}&page_size={PAGE_SIZE}", page.get());
        async move { client::get::<Page<PipelineSummary>>(&path).await }
    });
    let total = Signal::derive(move || list.get().and_then(Result::ok).map_or(0, |p| p.total));
    view! {
        <ListPage permission=PermissionKey::new(Action::List, Resource::Pipelines)
            title=Signal::derive(move || t_string!(i18n, menu_pipelines).to_owned())>
            <input type="search" class="search" placeholder=move || t_string!(i18n, filter)
                on:change=move |ev| { query.set(event_target_value(&ev)); page.set(1); } />
            {fetched(list, move |list| view! {
                <table>
                    <thead><tr><th>{t!(i18n, role_name)}</th><th>{t!(i18n, description)}</th>
                        <th>{t!(i18n, editor_project)}</th><th>{t!(i18n, creator)}</th><th>{t!(i18n, editor_changed)}</th></tr></thead>
                    <tbody>
                        {list.items.into_iter().map(|p| view! {
                            <tr>
                                <td><a href=format!("/pipelines/{}", p.id)>{p.name.clone()}</a>
                                    {p.demo.then(|| view! { " " <span class="chip">"demo"</span> })}</td>
                                <td>{p.description.clone()}</td>
                                <td>{p.project.name.clone()}</td>
                                <td>{p.created_by.clone().unwrap_or_default()}</td>
                                <td>{crate::pages::when(&p.updated_at)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            <Pager page=page page_size=PAGE_SIZE total=total />
        </ListPage>
    }
}
