//! The `hafla-server` command line: `serve`, `demo`, `migrate`, `backup`, `restore`, `admin`.
//!
//! Settings come from flags, then `HAFLA_*` environment variables, then the `--config` file,
//! then defaults (see `config`). Every failure ends in one line on stderr and a non-zero
//! exit, never a panic trace.

use crate::api::client_ip::TrustedProxies;
use crate::api::{AppState, app};
use crate::config::{self, ConfigError, FileConfig, pick};
use crate::demo::{self, DemoError, SeedOutcome};
use crate::store::{self, PgOptions, Store, StoreError};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(name = "hafla-server", version, about = "Hafla's sync server")]
pub struct Cli {
    /// TOML file with settings (flags and environment variables take precedence).
    #[arg(long, global = true, env = "HAFLA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct DemoArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Generated events to add to the written ones (e.g. 100000 for benchmarks).
    #[arg(long, default_value_t = demo::DEMO_GENERATED)]
    generated: usize,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the API (creating and migrating the database if needed).
    Serve(Box<ServeArgs>),
    /// Seed bilingual Jordanian demo data into an empty database (a no-op when data exists).
    Demo(DemoArgs),
    /// Apply database migrations and exit.
    Migrate(DataArgs),
    /// Write a consistent copy of the SQLite database to a new file, while a server keeps
    /// serving. PostgreSQL is backed up with its own tools (see deploy/README.md).
    Backup(BackupArgs),
    /// Replace the SQLite database by a backup, after checking it. The server must be
    /// stopped; the replaced database is kept beside it.
    Restore(RestoreArgs),
    /// Platform administration.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Args, Debug)]
struct BackupArgs {
    /// The backup file to write (must not exist yet).
    #[arg(long)]
    to: PathBuf,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Args, Debug)]
struct RestoreArgs {
    /// The backup file to restore.
    #[arg(long)]
    from: PathBuf,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Args, Debug)]
