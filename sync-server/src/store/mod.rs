//! Storage of the server's data, behind traits so the backend can change.
//!
//! One trait per area (catalog, accounts, sessions, organizations); [`Store`] is all of
//! them. The embedded SQLite backend is [`SqliteStore`]; the PostgreSQL backend implements
//! the same traits, and `conformance` holds the one test suite both must pass. The traits
//! are object-safe (`async_trait`) so handlers hold an `Arc<dyn Store>`.

pub mod analytics;
mod analytics_conformance;
pub(crate) mod conformance;
mod events;
pub mod orders;
mod orders_conformance;
pub mod payments;
mod payments_conformance;
pub mod postgres;
mod rows;
pub mod search;
mod search_conformance;
mod signing_keys;
pub(crate) mod signing_keys_conformance;
mod sqlite;
pub mod sync;
mod sync_conformance;
pub mod tickets;

pub use analytics::AnalyticsStore;
pub use conformance::run_conformance_suite;
pub use events::{
    CoverLookup, CoverVariant, EditOutcome, EventEdit, EventListEntry, EventStore, ReviewEntry,
    ReviewQueue, StatusChange, StoredEvent, Transition, material_changes,
};
pub use orders::OrderStore;
pub use payments::PaymentStore;
pub use postgres::{PgOptions, PgStore};
pub use search::{EventQuery, Near, SearchSort, SearchStore};
pub use signing_keys::{NewSigningKey, Reseal, SigningKeyStore, StoredSigningKey};
pub use sqlite::{DB_FILE as SQLITE_DB_FILE, MIGRATIONS as SQLITE_MIGRATIONS, SqliteStore};
pub use sync::SyncStore;
pub use tickets::TicketStore;

