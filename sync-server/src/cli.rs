//! The `hafla-server` command line: `serve`, `demo`, `migrate`.
//!
//! Settings come from flags, then `HAFLA_*` environment variables, then defaults. Every
//! failure ends in one line on stderr and a non-zero exit, never a panic trace.

use crate::api::{AppState, app};
use crate::demo::{self, DemoError, SeedOutcome};
use crate::store::{SqliteStore, StoreError};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "hafla-server", version, about = "Hafla's sync server")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the API (creating and migrating the database if needed).
    Serve(ServeArgs),
    /// Seed bilingual Jordanian demo data into an empty database (a no-op when data exists).
    Demo(DataArgs),
    /// Apply database migrations and exit.
    Migrate(DataArgs),
}

#[derive(Args, Debug)]
struct DataArgs {
    /// Folder holding the SQLite database (created if missing).
    #[arg(long, env = "HAFLA_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed at start).
    #[arg(long, env = "HAFLA_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    #[command(flatten)]
    data: DataArgs,
    /// Seed the demo catalog first when the database is empty.
    #[arg(long)]
    demo: bool,
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Demo(#[from] DemoError),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: String },
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Parses the command line, runs the command, and turns any failure into one line.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("hafla-server: {first} (see hafla-server --help)");
            return ExitCode::from(2);
        }
    };
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hafla-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hafla-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,hafla_server=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Migrate(args) => {
            let store = SqliteStore::open(&args.data_dir)?;
            println!("database {} is up to date", store.path().display());
            Ok(())
        }
        Command::Demo(args) => {
            let store = SqliteStore::open(&args.data_dir)?;
            report_seed(&store).await
        }
        Command::Serve(args) => serve(args).await,
    }
}

async fn report_seed(store: &SqliteStore) -> Result<(), CliError> {
    match demo::seed(store, demo::today_in_amman()?).await? {
        SeedOutcome::Seeded {
            organizations,
            events,
        } => println!(
            "seeded {events} demo events from {organizations} organizers into {}",
            store.path().display()
        ),
        SeedOutcome::AlreadyPresent => {
            println!(
                "{} already has data; demo seeding skipped",
                store.path().display()
            )
        }
    }
    Ok(())
}

async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let store = SqliteStore::open(&args.data.data_dir)?;
    if args.demo {
        report_seed(&store).await?;
    }
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| CliError::Listen {
            addr: args.addr,
            reason: e.to_string(),
        })?;
    let local = listener.local_addr()?;
    // Scripts and tests read this line to learn the port.
    println!(
        "hafla-server listening on http://{local} (database {})",
        store.path().display()
    );
    std::io::stdout().flush()?;
    axum::serve(
        listener,
        app(AppState {
            store: std::sync::Arc::new(store),
        }),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
