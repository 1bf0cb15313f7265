//! Every main screen in English and in Arabic, saved as `target/e2e-shots/<screen>-<lang>.png`
//! for people to look at (layout, right-to-left mirroring, fonts).

use crate::ONE_AT_A_TIME;
use hafla_e2e::api::{PASSWORD, event_input, string_at};
use hafla_e2e::steps::{
    SYNC_TIMEOUT, scene_with_published_event, sign_in, ticket_for, use_language, wait_for_card,
};
use hafla_e2e::{Api, AppSession, ServerProcess, VirtualDisplay};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_main_screen_is_photographed_in_english_and_in_arabic() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = ServerProcess::start_demo().await.expect("server");
    let api = Api::new(server.url());
    // One person who organizes, administers the platform and holds a ticket, so every
    // screen has something to show.
    let scene = scene_with_published_event(
        &server,
        &api,
        "حفلة عود في جبل عمّان",
        "Oud concert in Jabal Amman",
    )
    .await
    .expect("scene");
    server
        .create_admin(&scene.organizer_email, PASSWORD)
        .await
        .expect("the organizer is an admin too");
    let token = api
        .login(&scene.organizer_email, PASSWORD)
        .await
        .expect("login");
    let (_ticket, qr_text) = ticket_for(&api, &scene, &token).await.expect("ticket");
    let waiting = api
        .create_event(
            &token,
            &scene.org,
            event_input("ليلة زجل في السلط", "Zajal night in Salt", 48, 5000),
        )
        .await
        .expect("second event");
    let waiting = string_at(&waiting, "/id").unwrap();
    api.submit_event(&token, &scene.org, &waiting)
        .await
        .expect("submitted");

    let display = VirtualDisplay::start().await.expect("display");
    let app = AppSession::start(&display, server.url())
        .await
        .expect("app");

    for lang in ["en", "ar"] {
        use_language(&app, lang).await.unwrap();
        app.click("#nav-account").await.unwrap();
        app.wait_present("#signin-email").await.unwrap();
        app.screenshot(&format!("signin-{lang}")).await.unwrap();
    }
    sign_in(&app, &scene.organizer_email, PASSWORD)
        .await
        .expect("sign in");

    for lang in ["en", "ar"] {
        use_language(&app, lang).await.unwrap();

        app.click("#nav-discover").await.unwrap();
        app.type_into("#search-input", "Jabal Amman").await.unwrap();
        wait_for_card(&app, "Jabal Amman", &scene.event)
            .await
            .expect("the event in the catalog");
        let card = format!(".event-card[data-event-id='{}']", scene.event);
        app.screenshot(&format!("discover-{lang}")).await.unwrap();

        app.click(&card).await.unwrap();
        app.wait_present("#buy-button")
            .await
            .expect("ticket types online");
        app.screenshot(&format!("event-{lang}")).await.unwrap();

        app.click("#nav-tickets").await.unwrap();
        let qr = ".ticket-card .ticket-qr svg";
        app.wait_longer(qr, SYNC_TIMEOUT, || async {
            app.exists(qr).await.then_some(())
        })
        .await
        .expect("my ticket");
        app.screenshot(&format!("tickets-{lang}")).await.unwrap();

        app.click("#nav-door").await.unwrap();
        app.click(&format!(
            ".door-event[data-event-id='{}'] input",
            scene.event
        ))
        .await
        .expect("the organizer's event at the door");
        app.click("#door-download").await.unwrap();
        app.wait_present("#door-download-done")
            .await
            .expect("door list");
        app.click("#door-start").await.unwrap();
        app.type_into("#scan-input", &format!("{qr_text}\n"))
            .await
            .unwrap();
        app.wait_present("#verdict").await.expect("a verdict");
        app.screenshot(&format!("door-{lang}")).await.unwrap();

        app.click("#nav-organizer").await.unwrap();
        app.click("#org-tab-events").await.unwrap();
        app.click("#event-new").await.unwrap();
        app.type_into("#event-title-ar", "أمسية موشحات")
            .await
            .unwrap();
        app.type_into("#event-title-en", "Muwashshah evening")
            .await
            .unwrap();
        app.screenshot(&format!("organizer-{lang}")).await.unwrap();
        app.click("#event-cancel-edit").await.unwrap();

        app.click(&format!(
            ".org-event[data-event-id='{}'] .dashboard",
            scene.event
        ))
        .await
        .unwrap();
        app.wait_present("#chart-sales").await.expect("dashboard");
        app.screenshot(&format!("dashboard-{lang}")).await.unwrap();

        app.click("#nav-admin").await.unwrap();
        app.wait_present(&format!(".review-item[data-event-id='{waiting}']"))
            .await
            .expect("the queue");
        app.screenshot(&format!("admin-{lang}")).await.unwrap();
    }
    // A phone-sized window (360 px wide), still in Arabic.
    app.client
        .set_window_size(360, 780)
        .await
        .expect("window resized");
    app.click("#nav-discover").await.unwrap();
    app.wait_present(".event-card").await.unwrap();
    let overflow = app
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow.as_i64().unwrap_or(0) <= 0,
        "no sideways scrolling at 360 px: {overflow}"
    );
    app.screenshot("discover-ar-phone").await.unwrap();
    app.click("#nav-tickets").await.unwrap();
    app.wait_present(".ticket-card .ticket-qr svg")
        .await
        .unwrap();
    app.screenshot("tickets-ar-phone").await.unwrap();
    app.close().await.unwrap();
}