struct DataArgs {
    /// Folder holding the SQLite database (created if missing) [default: ./data].
    #[arg(long, env = "HAFLA_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The database: `sqlite://PATH` or `postgres://USER@HOST/DB` (`?sslmode=require` for
    /// TLS; the password belongs in the URL only via the environment variable). Without
    /// it: SQLite in the data folder.
    #[arg(long, env = "HAFLA_DATABASE_URL")]
    database_url: Option<String>,
    /// PostgreSQL: most connections open at once [default: 10].
    #[arg(long, env = "HAFLA_DB_MAX_CONNECTIONS")]
    db_max_connections: Option<u32>,
    /// PostgreSQL: longest a statement may run, in seconds [default: 5].
    #[arg(long, env = "HAFLA_DB_STATEMENT_TIMEOUT_SECS")]
    db_statement_timeout_secs: Option<u64>,
    /// PostgreSQL: longest a request waits for a database connection, in seconds; while the
    /// database is down, requests answer 503 after this long [default: 5].
    #[arg(long, env = "HAFLA_DB_ACQUIRE_TIMEOUT_SECS")]
    db_acquire_timeout_secs: Option<u64>,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed at start) [default: 127.0.0.1:8080].
    #[arg(long, env = "HAFLA_ADDR")]
    addr: Option<SocketAddr>,
    #[command(flatten)]
    data: DataArgs,
    /// Seed the demo catalog first when the database is empty.
    #[arg(long)]
    demo: bool,
    /// Public base URL of the server, used in links in emails (default: http://ADDR).
    #[arg(long, env = "HAFLA_PUBLIC_URL")]
    public_url: Option<String>,
    /// File holding the access-token signing key (64 hex characters). Without it the key is
    /// read from HAFLA_TOKEN_KEY, else created once in DATA_DIR/secrets/token-key. The key
    /// hashing one-time codes comes likewise from HAFLA_OTP_KEY or DATA_DIR/secrets/otp-key.
    #[arg(long, env = "HAFLA_TOKEN_KEY_FILE")]
    token_key_file: Option<PathBuf>,
    /// SMTP server for outgoing mail. Without it, mail is written to DATA_DIR/outbox/.
    /// The password comes only from HAFLA_SMTP_PASSWORD.
    #[arg(long, env = "HAFLA_SMTP_HOST")]
    smtp_host: Option<String>,
    /// [default: 587]
    #[arg(long, env = "HAFLA_SMTP_PORT")]
    smtp_port: Option<u16>,
    #[arg(long, env = "HAFLA_SMTP_USERNAME")]
    smtp_username: Option<String>,
    /// Sender of outgoing mail [default: Hafla <no-reply@hafla.jo>].
    #[arg(long, env = "HAFLA_MAIL_FROM")]
    mail_from: Option<String>,
    /// How often expired sign-in state, tokens and rate-limit rows are deleted, once for all
    /// instances on the database [default: 600].
    #[arg(long, env = "HAFLA_PURGE_INTERVAL_SECS")]
    purge_interval_secs: Option<u64>,
    /// Reverse proxies or load balancers in front of the server, as a comma-separated list
    /// of addresses or networks (e.g. 10.0.0.0/8). Their X-Forwarded-For names the client
    /// for rate limits; nobody else's is believed [default: none].
    #[arg(long, env = "HAFLA_TRUSTED_PROXIES")]
    trusted_proxies: Option<String>,
    /// How long a reservation holds its tickets before it must be paid, in seconds
    /// [default: 600].
    #[arg(long, env = "HAFLA_ORDER_HOLD_SECS")]
    order_hold_secs: Option<u32>,
    /// How long an order paid by CliQ transfer waits for the organizer to confirm receipt,
    /// in hours [default: 24].
    #[arg(long, env = "HAFLA_CLIQ_HOLD_HOURS")]
    cliq_hold_hours: Option<u32>,
    /// Serve the sandbox payment page (approve / decline / cancel instead of a card form),
    /// for demos and tests; on with --demo. Never in production.
    #[arg(long, env = "HAFLA_SANDBOX_PAYMENTS")]
    sandbox_payments: bool,
    /// PayTabs profile id: with it (and HAFLA_PAYTABS_SERVER_KEY in the environment),
    /// buyers can pay by card on PayTabs' hosted page [default: no PayTabs].
    #[arg(long, env = "HAFLA_PAYTABS_PROFILE_ID")]
    paytabs_profile_id: Option<u64>,
    /// PayTabs' region endpoint [default: https://secure-jordan.paytabs.com].
    #[arg(long, env = "HAFLA_PAYTABS_URL")]
    paytabs_url: Option<String>,
    /// File holding the master key (base64 of 32 bytes, mode 0600) that seals the events'
    /// ticket-signing keys; or give the key itself in HAFLA_MASTER_KEY [default: created
    /// once in DATA_DIR/secrets/master-key, for development].
    #[arg(long, env = "HAFLA_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
    /// Folder for scheduled backups of the SQLite database, named
    /// `hafla-YYYYMMDDTHHMMSSZ.db` (UTC); one is taken at start [default: none, no
    /// scheduled backups]. Not for PostgreSQL, which has its own tools.
    #[arg(long, env = "HAFLA_BACKUP_DIR")]
    backup_dir: Option<PathBuf>,
    /// Seconds between scheduled backups [default: 3600].
    #[arg(long, env = "HAFLA_BACKUP_INTERVAL_SECS")]
    backup_interval_secs: Option<u64>,
    /// Scheduled backups to keep; older ones are deleted [default: 48].
    #[arg(long, env = "HAFLA_BACKUP_KEEP")]
    backup_keep: Option<usize>,
}

/// `serve`'s settings once flags, environment, file and defaults are merged.
struct ServeSettings {
    addr: SocketAddr,
    database: Database,
    demo: bool,
    public_url: Option<String>,
    token_key_file: Option<PathBuf>,
    smtp_host: Option<String>,
    smtp_port: u16,
    smtp_username: Option<String>,
    mail_from: String,
    purge_interval: std::time::Duration,
    trusted_proxies: Option<String>,
    checkout: crate::checkout::CheckoutSettings,
    /// PayTabs' profile id and region endpoint, when set.
    paytabs: Option<(u64, Option<String>)>,
    master_key_file: Option<PathBuf>,
    backups: Option<crate::backup::Schedule>,
}

/// Where the data lives, once flags, environment, file and defaults are merged.
struct Database {
    url: Option<String>,
    data_dir: PathBuf,
    pg: PgOptions,
}