use crate::auth::oidc::PendingLogin;
use crate::auth::otp::OtpChallenge;
use crate::auth::phone::PhoneNumber;
use async_trait::async_trait;
use hafla_core::Bilingual;
use hafla_core::door::verifier::EntryPolicy;
use hafla_core::money::Money;
use hafla_core::wire::{Category, EventPage, EventStatus, Venue};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {reason}")]
    DataDir { path: String, reason: String },
    #[error("cannot open the database {path}: {reason}")]
    Open { path: String, reason: String },
    #[error(transparent)]
    Migration(#[from] hafla_core::sqlite_migrations::MigrationError),
    /// Any other SQLite error (those meaning "unavailable" become [`StoreError::Unavailable`]).
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// Any other PostgreSQL error (those meaning "unavailable" become
    /// [`StoreError::Unavailable`]).
    #[error("database error: {0}")]
    Postgres(sqlx::Error),
    /// The database cannot be reached or cannot take work right now (stopped, restarting,
    /// connection lost, no connection free in time, locked past the busy timeout): the same
    /// request may well succeed moments later. The `From` conversions of each backend's
    /// errors decide which errors these are.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A unique value (email, phone, member) is already taken.
    #[error("{0} is already in use")]
    Conflict(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// An edit was made on an older version than the stored one.
    #[error("the event is at version {current}")]
    Stale { current: u32 },
    /// The event's status does not allow the change asked for.
    #[error("not allowed from status {}", from.key())]
    Transition { from: EventStatus },
    #[error("the database holds a value this build cannot read: {0}")]
    Corrupt(String),
    #[error("the database task stopped: {0}")]
    Task(String),
    /// The order's status does not allow the change asked for.
    #[error("not allowed for an order that is {}", from.key())]
    OrderTransition { from: orders::OrderStatus },
    /// An edit would set a ticket type's capacity below the tickets it already holds.
    #[error("capacity below the {held} tickets held")]
    CapacityBelowHeld { held: u32 },
    /// A ticket that cannot be transferred.
    #[error(transparent)]
    Transfer(#[from] tickets::TransferRefusal),
    /// A refund that cannot be made as asked.
    #[error(transparent)]
    Refund(#[from] payments::RefundRefusal),
    /// Tickets that cannot be reserved as asked.
    #[error(transparent)]
    Checkout(#[from] orders::CheckoutRefusal),
    /// A query the caller built from a parameter the store cannot use (a bad cursor).
    #[error("invalid {parameter}: {reason}")]
    InvalidQuery {
        parameter: &'static str,
        reason: String,
    },
}

/// Runs one store operation and records how long it took in the `db_query_seconds`
/// histogram, by `kind` (`"read"` or `"write"`): one sample per operation, failed ones
/// included. Operations the database failed (not answers such as "not found") count in
/// `hafla_db_errors_total`, by kind and by `error`: `unavailable` (down, locked, no
/// connection free in time: what operators page on) or `failed`. Both backends time their
/// operations through this, so `/metrics` reads the same whichever is in use.
async fn timed<T>(
    kind: &'static str,
    operation: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let started = std::time::Instant::now();
    let result = operation.await;
    metrics::histogram!("db_query_seconds", "kind" => kind).record(started.elapsed().as_secs_f64());
    let error = match &result {
        Err(StoreError::Unavailable(_)) => Some("unavailable"),
        Err(StoreError::Sqlite(_) | StoreError::Postgres(_) | StoreError::Task(_)) => {
            Some("failed")
        }
        _ => None,
    };
    if let Some(error) = error {
        metrics::counter!("hafla_db_errors_total", "kind" => kind, "error" => error).increment(1);
    }
    result
}

/// How full a backend's connection pool is, for `/metrics` (PostgreSQL; SQLite has no
/// pool to saturate: its one writer queues, see `hafla_db_writer_wait_seconds`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open, idle or in use.
    pub open: u32,
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// An organization to create.
#[derive(Clone, Debug)]
pub struct NewOrganization {
    pub id: Uuid,
    pub name: Bilingual,
}

/// A ticket type to create with its event.
#[derive(Clone, Debug, PartialEq)]
pub struct NewTicketType {
    pub id: Uuid,
    pub name: Bilingual,
    pub price: Money,
    pub capacity: u32,
    /// When sales open; `None`: at once.
    pub sales_start: Option<jiff::Timestamp>,
    /// When sales close; `None`: when the event ends.
    pub sales_end: Option<jiff::Timestamp>,
    /// Most tickets of this type in one order (1–100).
    pub per_order_limit: u32,
    pub entry_policy: EntryPolicy,
}

impl NewTicketType {
    /// A ticket type on sale at once until the event ends, 10 per order, single entry.
    pub fn simple(id: Uuid, name: Bilingual, price: Money, capacity: u32) -> NewTicketType {
        NewTicketType {
            id,
            name,
            price,
            capacity,
            sales_start: None,
            sales_end: None,
            per_order_limit: 10,
            entry_policy: EntryPolicy::SingleEntry,
        }
    }
}

/// An event to create, with its ticket types.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub status: EventStatus,
    pub title: Bilingual,
    pub description: Bilingual,
    pub category: Category,
    pub venue: Venue,
    pub starts_at: jiff::Timestamp,
    pub ends_at: jiff::Timestamp,
    pub time_zone: String,
    pub tags: Vec<String>,
    pub ticket_types: Vec<NewTicketType>,
}

impl NewEvent {
    /// What the search index stores for this event (see `hafla_core::search_text`).
    pub fn search_text(&self) -> String {
        hafla_core::search_text::event_document(
            &[
                &self.title,
                &self.description,
                &self.venue.name,
                &self.venue.address,
            ],
            &self.tags,
            self.venue.city,
        )
    }

    /// The words of the titles, as search ranks them (see `store::search`).
    pub fn title_text(&self) -> String {
        hafla_core::search_text::title_document(&self.title)
    }

    /// The cheapest ticket type's price in minor units; `None` without ticket types.
    pub fn price_min_minor(&self) -> Option<i64> {
        self.ticket_types.iter().map(|t| t.price.minor).min()
    }
}

/// How an account was first created (for sign-up analytics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignupMethod {
    Email,
    Phone,
    Oidc,
    Admin,
}

impl SignupMethod {
    pub fn key(self) -> &'static str {
        match self {
            SignupMethod::Email => "email",
            SignupMethod::Phone => "phone",
            SignupMethod::Oidc => "oidc",
            SignupMethod::Admin => "admin",
        }
    }

    pub fn from_key(key: &str) -> Option<SignupMethod> {
        [
            SignupMethod::Email,
            SignupMethod::Phone,
            SignupMethod::Oidc,
            SignupMethod::Admin,
        ]
        .into_iter()
        .find(|m| m.key() == key)
    }
}

/// A person's account. Email addresses are stored lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub email: Option<String>,
    pub email_verified: bool,
    pub phone: Option<String>,
    pub phone_verified: bool,
    /// argon2id PHC string; `None` for accounts that sign in by phone or OIDC only.
    pub password_hash: Option<String>,
    pub display_name: String,
    pub lang: hafla_core::Lang,
    pub is_admin: bool,
    pub signup_method: SignupMethod,
    pub created_at: jiff::Timestamp,
}

