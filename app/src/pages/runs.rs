//! The runs list: every run the user may see (or one pipeline's, `?pipeline_id=`), newest
//! first, filtered by status.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::client;
use crate::components::list_page::ListPage;
use crate::components::pager::Pager;
use crate::components::status::fetched;
use crate::domain::permissions::{Action, PermissionKey, Resource};
use crate::i18n::*;
use crate::model::{Page, Run, RunKind, RunStatus};

const PAGE_SIZE: u32 = 50;

/// The status as a coloured badge.
#[component]
pub fn StatusBadge(status: RunStatus) -> impl IntoView {
    view! { <span class=format!("badge status-{}", status.as_str()) data-status=status.as_str()>{status.as_str()}</span> }
}

#[component]
pub fn RunsPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let status = RwSignal::new(String::new());
    let kind = RwSignal::new(query.with_untracked(|q| q.get("kind")).unwrap_or_default());
    let page = RwSignal::new(1u32);
    let list = LocalResource::new(move || {
        let pipeline = query.with(|q| q.get("pipeline_id")).map(|p| format!("&pipeline_id={p}")).unwrap_or_default();
        let filter =
            |name: &str, value: String| if value.is_empty() { String::new() } else { format!("&{name}={value}") };
        let (status, kind) = (filter("status", status.get()), filter("kind", kind.get()));
        let path = format!("/api/v1/runs?page={}&page_size={PAGE_SIZE}{pipeline}{status}{kind}", page.get());
        async move { client::get::<Page<Run>>(&path).await }
    });
    let total = Signal::derive(move || list.get().and_then(Result::ok).map_or(0, |p| p.total));
    view! {
        <ListPage permission=PermissionKey::new(Action::List, Resource::Runs)
            title=Signal::derive(move || t_string!(i18n, menu_runs).to_owned())>
            <label class="inline">{t!(i18n, status)} " "
                <select on:change=move |ev| { status.set(event_target_value(&ev)); page.set(1); }>
                    <option value="">{t!(i18n, all)}</option>
                    {RunStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> }).collect_view()}
                </select>
            </label>
            <label class="inline">{t!(i18n, kind)} " "
                <select data-testid="runs-kind" on:change=move |ev| { kind.set(event_target_value(&ev)); page.set(1); }>
                    <option value="">{t!(i18n, all)}</option>
                    {RunKind::ALL.iter().map(|k| view! {
                        <option value=k.as_str() selected=kind.get_untracked() == k.as_str()>{k.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            {fetched(list, move |list| view! {
                <table data-testid="runs-table">
                    <thead><tr><th>{t!(i18n, runs_run)}</th><th>{t!(i18n, menu_pipelines)}</th><th>{t!(i18n, kind)}</th>
                        <th>{t!(i18n, status)}</th><th>{t!(i18n, runs_runner)}</th><th>{t!(i18n, created)}</th>
                        <th>{t!(i18n, runs_duration)}</th></tr></thead>
                    <tbody>
                        {list.items.into_iter().map(|r| {
                            let duration = match (r.started_at, r.finished_at) {
                                (Some(a), Some(b)) => format!("{:.1} s", (b - a).num_milliseconds() as f64 / 1000.0),
                                _ => String::new(),
                            };
                            view! {
                                <tr>
                                    <td><a href=format!("/runs/{}", r.run_id)><code>{r.run_id.chars().take(12).collect::<String>()}</code></a></td>
                                    <td><a href=format!("/pipelines/{}", r.pipeline.id)>{r.pipeline.name.clone()}</a></td>
                                    <td>{r.kind.as_str()}</td>
                                    <td><StatusBadge status=r.status /></td>
                                    <td>{r.runner.clone().unwrap_or_default()}</td>
                                    <td>{crate::pages::when(&r.created_at)}</td>
                                    <td>{duration}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            <Pager page=page page_size=PAGE_SIZE total=total />
        </ListPage>
    }
}