impl Database {
    fn resolve(args: DataArgs, file: &FileConfig) -> Database {
        let defaults = PgOptions::default();
        let statement_timeout = pick(
            args.db_statement_timeout_secs,
            file.db_statement_timeout_secs,
            || defaults.statement_timeout.as_secs(),
        );
        let acquire_timeout = pick(
            args.db_acquire_timeout_secs,
            file.db_acquire_timeout_secs,
            || defaults.acquire_timeout.as_secs(),
        );
        Database {
            url: args.database_url.or_else(|| file.database_url.clone()),
            data_dir: pick(args.data_dir, file.data_dir.clone(), || {
                PathBuf::from(config::DEFAULT_DATA_DIR)
            }),
            pg: PgOptions {
                max_connections: pick(args.db_max_connections, file.db_max_connections, || {
                    defaults.max_connections
                }),
                statement_timeout: std::time::Duration::from_secs(statement_timeout),
                acquire_timeout: std::time::Duration::from_secs(acquire_timeout),
            },
        }
    }

    /// The SQLite database file, or `None` on PostgreSQL (see `store::open`).
    fn sqlite_path(&self) -> Option<PathBuf> {
        match self.url.as_deref() {
            None => Some(self.data_dir.join(store::SQLITE_DB_FILE)),
            Some(url) => url.strip_prefix("sqlite://").map(PathBuf::from),
        }
    }

    /// The SQLite database file for `backup` and `restore`; PostgreSQL is refused with a
    /// pointer to its own tools.
    fn sqlite_file_for(&self, command: &str) -> Result<PathBuf, CliError> {
        self.sqlite_path().ok_or_else(|| {
            CliError::Config(format!(
                "{command} works on the SQLite database only; back up PostgreSQL with \
                 pg_dump or continuous WAL archiving (see deploy/README.md)"
            ))
        })
    }

    /// Opens the store (see `store::open`) and how to name it in messages.
    async fn open(&self) -> Result<(Arc<dyn Store>, String), CliError> {
        Ok(store::open(self.url.as_deref(), &self.data_dir, self.pg.clone()).await?)
    }
}

