//! The template palette: released templates grouped by category in index order, with a
//! search box and a details popover. Items are dragged onto the canvas (or added with their
//! "+" button at the centre of the view).

use leptos::prelude::*;

use super::canvas::{TEMPLATE_DRAG_TYPE, add_template, colour_of};
use super::state::use_editor;
use crate::domain::layout::{NODE_HEIGHT, NODE_WIDTH};
use crate::i18n::*;
use crate::model::{JobTemplate, Position, TemplateVersion};

/// Released templates matching `query`, grouped by category (API order is kept).
fn grouped(templates: &[JobTemplate], query: &str) -> Vec<(String, i64, Vec<JobTemplate>)> {
    let query = query.trim().to_lowercase();
    let mut groups: Vec<(String, i64, Vec<JobTemplate>)> = Vec::new();
    for t in templates.iter().filter(|t| t.version == TemplateVersion::Release) {
        let hit =
            query.is_empty() || t.name.to_lowercase().contains(&query) || t.description.to_lowercase().contains(&query);
        if !hit {
            continue;
        }
        match groups.last_mut() {
            Some((_, id, items)) if *id == t.category.id => items.push(t.clone()),
            _ => groups.push((t.category.name.clone(), t.category.id, vec![t.clone()])),
        }
    }
    groups
}

#[component]
pub fn Palette() -> impl IntoView {
    let st = use_editor();
    let i18n = use_i18n();
    let query = RwSignal::new(String::new());
    let open = RwSignal::new(None::<i64>);
    let groups = Memo::new(move |_| st.templates.with_value(|ts| grouped(ts, &query.get())));
    let add_at_centre = move |id: i64| {
        let (w, h) = st.size.get_untracked();
        let (x, y) = st.view.get_untracked().to_world(w / 2.0, h / 2.0);
        let centre = Position { x: x - NODE_WIDTH / 2.0, y: y - NODE_HEIGHT / 2.0 };
        add_template(st, id, st.doc.with_untracked(|d| d.free_spot(centre)));
    };
    view! {
        <aside class="palette" data-testid="palette">
            <input type="search" placeholder=move || t_string!(i18n, editor_search_templates)
                prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev)) />
            {move || groups.get().into_iter().map(|(category, category_id, items)| view! {
                <div class="palette-group">
                    <h4 style=format!("border-color: {}", colour_of(category_id))>{category}</h4>
                    <ul>
                        {items.into_iter().map(|t| {
                            let id = t.id;
                            let details = t.clone();
                            view! {
                                <li class="palette-item" draggable=move || if st.editable { "true" } else { "false" }
                                    data-testid="palette-item" data-template=t.name.clone()
                                    on:dragstart=move |ev: web_sys::DragEvent| {
                                        if let Some(dt) = ev.data_transfer() {
                                            let _ = dt.set_data(TEMPLATE_DRAG_TYPE, &id.to_string());
                                            dt.set_effect_allowed("copy");
                                        }
                                    }>
                                    <span class="palette-name" title=t.description.clone()>{t.name.clone()}</span>
                                    <button class="icon" type="button" title=move || t_string!(i18n, editor_details)
                                        on:click=move |_| open.update(|o| *o = if *o == Some(id) { None } else { Some(id) })>"i"</button>
                                    <button class="icon" type="button" disabled=!st.editable title=move || t_string!(i18n, editor_add_task)
                                        on:click=move |_| add_at_centre(id)>"+"</button>
                                    {move || (open.get() == Some(id)).then(|| view! { <TemplateDetails template=details.clone() /> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </div>
            }).collect_view()}
        </aside>
    }
}

#[component]
fn TemplateDetails(template: JobTemplate) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="popover" role="dialog">
            <p>{template.description.clone()}</p>
            <dl>
                <dt>{t!(i18n, image)}</dt><dd><code>{template.image.name.clone()}</code></dd>
                <dt>{t!(i18n, creator)}</dt><dd>{template.created_by.clone().unwrap_or_default()}</dd>
                <dt>{t!(i18n, editor_changed)}</dt><dd>{crate::pages::when(&template.updated_at)}</dd>
            </dl>
            {template.expand.help_url.clone().map(|url| view! {
                <a href=url target="_blank" rel="noopener">{t!(i18n, help_url)}</a>
            })}
        </div>
    }
}
