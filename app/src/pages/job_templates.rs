//! Job templates: the list, and the form whose argument-schema editor shows a live preview
//! of the task form it generates.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use serde_json::{Map, Value};

use crate::client::{self, ClientError};
use crate::components::arg_form::ArgForm;
use crate::components::gate::Gate;
use crate::components::list_page::ListPage;
use crate::components::status::{ErrorBox, FieldError, fetched, id_param};
use crate::domain::arg_schema::ArgSchema;
use crate::domain::permissions::{Action, PermissionKey, Resource};
use crate::i18n::*;
use crate::model::{Image, JobTemplate, Page, Project, TemplateExpand, TemplateInput, TemplateVersion};

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let i18n = use_i18n();
    let list = LocalResource::new(|| client::get::<Page<JobTemplate>>("/api/v1/job-templates?page_size=200"));
    view! {
        <ListPage
            permission=PermissionKey::new(Action::List, Resource::JobTemplates)
            title=Signal::derive(move || t_string!(i18n, menu_job_templates).to_owned())
            new=("/job-templates/new", Signal::derive(move || t_string!(i18n, new_template).to_owned()))
        >
                {fetched(list, move |list| view! {
                    <table>
                        <thead><tr><th>{t!(i18n, category)}</th><th>{t!(i18n, role_name)}</th><th>{t!(i18n, version)}</th>
                            <th>{t!(i18n, image)}</th><th>{t!(i18n, description)}</th><th>{t!(i18n, creator)}</th></tr></thead>
                        <tbody>
                            {list.items.into_iter().map(|t| view! {
                                <tr>
                                    <td>{t.category.name.clone()}</td>
                                    <td><a href=format!("/job-templates/{}", t.id)>{t.name.clone()}</a></td>
                                    <td>{t.version.as_str()}</td>
                                    <td><code>{t.image.name.clone()}</code></td>
                                    <td>{t.description.clone()}</td>
                                    <td>{t.created_by.clone().unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
        </ListPage>
    }
}

/// The editable fields of a template.
#[derive(Clone, Copy)]
struct Fields {
    category: RwSignal<String>,
    name: RwSignal<String>,
    version: RwSignal<TemplateVersion>,
    image: RwSignal<String>,
    description: RwSignal<String>,
    workdir: RwSignal<String>,
    command: RwSignal<String>,
    volume_mount: RwSignal<String>,
    env: RwSignal<String>,
    service_account: RwSignal<String>,
    privileged: RwSignal<bool>,
    host_aliases: RwSignal<String>,
    index: RwSignal<String>,
    help_url: RwSignal<String>,
    schema_text: RwSignal<String>,
    demo: RwSignal<Map<String, Value>>,
}

impl Fields {
    fn new() -> Self {
        Self {
            category: RwSignal::new(String::new()),
            name: RwSignal::new(String::new()),
            version: RwSignal::new(TemplateVersion::Test),
            image: RwSignal::new(String::new()),
            description: RwSignal::new(String::new()),
            workdir: RwSignal::new(String::new()),
            command: RwSignal::new(String::new()),
            volume_mount: RwSignal::new(String::new()),
            env: RwSignal::new(String::new()),
            service_account: RwSignal::new(String::new()),
            privileged: RwSignal::new(false),
            host_aliases: RwSignal::new(String::new()),
            index: RwSignal::new("0".into()),
            help_url: RwSignal::new(String::new()),
            schema_text: RwSignal::new("[]".into()),
            demo: RwSignal::new(Map::new()),
        }
    }

    fn load(&self, t: JobTemplate) {
        self.category.set(t.category.id.to_string());
        self.name.set(t.name);
        self.version.set(t.version);
        self.image.set(t.image.id.to_string());
        self.description.set(t.description);
        self.workdir.set(t.workdir);
        self.command.set(t.command);
        self.volume_mount.set(t.volume_mount);
        self.env.set(t.env);
        self.service_account.set(t.service_account);
        self.privileged.set(t.privileged);
        self.host_aliases.set(t.host_aliases);
        self.index.set(t.expand.index.to_string());
        self.help_url.set(t.expand.help_url.unwrap_or_default());
        self.schema_text.set(serde_json::to_string_pretty(&t.args).unwrap_or_default());
        self.demo.set(t.demo);
    }

    fn input(&self, args: ArgSchema) -> TemplateInput {
        let help = self.help_url.get_untracked();
        TemplateInput {
            category_id: self.category.get_untracked().parse().unwrap_or_default(),
            name: self.name.get_untracked(),
            version: self.version.get_untracked(),
            image_id: self.image.get_untracked().parse().unwrap_or_default(),
            description: self.description.get_untracked(),
            workdir: self.workdir.get_untracked(),
            command: self.command.get_untracked(),
            volume_mount: self.volume_mount.get_untracked(),
            env: self.env.get_untracked(),
            service_account: self.service_account.get_untracked(),
            privileged: self.privileged.get_untracked(),
            host_aliases: self.host_aliases.get_untracked(),
            args,
            demo: self.demo.get_untracked(),
            expand: TemplateExpand {
                index: self.index.get_untracked().trim().parse().unwrap_or_default(),
                help_url: (!help.trim().is_empty()).then_some(help),
                extra: Map::new(),
            },
        }
    }
}

#[component]
pub fn TemplateFormPage() -> impl IntoView {
    let id = id_param().get_untracked();
    let permission = PermissionKey::new(if id.is_some() { Action::Show } else { Action::Add }, Resource::JobTemplates);
    view! { <Gate permission=permission><TemplateForm id=id /></Gate> }
}

#[component]
fn TemplateForm(id: Option<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let f = Fields::new();
    let (error, set_error) = signal(None::<ClientError>);
    let categories =
        LocalResource::new(|| client::get::<Page<Project>>("/api/v1/projects?kind=job-template&page_size=200"));
    let images = LocalResource::new(|| client::get::<Page<Image>>("/api/v1/images?page_size=200"));
    if let Some(id) = id {
        spawn_local(async move {
            match client::get::<JobTemplate>(&format!("/api/v1/job-templates/{id}")).await {
                Ok(t) => f.load(t),
                Err(e) => set_error.set(Some(e)),
            }
        });
    }
    let parsed = Memo::new(move |_| serde_json::from_str::<ArgSchema>(&f.schema_text.get()).map_err(|e| e.to_string()));
    let schema = Signal::derive(move || parsed.get().unwrap_or_default());
    let schema_problems = Memo::new(move |_| match parsed.get() {
        Err(e) => vec![e],
        Ok(s) => s
            .check("args")
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect(),
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(args) = parsed.get_untracked() else { return };
        let body = f.input(args);
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = match id {
                None => client::post::<_, JobTemplate>("/api/v1/job-templates", &body).await,
                Some(id) => client::put::<_, JobTemplate>(&format!("/api/v1/job-templates/{id}"), &body).await,
            };
            match result {
                Ok(_) => navigate("/job-templates", Default::default()),
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    let select_options = |current: RwSignal<String>, items: Vec<(i64, String)>| {
        items
            .into_iter()
            .map(|(id, name)| {
                let value = id.to_string();
                let selected = {
                    let value = value.clone();
                    move || current.get() == value
                };
                view! { <option value=value selected=selected>{name}</option> }
            })
            .collect_view()
    };
    view! {
        <section class="template-editor">
            <h1>{move || if id.is_some() { t_string!(i18n, edit_template) } else { t_string!(i18n, new_template) }}</h1>
            <form class="card form wide two-columns" on:submit=save>
                <div class="column">
                    <label>{t!(i18n, category)}
                        <select name="category" on:change=move |ev| f.category.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {move || categories.get().and_then(Result::ok).map(|p| select_options(f.category, p.items.into_iter().map(|c| (c.id.0, c.name)).collect()))}
                        </select>
                        <FieldError error=error field="category_id" />
                    </label>
                    <label>{t!(i18n, role_name)}<input name="name" bind:value=f.name required /><FieldError error=error field="name" /></label>
                    <label>{t!(i18n, version)}
                        <select name="version" on:change=move |ev| f.version.set(TemplateVersion::parse(&event_target_value(&ev)).unwrap_or(TemplateVersion::Test))>
                            <option value="Test" selected=move || f.version.get() == TemplateVersion::Test>"Test"</option>
                            <option value="Release" selected=move || f.version.get() == TemplateVersion::Release>"Release"</option>
                        </select>
                    </label>
                    <label>{t!(i18n, image)}
                        <select name="image" on:change=move |ev| f.image.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {move || images.get().and_then(Result::ok).map(|p| select_options(f.image, p.items.into_iter().map(|i| (i.id, i.name)).collect()))}
                        </select>
                        <FieldError error=error field="image_id" />
                    </label>
                    <label>{t!(i18n, description)}<input name="description" bind:value=f.description /></label>
                    <label>{t!(i18n, workdir)}<input name="workdir" bind:value=f.workdir /><FieldError error=error field="workdir" /></label>
                    <label>{t!(i18n, command)}<input name="command" bind:value=f.command /><FieldError error=error field="command" /></label>
                    <label>{t!(i18n, volume_mount)}<input name="volume_mount" placeholder="4G(memory):/dev/shm" bind:value=f.volume_mount /><FieldError error=error field="volume_mount" /></label>
                    <label>{t!(i18n, env)}<textarea name="env" rows="3" bind:value=f.env></textarea><FieldError error=error field="env" /></label>
                    <label>{t!(i18n, service_account)}<input name="service_account" bind:value=f.service_account /><FieldError error=error field="service_account" /></label>
                    <label class="check"><input type="checkbox" name="privileged" bind:checked=f.privileged />{t!(i18n, privileged)}</label>
                    <label>{t!(i18n, host_aliases)}<textarea name="host_aliases" rows="2" bind:value=f.host_aliases></textarea><FieldError error=error field="host_aliases" /></label>
                    <label>{t!(i18n, index)}<input name="index" type="number" bind:value=f.index /></label>
                    <label>{t!(i18n, help_url)}<input name="help_url" bind:value=f.help_url /><FieldError error=error field="expand.help_url" /></label>
                </div>
                <div class="column">
                    <label>{t!(i18n, arg_schema)}
                        <textarea name="args" rows="14" class="code" bind:value=f.schema_text></textarea>
                    </label>
                    <ul class="problems" data-testid="schema-problems">
                        {move || schema_problems.get().into_iter().map(|p| view! { <li class="field-error">{p}</li> }).collect_view()}
                    </ul>
                    <h2>{t!(i18n, form_preview)}</h2>
                    <div class="preview" data-testid="form-preview">
                        <ArgForm schema=schema values=f.demo />
                    </div>
                </div>
                {move || error.get().filter(|e| e.status() != Some(422) || e.field("name").is_none()).map(|e| view! { <ErrorBox error=e /> })}
                <div class="actions">
                    <a class="button secondary" href="/job-templates">{t!(i18n, back)}</a>
                    <button type="submit">{t!(i18n, save)}</button>
                </div>
            </form>
        </section>
    }
}
