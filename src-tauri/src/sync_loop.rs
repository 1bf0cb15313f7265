//! The background sync: one [`SyncEngine`] run at a time over what this person may copy —
//! the catalog always; their tickets and their organizations' events once signed in; the
//! door lists they downloaded. It starts over when the sign-in, the door lists or the
//! access token change, and tells the UI whether it is online and what is waiting.

use crate::errors::AppError;
use crate::session::AccessToken;
use crate::state::{AppCore, lock};
use crate::views::SyncStatus;
use hafla_core::i18n::localizer;
use hafla_core::sync::{Connectivity, EngineConfig, SyncClient, SyncEngine, SyncTarget};
use hafla_core::wire::ErrorBody;
use hafla_core::wire::sync::Scope;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, watch};
use uuid::Uuid;

/// How long to wait before trying a refresh again when the server could not be reached.
const RETRY_REFRESH: Duration = Duration::from_secs(20);

/// The settings key of the door lists kept on the device.
const DOORS_KEY: &str = "door_lists";

#[derive(Default)]
pub struct SyncState {
    restart: Notify,
    engine: Mutex<Option<Arc<SyncEngine>>>,
    online: AtomicBool,
    last_error: Mutex<Option<hafla_core::wire::ErrorBody>>,
}

impl SyncState {
    /// Makes the loop start over (new sign-in, new door list).
    pub fn restart(&self) {
        self.restart.notify_one();
    }

    /// Asks the running engine to send the outbox now.
    pub fn nudge(&self) {
        if let Some(engine) = lock(&self.engine).as_ref() {
            engine.nudge();
        }
    }

    pub fn online(&self) -> bool {
        self.online.load(Ordering::Relaxed)
    }
}

/// A door list the device keeps in sync.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DoorList {
    pub organization_id: Uuid,
    pub event_id: Uuid,
}

impl AppCore {
    pub fn sync_status(&self) -> Result<SyncStatus, AppError> {
        let db = self.db();
        Ok(SyncStatus {
            online: self.sync.online(),
            pending: db.outbox_len()?,
            last_error: lock(&self.sync.last_error).clone(),
            catalog_ready: db.state(Scope::Catalog)?.complete,
        })
    }

    fn announce_status(&self) {
        match self.sync_status() {
            Ok(status) => self.emit("sync-status", status),
            Err(e) => eprintln!("hafla-app: {e}"),
        }
    }

    pub(crate) fn door_lists(&self) -> Vec<DoorList> {
        let stored = self.settings().setting(DOORS_KEY).ok().flatten();
        stored
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default()
    }

    pub(crate) fn keep_door_list(&self, list: DoorList) -> Result<(), AppError> {
        let mut lists = self.door_lists();
        if !lists.contains(&list) {
            lists.push(list);
            let json = serde_json::to_string(&lists).map_err(|e| AppError::System {
                action: "saving the door lists",
                reason: e.to_string(),
            })?;
            self.settings().set_setting(DOORS_KEY, &json)?;
        }
        self.sync.restart();
        Ok(())
    }

    /// What to keep in sync now: the catalog, and with a sign-in the person's scopes.
    fn targets(&self, signed_in: bool) -> Vec<SyncTarget> {
        let mut targets = vec![SyncTarget::Catalog];
        if signed_in {
            targets.push(SyncTarget::Me);
            if let Ok(Some(session)) = self.session() {
                targets.extend(
                    session
                        .organizations
                        .iter()
                        .map(|m| SyncTarget::Org(m.organization_id)),
                );
            }
            targets.extend(self.door_lists().into_iter().map(|d| SyncTarget::Door {
                org: d.organization_id,
                event: d.event_id,
            }));
        }
        targets
    }

    /// A sync engine as the person signed in now (or anonymous).
    pub(crate) fn engine(&self, token: Option<String>) -> Result<SyncEngine, AppError> {
        let client = SyncClient::new(&self.server_url, self.lang(), token)?;
        Ok(SyncEngine::new(
            client,
            self.db.clone(),
            Some(self.door.clone()),
            EngineConfig::default(),
        ))
    }

    /// Runs until the app ends: one engine run per sign-in state and token.
    pub async fn keep_in_sync(self: Arc<Self>) {
        loop {
            let api = match self.api() {
                Ok(api) => api,
                Err(e) => {
                    eprintln!("hafla-app: {e}");
                    return;
                }
            };
            let (token, until) = match self.tokens.access_token(&api).await {
                Ok(AccessToken::Token(token)) => {
                    let renew = self.tokens.renew_at().await;
                    (Some(token), renew)
                }
                Ok(AccessToken::SignedOut) => {
                    if self.session().ok().flatten().is_some() {
                        // The server ended the sign-in (signed out elsewhere, expired);
                        // the tokens are gone already.
                        self.forget_session();
                    }
                    (None, None)
                }
                // Offline: the catalog engine finds out when the server is back; the
                // refresh is tried again soon.
                Err(_) => (None, Some(Instant::now() + RETRY_REFRESH)),
            };
            let targets = self.targets(token.is_some());
            let engine = match self.engine(token) {
                Ok(engine) => Arc::new(engine),
                Err(e) => {
                    eprintln!("hafla-app: {e}");
                    return;
                }
            };
            *lock(&self.sync.engine) = Some(engine.clone());
            let (stop, stopped) = watch::channel(false);
            let watchers = self.watch(&engine);
            let run = tokio::spawn(engine.clone().run(targets, stopped));
            let expiry = async {
                match until {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = self.sync.restart.notified() => {}
                _ = expiry => {}
            }
            let _ = stop.send(true);
            let _ = run.await;
            for w in watchers {
                w.abort();
            }
        }
    }

    /// Forwards the engine's connectivity, errors and finished pulls to the UI.
    fn watch(self: &Arc<Self>, engine: &Arc<SyncEngine>) -> Vec<tokio::task::JoinHandle<()>> {
        let mut connectivity = engine.connectivity();
        let mut errors = engine.last_error();
        let mut progress = engine.progress();
        let core = self.clone();
        let online = tokio::spawn(async move {
            loop {
                let now = *connectivity.borrow_and_update() == Connectivity::Online;
                core.sync.online.store(now, Ordering::Relaxed);
                core.announce_status();
                if connectivity.changed().await.is_err() {
                    return;
                }
            }
        });
        let core = self.clone();
        let failures = tokio::spawn(async move {
            while errors.changed().await.is_ok() {
                let failure = errors.borrow_and_update().clone();
                let body = failure.map(|(code, text)| {
                    eprintln!("hafla-app: sync: {text}");
                    let url = core.server_url.clone();
                    ErrorBody {
                        code,
                        message: localizer().message(
                            core.lang(),
                            code.message_id(),
                            &[("url", url.into())],
                        ),
                        details: None,
                    }
                });
                *lock(&core.sync.last_error) = body;
                core.announce_status();
            }
        });
        let core = self.clone();
        let pulls = tokio::spawn(async move {
            while progress.changed().await.is_ok() {
                let Some(p) = *progress.borrow_and_update() else {
                    continue;
                };
                let what = match p.scope {
                    Scope::Catalog => "catalog",
                    Scope::Me => "me",
                    Scope::Org(_) => "org",
                    Scope::Door(_) => "door",
                };
                core.emit("data-changed", what);
                core.announce_status();
            }
        });
        vec![online, failures, pulls]
    }
}
