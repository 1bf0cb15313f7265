//! What the app does, written against plain Rust types so it is tested without a window.

use hafla_core::Lang;
use hafla_core::api_client::{ApiClient, ClientError};
use hafla_core::i18n::localizer;
use hafla_core::local_store::{LocalStore, LocalStoreError};
use hafla_core::wire::{ErrorBody, ErrorCode, EventPage};
use serde::Serialize;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// Events per page on the home screen.
pub const PAGE_SIZE: u32 = 50;

/// What the UI needs to know at start.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct AppInfo {
    /// The language the person chose; `None` on first run (the UI then follows the system).
    #[cfg_attr(test, ts(type = "\"ar\" | \"en\" | null"))]
    pub lang: Option<Lang>,
    pub server_url: String,
    pub version: String,
}

/// The app's state: its local store and the server it syncs with.
pub struct AppCore {
    store: Mutex<LocalStore>,
    server_url: String,
}

impl AppCore {
    /// Opens (or creates) the local database `hafla.db` in `data_dir`.
    pub fn open(data_dir: &Path, server_url: String) -> Result<Self, LocalStoreError> {
        Ok(AppCore {
            store: Mutex::new(LocalStore::open(&data_dir.join("hafla.db"))?),
            server_url,
        })
    }

    fn store(&self) -> MutexGuard<'_, LocalStore> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lang(&self) -> Lang {
        self.store().language().ok().flatten().unwrap_or(Lang::En)
    }

    pub fn info(&self) -> Result<AppInfo, ErrorBody> {
        Ok(AppInfo {
            lang: self
                .store()
                .language()
                .map_err(|e| local_error(e, self.lang()))?,
            server_url: self.server_url.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        })
    }

    pub fn set_language(&self, lang: Lang) -> Result<(), ErrorBody> {
        self.store()
            .set_language(lang)
            .map_err(|e| local_error(e, lang))
    }

    /// A page of upcoming events from the server, with errors explained in the chosen language.
    pub async fn list_events(&self, offset: u32) -> Result<EventPage, ErrorBody> {
        let lang = self.lang();
        let client = ApiClient::new(&self.server_url, lang).map_err(|e| client_error(e, lang))?;
        client
            .list_events(offset, PAGE_SIZE)
            .await
            .map_err(|e| client_error(e, lang))
    }
}

fn client_error(err: ClientError, lang: Lang) -> ErrorBody {
    let code = err.code();
    let message = match err {
        ClientError::Api { message, .. } => message,
        ClientError::Unreachable { url, .. } | ClientError::BadResponse { url, .. } => {
            localizer().message(lang, code.message_id(), &[("url", url.into())])
        }
    };
    ErrorBody {
        code,
        message,
        details: None,
    }
}

fn local_error(err: LocalStoreError, lang: Lang) -> ErrorBody {
    eprintln!("hafla-app: local store: {err}");
    ErrorBody {
        code: ErrorCode::Internal,
        message: localizer().message(lang, ErrorCode::Internal.message_id(), &[]),
        details: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_run_has_no_language_and_the_choice_is_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let core = AppCore::open(dir.path(), "http://127.0.0.1:1".into()).unwrap();
        assert_eq!(core.info().unwrap().lang, None);
        core.set_language(Lang::Ar).unwrap();
        drop(core);
        let core = AppCore::open(dir.path(), "http://127.0.0.1:1".into()).unwrap();
        assert_eq!(core.info().unwrap().lang, Some(Lang::Ar));
    }

    #[tokio::test]
    async fn an_unreachable_server_is_explained_in_the_chosen_language() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let dir = tempfile::tempdir().unwrap();
        let core = AppCore::open(dir.path(), url.clone()).unwrap();
        core.set_language(Lang::Ar).unwrap();
        let err = core.list_events(0).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::ServerUnreachable);
        assert!(err.message.contains("تعذّر الوصول"), "{}", err.message);
        assert!(err.message.contains(&url), "{}", err.message);
    }
}
