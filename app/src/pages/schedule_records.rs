//! A pipeline's scheduled records (`/pipelines/:id/schedule`): every execution date of its
//! schedule, newest first, with its state, what it waits for or why it was skipped, and its
//! run; a date can be skipped or run again.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::runs::StatusBadge;
use crate::client::{self, ClientError};
use crate::components::list_page::ListPage;
use crate::components::pager::Pager;
use crate::components::status::{ErrorBox, fetched, id_param};
use crate::domain::permissions::{Action, PermissionKey, Resource};
use crate::i18n::*;
use crate::model::{Page, RecordState, ScheduleRecord};

const PAGE_SIZE: u32 = 50;
/// How often the list is read again while the page is open (dates come due and run).
const REFRESH: std::time::Duration = std::time::Duration::from_secs(3);

#[component]
pub fn ScheduleRecordsPage() -> impl IntoView {
    let i18n = use_i18n();
    let id = id_param();
    let page = RwSignal::new(1u32);
    let changed = RwSignal::new(0u32);
    let failure = RwSignal::new(None::<ClientError>);
    let list = LocalResource::new(move || {
        changed.track();
        let path = format!(
            "/api/v1/pipelines/{}/schedule/records?page={}&page_size={PAGE_SIZE}",
            id.get().unwrap_or(0),
            page.get()
        );
        async move { client::get::<Page<ScheduleRecord>>(&path).await }
    });
    let total = Signal::derive(move || list.get().and_then(Result::ok).map_or(0, |p| p.total));
    let refresh = set_interval_with_handle(
        move || {
            changed.try_update(|n| *n += 1);
        },
        REFRESH,
    );
    on_cleanup(move || {
        if let Ok(handle) = refresh {
            handle.clear();
        }
    });
    let act = move |record: i64, action: &'static str| {
        let path = format!("/api/v1/pipelines/{}/schedule/records/{record}/{action}", id.get_untracked().unwrap_or(0));
        spawn_local(async move {
            let done = client::post::<_, ScheduleRecord>(&path, &serde_json::json!({})).await;
            failure.set(done.err());
            changed.update(|n| *n += 1);
        });
    };
    view! {
        <ListPage permission=PermissionKey::new(Action::List, Resource::Runs)
            title=Signal::derive(move || t_string!(i18n, editor_scheduled).to_owned())>
            <p><a href=move || format!("/pipelines/{}", id.get().unwrap_or(0))>{t!(i18n, schedule_back)}</a></p>
            {move || failure.get().map(|e| view! { <ErrorBox error=e /> })}
            {fetched(list, move |list| view! {
                <table data-testid="schedule-records">
                    <thead><tr><th>{t!(i18n, schedule_execution_date)}</th><th>{t!(i18n, schedule_state)}</th>
                        <th>{t!(i18n, schedule_reason)}</th><th>{t!(i18n, runs_run)}</th><th></th></tr></thead>
                    <tbody>
                        {list.items.into_iter().map(|r| {
                            let running = r.run_status.is_some_and(|s| s.is_active());
                            let may_skip = r.state != RecordState::Skipped && !running;
                            let may_rerun = r.state != RecordState::Waiting && !running;
                            let state = match r.state {
                                RecordState::Waiting => t_string!(i18n, schedule_waiting),
                                RecordState::Started => t_string!(i18n, schedule_started),
                                RecordState::Skipped => t_string!(i18n, schedule_skipped),
                            };
                            view! {
                                <tr data-testid="schedule-record" data-state=r.state.as_str()>
                                    <td>{crate::pages::when(&r.execution_date)}</td>
                                    <td>{state}</td>
                                    <td class="small">{r.reason.clone()}</td>
                                    <td>{r.run_id.clone().map(|run| view! {
                                        <a href=format!("/runs/{run}")><code>{run.chars().take(12).collect::<String>()}</code></a>
                                        " "
                                    })}{r.run_status.map(|s| view! { <StatusBadge status=s /> })}</td>
                                    <td>
                                        <button class="secondary" data-testid="record-skip" disabled=!may_skip
                                            on:click=move |_| act(r.id, "skip")>{t!(i18n, schedule_skip)}</button>
                                        " "
                                        <button class="secondary" data-testid="record-rerun" disabled=!may_rerun
                                            on:click=move |_| act(r.id, "rerun")>{t!(i18n, schedule_rerun)}</button>
                                    </td>
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
