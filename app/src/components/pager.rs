//! Previous / next controls for paginated lists.

use leptos::prelude::*;

use crate::i18n::*;

#[component]
pub fn Pager(page: RwSignal<u32>, page_size: u32, #[prop(into)] total: Signal<u64>) -> impl IntoView {
    let i18n = use_i18n();
    let pages = move || total.get().div_ceil(u64::from(page_size)).max(1);
    // Comparisons stay out of the markup: a `>` inside an attribute would close the tag.
    let first = move || page.get() <= 1;
    let last = move || u64::from(page.get()) >= pages();
    view! {
        <div class="pager">
            <button data-testid="pager-previous" disabled=first on:click=move |_| page.update(|p| *p -= 1)>
                {t!(i18n, previous)}
            </button>
            <span data-testid="pager-position">
                {t!(i18n, page_of, page = move || page.get(), pages = pages, total = move || total.get())}
            </span>
            <button data-testid="pager-next" disabled=last on:click=move |_| page.update(|p| *p += 1)>
                {t!(i18n, next)}
            </button>
        </div>
    }
}
