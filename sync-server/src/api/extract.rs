//! Extractors that turn malformed requests into specific API errors instead of axum's
//! plain-text rejections, and that give handlers the authenticated caller.

use super::error::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use hafla_core::wire::ErrorCode;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// A JSON body. Malformed JSON or invalid UTF-8 → `malformed_json`; wrong shape →
/// `invalid_body` with the serde path; no JSON content type → `unsupported_media_type`.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::invalid_body(e.body_text())),
            Err(JsonRejection::JsonSyntaxError(_)) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::MalformedJson,
            )),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
            )),
            Err(JsonRejection::BytesRejection(_)) => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
            )),
            Err(_) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::MalformedJson,
            )),
        }
    }
}

/// Who is calling, as established by the authorization layer from the bearer token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    /// The sign-in (refresh-token family) of the access token.
    pub session_id: Uuid,
    pub is_admin: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .copied()
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// On public routes: the caller when the request carried a valid token.
impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Caller>().copied())
    }
}

/// Path parameters. A value of the wrong shape (e.g. not a UUID) → `invalid_parameter`
/// naming the parameter, instead of axum's plain-text rejection.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => {
                let reason = rejection.body_text();
                Err(ApiError::invalid_parameter("path", reason))
            }
        }
    }
}
