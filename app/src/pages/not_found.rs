//! The 404 and 403 pages.

use leptos::prelude::*;

use crate::i18n::*;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="card notice">
            <h1>{t!(i18n, not_found_title)}</h1>
            <p>{t!(i18n, not_found_body)}</p>
            <a href="/">{t!(i18n, go_home)}</a>
        </div>
    }
}

#[component]
pub fn ForbiddenPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="error forbidden" role="alert">
            <h2>{t!(i18n, forbidden_title)}</h2>
            <p>{t!(i18n, forbidden_body)}</p>
        </div>
    }
}