impl ServeSettings {
    fn resolve(args: ServeArgs, file: FileConfig) -> ServeSettings {
        ServeSettings {
            addr: pick(args.addr, file.addr, || {
                config::DEFAULT_ADDR.parse().expect("valid default")
            }),
            database: Database::resolve(args.data, &file),
            demo: args.demo,
            public_url: args.public_url.or(file.public_url),
            token_key_file: args.token_key_file.or(file.token_key_file),
            smtp_host: args.smtp_host.or(file.smtp_host),
            smtp_port: pick(args.smtp_port, file.smtp_port, || config::DEFAULT_SMTP_PORT),
            smtp_username: args.smtp_username.or(file.smtp_username),
            mail_from: pick(args.mail_from, file.mail_from, || {
                config::DEFAULT_MAIL_FROM.to_owned()
            }),
            purge_interval: std::time::Duration::from_secs(
                pick(args.purge_interval_secs, file.purge_interval_secs, || {
                    config::DEFAULT_PURGE_INTERVAL_SECS
                })
                .max(1),
            ),
            trusted_proxies: args
                .trusted_proxies
                .or_else(|| file.trusted_proxies.map(|list| list.join(","))),
            checkout: crate::checkout::CheckoutSettings {
                hold: jiff::SignedDuration::from_secs(i64::from(
                    pick(args.order_hold_secs, file.order_hold_secs, || {
                        config::DEFAULT_ORDER_HOLD_SECS
                    })
                    .clamp(1, 24 * 3600),
                )),
                cliq_hold: jiff::SignedDuration::from_hours(i64::from(
                    pick(args.cliq_hold_hours, file.cliq_hold_hours, || {
                        config::DEFAULT_CLIQ_HOLD_HOURS
                    })
                    .clamp(1, 24 * 14),
                )),
                // The demo shows checkout end to end; production never serves the sandbox.
                sandbox: args.sandbox_payments || args.demo,
                paytabs: None,
            },
            paytabs: args.paytabs_profile_id.map(|id| (id, args.paytabs_url)),
            master_key_file: args.master_key_file.or(file.master_key_file),
            backups: args
                .backup_dir
                .or(file.backup_dir)
                .map(|dir| crate::backup::Schedule {
                    dir,
                    interval: std::time::Duration::from_secs(
                        pick(args.backup_interval_secs, file.backup_interval_secs, || {
                            config::DEFAULT_BACKUP_INTERVAL_SECS
                        })
                        .max(1),
                    ),
                    keep: pick(args.backup_keep, file.backup_keep, || {
                        config::DEFAULT_BACKUP_KEEP
                    })
                    .max(1),
                }),
        }
    }
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// Make a platform admin: promotes an existing account, or creates one with the
    /// password from HAFLA_ADMIN_PASSWORD.
    Create {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        data: DataArgs,
    },
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
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    ConfigFile(#[from] ConfigError),
    #[error(transparent)]
    Backup(#[from] crate::backup::BackupError),
    #[error("a restore of {0} is in progress; start the server when it has finished")]
    Held(String),
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
            let mut lines = rendered.lines();
            let first = lines.next().unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            // Missing arguments are listed on indented lines after the first.
            let named: Vec<&str> = lines
                .take_while(|l| l.starts_with("  "))
                .map(str::trim)
                .collect();
            let first = if named.is_empty() {
                first.to_owned()
            } else {
                format!("{first} {}", named.join(", "))
            };
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

/// Readable lines on a terminal; one JSON object per line otherwise (for log collectors),
/// or as `HAFLA_LOG_FORMAT=json|text` says. Logs never carry passwords, codes or tokens.
fn init_logging() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("warn,hafla_server=info,tower_http=info")
    });
    let json = match std::env::var("HAFLA_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().with_current_span(true).init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let file = FileConfig::load(cli.config.as_deref())?;
    match cli.command {
        Command::Migrate(args) => {
            let (_, name) = Database::resolve(args, &file).open().await?;
            println!("database {name} is up to date");
            Ok(())
        }
        Command::Demo(args) => {
            let (store, name) = Database::resolve(args.data, &file).open().await?;
            report_seed(&*store, &name, args.generated).await
        }
        Command::Serve(args) => serve(ServeSettings::resolve(*args, file)).await,
        Command::Backup(args) => {
            let db = Database::resolve(args.data, &file).sqlite_file_for("backup")?;
            let info = crate::backup::backup(&db, &args.to)?;
            println!(
                "backed up {} to {} ({} bytes, schema version {})",
                db.display(),
                info.path.display(),
                info.bytes,
                info.schema_version
            );
            Ok(())
        }
        Command::Restore(args) => {
            let db = Database::resolve(args.data, &file).sqlite_file_for("restore")?;
            let info = crate::backup::restore(&args.from, &db, jiff::Timestamp::now())?;
            println!(
                "restored {} from {} (schema version {})",
                db.display(),
                args.from.display(),
                info.schema_version
            );
            if let Some(kept) = info.replaced {
                println!("the database it replaced is kept as {}", kept.display());
            }
            Ok(())
        }
        Command::Admin(AdminCommand::Create { email, data }) => {
            let (store, _) = Database::resolve(data, &file).open().await?;
            let message = crate::admin::create_admin(
                &*store,
                &email,
                std::env::var("HAFLA_ADMIN_PASSWORD").ok(),
            )
            .await
            .map_err(|e| CliError::Config(e.to_string()))?;
            println!("{message}");
            Ok(())
        }
    }
}

async fn report_seed(store: &dyn Store, name: &str, generated: usize) -> Result<(), CliError> {
    // A password from the environment is never printed; the default is public.
    let (password, told) = match std::env::var(demo::DEMO_PASSWORD_ENV) {
        Ok(password) => (
            password,
            format!("the password is in {}", demo::DEMO_PASSWORD_ENV),
        ),
        Err(_) => (
            demo::DEMO_PASSWORD.to_owned(),
            format!(
                "the password is {}; set {} for another",
                demo::DEMO_PASSWORD,
                demo::DEMO_PASSWORD_ENV
            ),
        ),
    };
    match demo::seed_with_accounts(store, demo::today_in_amman()?, generated, &password).await? {
        SeedOutcome::Seeded {
            organizations,
            events,
            accounts: _,
        } => {
            println!("seeded {events} demo events from {organizations} organizers into {name}");
            println!("demo accounts ({told}):");
            for account in demo::DEMO_ACCOUNTS {
                println!("  {:<25} {}", account.email, account.summary);
            }
        }
        SeedOutcome::AlreadyPresent => {
            println!("{name} already has data; demo seeding skipped")
        }
    }
    Ok(())
}

async fn serve(args: ServeSettings) -> Result<(), CliError> {
    let sqlite = args.database.sqlite_path();
    // Held (shared) until the process ends, so a restore never replaces the file under a
    // running server, and the server does not start in the middle of a restore.
    let _lock = match &sqlite {
        Some(db) => Some(hold_database(db)?),
        None => None,
    };
    if sqlite.is_none() && args.backups.is_some() {
        return Err(CliError::Config(
            "scheduled backups (--backup-dir) are for SQLite; back up PostgreSQL with \
             pg_dump or continuous WAL archiving (see deploy/README.md)"
                .into(),
        ));
    }
    let (store, database_name) = args.database.open().await?;
    if args.demo {
        report_seed(&*store, &database_name, demo::DEMO_GENERATED).await?;
    }
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| CliError::Listen {
            addr: args.addr,
            reason: e.to_string(),
        })?;
    let local = listener.local_addr()?;
    let data_dir = &args.database.data_dir;
    let token_seed = server_key(
        args.token_key_file.as_deref(),
        "HAFLA_TOKEN_KEY",
        data_dir,
        "token-key",
    )?;
    let tokens = crate::auth::tokens::TokenKeys::from_seed(&token_seed)
        .map_err(|e| CliError::Config(e.to_string()))?;
    let otp_key = server_key(None, "HAFLA_OTP_KEY", data_dir, "otp-key")?;
    let services = crate::api::Services {
        tokens: std::sync::Arc::new(tokens),
        sms: sms_sender(data_dir)?,
        otp: std::sync::Arc::new(crate::auth::otp::OtpHasher::new(otp_key)),
        oidc: oidc_providers().await?,
        mailer: mailer(&args)?,
        public_url: args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{local}")),
        trusted_proxies: TrustedProxies::parse(args.trusted_proxies.as_deref().unwrap_or(""))
            .map_err(|e| CliError::Config(format!("trusted proxies: {e}")))?,
        checkout: crate::checkout::CheckoutSettings {
            paytabs: paytabs_config(args.paytabs.clone())?,
            ..args.checkout.clone()
        },
        master_key: master_key(args.master_key_file.as_deref(), data_dir)?,
    };
    let state = AppState::new(store.clone(), services);
    let instance = crate::jobs::instance_name();
    let deps = crate::jobs::Deps {
        store,
        checkout: state.checkout.clone(),
    };
    for (job, interval) in [
        (crate::jobs::Job::Purge, args.purge_interval),
        (
            crate::jobs::Job::ExpireOrders,
            crate::jobs::EXPIRE_ORDERS_INTERVAL,
        ),
        (
            crate::jobs::Job::ReconcilePayments,
            crate::jobs::RECONCILE_INTERVAL,
        ),
    ] {
        crate::jobs::spawn(deps.clone(), job, interval, instance.clone());
    }
    if let (Some(db), Some(schedule)) = (sqlite, args.backups.clone()) {
        crate::backup::spawn_scheduled(db, schedule);
    }
    // Scripts and tests read this line to learn the port.
    println!("hafla-server listening on http://{local} (database {database_name})");
    std::io::stdout().flush()?;
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Takes the shared lock of the SQLite database `db` (making its folder first, as opening
/// it would), or says that a restore holds it.
fn hold_database(db: &std::path::Path) -> Result<crate::backup::DatabaseLock, CliError> {
    if let Some(folder) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(|e| StoreError::DataDir {
            path: folder.display().to_string(),
            reason: e.to_string(),
        })?;
    }
    crate::backup::DatabaseLock::shared(db).map_err(|e| match e {
        crate::backup::BackupError::InUse(db) => CliError::Held(db),
        e => CliError::Backup(e),
    })
}

/// PayTabs' settings from the profile id and endpoint given, and the server key from
/// `HAFLA_PAYTABS_SERVER_KEY` (a secret: environment only), checked now so a wrong setting
/// stops the server at start rather than at the first sale.
fn paytabs_config(
    settings: Option<(u64, Option<String>)>,
) -> Result<Option<crate::payments::paytabs::PayTabsConfig>, CliError> {
    use crate::payments::paytabs::{PayTabs, PayTabsConfig, ServerKey};
    let Some((profile_id, url)) = settings else {
        return Ok(None);
    };
    let key = std::env::var("HAFLA_PAYTABS_SERVER_KEY").map_err(|_| {
        CliError::Config("HAFLA_PAYTABS_SERVER_KEY must be set with a PayTabs profile id".into())
    })?;
    let base_url = url::Url::parse(url.as_deref().unwrap_or(PayTabsConfig::JORDAN))
        .map_err(|e| CliError::Config(format!("the PayTabs URL: {e}")))?;
    let config = PayTabsConfig {
        base_url,
        profile_id,
        server_key: ServerKey::new(key),
    };
    PayTabs::new(config.clone()).map_err(|e| CliError::Config(e.to_string()))?;
    Ok(Some(config))
}

/// The master key that seals the events' signing keys: from `HAFLA_MASTER_KEY` or `file`
/// (not both), else made once in DATA_DIR/secrets/master-key for a development server.
/// Losing it loses the signing keys: production gives it from a secret store.
fn master_key(
    file: Option<&std::path::Path>,
    data_dir: &std::path::Path,
) -> Result<crate::issuance::MasterKey, CliError> {
    use crate::issuance::{MASTER_KEY_ENV, MasterKey};
    let from_env = std::env::var(MASTER_KEY_ENV).ok();
    let bad = |e: crate::issuance::MasterKeyError| CliError::Config(format!("master key: {e}"));
    if from_env.is_some() || file.is_some() {
        return MasterKey::from_env_or_file(from_env.as_deref(), file).map_err(bad);
    }
    let path = data_dir.join("secrets").join("master-key");
    if path.exists() {
        return MasterKey::from_file(&path).map_err(bad);
    }
    let key = MasterKey::generate().map_err(bad)?;
    write_secret(&path, &key.to_base64())?;
    tracing::warn!(path = %path.display(), fingerprint = %key.fingerprint(), "created a master key for development; production gives HAFLA_MASTER_KEY");
    Ok(key)
}

/// A 32-byte server key: from `file`, else from the hex in environment variable `env`, else
/// created once in DATA_DIR/secrets/`name` (so a development server keeps its sessions
/// across restarts). Never logged.
fn server_key(
    file: Option<&std::path::Path>,
    env: &str,
    data_dir: &std::path::Path,
    name: &str,
) -> Result<[u8; 32], CliError> {
    let from_hex = |text: &str, origin: &str| -> Result<[u8; 32], CliError> {
        let text = text.trim();
        let bad = || CliError::Config(format!("the key in {origin} must be 64 hex characters"));
        if text.len() != 64 || !text.is_ascii() {
            return Err(bad());
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[i * 2..i * 2 + 2], 16).map_err(|_| bad())?;
        }
        Ok(key)
    };
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::Config(format!("cannot read the key file {}: {e}", path.display()))
        })?;
        return from_hex(&text, &path.display().to_string());
    }
    if let Ok(text) = std::env::var(env) {
        return from_hex(&text, env);
    }
    let path = data_dir.join("secrets").join(name);
    if let Ok(text) = std::fs::read_to_string(&path) {
        return from_hex(&text, &path.display().to_string());
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| CliError::Config(e.to_string()))?;
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    write_secret(&path, &hex)?;
    tracing::info!(path = %path.display(), "created a new server key");
    Ok(key)
}

