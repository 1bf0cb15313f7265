//! The API contract as an OpenAPI 3.1 document, generated from the handlers' annotations and
//! served at `GET /api/v1/openapi.json`. `tests/openapi.rs` fails when a route of
//! `authz::ROUTES` is missing from it.

use super::{
    accounts, analytics, events, moderation, oidc, orders, organizer, orgs, payments, phone,
    search, sync, tickets,
};
use axum::Json;
use hafla_core::wire::ErrorBody;
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

const DESCRIPTION: &str = "\
Hafla's REST API: the public event catalog, accounts and sign-in, organizations, event \
authoring and its review by platform admins.

**Language.** Send `Accept-Language` (`ar` or `en`, q-values honoured); Arabic when absent or \
unsupported. Error messages (and `Content-Language`) follow it.

**Errors.** Every error answers with a JSON body `{code, message, details?}` (`ErrorBody`): \
`code` is a stable snake_case identifier to branch on (treat codes you do not know as \
`unknown`), `message` is meant for people and is in the caller's language, and `details`, \
when present, holds machine-readable specifics (which field, which rule). While the server \
cannot reach its database, routes that need it answer 503 `database_unavailable` with a \
`Retry-After` header: retry after that many seconds.

**Authentication.** Routes marked with the `bearer` security scheme need \
`Authorization: Bearer <access_token>`; tokens come from the sign-in routes and are renewed \
with `/api/v1/auth/refresh`. Without a valid token they answer 401 (`unauthenticated`, or \
`token_expired`), and 403 (`forbidden`) when the caller lacks the role. Other routes are public.