/// What a one-time link token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
}

impl TokenPurpose {
    pub fn key(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
        }
    }
}

/// A refresh token as stored: only its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshRecord {
    pub token_hash: [u8; 32],
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub created_at: jiff::Timestamp,
    pub expires_at: jiff::Timestamp,
}

/// The result of presenting a refresh token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The token was current; it is now used and `next` replaces it.
    Rotated { user_id: Uuid, family_id: Uuid },
    /// The token had already been used: someone holds a copy. The whole family is revoked.
    Reused { user_id: Uuid, family_id: Uuid },
    /// Unknown, revoked or expired: sign in again.
    Invalid,
}

/// A person's role in an organization (a wire type: the API names it too).
pub use hafla_core::wire::OrgRole;

/// A member of an organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user_id: Uuid,
    pub role: OrgRole,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// An organization a user belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub organization_id: Uuid,
    pub name: Bilingual,
    pub role: OrgRole,
}

/// An invitation to join an organization, by email or phone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invite {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: OrgRole,
    pub invited_by: Uuid,
    pub created_at: jiff::Timestamp,
}

#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Whether the database answers with every migration applied; for readiness checks.
    async fn ping(&self) -> Result<(), StoreError>;
    async fn count_organizations(&self) -> Result<u64, StoreError>;
    /// Creates organizations and events (with ticket types) in one transaction.
    async fn insert_catalog(
        &self,
        organizations: Vec<NewOrganization>,
        events: Vec<NewEvent>,
    ) -> Result<(), StoreError>;
    /// Published events that have not ended by `now`, soonest first.
    async fn list_published_events(
        &self,
        now: jiff::Timestamp,
        offset: u32,
        limit: u32,
    ) -> Result<EventPage, StoreError>;
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Stores the email lower-cased (accounts are matched case-insensitively). Fails with
    /// `Conflict("email")` / `Conflict("phone")` when taken.
    async fn create_user(&self, user: User) -> Result<(), StoreError>;
    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>, StoreError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    async fn user_by_phone(&self, phone: &str) -> Result<Option<User>, StoreError>;
    async fn set_password(&self, user_id: Uuid, password_hash: &str) -> Result<(), StoreError>;
    async fn mark_email_verified(
        &self,
        user_id: Uuid,
        at: jiff::Timestamp,
    ) -> Result<(), StoreError>;
    async fn set_admin(&self, user_id: Uuid, is_admin: bool) -> Result<(), StoreError>;
    async fn insert_one_time_token(
        &self,
        token_hash: [u8; 32],
        user_id: Uuid,
        purpose: TokenPurpose,
        expires_at: jiff::Timestamp,
    ) -> Result<(), StoreError>;
    /// Uses the token if it exists for `purpose`, is unused and unexpired; at most once.
    async fn consume_one_time_token(
        &self,
        token_hash: [u8; 32],
        purpose: TokenPurpose,
        now: jiff::Timestamp,
    ) -> Result<Option<Uuid>, StoreError>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_refresh_token(&self, record: RefreshRecord) -> Result<(), StoreError>;
    /// Atomically uses `token_hash` and stores its successor (`next_hash`, valid until
    /// `next_expires_at`) in the same family, or detects reuse.
    async fn rotate_refresh_token(
        &self,
        token_hash: [u8; 32],
        next_hash: [u8; 32],
        next_expires_at: jiff::Timestamp,
        now: jiff::Timestamp,
    ) -> Result<RefreshOutcome, StoreError>;
    /// Ends one sign-in (log out). Returns the tokens revoked.
    async fn revoke_family(&self, family_id: Uuid, now: jiff::Timestamp)
    -> Result<u64, StoreError>;
    /// Ends every sign-in of a user (log out everywhere, password reset).
    async fn revoke_all_sessions(
        &self,
        user_id: Uuid,
        now: jiff::Timestamp,
    ) -> Result<u64, StoreError>;
    /// The family of a current refresh token, if it is current.
    async fn refresh_family(
        &self,
        token_hash: [u8; 32],
        now: jiff::Timestamp,
    ) -> Result<Option<(Uuid, Uuid)>, StoreError>;
}