/// The SMS sender: Twilio when HAFLA_TWILIO_ACCOUNT_SID is set (token from
/// HAFLA_TWILIO_AUTH_TOKEN, sender from HAFLA_SMS_FROM or HAFLA_TWILIO_MESSAGING_SERVICE_SID),
/// otherwise the development outbox DATA_DIR/sms-outbox.jsonl.
fn sms_sender(
    data_dir: &std::path::Path,
) -> Result<std::sync::Arc<dyn crate::sms::SmsSender>, CliError> {
    let Ok(account_sid) = std::env::var("HAFLA_TWILIO_ACCOUNT_SID") else {
        return Ok(std::sync::Arc::new(crate::sms::DevSms::new(data_dir)));
    };
    let token = std::env::var("HAFLA_TWILIO_AUTH_TOKEN").map_err(|_| {
        CliError::Config("HAFLA_TWILIO_AUTH_TOKEN is required with HAFLA_TWILIO_ACCOUNT_SID".into())
    })?;
    let mut config = crate::sms::TwilioConfig::new(account_sid, token);
    config.from = std::env::var("HAFLA_SMS_FROM").ok();
    config.messaging_service_sid = std::env::var("HAFLA_TWILIO_MESSAGING_SERVICE_SID").ok();
    let sender = crate::sms::TwilioSms::new(config).map_err(|e| CliError::Config(e.to_string()))?;
    Ok(std::sync::Arc::new(sender))
}

