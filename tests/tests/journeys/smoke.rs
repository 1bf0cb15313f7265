//! The app shows the demo catalog in English, then mirrors into Arabic.

use crate::ONE_AT_A_TIME;
use hafla_e2e::{AppSession, Harness, VirtualDisplay};

fn has_arabic(s: &str) -> bool {
    s.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_discover_screen_lists_demo_events_in_english_then_in_arabic_right_to_left() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut h = Harness::start().await.expect("harness");
    let app = &h.app;

    let titles = app.texts_of_all(".event-card .event-title").await.unwrap();
    assert!(
        titles.len() >= 20,
        "first page lists the demo events: {titles:?}"
    );
    assert!(
        titles.iter().all(|t| !t.is_empty() && !has_arabic(t)),
        "English titles: {titles:?}"
    );
    assert_eq!(
        app.attribute("html", "dir").await.unwrap().as_deref(),
        Some("ltr")
    );
    let heading = app.text_of(".discover h2").await.unwrap();
    assert_eq!(heading, "Discover events");
    app.screenshot("home-en").await.unwrap();

    app.click("#lang-switch").await.unwrap();
    let heading = app.text_of(".discover h2").await.unwrap();
    assert_eq!(heading, "اكتشف الفعاليات");
    assert_eq!(
        app.attribute("html", "dir").await.unwrap().as_deref(),
        Some("rtl")
    );
    assert_eq!(
        app.attribute("html", "lang").await.unwrap().as_deref(),
        Some("ar")
    );
    let titles = app.texts_of_all(".event-card .event-title").await.unwrap();
    assert!(
        titles.iter().all(|t| has_arabic(t)),
        "Arabic titles: {titles:?}"
    );
    app.screenshot("home-ar").await.unwrap();

    assert!(h.server.is_running());
    h.app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_said_plainly_instead_of_an_empty_screen() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let display = VirtualDisplay::start().await.expect("display");
    let closed = format!("http://127.0.0.1:{}", hafla_e2e::free_port().unwrap());
    let app = AppSession::start(&display, &closed).await.expect("app");

    app.text_of("#offline-badge").await.expect("offline badge");
    let code = app.attribute("#error-banner", "data-code").await.unwrap();
    assert_eq!(code.as_deref(), Some("server_unreachable"));
    let message = app
        .wait_text_contains("#error-banner p", "Can't reach the Hafla server")
        .await
        .unwrap();
    assert!(
        message.contains("Can't reach the Hafla server") && message.contains(&closed),
        "{message}"
    );
    app.screenshot("home-offline-en").await.unwrap();
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arabic_indic_digits_show_in_prices_once_chosen_and_are_remembered_after_a_restart() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = hafla_e2e::ServerProcess::start_demo()
        .await
        .expect("server");
    let display = VirtualDisplay::start().await.expect("display");
    let profile = hafla_e2e::Profile::new().expect("profile");
    let app = AppSession::start_with_profile(&display, server.url(), &profile)
        .await
        .expect("app");
    let arabic_indic = |s: &str| s.chars().any(|c| ('\u{0660}'..='\u{0669}').contains(&c));

    hafla_e2e::steps::use_language(&app, "ar").await.unwrap();
    let prices = app.texts_of_all(".event-card .event-price").await.unwrap();
    assert!(
        prices.iter().all(|p| !arabic_indic(p)),
        "Latin digits by default: {prices:?}"
    );
    app.click("#nav-account").await.unwrap();
    app.click("#settings-arabic-digits").await.unwrap();
    app.click("#nav-discover").await.unwrap();
    app.wait_for("prices with Arabic-Indic digits", || async {
        let prices = app.texts_of_all(".event-card .event-price").await.ok()?;
        prices.iter().any(|p| arabic_indic(p)).then_some(())
    })
    .await
    .expect("Arabic-Indic digits");
    app.screenshot("discover-ar-arabic-digits").await.unwrap();
    app.close().await.unwrap();

    let app = AppSession::start_with_profile(&display, server.url(), &profile)
        .await
        .expect("app again");
    let prices = app.texts_of_all(".event-card .event-price").await.unwrap();
    assert_eq!(
        app.attribute(".app", "data-lang").await.unwrap().as_deref(),
        Some("ar")
    );
    assert!(
        prices.iter().any(|p| arabic_indic(p)),
        "remembered: {prices:?}"
    );
    app.close().await.unwrap();
}
