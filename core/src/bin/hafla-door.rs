//! `hafla-door`: a door device on the command line.
//!
//! * `sync` downloads an event's door list, sends this device's scans and brings in the
//!   other doors' scans (the token comes from `HAFLA_TOKEN`, never from an argument, so it
//!   stays out of shell history and process listings).
//! * `scan` reads scanned texts from standard input, one per line (keyboard-wedge scanners
//!   type the text and then Enter), and prints one verdict per line — offline.
//! * `status` prints what the door knows: admitted, remaining, per gate, conflicts, and
//!   scans still waiting to be sent.
//!
//! `--json` prints one JSON object per line, for scripts and tests. Exit codes: 0 done,
//! 1 failed, 2 bad usage or configuration, 3 server unreachable, 4 refused by the server
//! (sign-in or permission).

use clap::{Args, Parser, Subcommand, ValueEnum};
use hafla_core::Lang;
use hafla_core::door::Direction;
use hafla_core::door::store::{DoorStore, Durability};
use hafla_core::sync::{
    EngineConfig, RequestError, RetryPolicy, SyncClient, SyncDb, SyncEngine, SyncError, SyncTarget,
};
use hafla_core::wire::ErrorCode;
use serde_json::json;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_UNREACHABLE: u8 = 3;
const EXIT_REFUSED: u8 = 4;

#[derive(Parser)]
#[command(
    name = "hafla-door",
    version,
    about = "Hafla door device: sync, scan offline, status"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Pull the event's door list, push this device's scans, pull other doors' scans.
    Sync(SyncArgs),
    /// Verify scanned texts from standard input, one per line, offline.
    Scan(ScanArgs),
    /// Admitted, remaining, per gate, conflicts, scans waiting to be sent.
    Status(StatusArgs),
}

#[derive(Args)]
struct Output {
    /// One JSON object per line instead of text.
    #[arg(long)]
    json: bool,
    /// Language of messages.
    #[arg(long, value_enum, default_value = "ar")]
    lang: LangArg,
}

#[derive(Args)]
struct SyncArgs {
    /// The server's root URL, e.g. https://hafla.example
    #[arg(long)]
    server: String,
    /// The organization running the event.
    #[arg(long)]
    org: Uuid,
    #[arg(long)]
    event: Uuid,
    /// The device's database file (created if missing).
    #[arg(long)]
    db: PathBuf,
    /// Rows per page.
    #[arg(long, default_value_t = hafla_core::wire::sync::DEFAULT_PAGE_ROWS)]
    limit: u32,
    /// Tries per request before giving up (waits grow between them, with jitter).
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..))]
    attempts: u32,
    #[command(flatten)]
    output: Output,
}

#[derive(Args)]
#[group(id = "which_event", required = true, multiple = false)]
struct EventChoice {
    /// The event's number as its tickets carry it.
    #[arg(long, group = "which_event")]
    event_ref: Option<u32>,
    /// The event's id (it must have been synced).
    #[arg(long, group = "which_event")]
    event: Option<Uuid>,
}

#[derive(Args)]
struct ScanArgs {
    #[arg(long)]
    db: PathBuf,
    #[command(flatten)]
    event: EventChoice,
    /// The gate this device stands at.
    #[arg(long)]
    gate: String,
    #[arg(long, value_enum, default_value = "in")]
    direction: DirectionArg,
    /// Scan as if at this time (RFC 3339), for rehearsals and tests.
    #[arg(long, hide = true)]
    at: Option<jiff::Timestamp>,
    #[command(flatten)]
    output: Output,
}

#[derive(Args)]
struct StatusArgs {
    #[arg(long)]
    db: PathBuf,
    /// Only this event (by number); every synced event otherwise.
    #[arg(long)]
    event_ref: Option<u32>,
    /// Only this event (by id).
    #[arg(long, conflicts_with = "event_ref")]
    event: Option<Uuid>,
    #[command(flatten)]
    output: Output,
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    Ar,
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Ar => Lang::Ar,
            LangArg::En => Lang::En,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum DirectionArg {
    In,
    Out,
}

/// A failure and the exit code it maps to.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn new(code: u8, message: impl std::fmt::Display) -> Failure {
        Failure {
            code,
            message: message.to_string(),
        }
    }
}

