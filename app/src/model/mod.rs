//! Wire types of the REST API (`/api/v1`), shared by the server and the browser client.
//! One file per resource; every type here is plain serde data.

mod audit;
mod auth;
mod cluster;
mod debug;
mod error;
mod ids;
mod notification;
mod page;
mod permission;
mod pipeline;
mod project;
mod role;
mod run;
mod schedule;
mod template;
mod user;

pub use audit::*;
pub use auth::*;
pub use cluster::*;
pub use debug::*;
pub use error::*;
pub use ids::*;
pub use notification::*;
pub use page::*;
pub use permission::*;
pub use pipeline::*;
pub use project::*;
pub use role::*;
pub use run::*;
pub use schedule::*;
pub use template::*;
pub use user::*;
