//! Settings only administrators may use: whatever reaches beyond a task's own container and
//! storage (node directories, cluster secrets, NFS exports, privileged containers, service
//! accounts, namespace overrides) and publishing to the demo gallery. The same mount rule
//! holds wherever a mount can be written: templates, tasks and projects.

use app::domain::mounts::{Mount, MountSource, parse_mounts};
use app::model::{GraphInput, TaskInput, TemplateInput};
use serde_json::{Map, Value};

use super::Who;
use crate::db::job_templates::TemplateRow;
use crate::domain::Error;

/// Mounts that reach beyond the task's own storage: node directories, cluster secrets, NFS.
pub fn reaches_beyond(mount: &Mount) -> bool {
    matches!(mount.source, MountSource::HostPath { .. } | MountSource::Secret { .. } | MountSource::Nfs { .. })
}

/// Whether mount text names any mount only administrators may use (text that does not
/// parse is left to the field's own validation).
pub fn mounts_reach_beyond(text: &str) -> bool {
    parse_mounts(text).is_ok_and(|mounts| mounts.iter().any(reaches_beyond))
}

const MOUNT_RULE: &str = "only administrators mount host paths, secrets or NFS exports";

fn refuse(field: impl std::fmt::Display, rule: &str) -> Error {
    Error::Forbidden(format!("{field}: {rule}"))
}

/// A job template: privileged, service account and far-reaching mounts are for administrators.
pub fn template(who: Who, input: &TemplateInput) -> Result<(), Error> {
    if who.admin {
        return Ok(());
    }
    if input.privileged {
        return Err(refuse("privileged", "only administrators create templates that run privileged"));
    }
    if !input.service_account.trim().is_empty() {
        return Err(refuse("service_account", "only administrators create templates that use a service account"));
    }
    if mounts_reach_beyond(&input.volume_mount) {
        return Err(refuse("volume_mount", MOUNT_RULE));
    }
    Ok(())
}

/// A pipeline document: demo publishing and far-reaching task mounts are for administrators.
pub fn pipeline(who: Who, input: &GraphInput) -> Result<(), Error> {
    if who.admin {
        return Ok(());
    }
    if input.pipeline.fields.expand.demo {
        return Err(refuse("expand.demo", "only administrators publish demo pipelines"));
    }
    match input.tasks.iter().position(|task| mounts_reach_beyond(&task.fields.volume_mount)) {
        Some(i) => Err(refuse(format_args!("tasks[{i}].volume_mount"), MOUNT_RULE)),
        None => Ok(()),
    }
}

/// What a template with node-level powers (privileged, a service account, far-reaching
/// mounts) allows others: only its own command, so nobody borrows its powers for theirs.
#[derive(Debug, Clone, Copy)]
pub struct TemplatePowers<'a> {
    pub name: &'a str,
    pub privileged: bool,
    pub service_account: &'a str,
    pub volume_mount: &'a str,
}

impl<'a> TemplatePowers<'a> {
    pub fn of(row: &'a TemplateRow) -> Self {
        Self {
            name: &row.name,
            privileged: row.privileged,
            service_account: &row.service_account,
            volume_mount: &row.volume_mount,
        }
    }

    fn any(&self) -> bool {
        self.privileged || !self.service_account.is_empty() || mounts_reach_beyond(self.volume_mount)
    }
}

/// A task that uses a template: only administrators override the command or working
/// directory of a template with node-level powers.
pub fn task_override(who: Who, at: &str, task: &TaskInput, template: TemplatePowers<'_>) -> Result<(), Error> {
    let overrides = !task.fields.command.trim().is_empty() || !task.fields.workdir.trim().is_empty();
    if template.any() && overrides && !who.admin {
        return Err(Error::Forbidden(format!(
            "{at}.command: template '{}' runs with node-level powers; only administrators override its command or working directory",
            template.name
        )));
    }
    Ok(())
}

/// Copying a template makes the caller its owner, free to change its command: only
/// administrators copy a template with node-level powers.
pub fn template_copy(who: Who, template: TemplatePowers<'_>) -> Result<(), Error> {
    if template.any() && !who.admin {
        return Err(Error::Forbidden(format!(
            "id: template '{}' runs with node-level powers; only administrators copy it",
            template.name
        )));
    }
    Ok(())
}

/// A project's raw settings: far-reaching mounts and namespace overrides are for
/// administrators.
pub fn project(who: Who, raw: &Map<String, Value>) -> Result<(), Error> {
    if who.admin {
        return Ok(());
    }
    if raw.get("volume_mount").and_then(Value::as_str).is_some_and(mounts_reach_beyond) {
        return Err(refuse("expand.volume_mount", MOUNT_RULE));
    }
    if raw.get("namespaces").is_some_and(|v| !v.is_null() && v != &Value::Object(Map::new())) {
        return Err(refuse("expand.namespaces", "only administrators override namespaces"));
    }
    Ok(())
}
