//! The canvas: an SVG of the visible tasks and edges only (culled against the viewport), so
//! thousands of tasks pan and zoom smoothly. Drag the background to pan (with Shift to
//! select a rectangle), wheel to zoom, drag a node to move the selection, drag from a
//! node's right port to another node to connect them; templates are dropped from the palette.

use std::collections::HashSet;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::state::{EditorState, use_editor};
use crate::domain::canvas::{DETAIL_ZOOM, Rect, edge_visible};
use crate::domain::layout::{NODE_HEIGHT, NODE_WIDTH};
use crate::domain::pipeline_doc::ConnectError;
use crate::i18n::*;
use crate::model::Position;

/// Extra screen pixels rendered around the viewport, so panning never shows holes.
const CULL_MARGIN: f64 = 200.0;
/// The MIME type palette items carry when dragged.
pub const TEMPLATE_DRAG_TYPE: &str = "application/x-cubist-template";
const CATEGORY_COLOURS: [&str; 6] = ["#4f7cff", "#1aa37a", "#e07a1f", "#9b59d0", "#d04a6b", "#2a9bb8"];

/// What a pointer drag is doing.
#[derive(Debug, Clone, PartialEq)]
enum Drag {
    Idle,
    Pan { last: (f64, f64), moved: bool },
    Move { last: (f64, f64), recorded: bool },
    Connect { from: u32, to: (f64, f64) },
    Band { start: (f64, f64), now: (f64, f64) },
}

/// The pointer position relative to the canvas element.
fn local_point(ev: &web_sys::MouseEvent) -> (f64, f64) {
    let rect =
        ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).map(|e| e.get_bounding_client_rect());
    match rect {
        Some(r) => (f64::from(ev.client_x()) - r.left(), f64::from(ev.client_y()) - r.top()),
        None => (f64::from(ev.offset_x()), f64::from(ev.offset_y())),
    }
}

/// The node key under a screen point, if any.
fn node_at(client_x: i32, client_y: i32) -> Option<u32> {
    let document = web_sys::window()?.document()?;
    let element = document.element_from_point(client_x as f32, client_y as f32)?;
    let node = element.closest("[data-key]").ok()??;
    node.get_attribute("data-key")?.parse().ok()
}

pub fn colour_of(category: i64) -> &'static str {
    CATEGORY_COLOURS[category.rem_euclid(6) as usize]
}

fn explain(i18n: leptos_i18n::I18nContext<Locale>, error: ConnectError) -> String {
    match error {
        ConnectError::SameTask => t_string!(i18n, editor_refused_self).to_owned(),
        ConnectError::AlreadyConnected | ConnectError::Gone => t_string!(i18n, editor_refused_duplicate).to_owned(),
        ConnectError::Cycle(path) => format!("{} {}", t_string!(i18n, editor_refused_cycle), path.join(" → ")),
    }
}

