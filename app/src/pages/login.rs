//! The sign-in page: the password form, or single sign-on with a break-glass form for
//! administrators.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::client::{self, ClientError};
use crate::i18n::*;
use crate::model::{LoginMethod, LoginMethods, LoginRequest, User};

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let methods = LocalResource::new(|| client::get::<LoginMethods>("/api/v1/auth/methods"));
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let (error, set_error) = signal(None::<ClientError>);
    let (busy, set_busy) = signal(false);
    let navigate = use_navigate();
    let break_glass = move || {
        methods
            .get()
            .and_then(Result::ok)
            .is_some_and(|m| m.primary != LoginMethod::Password && !m.enabled.contains(&LoginMethod::Password))
    };
    let sso_url = move || methods.get().and_then(Result::ok).and_then(|m| m.sso_url);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = LoginRequest { username: username.get_untracked(), password: password.get_untracked() };
        let path = if break_glass() { "/api/v1/auth/break-glass" } else { "/api/v1/auth/login" };
        let navigate = navigate.clone();
        set_busy.set(true);
        spawn_local(async move {
            match client::post::<_, User>(path, &body).await {
                Ok(_) => navigate("/", Default::default()),
                Err(e) => set_error.set(Some(e)),
            }
            set_busy.set(false);
        });
    };
    view! {
        <div class="login-page">
            <form class="card login" on:submit=submit>
                <h1>{t!(i18n, login_title)}</h1>
                <p class="muted">{t!(i18n, tagline)}</p>
                {move || sso_url().map(|url| view! { <a class="button sso" href=url rel="external">{t!(i18n, login_sso)}</a> })}
                {move || break_glass().then(|| view! { <h2>{t!(i18n, login_break_glass)}</h2> })}
                <label>
                    {t!(i18n, username)}
                    <input name="username" autocomplete="username" required bind:value=username />
                </label>
                <label>
                    {t!(i18n, password)}
                    <input name="password" type="password" autocomplete="current-password" required bind:value=password />
                </label>
                {move || error.get().map(|e| view! { <div class="error" role="alert">{e.to_string()}</div> })}
                <button type="submit" disabled=busy>{t!(i18n, sign_in)}</button>
            </form>
        </div>
    }
}
