//! Pure rules shared by the server and the browser: no I/O, unit- and property-tested.

pub mod language;
pub mod menu;
pub mod pagination;
pub mod password;
pub mod permissions;
pub mod username;
pub mod validation;
