//! Organizations (businesses, venues, promoters) and their people. Permissions are in
//! `authz::ROUTES`; handlers only add rules about roles themselves (a manager cannot make
//! owners, nobody can leave an organization without its one owner).

use super::AppState;
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, Caller};
use crate::auth::phone::PhoneNumber;
use crate::mail::EmailAddress;
use crate::store::{Invite, NewOrganization, OrgRole};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hafla_core::Bilingual;
use hafla_core::wire::ErrorCode;
use hafla_core::wire::accounts::{
    CreateOrgRequest, InviteRequest, InviteView, MemberView, OrgView, RoleRequest,
};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The new owner, already a member; the old owner becomes a manager.
    user_id: Uuid,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminRequest {
    is_admin: bool,
}

/// `POST /api/v1/orgs`: the caller becomes its owner.
#[utoipa::path(
    post,
    path = "/api/v1/orgs",
    operation_id = "create_organization",
    tag = "organizations",
    summary = "Create an organization; the caller becomes its owner",
    request_body = CreateOrgRequest,
    responses(
        (status = 201, description = "Organization created", body = OrgView),
        (status = 400, description = "`malformed_json`", body = hafla_core::wire::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateOrgRequest>,
) -> Result<(StatusCode, Json<OrgView>), ApiError> {
    let name = Bilingual::new(body.name.ar, body.name.en)
        .map_err(|_| ApiError::invalid_body("name needs Arabic or English text"))?;
    let org = NewOrganization {
        id: Uuid::now_v7(),
        name,
    };
    state
        .store
        .create_organization(org.clone(), caller.user_id, jiff::Timestamp::now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(OrgView {
            id: org.id,
            name: org.name,
            your_role: Some(OrgRole::Owner),
        }),
    ))
}

