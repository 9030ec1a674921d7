//! The user's own profile: display name and language.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::client::{self, ClientError};
use crate::components::session::use_session;
use crate::components::shell::locale_of;
use crate::components::status::{ErrorBox, FieldError};
use crate::domain::language::Language;
use crate::i18n::*;
use crate::model::{Me, MeUpdate};

#[component]
pub fn AccountPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let me = session.me.get_untracked();
    let nickname = RwSignal::new(me.as_ref().map(|m| m.user.nickname.clone()).unwrap_or_default());
    let language = RwSignal::new(me.as_ref().and_then(|m| m.user.language).map_or("", Language::as_str).to_owned());
    let (error, set_error) = signal(None::<ClientError>);
    let (saved, set_saved) = signal(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let lang = Language::parse(&language.get_untracked());
        let body = MeUpdate { nickname: Some(nickname.get_untracked()), language: Some(lang) };
        spawn_local(async move {
            match client::patch::<_, Me>("/api/v1/me", &body).await {
                Ok(me) => {
                    if let Some(l) = lang {
                        i18n.set_locale(locale_of(l));
                    }
                    session.me.set(Some(me));
                    set_error.set(None);
                    set_saved.set(true);
                }
                Err(e) => set_error.set(Some(e)),
            }
        });
    };
    view! {
        <section>
            <h1>{t!(i18n, profile_title)}</h1>
            <form class="card form" on:submit=save>
                <label>{t!(i18n, username)}
                    <input value=me.as_ref().map(|m| m.user.username.clone()) disabled />
                </label>
                <label>{t!(i18n, nickname)}
                    <input name="nickname" bind:value=nickname />
                    <FieldError error=error field="nickname" />
                </label>
                <label>{t!(i18n, language)}
                    <select name="language" on:change=move |ev| language.set(event_target_value(&ev))>
                        <option value="" selected=move || language.get().is_empty()>{t!(i18n, follow_browser)}</option>
                        <option value="en" selected=move || language.get() == "en">"English"</option>
                        <option value="zh" selected=move || language.get() == "zh">"简体中文"</option>
                    </select>
                </label>
                {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
                <div class="actions">
                    {move || saved.get().then(|| view! { <span class="ok">{t!(i18n, saved)}</span> })}
                    <button type="submit">{t!(i18n, save)}</button>
                </div>
            </form>
        </section>
    }
}
