//! The audit log with filters by user and outcome.

use leptos::prelude::*;

use super::when;
use crate::client;
use crate::components::list_page::ListPage;
use crate::components::pager::Pager;
use crate::components::status::fetched;
use crate::domain::permissions::{Action, PermissionKey, Resource};
use crate::i18n::*;
use crate::model::{AuditEntry, AuditOutcome, FieldChange, Page};

const PAGE_SIZE: u32 = 50;

fn outcome_label(i18n: leptos_i18n::I18nContext<Locale>, outcome: AuditOutcome) -> &'static str {
    match outcome {
        AuditOutcome::Success => t_string!(i18n, outcome_success),
        AuditOutcome::Denied => t_string!(i18n, outcome_denied),
        AuditOutcome::Failure => t_string!(i18n, outcome_failure),
    }
}

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let i18n = use_i18n();
    let page = RwSignal::new(1u32);
    let username = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let entries = LocalResource::new(move || {
        let mut url = format!("/api/v1/audit-log?page={}&page_size={PAGE_SIZE}", page.get());
        let user = username.get();
        if !user.trim().is_empty() {
            url.push_str(&format!("&username={}", encode(user.trim())));
        }
        let o = outcome.get();
        if !o.is_empty() {
            url.push_str(&format!("&outcome={o}"));
        }
        async move { client::get::<Page<AuditEntry>>(&url).await }
    });
    let total = Signal::derive(move || entries.get().and_then(Result::ok).map_or(0, |p| p.total));
    view! {
        <ListPage
            permission=PermissionKey::new(Action::List, Resource::AuditLog)
            title=Signal::derive(move || t_string!(i18n, audit_title).to_owned())
        >
                <div class="filters">
                    <input placeholder=move || t_string!(i18n, who) bind:value=username on:input=move |_| page.set(1) />
                    <select on:change=move |ev| { outcome.set(event_target_value(&ev)); page.set(1); }>
                        <option value="">{t!(i18n, all)}</option>
                        <option value="success">{t!(i18n, outcome_success)}</option>
                        <option value="denied">{t!(i18n, outcome_denied)}</option>
                        <option value="failure">{t!(i18n, outcome_failure)}</option>
                    </select>
                </div>
                {fetched(entries, move |list| view! {
                        <table>
                            <thead><tr>
                                <th>{t!(i18n, when)}</th><th>{t!(i18n, who)}</th><th>{t!(i18n, request)}</th>
                                <th>{t!(i18n, status)}</th><th>{t!(i18n, outcome)}</th><th>{t!(i18n, changes)}</th>
                            </tr></thead>
                            <tbody>
                                {list.items.into_iter().map(|e| view! {
                                    <tr class=format!("outcome-{}", e.outcome.as_str())>
                                        <td>{when(&e.at)}</td>
                                        <td>{e.username.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td><code>{format!("{} {}", e.method, e.path)}</code></td>
                                        <td>{e.status}</td>
                                        <td>{outcome_label(i18n, e.outcome)}</td>
                                        <td class="audit-changes">
                                            {e.changes.iter().map(|c| view! { <div>{change_line(c)}</div> }).collect_view()}
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                <Pager page=page page_size=PAGE_SIZE total=total />
        </ListPage>
    }
}

/// One change as a line: `field: old → new` (— where a side is empty).
fn change_line(change: &FieldChange) -> String {
    let side = |v: &Option<serde_json::Value>| match v {
        None => "—".to_owned(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    format!("{}: {} → {}", change.field, side(&change.old), side(&change.new))
}
