//! The app's state, written against plain Rust types so it is tested without a window:
//! the local database (settings, the synced copy, the door's scan log), the sign-in, the
//! background sync, and how the shell tells the UI and the OS about things.

use crate::errors::AppError;
use crate::session::{AccessToken, TokenVault, Tokens};
use crate::views::{AppInfo, Membership, Session};
use hafla_core::Lang;
use hafla_core::api_client::ApiClient;
use hafla_core::door::store::{DoorStore, Durability};
use hafla_core::local_store::LocalStore;
use hafla_core::sync::SyncDb;
use hafla_core::wire::OrgRole;
use hafla_core::wire::accounts::{MeView, SessionTokens};
use hafla_core::wire::sync::Scope;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// How the shell reaches the world outside the app: events to the UI, URLs to the system
/// browser. The window implements it; tests record what was sent.
pub trait Outside: Send + Sync {
    /// Sends `payload` to the UI as the event `name`.
    fn emit(&self, name: &'static str, payload: serde_json::Value);
    /// Opens `url` in the system browser (hosted payment pages, OpenID Connect, maps) or
    /// a file in its default app (a saved calendar entry).
    fn open(&self, url: &str) -> Result<(), String>;
}

/// Where the app keeps things on this device.
pub struct Folders {
    /// The app's own data folder (its database).
    pub data: PathBuf,
    /// Where files the person asked for go (calendar entries, CSV exports).
    pub downloads: PathBuf,
}

pub struct AppCore {
    pub(crate) server_url: String,
    pub(crate) downloads: PathBuf,
    settings: Mutex<LocalStore>,
    pub(crate) db: Arc<Mutex<SyncDb>>,
    pub(crate) door: Arc<Mutex<DoorStore>>,
    pub(crate) tokens: Tokens,
    pub(crate) outside: Box<dyn Outside>,
    pub(crate) sync: crate::sync_loop::SyncState,
    /// The `state` of the OpenID Connect sign-in under way, if one is.
    pub(crate) pending_oidc: Mutex<Option<String>>,
    /// Where a link that started the app points, until the UI asks.
    pub(crate) start_link: Mutex<Option<crate::views::LinkRoute>>,
}

const SESSION_KEY: &str = "session";
const DIGITS_KEY: &str = "arabic_digits";

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // SQLite rolls back whatever a panicking holder left half done, so the data behind a
    // poisoned lock is still good.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppCore {
    /// Opens (or creates) the local database `hafla.db` in the data folder.
    pub fn open(
        folders: Folders,
        server_url: String,
        vault: Box<dyn TokenVault>,
        outside: Box<dyn Outside>,
    ) -> Result<Self, AppError> {
        std::fs::create_dir_all(&folders.data).map_err(|e| AppError::System {
            action: "creating the data folder",
            reason: e.to_string(),
        })?;
        let path = folders.data.join("hafla.db");
        let settings = LocalStore::open(&path)?;
        let db = SyncDb::open(&path)?;
        let door = DoorStore::open_device(&path, Durability::Normal)?;
        Ok(AppCore {
            server_url: server_url.trim_end_matches('/').to_owned(),
            downloads: folders.downloads,
            settings: Mutex::new(settings),
            db: Arc::new(Mutex::new(db)),
            door: Arc::new(Mutex::new(door)),
            tokens: Tokens::new(vault),
            outside,
            sync: Default::default(),
            pending_oidc: Mutex::new(None),
            start_link: Mutex::new(None),
        })
    }

