//! The one place where errors become HTTP answers: `{code, message}` in the caller's language.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hafla_core::Lang;
use hafla_core::i18n::localizer;
use hafla_core::wire::{ErrorBody, ErrorCode};

/// The `Retry-After` of answers while the database is unavailable: long enough not to
/// hammer a database that is restarting, short enough that clients are back soon after.
pub const DATABASE_RETRY_AFTER_SECS: u64 = 3;

/// An error a handler returns. It is rendered by [`localize_errors`], which knows the
/// caller's language; handlers never format messages themselves.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    /// Named arguments of the Fluent message.
    pub args: Vec<(&'static str, String)>,
    pub details: Option<serde_json::Value>,
    /// Seconds to wait, sent as `Retry-After` (rate limits, database unavailable).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode) -> Self {
        ApiError {
            status,
            code,
            args: vec![],
            details: None,
            retry_after: None,
        }
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn with_arg(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn invalid_parameter(name: &'static str, reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidParameter)
            .with_arg("name", name)
            .with_arg("reason", reason)
    }

    /// A JSON body with a missing field or a wrong type.
    pub fn invalid_body(reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidBody)
            .with_details(serde_json::json!({ "reason": reason }))
            .with_arg("reason", reason)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound)
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated)
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden)
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
    }

    /// The database cannot be reached for the moment: 503, try again after
    /// [`DATABASE_RETRY_AFTER_SECS`].
    pub fn database_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::DatabaseUnavailable,
        )
        .with_retry_after(DATABASE_RETRY_AFTER_SECS)
    }

    /// The answer in `lang`; only for layers outside [`localize_errors`].
    pub(super) fn render(&self, lang: Lang) -> Response {
        let args: Vec<_> = self
            .args
            .iter()
            // Numbers as numbers, so plural forms ("تذكرتان", "3 tickets") are chosen.
            .map(|(name, value)| {
                (
                    *name,
                    hafla_core::i18n::FluentValue::try_number(value.as_str()),
                )
            })
            .collect();
        let message = localizer().message(lang, self.code.message_id(), &args);
        let mut response = (
            self.status,
            Json(ErrorBody {
                code: self.code,
                message,
                details: self.details.clone(),
            }),
        )
            .into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_LANGUAGE,
            header::HeaderValue::from_static(lang.tag()),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match err {
            StoreError::NotFound(_) => ApiError::not_found(),
            StoreError::Conflict("email") => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::EmailTaken)
            }
            StoreError::Conflict("owner") => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::OwnerRequired)
            }
            StoreError::Conflict("event_cancelled") => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::EventCancelled)
            }
            StoreError::Conflict("ticket_types") => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::TicketTypesRequired,
            )
            .with_details(serde_json::json!({ "field": "ticket_types" })),
            StoreError::Conflict("ticket_type") => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::UnknownTicketType,
            )
            .with_details(serde_json::json!({ "field": "ticket_types" })),
            StoreError::Stale { current } => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::EditConflict)
                    .with_details(serde_json::json!({ "current_version": current }))
            }
            StoreError::Transition { from } => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::InvalidStatusTransition)
                    .with_details(serde_json::json!({ "status": from }))
            }
            StoreError::Unavailable(reason) => {
                tracing::warn!(%reason, "database unavailable");
                ApiError::database_unavailable()
            }
            StoreError::Checkout(refusal) => checkout_refusal(refusal),
            StoreError::Refund(refusal) => refund_refusal(refusal),
            StoreError::Transfer(refusal) => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::TicketNotTransferable)
                    .with_details(serde_json::json!({ "reason": refusal.key() }))
            }
            StoreError::OrderTransition { from } => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::OrderNotChangeable)
                    .with_details(serde_json::json!({ "status": from }))
            }
            StoreError::Conflict("ticket_type_sold") => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::TicketTypeSold)
                    .with_details(serde_json::json!({ "field": "ticket_types" }))
            }
            StoreError::CapacityBelowHeld { held } => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::CapacityBelowSold)
                    .with_arg("held", held.to_string())
                    .with_details(serde_json::json!({ "field": "ticket_types", "held": held }))
            }
            StoreError::InvalidQuery { parameter, reason } => {
                ApiError::invalid_parameter(parameter, reason)
                    .with_details(serde_json::json!({ "parameter": parameter }))
            }
            err => {
                tracing::error!(error = %err, "store failed");
                ApiError::internal()
            }
        }
    }
}

