//! The Tauri commands the UI may call, one per thing it does. Each forwards to
//! [`AppCore`]; errors cross to the UI as `{code, message}` in the person's language.

use crate::errors::AppError;
use crate::organizer::AnalyticsQuery;
use crate::state::AppCore;
use crate::views::{
    AppInfo, DoorCounts, DoorEventChoice, EventCard, EventFilter, LinkRoute, ScanVerdict, Session,
    SyncStatus, TicketQr,
};
use hafla_core::Lang;
use hafla_core::door::Direction;
use hafla_core::wire::OrgRole;
use hafla_core::wire::accounts::MemberView;
use hafla_core::wire::analytics::EventAnalytics;
use hafla_core::wire::sync::{DoorConflict, MyTicket};
use hafla_core::wire::{
    ErrorBody, EventDetail, EventInput, EventSummary, OrderLineInput, OrderView, OrganizerEvent,
    PayView, ReviewQueuePage,
};
use std::sync::Arc;
use tauri::State;
use uuid::Uuid;

type Core<'a> = State<'a, Arc<AppCore>>;
type Answer<T> = Result<T, ErrorBody>;

fn answer<T>(core: &AppCore, result: Result<T, AppError>) -> Answer<T> {
    result.map_err(|e| e.to_body(core.lang()))
}

// ---- The app ----

#[tauri::command]
pub fn app_info(core: Core<'_>) -> Answer<AppInfo> {
    answer(&core, core.info())
}

#[tauri::command]
pub fn set_language(core: Core<'_>, lang: Lang) -> Answer<()> {
    answer(&core, core.set_language(lang))
}

#[tauri::command]
pub fn set_arabic_digits(core: Core<'_>, on: bool) -> Answer<()> {
    answer(&core, core.set_arabic_digits(on))
}

#[tauri::command]
pub fn sync_status(core: Core<'_>) -> Answer<SyncStatus> {
    answer(&core, core.sync_status())
}

#[tauri::command]
pub fn take_start_link(core: Core<'_>) -> Option<LinkRoute> {
    core.take_start_link()
}

// ---- Signing in ----

#[tauri::command]
pub fn session(core: Core<'_>) -> Answer<Option<Session>> {
    answer(&core, core.session())
}

#[tauri::command]
pub async fn sign_in_with_password(
    core: Core<'_>,
    email: String,
    password: String,
) -> Answer<Session> {
    answer(&core, core.sign_in_with_password(&email, &password).await)
}

#[tauri::command]
pub async fn register(
    core: Core<'_>,
    email: String,
    password: String,
    display_name: String,
) -> Answer<Session> {
    answer(&core, core.register(&email, &password, &display_name).await)
}

#[tauri::command]
pub async fn send_phone_code(core: Core<'_>, phone: String) -> Answer<()> {
    answer(&core, core.send_phone_code(&phone).await)
}

#[tauri::command]
pub async fn verify_phone_code(core: Core<'_>, phone: String, code: String) -> Answer<Session> {
    answer(&core, core.verify_phone_code(&phone, &code).await)
}

#[tauri::command]
pub async fn oidc_providers(core: Core<'_>) -> Answer<Vec<String>> {
    answer(&core, core.oidc_providers().await)
}

#[tauri::command]
pub async fn start_oidc_sign_in(core: Core<'_>, provider: String) -> Answer<()> {
    answer(&core, core.start_oidc_sign_in(&provider).await)
}

#[tauri::command]
pub async fn sign_out(core: Core<'_>) -> Answer<()> {
    answer(&core, core.sign_out().await)
}

// ---- Attendee ----

#[tauri::command]
pub fn search_events(core: Core<'_>, filter: EventFilter) -> Answer<Vec<EventCard>> {
    answer(&core, core.search_events(&filter))
}

#[tauri::command]
pub fn catalog_event(core: Core<'_>, event_id: Uuid) -> Answer<Option<EventSummary>> {
    answer(&core, core.catalog_event(event_id))
}

#[tauri::command]
pub async fn event_detail(core: Core<'_>, event_id: Uuid) -> Answer<EventDetail> {
    answer(&core, core.event_detail(event_id).await)
}

#[tauri::command]
pub fn open_maps(core: Core<'_>, event_id: Uuid) -> Answer<()> {
    answer(&core, core.open_maps(event_id))
}

#[tauri::command]
pub async fn create_order(
    core: Core<'_>,
    event_id: Uuid,
    lines: Vec<OrderLineInput>,
) -> Answer<OrderView> {
    answer(&core, core.create_order(event_id, lines).await)
}

#[tauri::command]
pub async fn pay_order(core: Core<'_>, order_id: Uuid, method: String) -> Answer<PayView> {
    answer(&core, core.pay_order(order_id, method).await)
}

#[tauri::command]
pub async fn get_order(core: Core<'_>, order_id: Uuid) -> Answer<OrderView> {
    answer(&core, core.order(order_id).await)
}

#[tauri::command]
pub async fn my_orders(core: Core<'_>) -> Answer<Vec<OrderView>> {
    answer(&core, core.my_orders().await)
}

#[tauri::command]
pub fn my_tickets(core: Core<'_>) -> Answer<Vec<MyTicket>> {
    answer(&core, core.my_tickets())
}

#[tauri::command]
pub fn ticket_qr(core: Core<'_>, ticket_id: Uuid) -> Answer<TicketQr> {
    answer(&core, core.ticket_qr(ticket_id))
}