impl From<SyncError> for Failure {
    fn from(e: SyncError) -> Failure {
        let code = match &e {
            SyncError::Request(RequestError::Unreachable { .. }) => EXIT_UNREACHABLE,
            SyncError::Request(r)
                if matches!(
                    r.code(),
                    ErrorCode::Unauthenticated
                        | ErrorCode::Forbidden
                        | ErrorCode::TokenExpired
                        | ErrorCode::InvalidToken
                ) || matches!(
                    r,
                    RequestError::Status {
                        status: 401 | 403,
                        ..
                    }
                ) =>
            {
                EXIT_REFUSED
            }
            _ => EXIT_FAILED,
        };
        Failure::new(code, e)
    }
}

macro_rules! failed {
    ($($t:ty),*) => {$(
        impl From<$t> for Failure {
            fn from(e: $t) -> Failure {
                Failure::new(EXIT_FAILED, e)
            }
        }
    )*};
}
failed!(
    hafla_core::sync::LocalError,
    hafla_core::door::store::DoorStoreError,
    RequestError,
    std::io::Error
);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Sync(args) => sync(args),
        Command::Scan(args) => scan(args),
        Command::Status(args) => status(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let line = failure.message.replace('\n', " ");
            eprintln!("hafla-door: {line}");
            ExitCode::from(failure.code)
        }
    }
}

/// Prints a line to standard output; a closed pipe ends the program quietly.
fn out(line: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::new(EXIT_FAILED, format!("cannot write the output: {e}")))
}

fn open_db(path: &Path) -> Result<SyncDb, Failure> {
    Ok(SyncDb::open(path)?)
}

fn sync(args: SyncArgs) -> Result<(), Failure> {
    let token = std::env::var("HAFLA_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| {
            Failure::new(
                EXIT_USAGE,
                "set HAFLA_TOKEN to a door-staff access token (it is never taken as an argument)",
            )
        })?;
    let db = open_db(&args.db)?;
    let device_id = db.device_id();
    let door = DoorStore::open_device(&args.db, Durability::Normal)?;
    let client = SyncClient::new(
        &args.server,
        args.output.lang.into(),
        Some(token.trim().into()),
    )?;
    let defaults = EngineConfig::default();
    let config = EngineConfig {
        page_limit: args.limit,
        retry: RetryPolicy {
            max_attempts: Some(args.attempts),
            ..defaults.retry
        },
        ..defaults
    };
    let db = Arc::new(Mutex::new(db));
    let engine = Arc::new(SyncEngine::new(
        client,
        db.clone(),
        Some(Arc::new(Mutex::new(door))),
        config,
    ));
    let target = SyncTarget::Door {
        org: args.org,
        event: args.event,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(EXIT_FAILED, e))?;
    let json_out = args.output.json;
    let report = runtime.block_on(async {
        let mut progress = engine.progress();
        let printer = tokio::spawn(async move {
            while progress.changed().await.is_ok() {
                let Some(p) = *progress.borrow_and_update() else {
                    continue;
                };
                if json_out {
                    let line = json!({"type": "progress", "scope": p.scope, "done": p.done, "total": p.total});
                    let _ = out(&line.to_string());
                } else {
                    eprintln!("{}: {}/{}", p.scope, p.done, p.total);
                }
            }
        });
        let report = engine.sync(target).await;
        // Let the printer show the last progress before it stops.
        tokio::task::yield_now().await;
        printer.abort();
        report
    })?;
    let db = db.lock().unwrap_or_else(|p| p.into_inner());
    let outbox = db.outbox_len()?;
    let rejected = db.rejected()?.len();
    if json_out {
        let line = json!({
            "type": "summary",
            "device_id": device_id,
            "scope": report.pull.scope,
            "pull": report.pull,
            "push": report.push,
            "scans": report.scans,
            "outbox": outbox,
            "rejected": rejected,
        });
        out(&line.to_string())?;
    } else {
        let scans = report.scans.unwrap_or_default();
        out(&format!(
            "synced {}: {} of {} rows held{}; pushed {} scans ({} already sent, {} rejected, {} deferred), {} waiting; {} new scans from other doors",
            report.pull.scope,
            report.pull.held,
            report.pull.total,
            if report.pull.verified {
                ", complete"
            } else {
                ""
            },
            report.push.applied,
            report.push.duplicates,
            report.push.rejected,
            report.push.deferred,
            outbox,
            scans.merged,
        ))?;
    }
    Ok(())
}

