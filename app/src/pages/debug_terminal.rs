//! A task's debug shell in the browser: xterm.js (fetched on this page only, from the
//! server's own `/vendor/xterm`) joined to the server's WebSocket terminal. Keystrokes go
//! as binary frames, size changes as `resize` messages; the page says when the shell ends.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::components::status::ErrorBox;
use crate::i18n::*;
use crate::model::{DebugShell, TERMINAL_CLOSE_EXITED, TerminalControl};

#[wasm_bindgen]
extern "C" {
    /// xterm.js's `Terminal`.
    #[derive(Clone)]
    type XTerm;
    #[wasm_bindgen(method)]
    fn open(this: &XTerm, parent: &web_sys::Element);
    #[wasm_bindgen(method, js_name = write)]
    fn write_bytes(this: &XTerm, data: &js_sys::Uint8Array);
    #[wasm_bindgen(method, js_name = onData)]
    fn on_data(this: &XTerm, listener: &js_sys::Function);
    #[wasm_bindgen(method, js_name = onResize)]
    fn on_resize(this: &XTerm, listener: &js_sys::Function);
    #[wasm_bindgen(method, getter)]
    fn cols(this: &XTerm) -> u16;
    #[wasm_bindgen(method, getter)]
    fn rows(this: &XTerm) -> u16;
    #[wasm_bindgen(method, js_name = loadAddon)]
    fn load_addon(this: &XTerm, addon: &JsValue);
    #[wasm_bindgen(method)]
    fn focus(this: &XTerm);
    #[wasm_bindgen(method)]
    fn dispose(this: &XTerm);

    /// xterm.js's fit add-on: sizes the terminal to its element.
    type Fit;
    #[wasm_bindgen(method)]
    fn fit(this: &Fit);
}

/// Where the terminal is.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Connecting,
    Open,
    /// The shell ended by itself (`exit 0`).
    Exited(String),
    Lost,
}

/// The scripts and style of xterm.js, added to the page once.
const ASSETS: [(&str, &str); 3] = [
    ("link", "/vendor/xterm/xterm.css"),
    ("script", "/vendor/xterm/xterm.js"),
    ("script", "/vendor/xterm/addon-fit.js"),
];

fn global(name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(&js_sys::global(), &name.into()).ok().filter(|v| !v.is_undefined())
}

/// Loads xterm.js's files in order, then sets `ready`.
fn load_assets(ready: RwSignal<bool>, index: usize) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Some((tag, url)) = ASSETS.get(index) else {
        ready.set(true);
        return;
    };
    let selector = format!("[data-asset=\"{url}\"]");
    if document.query_selector(&selector).ok().flatten().is_some() && (*tag == "link" || global("FitAddon").is_some()) {
        return load_assets(ready, index + 1);
    }
    let Ok(element) = document.create_element(tag) else { return };
    let _ = element.set_attribute("data-asset", url);
    if *tag == "link" {
        let _ = element.set_attribute("rel", "stylesheet");
        let _ = element.set_attribute("href", url);
    } else {
        let _ = element.set_attribute("src", url);
        let next = Closure::once_into_js(move || load_assets(ready, index + 1));
        let _ = element.add_event_listener_with_callback("load", next.unchecked_ref());
    }
    if let Some(head) = document.head() {
        let _ = head.append_child(&element);
    }
    if *tag == "link" {
        load_assets(ready, index + 1);
    }
}

/// A new xterm.js terminal with its fit add-on, or `None` when the library is missing.
fn new_terminal() -> Option<(XTerm, Fit)> {
    let options = js_sys::JSON::parse(
        r#"{"cursorBlink":true,"fontSize":13,"scrollback":5000,"fontFamily":"ui-monospace, Menlo, Consolas, monospace"}"#,
    )
    .ok()?;
    let terminal_class: js_sys::Function = global("Terminal")?.dyn_into().ok()?;
    let terminal = js_sys::Reflect::construct(&terminal_class, &js_sys::Array::of1(&options)).ok()?;
    let fit_module = global("FitAddon")?;
    let fit_class: js_sys::Function = js_sys::Reflect::get(&fit_module, &"FitAddon".into()).ok()?.dyn_into().ok()?;
    let fit = js_sys::Reflect::construct(&fit_class, &js_sys::Array::new()).ok()?;
    let terminal: XTerm = terminal.unchecked_into();
    terminal.load_addon(&fit);
    Some((terminal, fit.unchecked_into()))
}

/// The socket address of the task's terminal, at the terminal's size.
fn socket_url(task: &str, cols: u16, rows: u16) -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}/api/v1/tasks/{task}/debug?cols={cols}&rows={rows}", location.host().ok()?))
}

/// A terminal joined to the server, with the handlers it needs while it lives.
struct Live {
    socket: web_sys::WebSocket,
    terminal: XTerm,
    _on_message: Closure<dyn Fn(web_sys::MessageEvent)>,
    _on_open: Closure<dyn Fn()>,
    _on_close: Closure<dyn Fn(web_sys::CloseEvent)>,
    _on_data: Closure<dyn Fn(String)>,
    _on_resize: Closure<dyn Fn(JsValue)>,
    _refit: Closure<dyn Fn()>,
    resizes: web_sys::ResizeObserver,
}