/// Why a refund could not be made, as the organizer is told.
fn refund_refusal(refusal: crate::store::payments::RefundRefusal) -> ApiError {
    use crate::store::payments::RefundRefusal as R;
    use serde_json::json;
    match refusal {
        R::UnknownTicket(id) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::UnknownTicket)
                .with_details(json!({ "field": "ticket_ids", "ticket_id": id }))
        }
        R::TicketNotValid(id) => ApiError::new(StatusCode::CONFLICT, ErrorCode::TicketNotValid)
            .with_details(json!({ "ticket_id": id })),
        R::ExceedsPaid { refundable } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::RefundExceedsPaid,
        )
        .with_arg("refundable", refundable.to_string())
        .with_details(json!({ "field": "amount", "refundable": refundable })),
        R::Nothing => ApiError::new(StatusCode::CONFLICT, ErrorCode::NothingToRefund),
    }
}

/// Why tickets could not be reserved, as the buyer is told.
fn checkout_refusal(refusal: crate::store::orders::CheckoutRefusal) -> ApiError {
    use crate::store::orders::{CheckoutRefusal as R, MAX_LINES};
    use serde_json::json;
    let unprocessable = |code| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code);
    let conflict = |code| ApiError::new(StatusCode::CONFLICT, code);
    match refusal {
        R::Empty | R::TooManyLines => unprocessable(ErrorCode::OrderEmpty)
            .with_details(json!({ "field": "lines", "max_lines": MAX_LINES })),
        R::RepeatedTicketType(id) => unprocessable(ErrorCode::DuplicateTicketType)
            .with_details(json!({ "field": "lines", "ticket_type_id": id })),
        R::UnknownTicketType(id) => unprocessable(ErrorCode::UnknownTicketType)
            .with_details(json!({ "field": "lines", "ticket_type_id": id })),
        R::EventNotOnSale => conflict(ErrorCode::EventNotOnSale),
        R::NotOnSaleYet {
            ticket_type,
            opens_at,
        } => conflict(ErrorCode::SalesNotOpen)
            .with_details(json!({ "ticket_type_id": ticket_type, "opens_at": opens_at })),
        R::SalesEnded(id) => {
            conflict(ErrorCode::SalesEnded).with_details(json!({ "ticket_type_id": id }))
        }
        R::OverOrderLimit { ticket_type, limit } => unprocessable(ErrorCode::OverOrderLimit)
            .with_arg("limit", limit.to_string())
            .with_details(json!({ "ticket_type_id": ticket_type, "limit": limit })),
        R::SoldOut { ticket_type, left } => conflict(ErrorCode::SoldOut)
            .with_arg("left", left.to_string())
            .with_details(json!({ "ticket_type_id": ticket_type, "left": left })),
        R::MixedCurrencies => unprocessable(ErrorCode::MixedCurrencies),
        R::IdempotencyKeyReused => conflict(ErrorCode::IdempotencyKeyReused),
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
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
            .render(lang);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    async fn body(response: Response) -> ErrorBody {
        let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn counts_in_messages_take_the_plural_form_of_their_number() {
        let sold_out = |left: u32, lang| {
            ApiError::from(StoreError::Checkout(
                crate::store::orders::CheckoutRefusal::SoldOut {
                    ticket_type: None,
                    left,
                },
            ))
            .render(lang)
        };
        assert!(
            body(sold_out(2, Lang::Ar))
                .await
                .message
                .contains("تذكرتان")
        );
        assert!(
            body(sold_out(1, Lang::Ar))
                .await
                .message
                .contains("تذكرة واحدة")
        );
        let five = body(sold_out(5, Lang::Ar)).await.message;
        assert!(five.contains('5') && five.contains("تذاكر"), "{five}");
        assert!(
            body(sold_out(1, Lang::En))
                .await
                .message
                .contains("one ticket")
        );
        let otp = ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::OtpWrong)
            .with_arg("attempts_left", "2")
            .render(Lang::Ar);
        assert!(body(otp).await.message.contains("محاولتان"));
    }

    #[tokio::test]
    async fn an_unavailable_database_is_a_503_to_retry_in_the_callers_language() {
        let error = ApiError::from(StoreError::Unavailable("connection refused".into()));
        let response = error.render(Lang::Ar);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers()[header::RETRY_AFTER],
            DATABASE_RETRY_AFTER_SECS.to_string()
        );
        let body = body(response).await;
        assert_eq!(body.code, ErrorCode::DatabaseUnavailable);
        assert_eq!(
            body.message,
            localizer().message(Lang::Ar, "error-database-unavailable", &[])
        );
        assert!(!body.message.contains("refused"), "{}", body.message);
    }

    #[tokio::test]
    async fn other_database_errors_are_a_500_that_reveals_nothing() {
        let errors = [
            StoreError::Postgres(sqlx::Error::Protocol("relation users_secret".into())),
            StoreError::Corrupt("users_secret".into()),
            StoreError::Task("users_secret".into()),
        ];
        for err in errors {
            let response = ApiError::from(err).render(Lang::En);
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert!(response.headers().get(header::RETRY_AFTER).is_none());
            let body = body(response).await;
            assert_eq!(body.code, ErrorCode::Internal);
            assert!(body.details.is_none());
            assert!(!body.message.contains("users_secret"), "{}", body.message);
        }
    }
}