/// OpenID Connect providers named in HAFLA_OIDC_PROVIDERS (e.g. `google,apple`), each set
/// by HAFLA_OIDC_<NAME>_ISSUER, _CLIENT_ID, _REDIRECT_URI and optionally _CLIENT_SECRET.
/// Each is discovered at start, so a wrong setting stops the server with a clear error.
async fn oidc_providers() -> Result<
    std::collections::HashMap<String, std::sync::Arc<crate::auth::oidc::OidcClient>>,
    CliError,
> {
    use crate::auth::oidc::{ClientSecret, OidcClient, OidcProviderConfig};
    let mut providers = std::collections::HashMap::new();
    let names = std::env::var("HAFLA_OIDC_PROVIDERS").unwrap_or_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| CliError::Config(e.to_string()))?;
    for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let var =
            |suffix: &str| std::env::var(format!("HAFLA_OIDC_{}_{suffix}", name.to_uppercase()));
        let required = |suffix: &str| {
            var(suffix).map_err(|_| {
                CliError::Config(format!(
                    "HAFLA_OIDC_{}_{suffix} is not set",
                    name.to_uppercase()
                ))
            })
        };
        let url = |suffix: &str| -> Result<url::Url, CliError> {
            required(suffix)?.parse().map_err(|e| {
                CliError::Config(format!("HAFLA_OIDC_{}_{suffix}: {e}", name.to_uppercase()))
            })
        };
        let mut config = OidcProviderConfig::new(
            name.to_owned(),
            url("ISSUER")?,
            required("CLIENT_ID")?,
            url("REDIRECT_URI")?,
        );
        config.client_secret = var("CLIENT_SECRET").ok().map(ClientSecret::new);
        let client = OidcClient::discover(config, http.clone())
            .await
            .map_err(|e| CliError::Config(format!("OpenID Connect provider {name}: {e}")))?;
        providers.insert(name.to_owned(), std::sync::Arc::new(client));
    }
    Ok(providers)
}