impl Live {
    /// Closes the socket, stops following the element's size and drops the terminal.
    fn close(self) {
        self.socket.set_onmessage(None);
        self.socket.set_onopen(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
        self.resizes.disconnect();
        self.terminal.dispose();
    }
}

/// Joins a new terminal in `element` to the task's shell on the server.
fn connect(task: &str, element: &web_sys::Element, phase: RwSignal<Phase>) -> Option<Live> {
    let (terminal, fit) = new_terminal()?;
    terminal.open(element);
    fit.fit();
    let socket = web_sys::WebSocket::new(&socket_url(task, terminal.cols(), terminal.rows())?).ok()?;
    socket.set_binary_type(web_sys::BinaryType::Arraybuffer);

    let screen = terminal.clone();
    let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        screen.write_bytes(&js_sys::Uint8Array::new(&ev.data()));
    });
    let on_open = Closure::<dyn Fn()>::new(move || {
        phase.try_set(Phase::Open);
    });
    let on_close = Closure::<dyn Fn(web_sys::CloseEvent)>::new(move |ev: web_sys::CloseEvent| {
        let next = if ev.code() == TERMINAL_CLOSE_EXITED { Phase::Exited(ev.reason()) } else { Phase::Lost };
        phase.try_set(next);
    });
    let keys = socket.clone();
    let on_data = Closure::<dyn Fn(String)>::new(move |data: String| {
        let _ = keys.send_with_u8_array(data.as_bytes());
    });
    let sizes = socket.clone();
    let on_resize = Closure::<dyn Fn(JsValue)>::new(move |size: JsValue| {
        let field = |name: &str| js_sys::Reflect::get(&size, &name.into()).ok().and_then(|v| v.as_f64());
        if let (Some(cols), Some(rows)) = (field("cols"), field("rows")) {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let message = TerminalControl::Resize { cols: cols as u16, rows: rows as u16 };
            if let Ok(text) = serde_json::to_string(&message) {
                let _ = sizes.send_with_str(&text);
            }
        }
    });
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    terminal.on_data(on_data.as_ref().unchecked_ref());
    terminal.on_resize(on_resize.as_ref().unchecked_ref());
    // The terminal follows its element's size (window resizes, the style sheet arriving).
    let refit = Closure::<dyn Fn()>::new(move || fit.fit());
    let resizes = web_sys::ResizeObserver::new(refit.as_ref().unchecked_ref()).ok()?;
    resizes.observe(element);
    terminal.focus();
    Some(Live {
        socket,
        terminal,
        _on_message: on_message,
        _on_open: on_open,
        _on_close: on_close,
        _on_data: on_data,
        _on_resize: on_resize,
        _refit: refit,
        resizes,
    })
}

#[component]
pub fn DebugTerminalPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let task = move || params.with(|p| p.get("id").unwrap_or_default());
    let shell = LocalResource::new(move || {
        let task = task();
        async move { crate::client::get::<DebugShell>(&format!("/api/v1/tasks/{task}/debug")).await }
    });
    let ready = RwSignal::new(false);
    let phase = RwSignal::new(Phase::Connecting);
    let attempt = RwSignal::new(0u32);
    let element = NodeRef::<leptos::html::Div>::new();
    let live: StoredValue<Option<Live>, LocalStorage> = StoredValue::new_local(None);
    let close = move || {
        if let Some(live) = live.try_update_value(Option::take).flatten() {
            live.close();
        }
    };
    load_assets(ready, 0);
    Effect::new(move |_| {
        attempt.track();
        let allowed = shell.get().is_some_and(|r| r.is_ok());
        if let (true, true, Some(el)) = (allowed, ready.get(), element.get()) {
            close();
            el.set_inner_html("");
            phase.set(Phase::Connecting);
            live.set_value(connect(&task(), &el, phase));
        }
    });
    on_cleanup(close);
    let status = move || match phase.get() {
        Phase::Connecting => t_string!(i18n, debug_connecting).to_owned(),
        Phase::Open => t_string!(i18n, debug_open).to_owned(),
        Phase::Exited(how) => format!("{} ({how})", t_string!(i18n, debug_exited)),
        Phase::Lost => t_string!(i18n, debug_lost).to_owned(),
    };
    view! {
        <section class="debug-terminal">
            <header class="page-header">
                <h1>{t!(i18n, debug_title)}</h1>
                {move || shell.get().and_then(Result::ok).map(|s| view! {
                    <p class="muted" data-testid="debug-where">{format!("{} · {} · {}", s.task, s.shell, s.workdir)}</p>
                })}
                <span class="debug-status" data-testid="debug-status">{status}</span>
                <button class="secondary" data-testid="debug-reopen"
                    disabled=move || matches!(phase.get(), Phase::Connecting | Phase::Open)
                    on:click=move |_| attempt.update(|n| *n += 1)>{t!(i18n, debug_reopen)}</button>
            </header>
            {move || shell.get().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
            <div class="terminal" node_ref=element data-testid="terminal"></div>
        </section>
    }
}