#[async_trait]
pub trait OrgStore: Send + Sync {
    /// Creates the organization with `owner` as its owner.
    async fn create_organization(
        &self,
        org: NewOrganization,
        owner: Uuid,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError>;
    /// The organization's name, if it exists.
    async fn organization_name(
        &self,
        organization_id: Uuid,
    ) -> Result<Option<Bilingual>, StoreError>;
    async fn role_in(
        &self,
        organization_id: Uuid,
        user_id: Uuid,
    ) -> Result<Option<OrgRole>, StoreError>;
    async fn memberships(&self, user_id: Uuid) -> Result<Vec<Membership>, StoreError>;
    async fn members(&self, organization_id: Uuid) -> Result<Vec<Member>, StoreError>;
    /// Changes a member's role; the owner's role changes only through a transfer.
    async fn set_role(
        &self,
        organization_id: Uuid,
        user_id: Uuid,
        role: OrgRole,
    ) -> Result<(), StoreError>;
    async fn remove_member(&self, organization_id: Uuid, user_id: Uuid) -> Result<(), StoreError>;
    /// Makes `to` (a member) the owner and the previous owner a manager, atomically.
    async fn transfer_ownership(&self, organization_id: Uuid, to: Uuid) -> Result<(), StoreError>;
    async fn create_invite(&self, invite: Invite) -> Result<(), StoreError>;
    /// Turns open invitations for this email or phone into memberships; returns them.
    async fn accept_invites(
        &self,
        user_id: Uuid,
        email: Option<&str>,
        phone: Option<&str>,
        now: jiff::Timestamp,
    ) -> Result<Vec<Membership>, StoreError>;
}

/// Sign-ins in progress: SMS one-time codes and OpenID Connect logins.
#[async_trait]
pub trait SignInStore: Send + Sync {
    async fn otp_challenge(&self, phone: &PhoneNumber) -> Result<Option<OtpChallenge>, StoreError>;
    /// Creates or replaces the challenge of its phone number.
    async fn save_otp_challenge(&self, challenge: OtpChallenge) -> Result<(), StoreError>;
    async fn delete_otp_challenge(&self, phone: &PhoneNumber) -> Result<(), StoreError>;
    async fn save_pending_login(
        &self,
        state_hash: [u8; 32],
        login: PendingLogin,
    ) -> Result<(), StoreError>;
    /// Removes and returns the pending login, so each `state` works once.
    async fn take_pending_login(
        &self,
        state_hash: [u8; 32],
    ) -> Result<Option<PendingLogin>, StoreError>;
    /// The user linked to an account at an OpenID Connect provider.
    async fn user_by_identity(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<User>, StoreError>;
    async fn link_identity(
        &self,
        provider: &str,
        subject: &str,
        user_id: Uuid,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError>;
}

/// A change that in-process caches of every server instance must hear about. On PostgreSQL
/// it travels by `NOTIFY` inside the transaction that made it, so it is announced exactly
/// when (and only if) the change commits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Members or roles of this organization changed.
    Organization(Uuid),
    /// Events were created or changed.
    Catalog,
    /// A sync scope has new versions (written by the change log's triggers).
    Scope(sync::ScopeKey),
    /// Announcements may have been missed (the listener lost its connection): drop all.
    Everything,
}

impl Change {
    /// The text form sent through PostgreSQL notifications.
    pub fn payload(&self) -> String {
        match self {
            Change::Organization(id) => format!("org:{id}"),
            Change::Catalog => "catalog".into(),
            Change::Scope(key) => format!("sync:{}", key.payload()),
            Change::Everything => "everything".into(),
        }
    }

