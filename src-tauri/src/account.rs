//! Signing in: email and password, a phone's one-time code, or an OpenID Connect provider
//! in the system browser that comes back through `hafla://auth/callback`.

use crate::errors::AppError;
use crate::state::{AppCore, lock};
use crate::views::Session;
use hafla_core::wire::accounts::RegisterRequest;

impl AppCore {
    pub async fn sign_in_with_password(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Session, AppError> {
        if email.trim().is_empty() {
            return Err(AppError::Invalid { field: "email" });
        }
        let tokens = self.api()?.login(email.trim(), password).await?;
        self.start_session(tokens).await
    }

    pub async fn register(
        &self,
        email: &str,
        password: &str,
        display_name: &str,
    ) -> Result<Session, AppError> {
        let request = RegisterRequest {
            email: email.trim().to_owned(),
            password: password.to_owned(),
            display_name: display_name.trim().to_owned(),
            lang: Some(self.lang()),
        };
        let tokens = self.api()?.register(&request).await?;
        self.start_session(tokens).await
    }

    /// Texts a six-digit code to the phone, in the person's language.
    pub async fn send_phone_code(&self, phone: &str) -> Result<(), AppError> {
        Ok(self
            .api()?
            .send_phone_code(phone.trim(), self.lang())
            .await?)
    }

    pub async fn verify_phone_code(&self, phone: &str, code: &str) -> Result<Session, AppError> {
        let tokens = self
            .api()?
            .verify_phone_code(phone.trim(), code.trim())
            .await?;
        self.start_session(tokens).await
    }

    /// The providers the server signs in with (none offline: their buttons need a network).
    pub async fn oidc_providers(&self) -> Result<Vec<String>, AppError> {
        Ok(self.api()?.oidc_providers().await?.providers)
    }

    /// Opens the provider's sign-in page in the system browser; the answer comes back as
    /// a `hafla://auth/callback` link (see [`AppCore::finish_oidc_sign_in`]).
    pub async fn start_oidc_sign_in(&self, provider: &str) -> Result<(), AppError> {
        let start = self.api()?.oidc_start(provider).await?;
        *lock(&self.pending_oidc) = Some(start.state.clone());
        self.open_outside(&start.authorization_url)
    }

    /// Finishes a sign-in the app started; a callback carrying any other state is ignored
    /// (a link the app did not ask for must not sign anyone in).
    pub async fn finish_oidc_sign_in(
        &self,
        state: &str,
        code: &str,
    ) -> Result<Option<Session>, AppError> {
        let expected = lock(&self.pending_oidc).take();
        if expected.as_deref() != Some(state) {
            *lock(&self.pending_oidc) = expected;
            return Ok(None);
        }
        let tokens = self.api()?.oidc_callback(state, code).await?;
        Ok(Some(self.start_session(tokens).await?))
    }
}
