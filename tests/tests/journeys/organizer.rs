//! An organizer writes an event in both languages in the app and submits it; a platform
//! admin approves it from the app's queue; an attendee's search then finds it.

use crate::ONE_AT_A_TIME;
use hafla_e2e::api::PASSWORD;
use hafla_e2e::steps::{Cast, admin_and_organizer, sign_in, wait_for_card};
use hafla_e2e::{Api, AppSession, ServerProcess, VirtualDisplay};

/// Tomorrow at `hour`:00 in Amman, as a `datetime-local` value.
fn tomorrow_in_amman(hour: i8) -> String {
    let tomorrow = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Asia/Amman").expect("Amman zone"))
        .date()
        .tomorrow()
        .expect("a tomorrow");
    format!("{tomorrow}T{hour:02}:00")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organizer_submits_a_bilingual_event_an_admin_approves_it_and_attendees_find_it() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = ServerProcess::start_demo().await.expect("server");
    let api = Api::new(server.url());
    let Cast {
        admin_email,
        organizer_email,
        ..
    } = admin_and_organizer(&server, &api, "ليالي اللويبدة", "Weibdeh Nights")
        .await
        .expect("an admin and an organizer");

    let display = VirtualDisplay::start().await.expect("display");
    let app = AppSession::start(&display, server.url())
        .await
        .expect("app");
    sign_in(&app, &organizer_email, PASSWORD)
        .await
        .expect("organizer signs in");

    // The organizer writes the event, Arabic and English side by side.
    app.click("#nav-organizer")
        .await
        .expect("organizer screen offered");
    app.click("#event-new").await.unwrap();
    let fields = [
        ("#event-title-ar", "أمسية قانون في اللويبدة"),
        ("#event-title-en", "Qanun evening in Weibdeh"),
        (
            "#event-description-ar",
            "عازفة قانون وضيوفها في بيت قديم على درج الكلحة.",
        ),
        (
            "#event-description-en",
            "A qanun player and her guests in an old house on the Kalha stairs.",
        ),
        ("#event-venue-ar", "بيت الكلحة"),
        ("#event-venue-en", "Kalha House"),
        ("#event-address-ar", "درج الكلحة، اللويبدة"),
        ("#event-address-en", "Kalha Stairs, Weibdeh"),
    ];
    for (css, text) in fields {
        app.type_into(css, text).await.unwrap();
    }
    assert_eq!(
        app.attribute("#event-title-ar", "dir")
            .await
            .unwrap()
            .as_deref(),
        Some("rtl")
    );
    assert_eq!(
        app.attribute("#event-title-en", "dir")
            .await
            .unwrap()
            .as_deref(),
        Some("ltr")
    );
    app.set_value("#event-start", &tomorrow_in_amman(20))
        .await
        .unwrap();
    app.set_value("#event-end", &tomorrow_in_amman(23))
        .await
        .unwrap();
    let row = ".tt-row[data-index='0']";
    app.type_into(&format!("{row} .tt-name-ar"), "دخول عام")
        .await
        .unwrap();
    app.type_into(&format!("{row} .tt-name-en"), "General admission")
        .await
        .unwrap();
    app.type_into(&format!("{row} .tt-price"), "7.5")
        .await
        .unwrap();
    app.set_value(&format!("{row} .tt-capacity"), "80")
        .await
        .unwrap();
    app.click("#event-submit").await.unwrap();
    app.wait_present("#event-submitted")
        .await
        .expect("submitted for review");
    let event_id = app
        .attribute("#event-form", "data-event-id")
        .await
        .unwrap()
        .expect("the saved event's id");
    assert_eq!(
        app.attribute("#event-form", "data-status")
            .await
            .unwrap()
            .as_deref(),
        Some("pending_review")
    );
    app.screenshot("journey-organizer-submitted").await.unwrap();

    // The admin approves it from the queue.
    sign_in(&app, &admin_email, PASSWORD)
        .await
        .expect("admin signs in");
    app.click("#nav-admin").await.expect("admin screen offered");
    app.click(&format!(
        ".review-item[data-event-id='{event_id}'] .approve"
    ))
    .await
    .expect("the event waits in the queue");
    app.wait_present("#review-done").await.expect("approved");
    let published = api.event(&event_id).await.expect("published on the server");
    assert_eq!(published["ticket_types"][0]["price"]["minor"], 7500);

    // An attendee's search finds it, in Arabic and in English, once the catalog synced.
    app.click("#nav-discover").await.unwrap();
    app.type_into("#search-input", "قانون").await.unwrap();
    wait_for_card(&app, "قانون", &event_id)
        .await
        .expect("found in Arabic");
    app.set_value("#search-input", "").await.unwrap();
    app.type_into("#search-input", "qanun").await.unwrap();
    wait_for_card(&app, "qanun", &event_id)
        .await
        .expect("found in English");
    app.screenshot("journey-organizer-found").await.unwrap();
    app.close().await.unwrap();
}