**Event life and edits.** An event is created as a `draft`, submitted (`pending_review`), \
then `published` or `rejected` (with a reason) by a platform admin; any event may be \
`cancelled`. Only published events are public. Edits carry the `version` they were made on \
(else `edit_conflict`). Draft, rejected and pending events are freely editable (a pending \
one stays pending). A published event stays published after cosmetic edits (titles, \
descriptions, tags, cover, new ticket types, more capacity, sales windows, per-order \
limits); an edit that changes what attendees paid for (start or end time, time zone, \
venue, an existing ticket type's price or entry policy, removing a ticket type or lowering \
a capacity) sends it back to `pending_review` until approved again (tickets already sold \
stay valid). Cancelled events cannot be edited (`event_cancelled`).";

/// The OpenAPI document of the API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hafla API",
        version = env!("CARGO_PKG_VERSION"),
        description = DESCRIPTION,
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    paths(
        events::list,
        events::detail,
        events::cover,
        search::search,
        accounts::register,
        accounts::login,
        accounts::refresh,
        accounts::verify_email,
        accounts::request_password_reset,
        accounts::confirm_password_reset,
        phone::send_code,
        phone::verify_code,
        oidc::providers,
        oidc::start,
        oidc::callback,
        accounts::logout,
        accounts::logout_all,
        accounts::me,
        orgs::create,
        orgs::get,
        orgs::members,
        orgs::invite,
        orgs::set_role,
        orgs::remove,
        orgs::transfer,
        orgs::set_admin,
        organizer::create,
        organizer::list,
        organizer::get,
        organizer::update,
        organizer::submit,
        organizer::cancel,
        organizer::reviews,
        organizer::upload_cover,
        organizer::cover_preview,
        moderation::queue,
        moderation::approve,
        moderation::reject,
        analytics::event,
        analytics::organization,
        analytics::export,
        analytics::platform,
        orders::create,
        orders::get,
        orders::mine,
        orders::cancel,
        payments::pay,
        payments::notify,
        payments::set_cliq,
        payments::decide_cliq,
        payments::refund,
        tickets::mine,
        tickets::transfer,
        tickets::credential,
        tickets::qr_svg,
        tickets::qr_png,
        tickets::rotate_key,
        sync::catalog,
        sync::me,
        sync::org,
        sync::door,
        sync::door_scans,
        sync::push,
        sync::hints,
        document,
    ),
    components(schemas(
        hafla_core::Bilingual,
        hafla_core::Lang,
        hafla_core::Money,
        hafla_core::Currency,
        hafla_core::places::City,
        hafla_core::places::GeoPoint,
        hafla_core::wire::Category,
        hafla_core::wire::Venue,
        hafla_core::wire::EventSummary,
        hafla_core::wire::EventPage,
        hafla_core::wire::EventHit,
        hafla_core::wire::EventSearchPage,
        hafla_core::wire::ErrorCode,
        hafla_core::wire::EventStatus,
        hafla_core::wire::EventInput,
        hafla_core::wire::TicketTypeInput,
        hafla_core::wire::TicketTypeView,
        hafla_core::wire::CoverUrls,
        hafla_core::wire::OrganizerEvent,
        hafla_core::wire::EventListItem,
        hafla_core::wire::ReviewQueuePage,
        hafla_core::wire::EventDetail,
        hafla_core::wire::ReviewAction,
        hafla_core::wire::EventReview,
        hafla_core::wire::RejectInput,
        hafla_core::wire::OrderStatus,
        hafla_core::wire::OrderInput,
        hafla_core::wire::OrderLineInput,
        hafla_core::wire::OrderLineView,
        hafla_core::wire::OrderView,
        hafla_core::wire::OrderList,
        hafla_core::wire::PayInput,
        hafla_core::wire::PayView,
        hafla_core::wire::CliqInstructions,
        hafla_core::wire::CliqAliasInput,
        hafla_core::wire::CliqDecision,
        hafla_core::wire::RefundInput,
        hafla_core::wire::RefundView,
        hafla_core::wire::TicketView,
        hafla_core::wire::TicketList,
        hafla_core::wire::TransferInput,
        hafla_core::wire::TicketCredential,
        hafla_core::door::verifier::EntryPolicy,
        hafla_core::door::verifier::Direction,
        hafla_core::door::verifier::ScanEffect,
        hafla_core::door::verifier::RevocationReason,
        hafla_core::door::ScanRecord,
        hafla_core::wire::sync::RowKind,
        hafla_core::wire::sync::SyncRow,
        hafla_core::wire::sync::ScopeDigest,
        hafla_core::wire::sync::SyncPage,
        hafla_core::wire::sync::DoorEvent,
        hafla_core::wire::sync::DoorTicketType,
        hafla_core::wire::sync::DoorKey,
        hafla_core::wire::sync::DoorTicket,
        hafla_core::wire::sync::DoorRevocation,
        hafla_core::wire::sync::ConflictKind,
        hafla_core::wire::sync::ScanPlace,
        hafla_core::wire::sync::DoorConflict,
        hafla_core::wire::sync::MyTicket,
        hafla_core::wire::sync::Mutation,
        hafla_core::wire::sync::MutationOp,
        hafla_core::wire::sync::PushRequest,
        hafla_core::wire::sync::MutationOutcome,
        hafla_core::wire::sync::MutationResult,
        hafla_core::wire::sync::PushAnswer,
        hafla_core::wire::sync::ScanPage,
        hafla_core::wire::sync::SyncHint,
        ErrorBody,
        hafla_core::wire::OrgRole,
        hafla_core::wire::accounts::RegisterRequest,
        hafla_core::wire::accounts::LoginRequest,
        hafla_core::wire::accounts::RefreshRequest,
        accounts::TokenRequest,
        accounts::ResetRequest,
        accounts::ResetConfirmRequest,
        hafla_core::wire::accounts::SessionTokens,
        hafla_core::wire::accounts::MembershipView,
        hafla_core::wire::accounts::MeView,
        hafla_core::wire::accounts::SendCodeRequest,
        hafla_core::wire::accounts::VerifyCodeRequest,
        hafla_core::wire::accounts::OidcProviders,
        hafla_core::wire::accounts::OidcStart,
        hafla_core::wire::accounts::CallbackRequest,
        hafla_core::wire::accounts::CreateOrgRequest,
        hafla_core::wire::accounts::OrgView,
        hafla_core::wire::accounts::MemberView,
        hafla_core::wire::accounts::InviteRequest,
        hafla_core::wire::accounts::InviteView,
        hafla_core::wire::accounts::RoleRequest,
        orgs::TransferRequest,
        orgs::AdminRequest,
    )),
    modifiers(&BearerScheme, &CommonErrors),
    tags(
        (name = "catalog", description = "Published events, for everyone"),
        (name = "auth", description = "Accounts, sign-in by email, SMS code or OpenID Connect, sessions"),
        (name = "organizations", description = "Organizations and the roles of their members"),
        (name = "events", description = "Organizers author events and submit them for review"),
        (name = "orders", description = "Buyers reserve tickets and follow their orders"),
        (name = "sync", description = "Offline copies: pulling scopes, pushing door scans, live hints"),
        (name = "analytics", description = "Sales, check-in and funnel figures for organizers and admins; CSV exports"),
        (name = "admin", description = "Platform administration"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` security scheme that signed-in routes name.
struct BearerScheme;

/// Adds the error answers every route shares, in one place instead of on each handler:
/// 500 everywhere; 503 (`database_unavailable`, with `Retry-After`) wherever the database is
/// used, which is everywhere but this document; 413, 415 and 422 where a JSON body is read;
/// 401 where a caller is needed. Handlers document only the errors particular to them (a
/// handler that does write one of these keeps its own, more specific description).
struct CommonErrors;

/// The one operation that answers without the database.
const WITHOUT_DATABASE: &str = "openapi_document";

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder, Type, header::HeaderBuilder};
        let error = |status: &str, description: &str| {
            let response = ResponseBuilder::new().description(description).content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            );
            let response = match status {
                "503" => response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(utoipa::openapi::schema::Object::with_type(Type::Integer))
                        .description(Some("Seconds to wait before trying again"))
                        .build(),
                ),
                _ => response,
            };
            response.build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let mut shared = vec![("500", "`internal`")];
                if operation.operation_id.as_deref() != Some(WITHOUT_DATABASE) {
                    shared.push((
                        "503",
                        "`database_unavailable`: try again after `Retry-After`",
                    ));
                }
                if operation.request_body.is_some() {
                    shared.extend([
                        ("413", "`payload_too_large`"),
                        ("415", "`unsupported_media_type`"),
                        ("422", "`invalid_body`"),
                    ]);
                }
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    shared.push(("401", "`unauthenticated` or `token_expired`"));
                }
                for (status, description) in shared {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error(status, description).into());
                }
            }
        }
    }
}

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The `access_token` of a sign-in; renew it with `/api/v1/auth/refresh`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// `GET /api/v1/openapi.json`: the API contract (built once).
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "openapi_document",
    tag = "meta",
    summary = "This OpenAPI 3.1 document",
    responses(
        (status = 200, description = "The OpenAPI document", body = Object,
            content_type = "application/json"),
    )
)]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    Json(DOCUMENT.get_or_init(ApiDoc::openapi).clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn operation_ids_are_unique() {
        let doc = ApiDoc::openapi();
        let mut seen = HashSet::new();
        for (path, item) in &doc.paths.paths {
            let ops = [
                &item.get,
                &item.put,
                &item.post,
                &item.delete,
                &item.options,
                &item.head,
                &item.patch,
                &item.trace,
            ];
            for op in ops.into_iter().flatten() {
                let id = op.operation_id.clone().unwrap_or_default();
                assert!(
                    seen.insert(id.clone()),
                    "{path}: duplicate operationId {id}"
                );
            }
        }
    }

    #[test]
    fn the_listing_limits_match_the_handler() {
        let json = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let params = json["paths"]["/api/v1/events"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!(limit["schema"]["maximum"], events::MAX_LIMIT);
        assert_eq!(limit["schema"]["default"], events::DEFAULT_LIMIT);
    }

    #[test]
    fn error_codes_are_a_snake_case_string_enum() {
        let json = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let schema = &json["components"]["schemas"]["ErrorCode"];
        assert_eq!(schema["type"], "string");
        let codes: Vec<&str> = schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let expected: Vec<String> = hafla_core::wire::ErrorCode::ALL
            .iter()
            .map(|c| {
                serde_json::to_value(c)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(codes, expected);
    }
}
