//! The `cubist` command: `cubist serve` runs the server.

use clap::{Parser, Subcommand};
use server::config::Config;

#[derive(Parser)]
#[command(name = "cubist", version, about = "Cubist: pipelines, notebooks and training on Kubernetes")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (configuration from cubist.toml and CUBIST_* variables).
    Serve,
}

/// glibc gives busy threads malloc arenas of their own and rarely hands their memory back;
/// two arenas keep the server's memory flat under many short tasks (measured by
/// scripts/bench-engine.sh).
const MALLOC_ARENAS: &str = "2";

/// glibc raises its mmap threshold after a large block is freed, so the next large blocks
/// (argon2's 19 MiB per password hash) come from the heap and stay resident; a fixed
/// threshold hands them back at once (RSS after a sign-in: 21 MB instead of 40 MB).
const MALLOC_MMAP_THRESHOLD: &str = "262144";

/// Starts this program again with glibc's malloc tuned (it reads its settings only at
/// start). An operator's own settings win.
fn tune_malloc() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let threshold = std::env::var_os("MALLOC_MMAP_THRESHOLD_").unwrap_or_else(|| MALLOC_MMAP_THRESHOLD.into());
    if let Ok(exe) = std::env::current_exe() {
        let error = std::os::unix::process::CommandExt::exec(
            std::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .env("MALLOC_ARENA_MAX", MALLOC_ARENAS)
                .env("MALLOC_MMAP_THRESHOLD_", threshold),
        );
        eprintln!("cubist: could not restart with tuned malloc settings: {error}");
    }
}

fn main() -> std::process::ExitCode {
    let Cli { command: Command::Serve } = Cli::parse();
    tune_malloc();
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(serve()),
        Err(e) => {
            eprintln!("cubist: cannot start the async runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve() -> std::process::ExitCode {
    server::telemetry::init_logging();
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cubist: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), server::StartError> {
    let config = Config::from_env()?;
    let addr = config.addr;
    let built = server::build(config).await?;
    if let Some(password) = &built.generated_admin_password {
        println!("Created the administrator: username `admin`, password `{password}` (shown only this once).");
    }
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| server::StartError::Listen(addr, e))?;
    let local = listener.local_addr().map_err(|e| server::StartError::Listen(addr, e))?;
    println!("Cubist is listening on http://{local}/");
    tracing::info!(%local, "listening");
    server::serve(listener, built).await.map_err(|e| server::StartError::Listen(addr, e))
}
