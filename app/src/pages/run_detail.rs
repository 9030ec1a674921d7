//! One run: the pipeline graph coloured by task status (refreshed while the run is
//! active), cancel, and a drawer with the selected task's attempts, timings, usage and log
//! (followed live while the task runs).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

use super::runs::StatusBadge;
use crate::client::{self, ClientError};
use crate::components::status::ErrorBox;
use crate::domain::dag::Edge;
use crate::domain::layout::{NODE_HEIGHT, NODE_WIDTH, layered_layout};
use crate::domain::pipeline_rules::dag_edges;
use crate::i18n::*;
use crate::model::{Position, RunDetail, RunTask};

/// How often an active run is refreshed.
const REFRESH_MS: u64 = 1000;

/// Task positions: the editor's layout, or a layered layout when it has none.
fn positions(detail: &RunDetail) -> Vec<(String, Position)> {
    let names: Vec<String> = detail.tasks.iter().map(|t| t.name.clone()).collect();
    if names.iter().all(|n| detail.layout.contains_key(n)) {
        return names
            .into_iter()
            .map(|n| {
                let p = detail.layout[&n];
                (n, p)
            })
            .collect();
    }
    let edges: Vec<Edge> = dag_edges(&detail.dag);
    layered_layout(&names, &edges)
        .map(|placed| placed.into_iter().map(|p| (p.task, Position { x: p.x, y: p.y })).collect())
        .unwrap_or_default()
}

