//! Debug shells of single tasks: who may open one (who may run the task, and only where the
//! configuration allows shells on this machine) and what it is opened with: the task's
//! environment as it would run now, in its working directory, carrying its single-task run
//! id so that clearing the task ends the shell.

use app::model::{DebugShell, TaskId, terminal_size};

use super::runs::{compile, task_owner};
use super::{Error, Result};
use crate::auth::Identity;
use crate::db::Db;
use crate::engine::terminal::{self, Shell, ShellLaunch, ShellLimit, ShellTicket};
use crate::engine::{Engine, local, task_space};

/// An open shell with its place among the server's and its user's shells.
pub struct OpenShell {
    pub shell: Shell,
    pub ticket: ShellTicket,
}

/// What the shell of `task` would be opened with.
pub async fn prepare(
    db: &Db,
    engine: &Engine,
    host_shells: bool,
    caller: &Identity,
    task: TaskId,
) -> Result<(DebugShell, ShellLaunch)> {
    if !host_shells {
        return Err(Error::Forbidden(
            "debug shells on this machine are turned off (CUBIST_HOST_SHELLS; by default they are allowed only when \
             the server listens on a loopback address)"
                .into(),
        ));
    }
    let (pipeline, name) = task_owner(db, caller, task).await?;
    let run_id = format!("run-{}-{}", pipeline.0, task.0);
    let plan = {
        let mut conn = db.read().await?;
        compile(&mut conn.tx(), caller, pipeline, &run_id, Some(task)).await?.plan
    };
    let planned = plan.tasks.first().ok_or(Error::NotFound("task"))?;
    let inner = engine.inner();
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
    Ok((info, launch))
}

/// Opens the shell at the terminal's size, if a place is free.
pub async fn open(engine: &Engine, caller: &Identity, launch: &ShellLaunch, cols: u16, rows: u16) -> Result<OpenShell> {
    let mut ticket = engine.book_shell(caller.user_id.0).map_err(|limit| {
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
    let shell = terminal::spawn(engine.shared(), launch, cols, rows)
        .await
        .map_err(|e| Error::Unavailable(format!("the shell could not start: {e}")))?;
    ticket.started(shell.session);
    tracing::info!(shell = %launch.program.display(), session = shell.session, user = %caller.username, "debug shell opened");
    Ok(OpenShell { shell, ticket })
}