    /// Reads [`Change::payload`]; anything unknown (from a newer instance during a rolling
    /// upgrade) is treated as [`Change::Everything`], the safe side.
    pub fn from_payload(payload: &str) -> Change {
        match payload.split_once(':') {
            Some(("org", id)) => {
                Uuid::parse_str(id).map_or(Change::Everything, Change::Organization)
            }
            Some(("sync", scope)) => {
                sync::ScopeKey::from_payload(scope).map_or(Change::Everything, Change::Scope)
            }
            _ if payload == "catalog" => Change::Catalog,
            _ => Change::Everything,
        }
    }
}

/// A rate-limit budget in GCRA terms: one attempt is earned back every `emission_ms`, and
/// at most `burst` may be spent at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateRule {
    pub emission_ms: i64,
    pub burst: u32,
}

impl RateRule {
    /// How far ahead of now the theoretical arrival time may run: the whole burst.
    pub fn tolerance_ms(self) -> i64 {
        self.emission_ms.saturating_mul(i64::from(self.burst))
    }

    /// How long until one more attempt fits, given the budget's theoretical arrival time.
    pub fn wait_ms(self, tat_ms: i64, now_ms: i64) -> i64 {
        (tat_ms.max(now_ms) + self.emission_ms - now_ms - self.tolerance_ms()).max(1)
    }
}

/// Up to when [`CoordinationStore::purge_expired`] deletes, per kind of row (Unix seconds,
/// except rate limits in milliseconds). Both backends use these figures.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PurgeCutoffs {
    pub rate_limits_ms: i64,
    /// Send times are counted for an hour after a challenge expires.
    pub otp_challenges: i64,
    pub pending_logins: i64,
    pub tokens: i64,
    pub job_runs: i64,
}

/// What purging deletes: (table, column, whether the column is a time, cutoff). Rows whose
/// column is below the cutoff go; times are Unix seconds, the rest plain integers.
pub(crate) type Purge = (&'static str, &'static str, bool, i64);

impl PurgeCutoffs {
    pub fn purges(self) -> [Purge; 6] {
        [
            ("rate_limits", "tat_ms", false, self.rate_limits_ms),
            ("otp_challenges", "expires_at", true, self.otp_challenges),
            ("oidc_pending", "created_at", true, self.pending_logins),
            ("one_time_tokens", "expires_at", true, self.tokens),
            ("refresh_tokens", "expires_at", true, self.tokens),
            ("job_runs", "started_at", true, self.job_runs),
        ]
    }

    pub fn at(now: jiff::Timestamp) -> PurgeCutoffs {
        let secs = now.as_second();
        PurgeCutoffs {
            rate_limits_ms: now.as_millisecond(),
            otp_challenges: secs - 3600,
            pending_logins: secs - crate::auth::oidc::PENDING_LOGIN_TTL.as_secs(),
            tokens: secs,
            job_runs: secs - 30 * 86_400,
        }
    }
}