#[component]
pub fn RunDetailPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    // Read once: while the router leaves this page the parameter changes before the page
    // is gone, and nothing here should react to that.
    let id = StoredValue::new(params.with_untracked(|p| p.get("id")).unwrap_or_default());
    let run_id = move || id.get_value();
    let detail = RwSignal::new(None::<RunDetail>);
    let error = RwSignal::new(None::<ClientError>);
    let selected = RwSignal::new(None::<String>);
    let tick = RwSignal::new(0u32);
    let load = move || {
        let path = format!("/api/v1/runs/{}", run_id());
        spawn_local(async move {
            // The page may be gone when the answer arrives: `try_` writes are no-ops then.
            match client::get::<RunDetail>(&path).await {
                Ok(d) => {
                    if d.tasks.len() == 1 && selected.try_get_untracked().flatten().is_none() {
                        selected.try_set(Some(d.tasks[0].name.clone()));
                    }
                    detail.try_set(Some(d));
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    Effect::new(move |_| {
        tick.get();
        load();
    });
    let handle = set_interval_with_handle(
        move || {
            if detail.try_with_untracked(|d| d.as_ref().is_some_and(|d| d.run.status.is_active())) == Some(true) {
                tick.try_update(|t| *t += 1);
            }
        },
        std::time::Duration::from_millis(REFRESH_MS),
    );
    on_cleanup(move || {
        if let Ok(h) = handle {
            h.clear();
        }
    });
    // The drawer is rebuilt only when its task changes (status, attempts), not every refresh.
    let current = Memo::new(move |_| {
        let name = selected.get()?;
        detail.with(|d| d.as_ref().and_then(|d| d.tasks.iter().find(|t| t.name == name).cloned()))
    });
    let cancel = move |_| {
        let path = format!("/api/v1/runs/{}/cancel", run_id());
        spawn_local(async move {
            match client::post::<_, RunDetail>(&path, &serde_json::json!({})).await {
                Ok(d) => {
                    detail.try_set(Some(d));
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <section class="run-page">
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            {move || detail.get().map(|d| {
                let active = d.run.status.is_active();
                view! {
                    <div class="page-head">
                        <h1>{t!(i18n, runs_run)} " " <code>{d.run.run_id.clone()}</code></h1>
                        <span data-testid="run-status"><StatusBadge status=d.run.status /></span>
                        <a class="button secondary" href=format!("/pipelines/{}", d.run.pipeline.id)>{t!(i18n, runs_back_to_editor)}</a>
                        {active.then(|| view! { <button class="danger" data-testid="run-cancel" on:click=cancel>{t!(i18n, runs_cancel)}</button> })}
                    </div>
                    <p class="muted">{d.run.pipeline.name.clone()} " · " {d.run.kind.as_str()} " · "
                        {d.run.runner.clone().unwrap_or_default()} " · " {d.run.message.clone()}</p>
                    <RunGraph detail=d.clone() selected=selected />
                }
            })}
            {move || current.get().map(|task| view! { <TaskDrawer run_id=run_id() task=task /> })}
        </section>
    }
}

#[component]
fn RunGraph(detail: RunDetail, selected: RwSignal<Option<String>>) -> impl IntoView {
    let placed = positions(&detail);
    let at = |name: &str| placed.iter().find(|(n, _)| n == name).map(|(_, p)| *p);
    let width = placed.iter().map(|(_, p)| p.x + NODE_WIDTH).fold(NODE_WIDTH, f64::max) + 40.0;
    let height = placed.iter().map(|(_, p)| p.y + NODE_HEIGHT).fold(NODE_HEIGHT, f64::max) + 40.0;
    let min_x = placed.iter().map(|(_, p)| p.x).fold(f64::MAX, f64::min).min(0.0) - 20.0;
    let min_y = placed.iter().map(|(_, p)| p.y).fold(f64::MAX, f64::min).min(0.0) - 20.0;
    let edges: Vec<(Position, Position)> =
        dag_edges(&detail.dag).iter().filter_map(|e| Some((at(&e.from)?, at(&e.to)?))).collect();
    let nodes: Vec<(RunTask, Position)> = detail.tasks.iter().filter_map(|t| Some((t.clone(), at(&t.name)?))).collect();
    view! {
        <svg class="run-graph" viewBox=format!("{min_x} {min_y} {} {}", width - min_x, height - min_y)
            style=format!("max-height: {}px", (height - min_y).min(600.0))>
            {edges.into_iter().map(|(a, b)| {
                let (x1, y1, x2, y2) = (a.x + NODE_WIDTH, a.y + NODE_HEIGHT / 2.0, b.x, b.y + NODE_HEIGHT / 2.0);
                view! { <path class="edge" d=format!("M {x1} {y1} C {} {y1}, {} {y2}, {x2} {y2}", x1 + 40.0, x2 - 40.0) /> }
            }).collect_view()}
            {nodes.into_iter().map(|(task, p)| {
                let name = task.name.clone();
                view! {
                    <g class=format!("node run-node status-{}", task.status.as_str()) data-testid="run-node"
                        data-task=task.name.clone() data-status=task.status.as_str()
                        transform=format!("translate({} {})", p.x, p.y) on:click=move |_| selected.set(Some(name.clone()))>
                        <rect class="node-box" width=NODE_WIDTH height=NODE_HEIGHT rx="8" />
                        <rect class="node-bar" width="6" height=NODE_HEIGHT rx="3" />
                        <text class="node-label" x="16" y="20">{task.label.clone()}</text>
                        <text class="node-sub" x="16" y="38">{task.status.as_str()}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}

/// Appends a running task's output as it is written (Server-Sent Events); the stream ends
/// with the task.
fn follow(path: &str, text: RwSignal<String>) -> Option<web_sys::EventSource> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let source = web_sys::EventSource::new(path).ok()?;
    let on_chunk = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        if let Some(chunk) = ev.data().as_string() {
            text.try_update(|t| t.push_str(&chunk));
        }
    });
    let on_attempt = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        let n = ev.data().as_string().unwrap_or_default();
        text.try_update(|t| t.push_str(&format!("\n--- attempt {n} ---\n")));
    });
    let closer = source.clone();
    let on_end = Closure::<dyn Fn()>::new(move || closer.close());
    source.set_onmessage(Some(on_chunk.as_ref().unchecked_ref()));
    let _ = source.add_event_listener_with_callback("attempt", on_attempt.as_ref().unchecked_ref());
    source.set_onerror(Some(on_end.as_ref().unchecked_ref()));
    on_chunk.forget();
    on_attempt.forget();
    on_end.forget();
    Some(source)
}

#[component]
fn TaskDrawer(run_id: String, task: RunTask) -> impl IntoView {
    let i18n = use_i18n();
    let text = RwSignal::new(String::new());
    let base = format!("/api/v1/runs/{run_id}/tasks/{}/logs", task.name);
    if task.status.is_active() {
        if let Some(source) = follow(&format!("{base}/stream"), text) {
            on_cleanup(move || source.close());
        }
    } else {
        let path = format!("{base}?tail=500");
        leptos::task::spawn_local(async move {
            let log = client::get_text(&path).await.unwrap_or_else(|e| e.to_string());
            text.try_set(log);
        });
    }
    view! {
        <aside class="drawer" data-testid="task-drawer">
            <h2>{task.label.clone()} " " <StatusBadge status=task.status /></h2>
            <p class="muted">{task.message.clone()}</p>
            <table>
                <thead><tr><th>"#"</th><th>{t!(i18n, runs_exit)}</th><th>{t!(i18n, runs_duration)}</th>
                    <th>"CPU"</th><th>{t!(i18n, runs_peak_memory)}</th><th>{t!(i18n, runs_note)}</th></tr></thead>
                <tbody>
                    {task.attempts.iter().map(|a| view! {
                        <tr>
                            <td>{a.number}</td>
                            <td>{a.exit_code.map(|c| c.to_string()).unwrap_or_default()}</td>
                            <td>{format!("{} ms", a.wall_ms)}</td>
                            <td>{a.cpu_ms.map_or_else(|| "—".to_owned(), |ms| format!("{ms} ms"))}</td>
                            <td>{a.max_rss_kb.map_or_else(|| "—".to_owned(), |kb| format!("{:.1} MB", kb as f64 / 1024.0))}</td>
                            <td>{a.message.clone()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h3>{t!(i18n, editor_logs)}</h3>
            <pre class="log" data-testid="task-log">{move || text.get()}</pre>
        </aside>
    }
}