/// `GET /api/v1/orgs/{org_id}`
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}",
    operation_id = "get_organization",
    tag = "organizations",
    summary = "An organization and the caller's role in it",
    params(("org_id" = Uuid, Path, description = "The organization")),
    responses(
        (status = 200, description = "The organization", body = OrgView),
        (status = 400, description = "`invalid_parameter` (`org_id` is not a UUID)", body = hafla_core::wire::ErrorBody),
        (status = 403, description = "`forbidden`: not a member (platform admins pass)", body = hafla_core::wire::ErrorBody),
        (status = 404, description = "`not_found`", body = hafla_core::wire::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org_id): ApiPath<Uuid>,
) -> Result<Json<OrgView>, ApiError> {
    let name = state
        .store
        .organization_name(org_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    // Platform admins may look at organizations they are not members of.
    let your_role = state.store.role_in(org_id, caller.user_id).await?;
    Ok(Json(OrgView {
        id: org_id,
        name,
        your_role,
    }))
}

/// `GET /api/v1/orgs/{org_id}/members`
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/members",
    operation_id = "list_members",
    tag = "organizations",
    summary = "The members of an organization",
    description = "For owners, managers and analysts (and platform admins).",
    params(("org_id" = Uuid, Path, description = "The organization")),
    responses(
        (status = 200, description = "Every member with their role", body = Vec<MemberView>),
        (status = 400, description = "`invalid_parameter` (`org_id` is not a UUID)", body = hafla_core::wire::ErrorBody),
        (status = 403, description = "`forbidden`: not an owner, manager or analyst of the organization", body = hafla_core::wire::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn members(
    State(state): State<AppState>,
    ApiPath(org_id): ApiPath<Uuid>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let members = state.store.members(org_id).await?;
    Ok(Json(
        members
            .into_iter()
            .map(|m| MemberView {
                user_id: m.user_id,
                role: m.role,
                display_name: m.display_name,
                email: m.email,
                phone: m.phone,
            })
            .collect(),
    ))
}

/// Owners may grant any role but owner (that is a transfer); managers may grant door staff
/// and analyst only.
async fn may_grant(
    state: &AppState,
    caller: &Caller,
    org_id: Uuid,
    role: OrgRole,
) -> Result<(), ApiError> {
    if role == OrgRole::Owner {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::OwnerRequired,
        ));
    }
    let mine = state.store.role_in(org_id, caller.user_id).await?;
    let allowed = caller.is_admin
        || mine == Some(OrgRole::Owner)
        || (mine == Some(OrgRole::Manager)
            && matches!(role, OrgRole::DoorStaff | OrgRole::Analyst));
    if allowed {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// `POST /api/v1/orgs/{org_id}/invites`: by email or phone; joins when that person signs up
/// or signs in.
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/invites",
    operation_id = "invite_member",
    tag = "organizations",
    summary = "Invite someone by email or phone",
    description = "The person joins with the role when they sign up or sign in with that email \
                   or phone number. Owners may grant any role but owner; managers may grant \
                   `door_staff` and `analyst`.",
    params(("org_id" = Uuid, Path, description = "The organization")),
    request_body = InviteRequest,
    responses(
        (status = 201, description = "Invitation created", body = InviteView),
        (status = 400, description = "`malformed_json`, `invalid_email`, or \
            `invalid_parameter` (`org_id` is not a UUID, or the phone number is invalid)",
            body = hafla_core::wire::ErrorBody),
        (status = 403, description = "`forbidden`: not an owner or manager, or a manager granting a role above theirs", body = hafla_core::wire::ErrorBody),
        (status = 409, description = "`owner_required`: the role is `owner`", body = hafla_core::wire::ErrorBody),
        (status = 422, description = "`invalid_body`, also when neither email nor phone is given",
            body = hafla_core::wire::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<InviteRequest>,
) -> Result<(StatusCode, Json<InviteView>), ApiError> {
    may_grant(&state, &caller, org_id, body.role).await?;
    let email = body
        .email
        .as_deref()
        .map(EmailAddress::parse)
        .transpose()
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidEmail))?;
    let phone = body
        .phone
        .as_deref()
        .map(PhoneNumber::parse)
        .transpose()
        .map_err(super::phone::phone_error)?;
    if email.is_none() && phone.is_none() {
        return Err(ApiError::invalid_body(
            "an invitation needs an email or a phone number",
        ));
    }
    let id = Uuid::now_v7();
    state
        .store
        .create_invite(Invite {
            id,
            organization_id: org_id,
            email: email.map(|e| e.as_str().to_owned()),
            phone: phone.map(|p| p.as_e164().to_owned()),
            role: body.role,
            invited_by: caller.user_id,
            created_at: jiff::Timestamp::now(),
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(InviteView {
            id,
            role: body.role,
        }),
    ))
}

/// `PUT /api/v1/orgs/{org_id}/members/{user_id}/role`
#[utoipa::path(
    put,
    path = "/api/v1/orgs/{org_id}/members/{user_id}/role",
    operation_id = "set_member_role",
    tag = "organizations",
    summary = "Change a member's role",
    description = "Not to or from `owner` (that is a transfer of ownership). Managers change \
                   only door staff and analysts.",
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("user_id" = Uuid, Path, description = "The member"),
    ),
    request_body = RoleRequest,
    responses(
        (status = 204, description = "Role changed"),
        (status = 400, description = "`malformed_json` or `invalid_parameter` (`org_id` is not a UUID)",
            body = hafla_core::wire::ErrorBody),
        (status = 403, description = "`forbidden`: not an owner or manager, or a manager changing a role above theirs", body = hafla_core::wire::ErrorBody),
        (status = 404, description = "`not_found`: not a member", body = hafla_core::wire::ErrorBody),
        (status = 409, description = "`owner_required`: the change would make or unmake the owner",
            body = hafla_core::wire::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org_id, user_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<RoleRequest>,
) -> Result<StatusCode, ApiError> {
    may_grant(&state, &caller, org_id, body.role).await?;
    let current = state
        .store
        .role_in(org_id, user_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    // A manager changes only the people a manager could have invited.
    may_grant(
        &state,
        &caller,
        org_id,
        if current == OrgRole::Owner {
            OrgRole::Manager
        } else {
            current
        },
    )
    .await?;
    state.store.set_role(org_id, user_id, body.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/orgs/{org_id}/members/{user_id}`
#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org_id}/members/{user_id}",
    operation_id = "remove_member",
    tag = "organizations",
    summary = "Remove a member",
    description = "The owner cannot be removed (transfer ownership first). Managers remove only \
                   door staff and analysts.",
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("user_id" = Uuid, Path, description = "The member"),
    ),
    responses(
        (status = 204, description = "Member removed"),
        (status = 400, description = "`invalid_parameter` (`org_id` is not a UUID)", body = hafla_core::wire::ErrorBody),
        (status = 403, description = "`forbidden`: not an owner or manager, or a manager removing someone above their role", body = hafla_core::wire::ErrorBody),
        (status = 404, description = "`not_found`: not a member", body = hafla_core::wire::ErrorBody),
        (status = 409, description = "`owner_required`: the member is the owner", body = hafla_core::wire::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org_id, user_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let current = state
        .store
        .role_in(org_id, user_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if current == OrgRole::Owner {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::OwnerRequired,
        ));
    }
    if user_id != caller.user_id {
        may_grant(&state, &caller, org_id, current).await?;
    }
    state.store.remove_member(org_id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/orgs/{org_id}/transfer-ownership`: the new owner must already be a member.
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/transfer-ownership",
    operation_id = "transfer_ownership",
    tag = "organizations",
    summary = "Make another member the owner",
    description = "The new owner must already be a member; the previous owner becomes a manager.",
    params(("org_id" = Uuid, Path, description = "The organization")),
    request_body = TransferRequest,
    responses(
        (status = 204, description = "Ownership transferred"),
        (status = 400, description = "`malformed_json` or `invalid_parameter` (`org_id` is not a UUID)",
            body = hafla_core::wire::ErrorBody),
        (status = 403, description = "`forbidden`: not the owner (platform admins pass)", body = hafla_core::wire::ErrorBody),
        (status = 404, description = "`not_found`: no such organization, or the person is not a member",
            body = hafla_core::wire::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn transfer(
    State(state): State<AppState>,
    ApiPath(org_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<TransferRequest>,
) -> Result<StatusCode, ApiError> {
    state.store.transfer_ownership(org_id, body.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/v1/admin/users/{user_id}/admin`
#[utoipa::path(
    put,
    path = "/api/v1/admin/users/{user_id}/admin",
    operation_id = "set_platform_admin",
    tag = "admin",
    summary = "Grant or revoke platform admin rights",
    description = "Takes effect at the person's next sign-in or token refresh (admin rights \
                   ride in the access token).",
    params(("user_id" = Uuid, Path, description = "The person")),
    request_body = AdminRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "`malformed_json`", body = hafla_core::wire::ErrorBody),
        (status = 403, description = "`forbidden`: not a platform admin", body = hafla_core::wire::ErrorBody),
        (status = 404, description = "`not_found`: no such person", body = hafla_core::wire::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_admin(
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<AdminRequest>,
) -> Result<StatusCode, ApiError> {
    state.store.set_admin(user_id, body.is_admin).await?;
    Ok(StatusCode::NO_CONTENT)
}
