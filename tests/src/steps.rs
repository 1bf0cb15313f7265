//! Steps the journeys and the app bench share: accounts, signing in through the app's own
//! screens, and waiting for the server to learn what the app did.

use crate::{AppSession, HarnessError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An email address no other journey (or earlier run on the same server) uses.
pub fn unique_email(who: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{who}-{nanos}@example.jo")
}

/// Signs in with email and password on the Account screen (signing out first if needed).
pub async fn sign_in(app: &AppSession, email: &str, password: &str) -> Result<(), HarnessError> {
    app.click("#nav-account").await?;
    app.wait_for("the account screen", || async {
        (app.exists("#signout").await || app.exists("#signin-email").await).then_some(())
    })
    .await?;
    if app.exists("#signout").await {
        app.click("#signout").await?;
    }
    app.click("#tab-email").await?;
    app.type_into("#signin-email", email).await?;
    app.type_into("#signin-password", password).await?;
    app.click("#signin-submit").await?;
    app.wait_present("#account").await
}

/// Creates an account on the Account screen's register form.
pub async fn register_in_app(
    app: &AppSession,
    name: &str,
    email: &str,
    password: &str,
) -> Result<(), HarnessError> {
    app.click("#nav-account").await?;
    app.click("#tab-email").await?;
    app.click("#signin-mode").await?;
    app.type_into("#signin-name", name).await?;
    app.type_into("#signin-email", email).await?;
    app.type_into("#signin-password", password).await?;
    app.click("#signin-submit").await?;
    app.wait_present("#account").await
}

/// Switches the interface to `lang` ("ar" or "en") if it is not shown in it already.
pub async fn use_language(app: &AppSession, lang: &str) -> Result<(), HarnessError> {
    // `.app` exists once the UI has started (index.html alone says lang="ar").
    let current = app.attribute(".app", "data-lang").await?;
    if current.as_deref() != Some(lang) {
        app.click("#lang-switch").await?;
        app.wait_attribute(".app", "data-lang", lang).await?;
    }
    Ok(())
}

/// How long a journey waits for a sync round (after an outage, a review, a purchase).
pub const SYNC_TIMEOUT: Duration = Duration::from_secs(90);

/// Waits until the Discover results for `query` show `.event-card[data-event-id=…]`.
pub async fn wait_for_card(
    app: &AppSession,
    query: &str,
    event_id: &str,
) -> Result<(), HarnessError> {
    let css =
        format!("#discover-results[data-query='{query}'] .event-card[data-event-id='{event_id}']");
    app.wait_longer(&css, SYNC_TIMEOUT, || async {
        app.exists(&css).await.then_some(())
    })
    .await
}

/// A platform admin and an organizer with an organization, made through the server's API
/// (both sign in with [`crate::api::PASSWORD`]).
pub struct Cast {
    pub admin_email: String,
    pub admin_token: String,
    pub organizer_email: String,
    pub organizer_token: String,
    pub org: String,
}

/// Sets up a [`Cast`] whose organization is named `org_ar` / `org_en` (also the
/// organizer's display name, in English).
pub async fn admin_and_organizer(
    server: &crate::ServerProcess,
    api: &crate::Api,
    org_ar: &str,
    org_en: &str,
) -> Result<Cast, HarnessError> {
    use crate::api::PASSWORD;
    let admin_email = unique_email("admin");
    server.create_admin(&admin_email, PASSWORD).await?;
    let admin_token = api.login(&admin_email, PASSWORD).await?;
    let organizer_email = unique_email("organizer");
    let organizer_token = api.register(&organizer_email, org_en).await?;
    let org = api.create_org(&organizer_token, org_ar, org_en).await?;
    Ok(Cast {
        admin_email,
        admin_token,
        organizer_email,
        organizer_token,
        org,
    })
}

/// An organizer with an organization and a published event (approved by a platform admin),
/// all made through the server's API.
pub struct Scene {
    pub organizer_email: String,
    pub organizer_token: String,
    pub org: String,
    pub event: String,
    pub ticket_type: String,
}

/// Sets up a [`Scene`] whose event starts in two hours (so its tickets admit now) and has
/// one free ticket type.
pub async fn scene_with_published_event(
    server: &crate::ServerProcess,
    api: &crate::Api,
    title_ar: &str,
    title_en: &str,
) -> Result<Scene, HarnessError> {
    use crate::api::{event_input, string_at};
    let Cast {
        admin_token,
        organizer_email,
        organizer_token,
        org,
        ..
    } = admin_and_organizer(server, api, "سهرة لايف", "Sahra Live").await?;
    let event = api
        .create_event(
            &organizer_token,
            &org,
            event_input(title_ar, title_en, 2, 0),
        )
        .await?;
    let event_id = string_at(&event, "/id")?;
    let ticket_type = string_at(&event, "/ticket_types/0/id")?;
    api.submit_event(&organizer_token, &org, &event_id).await?;
    api.approve_event(&admin_token, &event_id).await?;
    Ok(Scene {
        organizer_email,
        organizer_token,
        org,
        event: event_id,
        ticket_type,
    })
}

/// `buyer_token` gets one (free) ticket of the scene's event; returns its id and QR text.
pub async fn ticket_for(
    api: &crate::Api,
    scene: &Scene,
    buyer_token: &str,
) -> Result<(String, String), HarnessError> {
    use crate::api::string_at;
    let order = api
        .create_order(buyer_token, &scene.event, &scene.ticket_type, 1)
        .await?;
    let order_id = string_at(&order, "/id")?;
    let paid = api.pay(buyer_token, &order_id, "sandbox").await?;
    let status = string_at(&paid, "/order/status")?;
    if status != "paid" {
        return Err(HarnessError::Api(format!(
            "free order not paid at once: {paid}"
        )));
    }
    let tickets = api.my_tickets(buyer_token).await?;
    let ticket = tickets
        .iter()
        .find(|t| t["order_id"].as_str() == Some(order_id.as_str()))
        .ok_or_else(|| HarnessError::Api(format!("no ticket of order {order_id}: {tickets:?}")))?;
    let ticket_id = string_at(ticket, "/id")?;
    let text = api.credential_text(buyer_token, &ticket_id).await?;
    Ok((ticket_id, text))
}

/// Admissions the server counts for the scene's event (scans in at any gate).
pub async fn admissions_on_server(api: &crate::Api, scene: &Scene) -> Result<u64, HarnessError> {
    let analytics = api
        .event_analytics(&scene.organizer_token, &scene.org, &scene.event)
        .await?;
    Ok(analytics["gates"]
        .as_array()
        .map(|gates| {
            gates
                .iter()
                .filter(|g| g["direction"] == "in")
                .filter_map(|g| g["scans"].as_u64())
                .sum()
        })
        .unwrap_or(0))
}

/// A new door-staff account of the scene's organization (invited, then registered),
/// signed in on a new app; returns the app and the account's email.
pub async fn door_staff_app(
    api: &crate::Api,
    scene: &Scene,
    display: &crate::VirtualDisplay,
    server_url: &str,
) -> Result<(AppSession, String), HarnessError> {
    let email = unique_email("door");
    api.invite(&scene.organizer_token, &scene.org, &email, "door_staff")
        .await?;
    api.register(&email, "Omar at the gate").await?;
    let app = AppSession::start(display, server_url).await?;
    sign_in(&app, &email, crate::api::PASSWORD).await?;
    Ok((app, email))
}

/// Picks the event on the Door screen and downloads its door list; returns the progress
/// bar's rows done and total once the download finished.
pub async fn download_door_list(
    app: &AppSession,
    event_id: &str,
) -> Result<(u64, u64), HarnessError> {
    app.click("#nav-door").await?;
    app.click(&format!(".door-event[data-event-id='{event_id}'] input"))
        .await?;
    app.click("#door-download").await?;
    app.wait_longer("the door list downloaded", SYNC_TIMEOUT, || async {
        if !app.exists("#door-download-done").await {
            return None;
        }
        let done = app.attribute("#door-progress", "data-done").await.ok()??;
        let total = app.attribute("#door-progress", "data-total").await.ok()??;
        Some((done.parse::<u64>().ok()?, total.parse::<u64>().ok()?))
    })
    .await
}