fn event_ref(
    db: &SyncDb,
    by_ref: Option<u32>,
    by_id: Option<Uuid>,
) -> Result<Option<u32>, Failure> {
    match (by_ref, by_id) {
        (Some(r), _) => Ok(Some(r)),
        (None, Some(id)) => db.event_ref_of(id)?.map(Some).ok_or_else(|| {
            Failure::new(
                EXIT_FAILED,
                format!("event {id} is not on this device: run `hafla-door sync` first"),
            )
        }),
        (None, None) => Ok(None),
    }
}

fn scan(args: ScanArgs) -> Result<(), Failure> {
    let db = open_db(&args.db)?;
    let event_ref = event_ref(&db, args.event.event_ref, args.event.event)?
        .ok_or_else(|| Failure::new(EXIT_USAGE, "name the event with --event-ref or --event"))?;
    let mut door = DoorStore::open_device(&args.db, Durability::Normal)?;
    if door.time_zone(event_ref).is_none() {
        return Err(Failure::new(
            EXIT_FAILED,
            format!("event {event_ref} is not on this device: run `hafla-door sync` first"),
        ));
    }
    let lang: Lang = args.output.lang.into();
    let direction = match args.direction {
        DirectionArg::In => Direction::In,
        DirectionArg::Out => Direction::Out,
    };
    let stdin = std::io::stdin().lock();
    // Split on bytes, not lines: a scanner that sends garbage must not stop the door.
    for line in stdin.split(b'\n') {
        let line = line?;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let now = args.at.unwrap_or_else(jiff::Timestamp::now);
        let (verdict, record) = door.scan(event_ref, text, &args.gate, direction, now)?;
        let time_zone = door.time_zone(event_ref).unwrap_or("Asia/Amman");
        let message = verdict.describe(lang, time_zone);
        if args.output.json {
            let line = json!({
                "type": "verdict",
                "verdict": verdict.key(),
                "signal": verdict.signal(),
                "message": message,
                "ticket_serial": record.ticket_serial,
                "scan_id": record.id,
                "seq": record.seq.to_string(),
            });
            out(&line.to_string())?;
        } else {
            out(&format!("{}\t{}", verdict.key(), message))?;
        }
    }
    Ok(())
}

fn status(args: StatusArgs) -> Result<(), Failure> {
    let db = open_db(&args.db)?;
    let events = match event_ref(&db, args.event_ref, args.event)? {
        Some(r) => vec![r],
        None => db.door_event_refs()?,
    };
    let outbox = db.outbox_len()?;
    let rejected = db.rejected()?.len();
    let statuses = events
        .into_iter()
        .map(|r| db.door_status(r))
        .collect::<Result<Vec<_>, _>>()?;
    if args.output.json {
        let line = json!({
            "type": "status",
            "device_id": db.device_id(),
            "events": statuses,
            "outbox": outbox,
            "rejected": rejected,
        });
        return out(&line.to_string());
    }
    out(&format!("device {}", db.device_id()))?;
    for s in &statuses {
        out(&format!("event {}", s.event_ref))?;
        out(&format!("  admitted   {}", s.admitted))?;
        out(&format!("  remaining  {}", s.remaining))?;
        out(&format!(
            "  tickets    {} ({} revoked)",
            s.tickets, s.revoked
        ))?;
        out(&format!("  conflicts  {}", s.conflicts))?;
        for g in &s.gates {
            out(&format!(
                "  gate {}: {} in, {} out, {} refused",
                g.gate, g.entered, g.exited, g.refused
            ))?;
        }
    }
    out(&format!("waiting to be sent: {outbox}"))?;
    if rejected > 0 {
        out(&format!("rejected by the server: {rejected}"))?;
    }
    Ok(())
}
