//! Reusable UI pieces: the shell (top bar + navigation), the session context, loading and
//! error states, pagination, and the permission gate.

pub mod arg_form;
pub mod gate;
pub mod list_page;
pub mod pager;
pub mod session;
pub mod shell;
pub mod status;