/// What the server instances coordinate through their shared database: rate-limit
/// budgets, run-once background jobs and the announcement of changes.
#[async_trait]
pub trait CoordinationStore: Send + Sync {
    /// Spends one attempt of the budget `key_hash` under `rule` at `now_ms` (Unix ms), or,
    /// when it is spent, changes nothing and returns how many milliseconds to wait.
    async fn take_rate_limit(
        &self,
        key_hash: [u8; 32],
        rule: RateRule,
        now_ms: i64,
    ) -> Result<Option<i64>, StoreError>;
    /// Claims run `period` of job `name` for `holder`. Exactly one caller per
    /// (name, period) gets `true`, whichever instance it is.
    async fn claim_job_run(
        &self,
        name: &str,
        period: i64,
        holder: &str,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError>;
    /// Records how a claimed run ended.
    async fn finish_job_run(
        &self,
        name: &str,
        period: i64,
        outcome: &str,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError>;
    /// Deletes what has expired for good: spent rate-limit rows, OTP challenges and pending
    /// logins past use, expired link and refresh tokens, job runs older than 30 days.
    /// Returns the number of rows deleted.
    async fn purge_expired(&self, now: jiff::Timestamp) -> Result<u64, StoreError>;
    /// Announcements of changes committed by any instance (including this one).
    fn subscribe_changes(&self) -> tokio::sync::broadcast::Receiver<Change>;
    /// How full the connection pool is, for `/metrics`; `None` for a backend without one.
    fn pool_status(&self) -> Option<PoolStatus> {
        None
    }
}

/// Opens the backend a database URL names: none → SQLite `hafla.db` in `data_dir`;
/// `sqlite://PATH` → that SQLite file; `postgres://…` → PostgreSQL with `pg`. Returns the
/// store and how to name it in messages (a PostgreSQL URL without its password).
pub async fn open(
    database_url: Option<&str>,
    data_dir: &std::path::Path,
    pg: PgOptions,
) -> Result<(std::sync::Arc<dyn Store>, String), StoreError> {
    let sqlite = |store: SqliteStore| {
        let name = store.path().display().to_string();
        (
            std::sync::Arc::new(store) as std::sync::Arc<dyn Store>,
            name,
        )
    };
    match database_url {
        None => Ok(sqlite(SqliteStore::open(data_dir)?)),
        Some(url) if url.starts_with("sqlite://") => {
            let path = &url["sqlite://".len()..];
            Ok(sqlite(SqliteStore::open_file(std::path::Path::new(path))?))
        }
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let store = PgStore::connect(url, pg).await?;
            Ok((std::sync::Arc::new(store), postgres::redact_url(url)))
        }
        Some(url) => Err(StoreError::Open {
            path: postgres::redact_url(url),
            reason: "unsupported database URL: use sqlite://PATH or postgres://…".into(),
        }),
    }
}

/// Everything the server stores.
pub trait Store:
    CatalogStore
    + EventStore
    + SearchStore
    + AccountStore
    + SessionStore
    + OrgStore
    + SignInStore
    + CoordinationStore
    + OrderStore
    + PaymentStore
    + TicketStore
    + SigningKeyStore
    + SyncStore
    + AnalyticsStore
{
}

impl<T> Store for T where
    T: CatalogStore
        + EventStore
        + SearchStore
        + AccountStore
        + SessionStore
        + OrgStore
        + SignInStore
        + CoordinationStore
        + OrderStore
        + PaymentStore
        + TicketStore
        + SigningKeyStore
        + SyncStore
        + AnalyticsStore
{
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What operators page on is the database failing, not its answers ("not found", "in
    /// use"), which are a normal part of serving.
    #[test]
    fn database_failures_are_counted_by_kind_and_answers_are_not() {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        metrics::with_local_recorder(&recorder, || {
            runtime.block_on(async {
                let down = timed("read", async {
                    Err::<(), _>(StoreError::Unavailable("connection refused".into()))
                });
                assert!(down.await.is_err());
                let stopped = timed("write", async {
                    Err::<(), _>(StoreError::Task("the blocking task panicked".into()))
                });
                assert!(stopped.await.is_err());
                for answer in [StoreError::NotFound("user"), StoreError::Conflict("email")] {
                    assert!(
                        timed("write", async { Err::<(), _>(answer) })
                            .await
                            .is_err()
                    );
                }
                assert!(timed("read", async { Ok(()) }).await.is_ok());
            })
        });
        let rendered = handle.render();
        for line in [
            "hafla_db_errors_total{kind=\"read\",error=\"unavailable\"} 1",
            "hafla_db_errors_total{kind=\"write\",error=\"failed\"} 1",
            "db_query_seconds_count{kind=\"write\"} 3",
            "db_query_seconds_count{kind=\"read\"} 2",
        ] {
            assert!(rendered.contains(line), "{line} in {rendered}");
        }
        assert_eq!(
            rendered.matches("hafla_db_errors_total{").count(),
            2,
            "{rendered}"
        );
    }
}
