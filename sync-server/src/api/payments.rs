//! Paying for orders over HTTP: the buyer chooses how to pay, providers notify the
//! outcome, the sandbox serves its page, organizers take CliQ. The work is the checkout
//! service's (`checkout`); this module speaks HTTP.

use super::AppState;
use super::error::{ApiError, request_lang};
use super::extract::{ApiJson, ApiPath, Caller};
use super::orders::{idempotency_key, own_order, view};
use crate::checkout::sandbox::{self, Choice};
use crate::checkout::{CheckoutError, NextStep};
use crate::payments::{Customer, PaymentError};
use crate::store::orders::Actor;
use crate::store::payments::{RefundRequestPlan, Revocation};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use hafla_core::Lang;
use hafla_core::money::Money;
use hafla_core::wire::{
    CliqAliasInput, CliqDecision, CliqInstructions, ErrorBody, ErrorCode, OrderView, PayInput,
    PayView, RefundInput, RefundView,
};
use serde_json::json;
use uuid::Uuid;

impl From<CheckoutError> for ApiError {
    fn from(err: CheckoutError) -> Self {
        match err {
            CheckoutError::Store(e) => e.into(),
            CheckoutError::MethodUnavailable(method) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::PaymentMethodUnavailable,
            )
            .with_details(json!({ "field": "method", "method": method })),
            CheckoutError::Provider(PaymentError::BadNotification(reason)) => {
                tracing::warn!(%reason, "payment notification refused");
                ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidNotification)
            }
            CheckoutError::Provider(e) => {
                tracing::warn!(error = %e, "payment provider failed");
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    ErrorCode::PaymentProviderUnavailable,
                )
            }
        }
    }
}

