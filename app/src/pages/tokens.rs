//! The user's API tokens: create (secret shown once), list, revoke.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::when;
use crate::client::{self, ClientError};
use crate::components::status::{ErrorBox, FieldError, fetched};
use crate::i18n::*;
use crate::model::{ApiToken, CreatedToken, NewToken};

#[component]
pub fn TokensPage() -> impl IntoView {
    let i18n = use_i18n();
    let tokens = LocalResource::new(|| client::get::<Vec<ApiToken>>("/api/v1/me/tokens"));
    let name = RwSignal::new(String::new());
    let days = RwSignal::new(String::new());
    let (error, set_error) = signal(None::<ClientError>);
    let (secret, set_secret) = signal(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let expires_in_days = days.get_untracked().trim().parse().ok();
        let body = NewToken { name: name.get_untracked(), expires_in_days };
        spawn_local(async move {
            match client::post::<_, CreatedToken>("/api/v1/me/tokens", &body).await {
                Ok(created) => {
                    set_secret.set(Some(created.secret));
                    set_error.set(None);
                    name.set(String::new());
                    tokens.refetch();
                }
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    let revoke = move |id: i64| {
        spawn_local(async move {
            match client::delete(&format!("/api/v1/me/tokens/{id}")).await {
                Ok(()) => tokens.refetch(),
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    view! {
        <section>
            <h1>{t!(i18n, tokens_title)}</h1>
            <p class="muted">{t!(i18n, tokens_help)}</p>
            <form class="card form inline" on:submit=create>
                <label>{t!(i18n, token_name)}
                    <input name="token-name" bind:value=name required />
                    <FieldError error=error field="name" />
                </label>
                <label>{t!(i18n, expires_in_days)}
                    <input name="expires" type="number" min="1" bind:value=days />
                    <FieldError error=error field="expires_in_days" />
                </label>
                <button type="submit">{t!(i18n, new_token)}</button>
            </form>
            {move || secret.get().map(|s| view! {
                <div class="notice" role="status">{t!(i18n, token_created_once)} " " <code data-testid="token-secret">{s}</code></div>
            })}
            {move || error.get().filter(|e| e.field("name").is_none()).map(|e| view! { <ErrorBox error=e /> })}
            {fetched(tokens, move |list| view! {
                    <table>
                        <thead><tr>
                            <th>{t!(i18n, token_name)}</th><th>{t!(i18n, token_prefix)}</th><th>{t!(i18n, created)}</th>
                            <th>{t!(i18n, last_used)}</th><th>{t!(i18n, expires)}</th><th></th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|tok| {
                                let id = tok.id.0;
                                view! {
                                    <tr>
                                        <td>{tok.name.clone()}</td>
                                        <td><code>{tok.prefix.clone()}"…"</code></td>
                                        <td>{when(&tok.created_at)}</td>
                                        <td>{tok.last_used_at.as_ref().map(when).unwrap_or_else(|| t_string!(i18n, never).to_string())}</td>
                                        <td>{tok.expires_at.as_ref().map(when).unwrap_or_else(|| "—".into())}</td>
                                        <td><button class="danger" on:click=move |_| revoke(id)>{t!(i18n, revoke)}</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
        </section>
    }
}
