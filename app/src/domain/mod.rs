//! Pure rules shared by the server and the browser: no I/O, unit- and property-tested.

pub mod arg_schema;
pub mod canvas;
pub mod container_path;
pub mod cron;
pub mod dag;
pub mod env_lines;
pub mod host_aliases;
pub mod language;
pub mod layout;
pub mod menu;
pub mod mounts;
pub mod node_selector;
pub mod pagination;
pub mod password;
pub mod permissions;
pub mod pipeline_doc;
pub mod pipeline_rules;
pub mod plan;
pub mod plan_args;
pub mod plan_render;
pub mod project_expand;
pub mod resources;
pub mod seed_templates;
pub mod template_bound;
pub mod username;
pub mod validation;