#[component]
pub fn Canvas() -> impl IntoView {
    let st = use_editor();
    let i18n = use_i18n();
    let drag = RwSignal::new(Drag::Idle);
    let area = NodeRef::<leptos::html::Div>::new();
    let measure = move || {
        if let Some(el) = area.get_untracked() {
            let r = el.get_bounding_client_rect();
            st.size.set((r.width().max(1.0), r.height().max(1.0)));
        }
    };
    Effect::new(move |first: Option<()>| {
        if area.get().is_some() && first.is_none() {
            measure();
            st.fit_to_screen();
        }
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());

    let visible_nodes = Memo::new(move |_| {
        let (w, h) = st.size.get();
        let view = st.view.get().visible(w, h, CULL_MARGIN);
        st.doc.with(|d| {
            d.nodes
                .iter()
                .filter(|(_, n)| Rect::of_node(n.pos).intersects(&view))
                .map(|(k, _)| *k)
                .collect::<Vec<u32>>()
        })
    });
    let visible_edges = Memo::new(move |_| {
        let (w, h) = st.size.get();
        let view = st.view.get().visible(w, h, CULL_MARGIN);
        st.doc.with(|d| {
            d.edges
                .iter()
                .filter(|(a, b)| match (d.nodes.get(a), d.nodes.get(b)) {
                    (Some(a), Some(b)) => edge_visible(a.pos, b.pos, &view),
                    _ => false,
                })
                .copied()
                .collect::<Vec<(u32, u32)>>()
        })
    });
    let detail = Memo::new(move |_| st.view.with(|v| v.zoom >= DETAIL_ZOOM));

    let on_down = move |ev: web_sys::PointerEvent| {
        if ev.button() != 0 {
            return;
        }
        let p = local_point(&ev);
        if let Some(el) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
            let _ = el.set_pointer_capture(ev.pointer_id());
        }
        let hit = node_at(ev.client_x(), ev.client_y());
        let on_port =
            ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).and_then(|e| e.get_attribute("data-port"));
        drag.set(match (hit, on_port.as_deref()) {
            (Some(key), Some("out")) if st.editable => {
                Drag::Connect { from: key, to: st.view.get_untracked().to_world(p.0, p.1) }
            }
            (Some(key), _) => {
                st.selection.update(|s| {
                    if ev.shift_key() {
                        if !s.remove(&key) {
                            s.insert(key);
                        }
                    } else if !s.contains(&key) {
                        *s = HashSet::from([key]);
                    }
                });
                Drag::Move { last: p, recorded: false }
            }
            (None, _) if ev.shift_key() => Drag::Band { start: p, now: p },
            (None, _) => Drag::Pan { last: p, moved: false },
        });
    };
    let on_move = move |ev: web_sys::PointerEvent| {
        let p = local_point(&ev);
        let zoom = st.view.get_untracked().zoom;
        match drag.get_untracked() {
            Drag::Idle => {}
            Drag::Pan { last, .. } => {
                st.view.update(|v| *v = v.panned(p.0 - last.0, p.1 - last.1));
                drag.set(Drag::Pan { last: p, moved: true });
            }
            Drag::Move { last, recorded } => {
                let keys = st.selection.get_untracked();
                let (dx, dy) = ((p.0 - last.0) / zoom, (p.1 - last.1) / zoom);
                if recorded {
                    st.edit_continued(|d| d.move_by(&keys, dx, dy));
                } else {
                    st.edit(|d| d.move_by(&keys, dx, dy));
                }
                drag.set(Drag::Move { last: p, recorded: true });
            }
            Drag::Connect { from, .. } => {
                drag.set(Drag::Connect { from, to: st.view.get_untracked().to_world(p.0, p.1) })
            }
            Drag::Band { start, .. } => drag.set(Drag::Band { start, now: p }),
        }
    };
    let on_up = move |ev: web_sys::PointerEvent| {
        match drag.get_untracked() {
            Drag::Pan { moved: false, .. } => st.selection.set(HashSet::new()),
            Drag::Connect { from, .. } => {
                if let Some(to) = node_at(ev.client_x(), ev.client_y()) {
                    match st.doc.with_untracked(|d| d.clone().connect(from, to)) {
                        Ok(()) => st.edit(|d| {
                            let _ = d.connect(from, to);
                        }),
                        Err(e) => st.notice.set(Some(explain(i18n, e))),
                    }
                }
            }
            Drag::Band { start, now } => {
                let view = st.view.get_untracked();
                let (a, b) = (view.to_world(start.0, start.1), view.to_world(now.0, now.1));
                let band = Rect::spanning(a, b);
                let picked: HashSet<u32> = st.doc.with_untracked(|d| {
                    d.nodes.iter().filter(|(_, n)| Rect::of_node(n.pos).intersects(&band)).map(|(k, _)| *k).collect()
                });
                st.selection.set(picked);
            }
            _ => {}
        }
        drag.set(Drag::Idle);
    };
    let on_wheel = move |ev: web_sys::WheelEvent| {
        ev.prevent_default();
        let p = local_point(&ev);
        let factor = (-ev.delta_y() * 0.0015).exp();
        st.view.update(|v| *v = v.zoom_at(p.0, p.1, factor));
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        let Some(data) = ev.data_transfer() else { return };
        let Ok(id) = data.get_data(TEMPLATE_DRAG_TYPE).unwrap_or_default().parse::<i64>() else { return };
        let p = local_point(&ev);
        let (x, y) = st.view.get_untracked().to_world(p.0, p.1);
        add_template(st, id, Position { x: x - NODE_WIDTH / 2.0, y: y - NODE_HEIGHT / 2.0 });
    };

    view! {
        <div class="canvas" node_ref=area data-testid="canvas"
            on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up on:wheel=on_wheel
            on:dragover=move |ev: web_sys::DragEvent| ev.prevent_default() on:drop=on_drop>
            <svg class="canvas-svg" width="100%" height="100%">
                <defs>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" />
                    </marker>
                </defs>
                <g transform=move || st.view.with(|v| format!("translate({} {}) scale({})", v.offset_x, v.offset_y, v.zoom))>
                    <For each=move || visible_edges.get() key=|e| *e let((from, to))>
                        <EdgeView from=from to=to />
                    </For>
                    <For each=move || visible_nodes.get() key=|k| *k let(key)>
                        <NodeView key=key detail=detail />
                    </For>
                    {move || match drag.get() {
                        Drag::Connect { from, to } => st.doc.with(|d| d.nodes.get(&from).map(|n| {
                            let (x1, y1) = (n.pos.x + NODE_WIDTH, n.pos.y + NODE_HEIGHT / 2.0);
                            view! { <path class="edge pending" d=format!("M {x1} {y1} L {} {}", to.0, to.1) /> }
                        })).into_any(),
                        _ => ().into_any(),
                    }}
                </g>
                {move || match drag.get() {
                    Drag::Band { start, now } => {
                        let r = Rect::spanning(start, now);
                        view! { <rect class="band" x=r.x y=r.y width=r.w height=r.h /> }.into_any()
                    }
                    _ => ().into_any(),
                }}
            </svg>
            <div class="canvas-count" data-testid="rendered-count">
                {move || format!("{} / {}", visible_nodes.with(Vec::len), st.doc.with(|d| d.nodes.len()))}
            </div>
        </div>
    }
}

