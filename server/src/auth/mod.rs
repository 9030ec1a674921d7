//! Who is calling: password hashing, secrets for sessions and tokens, the cookies, and the
//! guard every protected route runs before its handler.

pub mod cache;
pub mod client_address;
pub mod cookies;
pub mod guard;
pub mod identity;
pub mod oidc;
pub mod password;
pub mod secret;
pub mod throttle;
pub mod trusted_header;

pub use identity::{AuthVia, Identity};
