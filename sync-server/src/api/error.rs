//! The one place where errors become HTTP answers: `{code, message}` in the caller's language.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hafla_core::Lang;
use hafla_core::i18n::localizer;
use hafla_core::wire::{ErrorBody, ErrorCode};

/// An error a handler returns. It is rendered by [`localize_errors`], which knows the
/// caller's language; handlers never format messages themselves.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    /// Named arguments of the Fluent message.
    pub args: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn invalid_parameter(name: &'static str, reason: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: ErrorCode::InvalidParameter,
            args: vec![("name", name.to_owned()), ("reason", reason.into())],
        }
    }

    pub fn not_found() -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: ErrorCode::NotFound,
            args: vec![],
        }
    }

    pub fn internal() -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: ErrorCode::Internal,
            args: vec![],
        }
    }

    fn render(&self, lang: Lang) -> Response {
        let args: Vec<_> = self
            .args
            .iter()
            .map(|(name, value)| (*name, value.as_str().into()))
            .collect();
        let message = localizer().message(lang, self.code.message_id(), &args);
        let mut response = (
            self.status,
            Json(ErrorBody {
                code: self.code,
                message,
            }),
        )
            .into_response();
        response.headers_mut().insert(
            header::CONTENT_LANGUAGE,
            header::HeaderValue::from_static(lang.tag()),
        );
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        tracing::error!(error = %err, "store failed");
        ApiError::internal()
    }
}

/// Handlers return the error as a response extension; the middleware renders it.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// The caller's language: `Accept-Language`, else Arabic (Hafla's default).
pub fn request_lang(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::negotiate)
        .unwrap_or_default()
}

/// Renders every [`ApiError`] (and the bare 413 of the body-size limit) in the caller's language.
pub async fn localize_errors(request: Request, next: Next) -> Response {
    let lang = request_lang(request.headers());
    let mut response = next.run(request).await;
    if let Some(error) = response.extensions_mut().remove::<ApiError>() {
        return error.render(lang);
    }
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let error = ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: ErrorCode::PayloadTooLarge,
            args: vec![],
        };
        return error.render(lang);
    }
    response
}
