//! Accounts and sign-in: passwords, phone one-time codes, OpenID Connect, sessions.

pub mod oidc;
pub mod otp;
pub mod password;
pub mod phone;
pub mod tokens;