#[tauri::command]
pub fn save_to_calendar(core: Core<'_>, ticket_id: Uuid) -> Answer<String> {
    answer(&core, core.save_to_calendar(ticket_id))
}

#[tauri::command]
pub async fn transfer_ticket(core: Core<'_>, ticket_id: Uuid, recipient: String) -> Answer<()> {
    answer(&core, core.transfer_ticket(ticket_id, &recipient).await)
}

// ---- Door ----

#[tauri::command]
pub fn door_events(core: Core<'_>) -> Answer<Vec<DoorEventChoice>> {
    answer(&core, core.door_events())
}

#[tauri::command]
pub async fn download_door_list(
    core: Core<'_>,
    organization_id: Uuid,
    event_id: Uuid,
) -> Answer<DoorCounts> {
    answer(
        &core,
        core.download_door_list(organization_id, event_id).await,
    )
}

#[tauri::command]
pub fn scan_ticket(
    core: Core<'_>,
    event_id: Uuid,
    text: String,
    gate: String,
    direction: Direction,
) -> Answer<ScanVerdict> {
    answer(&core, core.scan_ticket(event_id, &text, &gate, direction))
}

#[tauri::command]
pub fn door_counts(core: Core<'_>, event_id: Uuid) -> Answer<DoorCounts> {
    answer(&core, core.door_counts(event_id))
}

#[tauri::command]
pub fn door_conflicts(core: Core<'_>, event_id: Uuid) -> Answer<Vec<DoorConflict>> {
    answer(&core, core.door_conflicts(event_id))
}

/// A grey camera frame arrives as the raw request body (no JSON), its size in the
/// `x-frame-width` and `x-frame-height` headers.
#[tauri::command]
pub fn decode_frame(core: Core<'_>, request: tauri::ipc::Request<'_>) -> Answer<Vec<String>> {
    let size = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u32>().ok())
    };
    let frame = match (
        request.body(),
        size("x-frame-width"),
        size("x-frame-height"),
    ) {
        (tauri::ipc::InvokeBody::Raw(bytes), Some(width), Some(height)) => {
            core.decode_frame(width, height, bytes.clone())
        }
        _ => Err(AppError::Invalid { field: "frame" }),
    };
    answer(&core, frame)
}

// ---- Organizer and admin ----

#[tauri::command]
pub async fn org_events(core: Core<'_>, organization_id: Uuid) -> Answer<Vec<OrganizerEvent>> {
    answer(&core, core.org_events(organization_id).await)
}

#[tauri::command]
pub async fn create_event(
    core: Core<'_>,
    organization_id: Uuid,
    input: EventInput,
) -> Answer<OrganizerEvent> {
    answer(&core, core.create_event(organization_id, &input).await)
}

#[tauri::command]
pub async fn update_event(
    core: Core<'_>,
    organization_id: Uuid,
    event_id: Uuid,
    input: EventInput,
) -> Answer<OrganizerEvent> {
    answer(
        &core,
        core.update_event(organization_id, event_id, &input).await,
    )
}

#[tauri::command]
pub async fn submit_event(
    core: Core<'_>,
    organization_id: Uuid,
    event_id: Uuid,
) -> Answer<OrganizerEvent> {
    answer(&core, core.submit_event(organization_id, event_id).await)
}

#[tauri::command]
pub async fn members(core: Core<'_>, organization_id: Uuid) -> Answer<Vec<MemberView>> {
    answer(&core, core.members(organization_id).await)
}

#[tauri::command]
pub async fn invite_member(
    core: Core<'_>,
    organization_id: Uuid,
    email: String,
    role: OrgRole,
) -> Answer<()> {
    answer(
        &core,
        core.invite_member(organization_id, &email, role).await,
    )
}

#[tauri::command]
pub async fn event_analytics(
    core: Core<'_>,
    organization_id: Uuid,
    event_id: Uuid,
    query: AnalyticsQuery,
) -> Answer<EventAnalytics> {
    answer(
        &core,
        core.event_analytics(organization_id, event_id, &query)
            .await,
    )
}

#[tauri::command]
pub async fn export_csv(
    core: Core<'_>,
    organization_id: Uuid,
    event_id: Uuid,
    kind: String,
) -> Answer<String> {
    answer(
        &core,
        core.export_csv(organization_id, event_id, &kind).await,
    )
}

#[tauri::command]
pub async fn refund_order(
    core: Core<'_>,
    organization_id: Uuid,
    order_id: Uuid,
    reason: String,
) -> Answer<()> {
    answer(
        &core,
        core.refund_order(organization_id, order_id, &reason).await,
    )
}

#[tauri::command]
pub async fn decide_cliq(
    core: Core<'_>,
    organization_id: Uuid,
    order_id: Uuid,
    approve: bool,
) -> Answer<()> {
    answer(
        &core,
        core.decide_cliq(organization_id, order_id, approve).await,
    )
}

#[tauri::command]
pub async fn review_queue(core: Core<'_>) -> Answer<ReviewQueuePage> {
    answer(&core, core.review_queue().await)
}

#[tauri::command]
pub async fn approve_event(core: Core<'_>, event_id: Uuid) -> Answer<()> {
    answer(&core, core.approve_event(event_id).await)
}

#[tauri::command]
pub async fn reject_event(core: Core<'_>, event_id: Uuid, reason: String) -> Answer<()> {
    answer(&core, core.reject_event(event_id, &reason).await)
}
