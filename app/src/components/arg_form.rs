//! The task form generated from a job template's argument schema. The template editor shows
//! it as a live preview; the pipeline editor will use it for tasks. Values are checked with
//! the same `ArgSchema::validate` the server runs.

use leptos::prelude::*;
use serde_json::{Map, Value};

use crate::domain::arg_schema::{ArgSchema, ArgSpec, ArgType};

fn text_of(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if items.iter().all(|i| !i.is_object()) => {
            items.iter().map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned)).collect::<Vec<_>>().join(",")
        }
        Some(other) => other.to_string(),
    }
}

/// Renders every argument of `schema` bound to `values`, with the validation messages.
#[component]
pub fn ArgForm(#[prop(into)] schema: Signal<ArgSchema>, values: RwSignal<Map<String, Value>>) -> impl IntoView {
    let errors = Memo::new(move |_| schema.with(|s| values.with(|v| s.validate(v).err().unwrap_or_default())));
    move || {
        schema
            .get()
            .groups
            .into_iter()
            .map(|group| {
                let fields = group
                    .args
                    .into_iter()
                    .map(|spec| view! { <ArgField spec=spec values=values errors=errors /> })
                    .collect_view();
                view! {
                    <fieldset class="arg-group">
                        <legend>{group.label}</legend>
                        {fields}
                    </fieldset>
                }
            })
            .collect_view()
    }
}

#[component]
fn ArgField(
    spec: ArgSpec,
    values: RwSignal<Map<String, Value>>,
    errors: Memo<Vec<crate::model::FieldError>>,
) -> impl IntoView {
    let name = spec.name.clone();
    let label = if spec.label.is_empty() { spec.name.clone() } else { spec.label.clone() };
    let current = {
        let name = name.clone();
        let default = spec.default.clone();
        move || values.with(|v| text_of(v.get(&name).or(default.as_ref())))
    };
    let set = {
        let name = name.clone();
        move |text: String| {
            values.update(|v| {
                v.insert(name.clone(), Value::String(text));
            })
        }
    };
    let message = {
        let name = name.clone();
        move || {
            errors.with(|all| {
                all.iter()
                    .find(|e| {
                        e.field == name
                            || e.field.starts_with(&format!("{name}["))
                            || e.field.starts_with(&format!("{name}."))
                    })
                    .map(|e| e.message.clone())
            })
        }
    };
    let disabled = !spec.editable;
    let input = match spec.kind {
        ArgType::Bool => {
            let name = name.clone();
            let default = spec.default.clone();
            let checked = move || {
                values
                    .with(|v| v.get(&name).or(default.as_ref()).is_some_and(|x| x == &Value::Bool(true) || x == "true"))
            };
            let set = set.clone();
            view! {
                <input type="checkbox" data-arg=spec.name.clone() disabled=disabled prop:checked=checked
                    on:change=move |ev| set(event_target_checked(&ev).to_string()) />
            }
            .into_any()
        }
        ArgType::Enum => {
            let options = spec
                .choices
                .iter()
                .map(|c| {
                    let value = text_of(Some(&c.value));
                    let shown = if c.label.is_empty() { value.clone() } else { c.label.clone() };
                    let selected = {
                        let value = value.clone();
                        let current = current.clone();
                        move || current() == value
                    };
                    view! { <option value=value selected=selected>{shown}</option> }
                })
                .collect_view();
            let set = set.clone();
            view! {
                <select data-arg=spec.name.clone() disabled=disabled on:change=move |ev| set(event_target_value(&ev))>
                    <option value="">"—"</option>
                    {options}
                </select>
            }
            .into_any()
        }
        ArgType::Text | ArgType::Json | ArgType::Dict | ArgType::List if spec.choices.is_empty() => {
            let set = set.clone();
            view! {
                <textarea data-arg=spec.name.clone() rows="3" disabled=disabled placeholder=spec.placeholder.clone()
                    prop:value=current.clone() on:input=move |ev| set(event_target_value(&ev))></textarea>
            }
            .into_any()
        }
        _ => {
            let kind = if matches!(spec.kind, ArgType::Int | ArgType::Float) { "number" } else { "text" };
            let set = set.clone();
            view! {
                <input type=kind data-arg=spec.name.clone() disabled=disabled placeholder=spec.placeholder.clone()
                    prop:value=current.clone() on:input=move |ev| set(event_target_value(&ev)) />
            }
            .into_any()
        }
    };
    view! {
        <label class="arg-field">
            <span>{label} {spec.required.then_some(" *")}</span>
            {input}
            {(!spec.description.is_empty()).then(|| view! { <small class="muted">{spec.description.clone()}</small> })}
            {move || message().map(|m| view! { <span class="field-error">{m}</span> })}
        </label>
    }
}