/// Adds a task of a template (with its argument defaults) and selects it.
pub fn add_template(st: EditorState, template_id: i64, at: Position) {
    let Some((name, defaults)) = st
        .templates
        .with_value(|ts| ts.iter().find(|t| t.id == template_id).map(|t| (t.name.clone(), t.args.defaults())))
    else {
        return;
    };
    let mut key = 0;
    st.edit(|d| key = d.add_task(template_id, &name, defaults, at));
    if st.editable {
        st.selection.set(HashSet::from([key]));
    }
}

#[component]
fn EdgeView(from: u32, to: u32) -> impl IntoView {
    let st = use_editor();
    let ends = Memo::new(move |_| st.doc.with(|d| Some((d.nodes.get(&from)?.pos, d.nodes.get(&to)?.pos))));
    let path = move || {
        ends.get().map(|(a, b)| {
            let (x1, y1) = (a.x + NODE_WIDTH, a.y + NODE_HEIGHT / 2.0);
            let (x2, y2) = (b.x, b.y + NODE_HEIGHT / 2.0);
            let bend = ((x2 - x1).abs() / 2.0).max(40.0);
            format!("M {x1} {y1} C {} {y1}, {} {y2}, {x2} {y2}", x1 + bend, x2 - bend)
        })
    };
    view! { <path class="edge" d=path marker-end="url(#arrow)" /> }
}

#[component]
fn NodeView(key: u32, detail: Memo<bool>) -> impl IntoView {
    let st = use_editor();
    let pos = Memo::new(move |_| st.doc.with(|d| d.nodes.get(&key).map(|n| n.pos).unwrap_or_default()));
    let text = Memo::new(move |_| {
        st.doc.with(|d| d.nodes.get(&key).map(|n| (n.fields.label.clone(), n.template_name.clone(), n.fields.skip)))
    });
    let colour = st.templates.with_value(|ts| {
        let template = st.doc.with_untracked(|d| d.nodes.get(&key).map(|n| n.template_id));
        ts.iter().find(|t| Some(t.id) == template).map_or(CATEGORY_COLOURS[0], |t| colour_of(t.category.id))
    });
    let selected = move || st.selection.with(|s| s.contains(&key));
    view! {
        <g class="node" class:selected=selected class:skipped=move || text.with(|t| t.as_ref().is_some_and(|t| t.2))
            data-key=key data-testid="node"
            transform=move || pos.with(|p| format!("translate({} {})", p.x, p.y))>
            <rect class="node-box" width=NODE_WIDTH height=NODE_HEIGHT rx="8" />
            <rect class="node-bar" width="6" height=NODE_HEIGHT rx="3" fill=colour />
            {move || detail.get().then(|| text.get().map(|(label, template, _)| view! {
                <text class="node-label" x="16" y="20">{label}</text>
                <text class="node-sub" x="16" y="38">{template}</text>
            }))}
            <circle class="port in" cx="0" cy=NODE_HEIGHT / 2.0 r="6" data-port="in" />
            <circle class="port out" cx=NODE_WIDTH cy=NODE_HEIGHT / 2.0 r="7" data-port="out" data-testid="port-out" />
        </g>
    }
}
