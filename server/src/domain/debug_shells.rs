//! Debug shells of single tasks: who may open one (who may run the task, and for shells on
//! this machine only where the configuration allows them) and what it is opened with: the
//! task's environment as it would run now, carrying its single-task run id so that clearing
//! the task ends the shell. A task of a project on this server gets a shell here, in its
//! working directory; one of a project on a Kubernetes cluster gets a shell in a debug pod
//! that runs the task's container idle there.

use app::model::{DebugShell, TaskId, terminal_size};
use cubist_kube::debug_pods::Pod;

use super::runs::compile;
use super::single_tasks::{run_id_of, task_owner};
use super::{Error, Result};
use crate::auth::Identity;
use crate::db::Db;
use crate::engine::executor::{Engines, Placement};
use crate::engine::shell_io::ShellProcess;
use crate::engine::terminal::{self, ShellLaunch, ShellLimit, ShellTicket};
use crate::engine::{local, task_space};

/// An open shell with its place among the server's and its user's shells.
pub struct OpenShell {
    pub shell: ShellProcess,
    pub ticket: ShellTicket,
}

/// Where a shell opens.
pub enum Launch {
    /// A process on this server.
    Host(ShellLaunch),
    /// A debug pod on a cluster.
    Pod { cluster: String, pod: Box<Pod> },
}

/// What the shell of `task` would be opened with.
pub async fn prepare(
    db: &Db,
    engines: &Engines,
    host_shells: bool,
    caller: &Identity,
    task: TaskId,
) -> Result<(DebugShell, Launch)> {
    let (pipeline, name) = task_owner(db, caller, task).await?;
    let run_id = run_id_of(pipeline, task);
    let compiled = {
        let mut conn = db.read().await?;
        compile(&mut conn.tx(), caller, pipeline, &run_id, Some(task)).await?
    };
    let plan = &compiled.plan;
    let planned = plan.tasks.first().ok_or(Error::NotFound("task"))?;
    let at = Placement::of_project(&compiled.project);
    if !at.is_local() {
        engines.clusters.check(&at.cluster).map_err(Error::Unavailable)?;
        let pod = engines.clusters.debug_pod(plan, planned, &at.cluster, &at.namespace);
        let info = DebugShell {
            run_id: run_id.clone(),
            task: name,
            shell: "bash, or sh where the image has no bash".into(),
            workdir: planned.workdir.clone().unwrap_or_default(),
            location: format!(
                "pod {}/{} on {}",
                at.namespace,
                pod.metadata.name.clone().unwrap_or_default(),
                at.cluster
            ),
        };
        return Ok((info, Launch::Pod { cluster: at.cluster, pod: Box::new(pod) }));
    }
    if !host_shells {
        return Err(Error::Forbidden(
            "debug shells on this machine are turned off (CUBIST_HOST_SHELLS; by default they are allowed only when \
             the server listens on a loopback address)"
                .into(),
        ));
    }
    let inner = engines.local.inner();
    inner.sandbox.check().map_err(Error::Unavailable)?;
    let space = task_space::of_task(&inner.data_dir, &run_id, planned);
    let program = terminal::shell_program();
    let info = DebugShell {
        run_id,
        task: name,
        shell: program.display().to_string(),
        workdir: space.cwd.clone(),
        location: "host".into(),
    };
    let launch = ShellLaunch { program, env: planned.env.clone(), space, limits: local::limits_of(planned) };
    Ok((info, Launch::Host(launch)))
}

/// Opens the shell at the terminal's size, if a place is free.
pub async fn open(engines: &Engines, caller: &Identity, launch: Launch, cols: u16, rows: u16) -> Result<OpenShell> {
    let mut ticket = engines.local.book_shell(caller.user_id.0).map_err(|limit| {
        Error::Unavailable(match limit {
            ShellLimit::User => format!(
                "you have {} debug shells open, the most one user may; close one first",
                terminal::MAX_SHELLS_PER_USER
            ),
            ShellLimit::Server => {
                format!("{} debug shells are open on this server, the most it allows", terminal::MAX_SHELLS)
            }
        })
    })?;
    let (cols, rows) = terminal_size(cols, rows);
    let shell = match launch {
        Launch::Host(launch) => {
            let shell = terminal::spawn(engines.local.shared(), &launch, cols, rows)
                .await
                .map_err(|e| Error::Unavailable(format!("the shell could not start: {e}")))?;
            ticket.started(shell.session);
            tracing::info!(shell = %launch.program.display(), session = shell.session, user = %caller.username, "debug shell opened");
            ShellProcess::Host(shell)
        }
        Launch::Pod { cluster, pod } => {
            let shell = engines.clusters.open_shell(&cluster, &pod, cols, rows).await.map_err(Error::Unavailable)?;
            tracing::info!(cluster, pod = pod.metadata.name.as_deref().unwrap_or_default(), user = %caller.username, "debug shell opened in a pod");
            ShellProcess::Pod(shell)
        }
    };
    Ok(OpenShell { shell, ticket })
}
