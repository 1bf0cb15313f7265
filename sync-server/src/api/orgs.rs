//! Organizations (businesses, venues, promoters) and their people. Permissions are in
//! `authz::ROUTES`; handlers only add rules about roles themselves (a manager cannot make
//! owners, nobody can leave an organization without its one owner).

use super::AppState;
use super::error::ApiError;
use super::extract::{ApiJson, Caller};
use crate::auth::phone::PhoneNumber;
use crate::mail::EmailAddress;
use crate::store::{Invite, NewOrganization, OrgRole};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hafla_core::Bilingual;
use hafla_core::wire::ErrorCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOrgRequest {
    name: Bilingual,
}

#[derive(Serialize, Deserialize, Debug)]
pub struct OrgView {
    pub id: Uuid,
    pub name: Bilingual,
    pub your_role: Option<OrgRole>,
}

#[derive(Serialize, Deserialize, Debug)]
pub struct MemberView {
    pub user_id: Uuid,
    pub role: OrgRole,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    role: OrgRole,
}

#[derive(Serialize, Deserialize, Debug)]
pub struct InviteView {
    pub id: Uuid,
    pub role: OrgRole,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    role: OrgRole,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    user_id: Uuid,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminRequest {
    is_admin: bool,
}

/// `POST /api/v1/orgs`: the caller becomes its owner.
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
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<Uuid>,
) -> Result<Json<OrgView>, ApiError> {
    let memberships = state.store.memberships(caller.user_id).await?;
    let your_role = memberships
        .iter()
        .find(|m| m.organization_id == org_id)
        .map(|m| m.role);
    let members = state.store.members(org_id).await?;
    if members.is_empty() {
        return Err(ApiError::not_found());
    }
    let name = match memberships
        .into_iter()
        .find(|m| m.organization_id == org_id)
    {
        Some(m) => m.name,
        // An admin looking at someone else's organization: read the name via its owner.
        None => {
            let owner = members
                .iter()
                .find(|m| m.role == OrgRole::Owner)
                .ok_or_else(ApiError::not_found)?;
            state
                .store
                .memberships(owner.user_id)
                .await?
                .into_iter()
                .find(|m| m.organization_id == org_id)
                .map(|m| m.name)
                .ok_or_else(ApiError::not_found)?
        }
    };
    Ok(Json(OrgView {
        id: org_id,
        name,
        your_role,
    }))
}

/// `GET /api/v1/orgs/{org_id}/members`
pub async fn members(
    State(state): State<AppState>,
    Path(org_id): Path<Uuid>,
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
pub async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<Uuid>,
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
        .map_err(|e| ApiError::invalid_parameter("phone", e.to_string()))?;
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
pub async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, user_id)): Path<(Uuid, Uuid)>,
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
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, user_id)): Path<(Uuid, Uuid)>,
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
pub async fn transfer(
    State(state): State<AppState>,
    Path(org_id): Path<Uuid>,
    ApiJson(body): ApiJson<TransferRequest>,
) -> Result<StatusCode, ApiError> {
    state.store.transfer_ownership(org_id, body.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/v1/admin/users/{user_id}/admin`
pub async fn set_admin(
    State(state): State<AppState>,
    Path(user_id): Path<Uuid>,
    ApiJson(body): ApiJson<AdminRequest>,
) -> Result<StatusCode, ApiError> {
    state.store.set_admin(user_id, body.is_admin).await?;
    Ok(StatusCode::NO_CONTENT)
}
