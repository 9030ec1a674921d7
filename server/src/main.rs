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

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let Cli { command: Command::Serve } = Cli::parse();
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
