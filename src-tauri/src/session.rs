//! Signing in and staying signed in: the refresh token lives in the OS keyring, the
//! short-lived access token only in memory, and who the person is (name, organizations)
//! in the local settings so the app knows them offline.

use crate::errors::AppError;
use hafla_core::api_client::{ApiClient, ClientError};
use hafla_core::wire::ErrorCode;
use hafla_core::wire::accounts::SessionTokens;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where the refresh token is kept between runs.
pub trait TokenVault: Send + Sync {
    fn load(&self) -> Result<Option<String>, VaultError>;
    fn store(&self, refresh_token: &str) -> Result<(), VaultError>;
    fn clear(&self) -> Result<(), VaultError>;
}

#[derive(Debug, thiserror::Error)]
#[error("the OS keyring: {0}")]
pub struct VaultError(String);

/// The OS keyring: Secret Service on Linux, Keychain on macOS, Credential Manager on
/// Windows. One entry per server, so a device can be moved between servers.
pub struct KeyringVault {
    account: String,
}

impl KeyringVault {
    const SERVICE: &'static str = "jo.hafla.app";

    pub fn new(server_url: &str) -> Self {
        KeyringVault {
            account: format!("refresh-token@{server_url}"),
        }
    }

    fn entry(&self) -> Result<keyring::Entry, VaultError> {
        keyring::Entry::new(Self::SERVICE, &self.account).map_err(|e| VaultError(e.to_string()))
    }
}

impl TokenVault for KeyringVault {
    fn load(&self) -> Result<Option<String>, VaultError> {
        match self.entry()?.get_password() {
            Ok(token) => Ok(Some(token)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(VaultError(e.to_string())),
        }
    }

    fn store(&self, refresh_token: &str) -> Result<(), VaultError> {
        self.entry()?
            .set_password(refresh_token)
            .map_err(|e| VaultError(e.to_string()))
    }

    fn clear(&self) -> Result<(), VaultError> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(VaultError(e.to_string())),
        }
    }
}

/// A vault that forgets on exit: for tests, and what the app falls back to when the
/// device has no keyring (the person then signs in again after a restart).
#[derive(Default)]
pub struct MemoryVault(Mutex<Option<String>>);

impl TokenVault for MemoryVault {
    fn load(&self) -> Result<Option<String>, VaultError> {
        Ok(lock(&self.0).clone())
    }

    fn store(&self, refresh_token: &str) -> Result<(), VaultError> {
        *lock(&self.0) = Some(refresh_token.to_owned());
        Ok(())
    }

