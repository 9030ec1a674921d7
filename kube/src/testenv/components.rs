//! Starting the plane's processes in order, each waited for before the next needs it, from a
//! keeper thread that outlives every test of the binary.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::programs::{self, APISERVER, ARGO, CONTROLLER_MANAGER, ETCD, KWOK, SCHEDULER};
use super::{ControlPlane, START_LIMIT, StartError, nodes, setup};

/// Starts the keeper thread and waits for the plane to be ready (or to fail).
pub fn start_keeper() -> Result<ControlPlane, StartError> {
    let (ready, outcome) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("cubist-testenv".into())
        .spawn(move || {
            let mut children = Vec::new();
            let _ = ready.send(start(&mut children));
            // The children die with this thread (parent-death signal): it must never end.
            loop {
                std::thread::park();
            }
        })
        .map_err(|e| StartError(format!("cannot start the keeper thread: {e}")))?;
    outcome.recv_timeout(START_LIMIT + Duration::from_secs(10)).map_err(|_| StartError("timed out".into()))?
}

/// `N` distinct free loopback ports (all held open until all are found).
fn free_ports<const N: usize>() -> Result<[u16; N], StartError> {
    let fail = |e: std::io::Error| StartError(format!("no free port: {e}"));
    let listeners: Vec<TcpListener> =
        (0..N).map(|_| TcpListener::bind("127.0.0.1:0")).collect::<Result<_, _>>().map_err(fail)?;
    let ports: Vec<u16> =
        listeners.iter().map(|l| l.local_addr().map(|a| a.port())).collect::<Result<_, _>>().map_err(fail)?;
    ports.try_into().map_err(|_| StartError("no free port".into()))
}

/// Removes the folders of planes whose test binary is gone.
fn sweep_old_planes() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("cubist-testenv-").and_then(|p| p.parse::<u32>().ok()) else { continue };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Starts `program` with `args`, its output in `<dir>/<program>.log`, killed when the keeper
/// thread ends.
fn spawn(dir: &Path, program: &str, args: &[String], env: &[(&str, &str)]) -> Result<Child, StartError> {
    let path = programs::program(program)?;
    let log = File::create(dir.join(format!("{program}.log"))).map_err(|e| StartError(e.to_string()))?;
    let err = log.try_clone().map_err(|e| StartError(e.to_string()))?;
    Command::new("setpriv")
        .args(["--pdeathsig", "KILL", "--"])
        .arg(&path)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .map_err(|e| StartError(format!("cannot start {program}: {e}")))
}

/// The last lines of a component's log, for an error message.
pub fn log_tail(dir: &Path, program: &str) -> String {
    let text = std::fs::read_to_string(dir.join(format!("{program}.log"))).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(12)..].join("\n")
}

fn start(children: &mut Vec<Child>) -> Result<ControlPlane, StartError> {
    sweep_old_planes();
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("cubist-testenv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| StartError(format!("cannot make {}: {e}", dir.display())))?;
    let ports = Ports::pick()?;
    let files = setup::write_files(&dir, ports.apiserver)?;

    children.push(spawn(&dir, ETCD, &ports.etcd_args(&dir), &[])?);
    children.push(spawn(&dir, APISERVER, &setup::apiserver_args(&dir, &files, &ports), &[])?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StartError(format!("no runtime: {e}")))?;
    let plane = ControlPlane { kubeconfig: files.kubeconfig.clone(), dir: dir.clone() };
    runtime.block_on(setup::wait_ready(&plane, children)).map_err(|e| {
        StartError(format!(
            "{}; etcd said:\n{}\nkube-apiserver said:\n{}",
            e.0,
            log_tail(&dir, ETCD),
            log_tail(&dir, APISERVER)
        ))
    })?;
    let kubeconfig = files.kubeconfig.display().to_string();
    children.push(spawn(
        &dir,
        CONTROLLER_MANAGER,
        &setup::controller_manager_args(&files, ports.controller_manager),
        &[],
    )?);
    children.push(spawn(&dir, SCHEDULER, &setup::scheduler_args(&kubeconfig, ports.scheduler), &[])?);
    runtime.block_on(setup::prepare_cluster(&plane))?;
    let stages = nodes::write_stages(&dir)?;
    children.push(spawn(&dir, KWOK, &nodes::kwok_args(&kubeconfig, &stages, ports.kwok), &[])?);
    runtime.block_on(nodes::create(&plane))?;
    children.push(spawn(
        &dir,
        ARGO,
        &setup::argo_args(&files),
        &[("LEADER_ELECTION_DISABLE", "true"), ("DEFAULT_REQUEUE_TIME", "2s")],
    )?);
    tracing::info!(seconds = started.elapsed().as_secs_f32(), dir = %dir.display(), "test control plane ready");
    Ok(plane)
}

/// The ports the components listen on.
pub struct Ports {
    pub etcd_client: u16,
    pub etcd_peer: u16,
    pub apiserver: u16,
    pub controller_manager: u16,
    pub scheduler: u16,
    pub kwok: u16,
}

impl Ports {
    fn pick() -> Result<Self, StartError> {
        let [etcd_client, etcd_peer, apiserver, controller_manager, scheduler, kwok] = free_ports()?;
        Ok(Self { etcd_client, etcd_peer, apiserver, controller_manager, scheduler, kwok })
    }

    pub fn etcd_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.etcd_client)
    }

    fn etcd_args(&self, dir: &Path) -> Vec<String> {
        let peer = format!("http://127.0.0.1:{}", self.etcd_peer);
        let data: PathBuf = dir.join("etcd");
        vec![
            "--name=default".into(),
            format!("--data-dir={}", data.display()),
            format!("--listen-client-urls={}", self.etcd_url()),
            format!("--advertise-client-urls={}", self.etcd_url()),
            format!("--listen-peer-urls={peer}"),
            format!("--initial-advertise-peer-urls={peer}"),
            format!("--initial-cluster=default={peer}"),
            "--unsafe-no-fsync=true".into(),
            "--log-level=warn".into(),
        ]
    }
}