/// `POST /api/v1/orders/{order_id}/pay`
#[utoipa::path(
    post,
    path = "/api/v1/orders/{order_id}/pay",
    operation_id = "pay_order",
    tag = "orders",
    summary = "Choose how to pay a reserved order",
    description = "`cliq`: make a CliQ transfer of the total to the organization's alias with \
        the order's reference in the note before `pay_by` (the tickets are held until then; \
        the organizer confirms receipt). A provider (`sandbox`, `paytabs`): open \
        `redirect_url`, the provider's own page; the card never reaches Hafla. A free order \
        is paid at once. Choosing again starts a new attempt, unless the request carries the \
        `Idempotency-Key` of an earlier one: then that attempt is given back.",
    request_body = PayInput,
    params(
        ("order_id" = Uuid, Path, description = "The order"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry give back the same attempt"),
    ),
    responses(
        (status = 200, description = "The order and the next step", body = PayView),
        (status = 400, description = "`invalid_parameter`, `malformed_json`, `invalid_idempotency_key`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`order_not_changeable` (`details.status`): paid, cancelled or expired", body = ErrorBody),
        (status = 422, description = "`payment_method_unavailable`, `invalid_body`", body = ErrorBody),
        (status = 502, description = "`payment_provider_unavailable`: try again; the tickets stay held", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn pay(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(order_id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<PayInput>,
) -> Result<Json<PayView>, ApiError> {
    let key = idempotency_key(&headers)?;
    let order = own_order(&state, &caller, order_id).await?;
    let user = state
        .store
        .user_by_id(caller.user_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let customer = Customer {
        name: user.display_name.clone(),
        email: user.email.clone(),
        phone: user.phone.clone(),
    };
    let now = jiff::Timestamp::now();
    let lang = request_lang(&headers);
    let (order, next) = state
        .checkout
        .pay(
            &order,
            input.method.trim(),
            key.as_deref(),
            customer,
            lang,
            now,
        )
        .await
        .map_err(|e| match e {
            CheckoutError::MethodUnavailable(method) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::PaymentMethodUnavailable,
            )
            .with_details(json!({
                "field": "method",
                "method": method,
                "available": available(&state),
            })),
            other => other.into(),
        })?;
    let reference = order.reference.clone();
    let (total, pay_by) = (order.total, order.expires_at);
    let order = view(order, now);
    Ok(Json(match next {
        NextStep::Done => PayView {
            order,
            redirect_url: None,
            cliq: None,
        },
        NextStep::Redirect(url) => PayView {
            order,
            redirect_url: Some(url),
            cliq: None,
        },
        NextStep::Cliq { alias } => PayView {
            order,
            redirect_url: None,
            cliq: Some(CliqInstructions {
                alias,
                reference,
                amount: total,
                pay_by,
            }),
        },
    }))
}

/// The methods a buyer may choose on this server.
fn available(state: &AppState) -> Vec<&'static str> {
    let mut methods = state.checkout.methods();
    methods.push("cliq");
    methods
}

/// `POST /api/v1/payments/{provider}/notify`
#[utoipa::path(
    post,
    path = "/api/v1/payments/{provider}/notify",
    operation_id = "payment_notification",
    tag = "orders",
    summary = "A payment provider's signed notification (webhook)",
    description = "Called by the provider, not by apps. The signature is checked over the \
        exact body; the same notification sent again is acknowledged and changes nothing.",
    params(("provider" = String, Path, description = "The provider: `sandbox`, `paytabs`")),
    request_body(content = String, content_type = "application/json", description = "The provider's notification, as it signed it"),
    responses(
        (status = 200, description = "Received"),
        (status = 400, description = "`invalid_notification`", body = ErrorBody),
        (status = 422, description = "`payment_method_unavailable`: no such provider here", body = ErrorBody),
    ),
)]
pub async fn notify(
    State(state): State<AppState>,
    ApiPath(provider): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    state
        .checkout
        .notification(&provider, &headers, &body, jiff::Timestamp::now())
        .await?;
    Ok(Json(json!({ "received": true })))
}

/// The sandbox's hosted page for a payment, or 404 when the sandbox is off or the payment
/// unknown.
pub async fn sandbox_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(payment_id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let payment = state
        .checkout
        .sandbox()
        .and_then(|s| s.payment(payment_id))
        .ok_or_else(ApiError::not_found)?;
    let lang = request_lang(&headers);
    let (title, approve, decline, cancel, note) = match lang {
        Lang::Ar => (
            "صفحة الدفع التجريبية",
            "موافقة",
            "رفض",
            "إلغاء",
            "لا تُدفع هنا أي أموال حقيقية: هذه صفحة تجريبية لعرض حفلة.",
        ),
        Lang::En => (
            "Sandbox payment page",
            "Approve",
            "Decline",
            "Cancel",
            "No real money moves here: this page is Hafla's demo of a payment provider.",
        ),
    };
    let page = format!(
        r#"<!doctype html>
<html lang="{lang}" dir="{dir}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}
.amount{{font-size:2rem;font-weight:700;direction:ltr;unicode-bidi:isolate}}
button{{font-size:1.1rem;padding:.6rem 1.2rem;margin:.3rem}}</style></head>
<body><h1>{title}</h1><p>{description}</p><p class="amount">{amount}</p>
<form method="post"><button name="choice" value="approve">{approve}</button>
<button name="choice" value="decline">{decline}</button>
<button name="choice" value="cancel">{cancel}</button></form><p><small>{note}</small></p>
</body></html>"#,
        lang = lang.tag(),
        dir = if lang.is_rtl() { "rtl" } else { "ltr" },
        description = escape(&payment.description),
        amount = escape(&payment.amount.to_string()),
    );
    Ok(Html(page).into_response())
}

#[derive(serde::Deserialize)]
pub struct SandboxForm {
    choice: Choice,
}

/// The buyer's choice on the sandbox page: the sandbox signs its notification and hands it
/// to checkout exactly as a provider's webhook would arrive, then sends the browser back.
pub async fn sandbox_choose(
    State(state): State<AppState>,
    ApiPath(payment_id): ApiPath<Uuid>,
    Form(form): Form<SandboxForm>,
) -> Result<Response, ApiError> {
    let sandbox = state.checkout.sandbox().ok_or_else(ApiError::not_found)?;
    let payment = sandbox
        .payment(payment_id)
        .ok_or_else(ApiError::not_found)?;
    if let Some((body, signature)) = sandbox.choose(payment_id, form.choice) {
        let mut headers = HeaderMap::new();
        headers.insert(
            sandbox::SIGNATURE_HEADER,
            signature.parse().map_err(|_| ApiError::internal())?,
        );
        state
            .checkout
            .notification(sandbox::KEY, &headers, &body, jiff::Timestamp::now())
            .await?;
    }
    Ok(Redirect::to(&payment.return_url).into_response())
}

/// Where a provider sends the buyer's browser back: back to the app.
pub async fn payment_return(headers: HeaderMap, ApiPath(order_id): ApiPath<Uuid>) -> Response {
    let lang = request_lang(&headers);
    let (title, text, open) = match lang {
        Lang::Ar => (
            "عُد إلى حفلة",
            "انتهت خطوة الدفع. ستجد حالة طلبك وتذاكرك في تطبيق حفلة.",
            "افتح الطلب في التطبيق",
        ),
        Lang::En => (
            "Back to Hafla",
            "The payment step is over. Your order's status and your tickets are in the Hafla app.",
            "Open the order in the app",
        ),
    };
    let page = format!(
        r#"<!doctype html>
<html lang="{lang}" dir="{dir}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem">
<h1>{title}</h1><p>{text}</p><p><a href="hafla://order/{order_id}">{open}</a></p></body></html>"#,
        lang = lang.tag(),
        dir = if lang.is_rtl() { "rtl" } else { "ltr" },
    );
    ([(header::CACHE_CONTROL, "no-store")], Html(page)).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Longest CliQ alias (CliQ aliases are short names).
const CLIQ_ALIAS_MAX: usize = 10;

/// A CliQ alias as stored: upper-case letters and digits, or a Jordanian mobile number in
/// its local form (07XXXXXXXX).
fn cliq_alias(text: &str) -> Option<String> {
    let trimmed = text.trim();
    let digits: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(rest) = digits
        .strip_prefix("+962")
        .or_else(|| digits.strip_prefix("00962"))
    {
        let local = format!("0{rest}");
        return is_jordan_mobile(&local).then_some(local);
    }
    if is_jordan_mobile(&digits) {
        return Some(digits);
    }
    let alias = trimmed.to_ascii_uppercase();
    let valid = (1..=CLIQ_ALIAS_MAX).contains(&alias.len())
        && alias.bytes().all(|b| b.is_ascii_alphanumeric());
    valid.then_some(alias)
}

fn is_jordan_mobile(text: &str) -> bool {
    text.len() == 10
        && ["077", "078", "079"].iter().any(|p| text.starts_with(p))
        && text.bytes().all(|b| b.is_ascii_digit())
}

/// `PUT /api/v1/orgs/{org_id}/cliq`
#[utoipa::path(
    put,
    path = "/api/v1/orgs/{org_id}/cliq",
    operation_id = "set_cliq_alias",
    tag = "organizations",
    summary = "Set (or clear) the CliQ alias buyers pay the organization's orders to",
    request_body = CliqAliasInput,
    params(("org_id" = Uuid, Path, description = "The organization")),
    responses(
        (status = 200, description = "The alias as stored", body = CliqAliasInput),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 403, description = "`forbidden`: owners and managers only", body = ErrorBody),
        (status = 422, description = "`invalid_cliq_alias`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_cliq(
    State(state): State<AppState>,
    ApiPath(org_id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<CliqAliasInput>,
) -> Result<Json<CliqAliasInput>, ApiError> {
    let alias = match input.alias.as_deref() {
        None => None,
        Some(text) => Some(cliq_alias(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidCliqAlias,
            )
            .with_details(json!({ "field": "alias" }))
        })?),
    };
    state.store.set_cliq_alias(org_id, alias.clone()).await?;
    Ok(Json(CliqAliasInput { alias }))
}

/// `POST /api/v1/orgs/{org_id}/orders/{order_id}/cliq`
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/orders/{order_id}/cliq",
    operation_id = "decide_cliq_transfer",
    tag = "organizations",
    summary = "Confirm (or reject) that a CliQ transfer for an order arrived",
    description = "Confirmed: the order is paid and its tickets issued (also when its hold \
        lapsed, if the tickets are still there; otherwise the answer says the money must be \
        returned). Rejected: the order keeps its hold until it lapses.",
    request_body = CliqDecision,
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("order_id" = Uuid, Path, description = "The order"),
    ),
    responses(
        (status = 200, description = "The order now", body = OrderView),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 403, description = "`forbidden`: owners and managers only", body = ErrorBody),
        (status = 404, description = "`not_found`: no such order of this organization, or no CliQ transfer awaited", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn decide_cliq(
    State(state): State<AppState>,
    ApiPath((org_id, order_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(decision): ApiJson<CliqDecision>,
) -> Result<Json<OrderView>, ApiError> {
    let order = state
        .store
        .order(order_id)
        .await?
        .filter(|o| o.organization_id == org_id)
        .ok_or_else(ApiError::not_found)?;
    let payment = state
        .store
        .order_payments(order.id)
        .await?
        .into_iter()
        .rev()
        .find(|p| p.provider == "cliq")
        .ok_or_else(ApiError::not_found)?;
    let now = jiff::Timestamp::now();
    state
        .checkout
        .confirm_cliq(&payment, decision.received, now)
        .await?;
    let order = state
        .store
        .order(order_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(view(order, now)))
}

/// Longest refund reason, in characters.
const REASON_MAX: usize = 500;

/// `POST /api/v1/orgs/{org_id}/orders/{order_id}/refunds`
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/orders/{order_id}/refunds",
    operation_id = "refund_order",
    tag = "organizations",
    summary = "Refund an order, whole or some of its tickets",
    description = "The tickets are revoked at once (door lists stop admitting them) and \
        their places go back on sale; the money goes back through the provider it was paid \
        by (a provider that fails is tried again later). For a CliQ payment the organizer \
        returns the transfer.",
    request_body = RefundInput,
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("order_id" = Uuid, Path, description = "The order"),
    ),
    responses(
        (status = 200, description = "What the refund did", body = RefundView),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 403, description = "`forbidden`: owners and managers only", body = ErrorBody),
        (status = 404, description = "`not_found`: no such order of this organization", body = ErrorBody),
        (status = 409, description = "`order_not_changeable` (not paid), `ticket_not_valid`, `nothing_to_refund`", body = ErrorBody),
        (status = 422, description = "`unknown_ticket`, `refund_exceeds_paid` (`details.refundable`), `reason_required`, `text_too_long`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn refund(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org_id, order_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(input): ApiJson<RefundInput>,
) -> Result<Json<RefundView>, ApiError> {
    let reason = super::moderation::required_reason(&input.reason, REASON_MAX)?;
    let order = state
        .store
        .order(order_id)
        .await?
        .filter(|o| o.organization_id == org_id)
        .ok_or_else(ApiError::not_found)?;
    let now = jiff::Timestamp::now();
    let begun = state
        .checkout
        .refund(
            RefundRequestPlan {
                refund_id: Uuid::now_v7(),
                order_id,
                tickets: input.ticket_ids,
                amount: input.amount.map(|minor| Money {
                    minor,
                    currency: order.total.currency,
                }),
                reason,
                revocation: Revocation::Refunded,
                actor: Actor::Organizer(caller.user_id),
            },
            now,
        )
        .await?;
    Ok(Json(RefundView {
        order: view(begun.order, now),
        revoked: begun.revoked,
        amount: begun.amount,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cliq_aliases_are_short_names_or_jordanian_mobiles() {
        assert_eq!(cliq_alias(" sahralive ").as_deref(), Some("SAHRALIVE"));
        assert_eq!(cliq_alias("0791234567").as_deref(), Some("0791234567"));
        assert_eq!(
            cliq_alias("+962 79 123 4567").as_deref(),
            Some("0791234567")
        );
        for bad in [
            "",
            "  ",
            "WAYTOOLONGALIAS",
            "sahra live",
            "سهرة",
            "+962711234567",
            "+96279",
        ] {
            assert_eq!(cliq_alias(bad), None, "{bad:?}");
        }
    }
}