    fn clear(&self) -> Result<(), VaultError> {
        *lock(&self.0) = None;
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// An access token is renewed this long before it expires.
const RENEW_MARGIN: Duration = Duration::from_secs(60);

struct Access {
    token: String,
    renew_at: Instant,
}

/// What the app knows of its sign-in. Refreshes are one at a time (a refresh token is
/// single use: two refreshes at once would end the session).
pub struct Tokens {
    vault: Box<dyn TokenVault>,
    /// Used when the vault fails, so a sign-in still lasts until the app closes.
    fallback: MemoryVault,
    access: tokio::sync::Mutex<Option<Access>>,
}

/// The outcome of asking for an access token.
pub enum AccessToken {
    Token(String),
    SignedOut,
}

impl Tokens {
    pub fn new(vault: Box<dyn TokenVault>) -> Self {
        Tokens {
            vault,
            fallback: MemoryVault::default(),
            access: tokio::sync::Mutex::new(None),
        }
    }

    fn refresh_token(&self) -> Option<String> {
        match self.vault.load() {
            Ok(Some(token)) => Some(token),
            Ok(None) => self.fallback.load().ok().flatten(),
            Err(e) => {
                eprintln!("hafla-app: {e}; the sign-in is kept until the app closes");
                self.fallback.load().ok().flatten()
            }
        }
    }

    pub fn has_refresh_token(&self) -> bool {
        self.refresh_token().is_some()
    }

    /// Keeps a new pair: the refresh token in the vault, the access token in memory.
    pub async fn install(&self, tokens: &SessionTokens) {
        if let Err(e) = self.vault.store(&tokens.refresh_token) {
            eprintln!("hafla-app: {e}; the sign-in is kept until the app closes");
            let _ = self.fallback.store(&tokens.refresh_token);
        } else {
            let _ = self.fallback.clear();
        }
        *self.access.lock().await = Some(Access {
            token: tokens.access_token.clone(),
            renew_at: renew_at(tokens.expires_in),
        });
    }

    /// Forgets both tokens.
    pub async fn clear(&self) {
        if let Err(e) = self.vault.clear() {
            eprintln!("hafla-app: {e}");
        }
        let _ = self.fallback.clear();
        *self.access.lock().await = None;
    }

    /// A valid access token, renewed with the refresh token when due. A refresh the
    /// server refuses ends the sign-in; one that cannot reach the server is an error and
    /// keeps the refresh token for later.
    pub async fn access_token(&self, api: &ApiClient) -> Result<AccessToken, AppError> {
        let mut access = self.access.lock().await;
        if let Some(a) = access.as_ref().filter(|a| Instant::now() < a.renew_at) {
            return Ok(AccessToken::Token(a.token.clone()));
        }
        let Some(refresh) = self.refresh_token() else {
            *access = None;
            return Ok(AccessToken::SignedOut);
        };
        match api.refresh(&refresh).await {
            Ok(tokens) => {
                if let Err(e) = self.vault.store(&tokens.refresh_token) {
                    eprintln!("hafla-app: {e}; the sign-in is kept until the app closes");
                    let _ = self.fallback.store(&tokens.refresh_token);
                }
                *access = Some(Access {
                    token: tokens.access_token.clone(),
                    renew_at: renew_at(tokens.expires_in),
                });
                Ok(AccessToken::Token(tokens.access_token))
            }
            Err(ClientError::Api { code, .. }) if ends_session(code) => {
                drop(access);
                self.clear().await;
                Ok(AccessToken::SignedOut)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// When the access token in hand needs renewing (`None` when there is none).
    pub async fn renew_at(&self) -> Option<Instant> {
        self.access.lock().await.as_ref().map(|a| a.renew_at)
    }
}

fn renew_at(expires_in_secs: i64) -> Instant {
    let lifetime = Duration::from_secs(expires_in_secs.max(0) as u64);
    Instant::now()
        + lifetime
            .saturating_sub(RENEW_MARGIN)
            .max(Duration::from_secs(5))
}

/// Refresh answers after which the refresh token is worthless.
fn ends_session(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::InvalidToken
            | ErrorCode::TokenExpired
            | ErrorCode::TokenReused
            | ErrorCode::Unauthenticated
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `test` (this module's test of that name) again inside a private D-Bus session
    /// with an unlocked gnome-keyring: a real Secret Service, the one desktops use.
    fn in_a_secret_service_session(test: &str) -> bool {
        const INSIDE: &str = "HAFLA_TEST_SECRET_SERVICE";
        if std::env::var_os(INSIDE).is_some() {
            return true;
        }
        let home = tempfile::tempdir().unwrap();
        let script = r#"eval "$(printf hafla | gnome-keyring-daemon --unlock --components=secrets)" && exec "$0" --exact "$1" --test-threads=1"#;
        let status = std::process::Command::new("dbus-run-session")
            .args(["--", "sh", "-c", script])
            .arg(std::env::current_exe().unwrap())
            .arg(format!("session::tests::{test}"))
            .env(INSIDE, "1")
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_RUNTIME_DIR", home.path())
            .status()
            .expect("dbus-run-session (package dbus-daemon) and gnome-keyring are installed");
        assert!(
            status.success(),
            "the test inside the keyring session failed"
        );
        false
    }

    #[test]
    fn the_refresh_token_is_kept_in_the_os_keyring_across_restarts_and_forgotten_on_sign_out() {
        let name =
            "the_refresh_token_is_kept_in_the_os_keyring_across_restarts_and_forgotten_on_sign_out";
        if !in_a_secret_service_session(name) {
            return;
        }
        let server = "http://127.0.0.1:9";
        let vault = KeyringVault::new(server);
        assert_eq!(vault.load().unwrap(), None);
        vault.store("refresh-1").unwrap();
        // A new instance, as after a restart, reads it back from the keyring.
        assert_eq!(
            KeyringVault::new(server).load().unwrap().as_deref(),
            Some("refresh-1")
        );
        // Another server's entry is another secret.
        assert_eq!(KeyringVault::new("http://other:1").load().unwrap(), None);
        vault.store("refresh-2").unwrap();
        assert_eq!(vault.load().unwrap().as_deref(), Some("refresh-2"));
        vault.clear().unwrap();
        vault.clear().unwrap();
        assert_eq!(KeyringVault::new(server).load().unwrap(), None);
    }

    #[test]
    fn the_memory_vault_keeps_and_forgets() {
        let vault = MemoryVault::default();
        assert_eq!(vault.load().unwrap(), None);
        vault.store("r1").unwrap();
        assert_eq!(vault.load().unwrap().as_deref(), Some("r1"));
        vault.clear().unwrap();
        assert_eq!(vault.load().unwrap(), None);
    }

    #[test]
    fn an_access_token_is_renewed_a_minute_before_it_expires_but_never_in_under_five_seconds() {
        let now = Instant::now();
        let at = renew_at(900);
        assert!(at >= now + Duration::from_secs(839) && at <= now + Duration::from_secs(841));
        let short = renew_at(30);
        assert!(short >= now + Duration::from_secs(4) && short <= now + Duration::from_secs(6));
    }

    #[test]
    fn a_refused_or_reused_refresh_token_ends_the_session_but_a_network_error_does_not() {
        assert!(ends_session(ErrorCode::TokenReused));
        assert!(ends_session(ErrorCode::InvalidToken));
        assert!(!ends_session(ErrorCode::ServerUnreachable));
        assert!(!ends_session(ErrorCode::RateLimited));
    }
}
