//! Buyers reserve tickets, see their orders and give up unpaid ones. An order of someone
//! else is `not_found`, never shown. The rules of a reservation (capacity, sales windows,
//! per-order limits) are the store's (`store::orders`); this module checks the request's
//! shape and speaks HTTP.
//!
//! Creation is idempotent with an `Idempotency-Key` header: a retry after a lost answer
//! gives back the same order (200 instead of 201) and reserves nothing more.

use super::AppState;
use super::error::{ApiError, request_lang};
use super::extract::{ApiJson, ApiPath, Caller};
use crate::store::orders::{Actor, LineRequest, MAX_LINES, NewOrder, Order, new_reference};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hafla_core::wire::{ErrorBody, ErrorCode, OrderInput, OrderLineView, OrderList, OrderView};
use serde_json::json;
use uuid::Uuid;

/// Most tickets of one type in one order, whatever a ticket type allows.
pub const QUANTITY_MAX: i64 = 100;
/// Longest `Idempotency-Key`.
pub const IDEMPOTENCY_KEY_MAX: usize = 100;
/// Orders listed at once.
const LIST_LIMIT: u32 = 50;

/// The order as its buyer sees it at `now` (an unpaid order past its expiry is expired).
pub(super) fn view(order: Order, now: jiff::Timestamp) -> OrderView {
    OrderView {
        status: order.status_at(now),
        id: order.id,
        reference: order.reference,
        event_id: order.event_id,
        lines: order
            .lines
            .into_iter()
            .map(|l| OrderLineView {
                ticket_type_id: l.ticket_type_id,
                name: l.name,
                quantity: l.quantity,
                unit_price: l.unit_price,
            })
            .collect(),
        total: order.total,
        payment_method: order.payment_method,
        expires_at: order.expires_at,
        created_at: order.created_at,
    }
}

/// The `Idempotency-Key` header: 1–100 visible ASCII characters, or none.
pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default();
    let valid = !text.is_empty()
        && text.len() <= IDEMPOTENCY_KEY_MAX
        && text.bytes().all(|b| b.is_ascii_graphic());
    if !valid {
        return Err(
            ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidIdempotencyKey)
                .with_details(json!({ "header": "Idempotency-Key", "max": IDEMPOTENCY_KEY_MAX })),
        );
    }
    Ok(Some(text.to_owned()))
}

/// The lines asked for, each quantity within 1..=[`QUANTITY_MAX`].
fn lines(input: &OrderInput) -> Result<Vec<LineRequest>, ApiError> {
    if input.lines.is_empty() || input.lines.len() > MAX_LINES {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::OrderEmpty)
                .with_details(json!({ "field": "lines", "max_lines": MAX_LINES })),
        );
    }
    input
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let quantity = u32::try_from(line.quantity)
                .ok()
                .filter(|q| (1..=QUANTITY_MAX).contains(&i64::from(*q)))
                .ok_or_else(|| {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidQuantity)
                        .with_arg("max", QUANTITY_MAX.to_string())
                        .with_details(json!({
                            "field": format!("lines[{i}].quantity"),
                            "max": QUANTITY_MAX,
                        }))
                })?;
            Ok(LineRequest {
                ticket_type_id: line.ticket_type_id,
                quantity,
            })
        })
        .collect()
}

/// `POST /api/v1/orders`
#[utoipa::path(
    post,
    path = "/api/v1/orders",
    operation_id = "create_order",
    tag = "orders",
    summary = "Reserve tickets of one event",
    description = "Holds the tickets for the buyer until `expires_at` (10 minutes unless the \
        server is configured otherwise); unpaid, they go back on sale then. Send an \
        `Idempotency-Key` header (1–100 visible ASCII characters) to make a retry safe: the \
        same key with the same request gives back the same order.",
    request_body = OrderInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry give back the same order")),
    responses(
        (status = 201, description = "The reservation", body = OrderView),
        (status = 200, description = "The reservation made earlier with this `Idempotency-Key`", body = OrderView),
        (status = 400, description = "`invalid_idempotency_key`, `malformed_json`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such event", body = ErrorBody),
        (status = 409, description = "`sold_out` (`details.left`), `event_not_on_sale`, `sales_not_open` (`details.opens_at`), `sales_ended`, `idempotency_key_reused`", body = ErrorBody),
        (status = 422, description = "`invalid_quantity`, `order_empty`, `unknown_ticket_type`, `duplicate_ticket_type`, `over_order_limit` (`details.limit`), `mixed_currencies`, `invalid_body`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<OrderInput>,
) -> Result<(StatusCode, Json<OrderView>), ApiError> {
    let idempotency_key = idempotency_key(&headers)?;
    let lines = lines(&input)?;
    let now = jiff::Timestamp::now();
    let id = Uuid::now_v7();
    let order = state
        .store
        .reserve_order(
            NewOrder {
                id,
                reference: new_reference(),
                buyer_id: caller.user_id,
                event_id: input.event_id,
                lines,
                lang: request_lang(&headers),
                idempotency_key,
                hold: state.checkout.settings().hold,
            },
            now,
        )
        .await?;
    let status = if order.id == id {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view(order, now))))
}

/// The caller's own order, or `not_found`.
pub(super) async fn own_order(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> Result<Order, ApiError> {
    state
        .store
        .order(id)
        .await?
        .filter(|order| order.buyer_id == caller.user_id)
        .ok_or_else(ApiError::not_found)
}

/// `GET /api/v1/orders/{order_id}`
#[utoipa::path(
    get,
    path = "/api/v1/orders/{order_id}",
    operation_id = "get_order",
    tag = "orders",
    summary = "One of the caller's orders",
    params(("order_id" = Uuid, Path, description = "The order")),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 404, description = "`not_found` (also for someone else's order)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(order_id): ApiPath<Uuid>,
) -> Result<Json<OrderView>, ApiError> {
    let order = own_order(&state, &caller, order_id).await?;
    Ok(Json(view(order, jiff::Timestamp::now())))
}

/// `GET /api/v1/me/orders`
#[utoipa::path(
    get,
    path = "/api/v1/me/orders",
    operation_id = "my_orders",
    tag = "orders",
    summary = "The caller's orders, newest first (the last 50)",
    responses(
        (status = 200, description = "The orders", body = OrderList),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn mine(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<OrderList>, ApiError> {
    let now = jiff::Timestamp::now();
    let orders = state
        .store
        .orders_of_buyer(caller.user_id, LIST_LIMIT)
        .await?;
    Ok(Json(OrderList {
        orders: orders.into_iter().map(|o| view(o, now)).collect(),
    }))
}

/// `POST /api/v1/orders/{order_id}/cancel`
#[utoipa::path(
    post,
    path = "/api/v1/orders/{order_id}/cancel",
    operation_id = "cancel_order",
    tag = "orders",
    summary = "Give up an unpaid order: its tickets go back on sale",
    params(("order_id" = Uuid, Path, description = "The order")),
    responses(
        (status = 200, description = "The order, now `cancelled`", body = OrderView),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`order_not_changeable` (`details.status`): paid, expired or already cancelled", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(order_id): ApiPath<Uuid>,
) -> Result<Json<OrderView>, ApiError> {
    own_order(&state, &caller, order_id).await?;
    let now = jiff::Timestamp::now();
    let order = state
        .store
        .cancel_order(order_id, Actor::Buyer(caller.user_id), None, now)
        .await?;
    Ok(Json(view(order, now)))
}
