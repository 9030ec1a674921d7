//! Cubist's shared crate. It compiles to native code for the server and to wasm for the
//! browser, so both sides agree on the wire (`model`), on the pure rules (`domain`) and on the
//! set of pages (`routes`). The Leptos UI (`ui` feature) is only built for the browser.

pub mod domain;
pub mod model;
pub mod routes;

// Translations from `locales/*.json`, checked at compile time (the build-script variant
// would also run for the server build, which has no UI).
#[cfg(feature = "ui")]
#[allow(deprecated)]
mod i18n_gen {
    leptos_i18n::load_locales!();
}
#[cfg(feature = "ui")]
pub use i18n_gen::i18n;

#[cfg(feature = "ui")]
pub mod client;
#[cfg(feature = "ui")]
pub mod components;
#[cfg(feature = "ui")]
pub mod editor;
#[cfg(feature = "ui")]
pub mod pages;
#[cfg(feature = "ui")]
mod root;

#[cfg(feature = "ui")]
pub use root::App;
