//! The signed-in user's inbox (`/inbox`): alerts on runs, newest first, each marked read when
//! opened; and the top bar's link to it with the unread count.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::client;
use crate::components::pager::Pager;
use crate::components::status::fetched;
use crate::i18n::*;
use crate::model::{Notification, Page, UnreadCount};

const PAGE_SIZE: u32 = 50;
/// How often the unread count is read again.
const UNREAD_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The unread count, shared by the top bar and the inbox page (provided by the shell).
#[derive(Clone, Copy)]
pub struct Unread(pub RwSignal<u64>);

/// Reads the unread count into `unread`.
fn refresh(unread: RwSignal<u64>) {
    spawn_local(async move {
        if let Ok(count) = client::get::<UnreadCount>("/api/v1/me/notifications/unread").await {
            unread.try_set(count.unread);
        }
    });
}

/// The top bar's link to the inbox with the unread count (read now and every 30 s).
#[component]
pub fn InboxLink() -> impl IntoView {
    let i18n = use_i18n();
    let unread = use_context::<Unread>().map_or_else(|| RwSignal::new(0), |u| u.0);
    refresh(unread);
    let timer = set_interval_with_handle(move || refresh(unread), UNREAD_EVERY);
    on_cleanup(move || {
        if let Ok(handle) = timer {
            handle.clear();
        }
    });
    view! {
        <a class="inbox-link" href="/inbox" data-testid="inbox-link">
            {t!(i18n, inbox)}
            {move || (unread.get() > 0).then(|| view! { <span class="badge" data-testid="unread">{unread.get()}</span> })}
        </a>
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let i18n = use_i18n();
    let page = RwSignal::new(1u32);
    let changed = RwSignal::new(0u32);
    let unread = use_context::<Unread>().map(|u| u.0);
    let list = LocalResource::new(move || {
        changed.track();
        let path = format!("/api/v1/me/notifications?page={}&page_size={PAGE_SIZE}", page.get());
        async move { client::get::<Page<Notification>>(&path).await }
    });
    let total = Signal::derive(move || list.get().and_then(Result::ok).map_or(0, |p| p.total));
    let mark = move |path: String| {
        spawn_local(async move {
            if let Ok(left) = client::post::<_, UnreadCount>(&path, &serde_json::json!({})).await
                && let Some(unread) = unread
            {
                unread.set(left.unread);
            }
            changed.update(|n| *n += 1);
        });
    };
    view! {
        <section>
            <div class="page-head">
                <h1>{t!(i18n, inbox)}</h1>
                <button class="secondary" data-testid="read-all"
                    on:click=move |_| mark("/api/v1/me/notifications/read-all".into())>{t!(i18n, inbox_read_all)}</button>
            </div>
            {fetched(list, move |list| view! {
                <ul class="inbox" data-testid="inbox">
                    {list.items.into_iter().map(|n| {
                        let path = format!("/api/v1/me/notifications/{}/read", n.id);
                        view! {
                            <li class:unread=!n.read data-testid="message" data-read=n.read.to_string()>
                                <a href=n.link.clone() on:click=move |_| mark(path.clone())><strong>{n.subject}</strong></a>
                                <span class="muted small">" " {crate::pages::when(&n.created_at)}</span>
                                <p class="small">{n.body}</p>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            <Pager page=page page_size=PAGE_SIZE total=total />
        </section>
    }
}
