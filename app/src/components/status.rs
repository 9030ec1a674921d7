//! Loading and error states, the same everywhere.

use leptos::prelude::*;

use crate::client::ClientError;
use crate::i18n::*;

#[component]
pub fn Loading() -> impl IntoView {
    let i18n = use_i18n();
    view! { <p class="loading" role="status">{t!(i18n, loading)}</p> }
}

/// An error from the API; a 403 is shown as the not-allowed message.
#[component]
pub fn ErrorBox(error: ClientError) -> impl IntoView {
    let i18n = use_i18n();
    if error.is_forbidden() {
        return view! {
            <div class="error forbidden" role="alert">
                <h2>{t!(i18n, forbidden_title)}</h2>
                <p>{t!(i18n, forbidden_body)}</p>
            </div>
        }
        .into_any();
    }
    view! { <div class="error" role="alert">{error.to_string()}</div> }.into_any()
}

/// The message under a form field, if the last save named it.
#[component]
pub fn FieldError(error: ReadSignal<Option<ClientError>>, field: &'static str) -> impl IntoView {
    move || {
        error.with(|e| e.as_ref().and_then(|e| e.field(field))).map(|m| view! { <span class="field-error">{m}</span> })
    }
}

/// Renders a fetched value with `render`, or the loading or error state.
pub fn fetched<T, V>(
    resource: LocalResource<crate::client::ApiResult<T>>,
    render: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + 'static,
    V: IntoView + 'static,
{
    move || match resource.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Err(e)) => view! { <ErrorBox error=e /> }.into_any(),
        Some(Ok(value)) => render(value).into_any(),
    }
}

/// The numeric `:id` of the current route, if any (absent on `/new` pages).
pub fn id_param() -> Memo<Option<i64>> {
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| params.with(|p| p.get("id")).and_then(|s| s.parse::<i64>().ok()))
}