/// Writes a secret readable by its owner only.
fn write_secret(path: &std::path::Path, contents: &str) -> Result<(), CliError> {
    let fail =
        |e: std::io::Error| CliError::Config(format!("cannot write {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(contents.as_bytes()))
        .map_err(fail)
}

/// SMTP when a host is configured, otherwise the development outbox in the data dir.
fn mailer(args: &ServeSettings) -> Result<std::sync::Arc<dyn crate::mail::Mailer>, CliError> {
    let from = args.mail_from.parse().map_err(|e| {
        CliError::Config(format!(
            "--mail-from {:?} is not a mailbox: {e}",
            args.mail_from
        ))
    })?;
    let Some(host) = &args.smtp_host else {
        return Ok(std::sync::Arc::new(crate::mail::OutboxMailer::new(
            args.database.data_dir.join("outbox"),
            from,
        )));
    };
    let mut config = crate::mail::SmtpConfig::new(host.clone(), from);
    config.port = args.smtp_port;
    config.username = args.smtp_username.clone();
    config.password = std::env::var("HAFLA_SMTP_PASSWORD")
        .ok()
        .map(crate::mail::Secret::new);
    let mailer =
        crate::mail::SmtpMailer::new(config).map_err(|e| CliError::Config(e.to_string()))?;
    Ok(std::sync::Arc::new(mailer))
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
