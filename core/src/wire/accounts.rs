//! The shapes of accounts, sessions and organizations: signing up and in (by email and
//! password, SMS code or OpenID Connect), the signed-in person, and the people of an
//! organization.
//!
//! Requests that carry a secret (a password, a one-time code, a refresh token) have no
//! `Debug`, and `SessionTokens` prints its tokens redacted, so no secret reaches a log.

use super::OrgRole;
use crate::bilingual::{Bilingual, Lang};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A new account by email and password.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[cfg_attr(feature = "openapi", schema(example = "layla@example.jo"))]
    pub email: String,
    /// 10 to 256 characters, not a common password, not containing the email.
    #[cfg_attr(feature = "openapi", schema(format = Password))]
    pub password: String,
    /// Shown to organizers and door staff; trimmed and cut to 100 characters.
    #[serde(default)]
    pub display_name: String,
    /// Language of the account's emails; Arabic when absent.
    #[serde(default)]
    pub lang: Option<Lang>,
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[cfg_attr(feature = "openapi", schema(example = "layla@example.jo"))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(format = Password))]
    pub password: String,
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// A signed-in session: a short-lived access token and the refresh token that renews it.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionTokens {
    /// A JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    #[cfg_attr(feature = "openapi", schema(example = "Bearer"))]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single use: `POST /api/v1/auth/refresh` trades it for a new pair.
    pub refresh_token: String,
}

/// Redacts both tokens: whoever holds one is signed in as the person.
impl fmt::Debug for SessionTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionTokens")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &"<redacted>")
            .finish()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct MembershipView {
    pub organization_id: Uuid,
    pub name: Bilingual,
    pub role: OrgRole,
}

/// The signed-in person and the organizations they belong to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct MeView {
    pub id: Uuid,
    pub email: Option<String>,
    pub email_verified: bool,
    pub phone: Option<String>,
    pub display_name: String,
    pub lang: Lang,
    pub is_admin: bool,
    pub organizations: Vec<MembershipView>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendCodeRequest {
    /// A Jordanian mobile number, local or international form.
    #[cfg_attr(feature = "openapi", schema(example = "0791234567"))]
    pub phone: String,
    /// Language of the SMS (defaults to Arabic).
    #[serde(default)]
    pub lang: Option<Lang>,
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VerifyCodeRequest {
    #[cfg_attr(feature = "openapi", schema(example = "0791234567"))]
    pub phone: String,
    /// The 6 digits of the SMS.
    #[cfg_attr(feature = "openapi", schema(example = "123456"))]
    pub code: String,
}

/// The OpenID Connect providers this server signs in with, for the app's buttons.
#[derive(Clone, Serialize, Deserialize, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OidcProviders {
    /// Provider names as `…/oidc/{provider}/start` takes them, sorted, e.g. `["google"]`.
    pub providers: Vec<String>,
}

/// Where to send the person, and the state to post back with the code.
#[derive(Clone, Serialize, Deserialize, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OidcStart {
    /// The provider's sign-in page; open it in the system browser.
    #[cfg_attr(feature = "openapi", schema(format = "uri"))]
    pub authorization_url: String,
    pub state: String,
}

/// The `state` and `code` the provider put on the redirect.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CallbackRequest {
    pub state: String,
    pub code: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateOrgRequest {
    pub name: Bilingual,
}

#[derive(Clone, Serialize, Deserialize, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgView {
    pub id: Uuid,
    pub name: Bilingual,
    /// The caller's role; `null` for a platform admin who is not a member.
    pub your_role: Option<OrgRole>,
}

#[derive(Clone, Serialize, Deserialize, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct MemberView {
    pub user_id: Uuid,
    pub role: OrgRole,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Who to invite (an email, a phone number or both) and with which role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "omar@example.jo"))]
    pub email: Option<String>,
    /// A Jordanian mobile number, local or international form.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "+962791234567"))]
    pub phone: Option<String>,
    /// Not `owner` (ownership is transferred); managers may grant `door_staff` and `analyst`.
    pub role: OrgRole,
}

#[derive(Clone, Serialize, Deserialize, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteView {
    pub id: Uuid,
    pub role: OrgRole,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    pub role: OrgRole,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tokens_never_print_their_tokens() {
        let tokens = SessionTokens {
            access_token: "eyJhbGciOi.secret-access".into(),
            token_type: "Bearer".into(),
            expires_in: 900,
            refresh_token: "secret-refresh".into(),
        };
        let printed = format!("{tokens:?} {tokens:#?}");
        assert!(!printed.contains("secret"), "{printed}");
        assert!(printed.contains("900"), "{printed}");
    }

    #[test]
    fn requests_refuse_fields_they_do_not_know() {
        let login = r#"{"email":"a@b.jo","password":"x","remember":true}"#;
        assert!(serde_json::from_str::<LoginRequest>(login).is_err());
        let register: RegisterRequest =
            serde_json::from_str(r#"{"email":"a@b.jo","password":"x"}"#).unwrap();
        assert_eq!((register.display_name.as_str(), register.lang), ("", None));
    }

    #[test]
    fn roles_use_their_snake_case_keys_on_the_wire() {
        for role in OrgRole::ALL {
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                format!("\"{}\"", role.key())
            );
            assert_eq!(OrgRole::from_key(role.key()), Some(role));
        }
        assert_eq!(OrgRole::DoorStaff.key(), "door_staff");
    }
}