    pub(crate) fn settings(&self) -> MutexGuard<'_, LocalStore> {
        lock(&self.settings)
    }

    pub(crate) fn db(&self) -> MutexGuard<'_, SyncDb> {
        lock(&self.db)
    }

    /// The chosen language; before a choice, the system's (as the UI does on first run).
    pub fn lang(&self) -> Lang {
        self.settings()
            .language()
            .ok()
            .flatten()
            .unwrap_or_else(system_lang)
    }

    pub(crate) fn emit(&self, name: &'static str, payload: impl Serialize) {
        match serde_json::to_value(payload) {
            Ok(value) => self.outside.emit(name, value),
            Err(e) => eprintln!("hafla-app: event {name}: {e}"),
        }
    }

    /// A client of the server without sign-in.
    pub(crate) fn api(&self) -> Result<ApiClient, AppError> {
        Ok(ApiClient::new(&self.server_url, self.lang())?)
    }

    /// The signed-in person's access token (renewed when due); a sign-in the server ended
    /// is forgotten here too.
    async fn access_token(&self) -> Result<String, AppError> {
        match self.tokens.access_token(&self.api()?).await? {
            AccessToken::Token(token) => Ok(token),
            AccessToken::SignedOut => {
                self.forget_session();
                Err(AppError::SignedOut)
            }
        }
    }

    /// A client of the server as the signed-in person.
    pub(crate) async fn signed_in_api(&self) -> Result<ApiClient, AppError> {
        Ok(self.api()?.with_token(Some(self.access_token().await?)))
    }

    /// A sync engine as the signed-in person, for pulls a screen waits on.
    pub(crate) async fn signed_in_engine(&self) -> Result<hafla_core::sync::SyncEngine, AppError> {
        self.engine(Some(self.access_token().await?))
    }

    pub fn info(&self) -> Result<AppInfo, AppError> {
        let settings = self.settings();
        Ok(AppInfo {
            lang: settings.language()?,
            arabic_digits: settings.setting(DIGITS_KEY)?.as_deref() == Some("true"),
            server_url: self.server_url.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        })
    }

    pub fn set_language(&self, lang: Lang) -> Result<(), AppError> {
        self.settings().set_language(lang)?;
        Ok(())
    }

    pub fn set_arabic_digits(&self, on: bool) -> Result<(), AppError> {
        self.settings()
            .set_setting(DIGITS_KEY, if on { "true" } else { "false" })?;
        Ok(())
    }

    /// Who is signed in, as last heard from the server (works offline).
    pub fn session(&self) -> Result<Option<Session>, AppError> {
        let stored = self.settings().setting(SESSION_KEY)?;
        Ok(stored.and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// Keeps a fresh sign-in: tokens to the keyring, who it is to the settings; the sync
    /// starts over with the person's scopes.
    pub(crate) async fn start_session(&self, tokens: SessionTokens) -> Result<Session, AppError> {
        self.tokens.install(&tokens).await;
        let me = self
            .api()?
            .with_token(Some(tokens.access_token.clone()))
            .me()
            .await?;
        let session = session_of(me);
        self.remember_session(&session)?;
        Ok(session)
    }

    pub(crate) fn remember_session(&self, session: &Session) -> Result<(), AppError> {
        let json = serde_json::to_string(session).map_err(|e| AppError::System {
            action: "saving the session",
            reason: e.to_string(),
        })?;
        self.settings().set_setting(SESSION_KEY, &json)?;
        self.emit("session-changed", session);
        self.sync.restart();
        Ok(())
    }

    /// Forgets who was signed in and their tickets and organizations' events (the next
    /// person on this device must not see them). Door lists and unsent scans stay: they
    /// hold no one's personal data, and a scan is never dropped.
    pub(crate) fn forget_session(&self) {
        let session = self.session().ok().flatten();
        if let Err(e) = self.settings().remove_setting(SESSION_KEY) {
            eprintln!("hafla-app: {e}");
        }
        let mut scopes = vec![Scope::Me];
        if let Some(session) = session {
            scopes.extend(
                session
                    .organizations
                    .iter()
                    .map(|m| Scope::Org(m.organization_id)),
            );
        }
        for scope in scopes {
            if let Err(e) = self.db().drop_scope(scope) {
                eprintln!("hafla-app: {e}");
            }
        }
        self.emit("session-changed", Option::<Session>::None);
        self.sync.restart();
    }

    /// Ends the sign-in here and, when reachable, on the server.
    pub async fn sign_out(&self) -> Result<(), AppError> {
        if let Ok(api) = self.signed_in_api().await {
            // The server forgets the session too; offline, the tokens are dropped anyway.
            let _ = api.logout().await;
        }
        self.tokens.clear().await;
        self.forget_session();
        Ok(())
    }

    pub(crate) fn data_path(&self, name: &str) -> Result<PathBuf, AppError> {
        std::fs::create_dir_all(&self.downloads).map_err(|e| AppError::System {
            action: "creating the downloads folder",
            reason: e.to_string(),
        })?;
        Ok(self.downloads.join(name))
    }

    pub(crate) fn write_file(&self, path: &Path, bytes: &[u8]) -> Result<(), AppError> {
        std::fs::write(path, bytes).map_err(|e| AppError::System {
            action: "saving the file",
            reason: e.to_string(),
        })
    }

    pub(crate) fn open_outside(&self, url: &str) -> Result<(), AppError> {
        self.outside.open(url).map_err(|reason| AppError::System {
            action: "opening the browser",
            reason,
        })
    }
}

/// Arabic when the system's locale is Arabic, else English: the POSIX locale variables
/// in their order of precedence.
fn system_lang() -> Lang {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .map_or(Lang::En, |locale| {
            if locale.to_ascii_lowercase().starts_with("ar") {
                Lang::Ar
            } else {
                Lang::En
            }
        })
}

fn session_of(me: MeView) -> Session {
    Session {
        user_id: me.id,
        display_name: me.display_name,
        email: me.email,
        phone: me.phone,
        is_admin: me.is_admin,
        organizations: me
            .organizations
            .into_iter()
            .map(|m| Membership {
                organization_id: m.organization_id,
                name: m.name,
                role: m.role,
            })
            .collect(),
    }
}

impl Session {
    /// Organizations where the person may work the door.
    pub fn door_organizations(&self) -> impl Iterator<Item = &Membership> {
        self.organizations.iter().filter(|m| {
            matches!(
                m.role,
                OrgRole::Owner | OrgRole::Manager | OrgRole::DoorStaff
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{closed_url, hold_ticket, test_core};

    fn someone() -> Session {
        Session {
            user_id: uuid::Uuid::now_v7(),
            display_name: "ليلى".into(),
            email: Some("layla@example.jo".into()),
            phone: None,
            is_admin: false,
            organizations: vec![],
        }
    }

    #[test]
    fn the_first_run_has_no_language_and_the_choices_are_remembered() {
        let t = test_core(&closed_url());
        let info = t.core.info().unwrap();
        assert_eq!((info.lang, info.arabic_digits), (None, false));
        t.core.set_language(Lang::Ar).unwrap();
        t.core.set_arabic_digits(true).unwrap();
        let info = t.core.info().unwrap();
        assert_eq!((info.lang, info.arabic_digits), (Some(Lang::Ar), true));
    }

    #[test]
    fn who_is_signed_in_is_known_offline_and_announced() {
        let t = test_core(&closed_url());
        assert_eq!(t.core.session().unwrap(), None);
        let me = someone();
        t.core.remember_session(&me).unwrap();
        assert_eq!(t.core.session().unwrap(), Some(me.clone()));
        let events = t.outside.events.lock().unwrap();
        let (name, payload) = events.last().unwrap();
        assert_eq!(name, "session-changed");
        assert_eq!(payload["display_name"], "ليلى");
    }

    #[tokio::test]
    async fn signing_out_offline_forgets_the_person_and_their_tickets() {
        let t = test_core(&closed_url());
        t.core.remember_session(&someone()).unwrap();
        hold_ticket(&t.core, Some("HF:X"));
        assert_eq!(t.core.my_tickets().unwrap().len(), 1);
        t.core.sign_out().await.unwrap();
        assert_eq!(t.core.session().unwrap(), None);
        assert!(t.core.my_tickets().unwrap().is_empty());
        let events = t.outside.events.lock().unwrap();
        assert!(
            events
                .iter()
                .any(|(n, p)| n == "session-changed" && p.is_null()),
            "{events:?}"
        );
    }
}
