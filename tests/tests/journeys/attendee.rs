//! An attendee finds an event in Arabic, buys a ticket through the sandbox's hosted page,
//! and still has the ticket and its QR code when the app restarts with the server gone.

use crate::ONE_AT_A_TIME;
use hafla_e2e::api::PASSWORD;
use hafla_e2e::steps::{SYNC_TIMEOUT, register_in_app, unique_email, wait_for_card};
use hafla_e2e::{Api, AppSession, Profile, ServerProcess, VirtualDisplay};
use serde_json::Value;

/// A published demo event with "عود" (oud) in its Arabic title and a paid ticket type on
/// sale now: its id and that ticket type's id.
async fn an_oud_event_on_sale(api: &Api) -> (String, String) {
    let now = jiff::Timestamp::now();
    let on_sale = |tt: &Value| {
        let after = |key: &str| {
            tt[key]
                .as_str()
                .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                .is_none_or(|at| at <= now)
        };
        let before_end = tt["sales_end"]
            .as_str()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .is_none_or(|at| at > now);
        tt["price"]["minor"].as_i64().unwrap_or(0) > 0 && after("sales_start") && before_end
    };
    for hit in api.search("عود").await.expect("search") {
        let id = hit["event"]["id"].as_str().unwrap_or_default().to_owned();
        let detail = api.event(&id).await.expect("event detail");
        if !detail["title"]["ar"]
            .as_str()
            .unwrap_or_default()
            .contains("عود")
        {
            continue;
        }
        let types = detail["ticket_types"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if let Some(tt) = types.iter().find(|tt| on_sale(tt)) {
            return (id, tt["id"].as_str().unwrap_or_default().to_owned());
        }
    }
    panic!("the demo catalog has no oud event with a paid ticket type on sale");
}

/// Draws the QR `<svg>` named by the first argument on a canvas, turns it grey and hands the
/// frame to the shell's `decode_frame`, as the door's camera does; answers the texts found.
const READ_QR_ON_SCREEN: &str = "
    const done = arguments[arguments.length - 1];
    const svg = document.querySelector(arguments[0]);
    const image = new Image();
    image.onerror = () => done('the QR drawing did not load as an image');
    image.onload = async () => {
        const size = 400;
        const canvas = document.createElement('canvas');
        canvas.width = size;
        canvas.height = size;
        const g = canvas.getContext('2d');
        g.fillStyle = '#fff';
        g.fillRect(0, 0, size, size);
        g.drawImage(image, 40, 40, size - 80, size - 80);
        const rgba = g.getImageData(0, 0, size, size).data;
        const luma = new Uint8Array(size * size);
        for (let i = 0, j = 0; j < luma.length; i += 4, j++) {
            luma[j] = (rgba[i] * 77 + rgba[i + 1] * 150 + rgba[i + 2] * 29) >> 8;
        }
        try {
            done(await window.__TAURI_INTERNALS__.invoke('decode_frame', luma, {
                headers: { 'x-frame-width': String(size), 'x-frame-height': String(size) },
            }));
        } catch (e) {
            done(String(e && e.message || e));
        }
    };
    image.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg.outerHTML);";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attendee_searches_in_arabic_buys_a_ticket_and_still_sees_its_qr_offline_after_a_restart()
 {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut server = ServerProcess::start_demo().await.expect("server");
    let display = VirtualDisplay::start().await.expect("display");
    let profile = Profile::new().expect("profile");
    let api = Api::new(server.url());
    let (event_id, ticket_type) = an_oud_event_on_sale(&api).await;

    let app = AppSession::start_with_profile(&display, server.url(), &profile)
        .await
        .expect("app");
    let email = unique_email("rania");
    register_in_app(&app, "رانيا العمري", &email, PASSWORD)
        .await
        .expect("register");

    // Search the device's catalog in Arabic.
    app.click("#nav-discover").await.unwrap();
    app.type_into("#search-input", "عود").await.unwrap();
    wait_for_card(&app, "عود", &event_id)
        .await
        .expect("the oud event is found");
    let titles = app.texts_of_all(".event-card .event-title").await.unwrap();
    assert!(titles.iter().all(|t| !t.is_empty()), "{titles:?}");
    app.click(&format!(".event-card[data-event-id='{event_id}']"))
        .await
        .unwrap();

    // Buy one ticket with the sandbox's "card" page.
    app.wait_attribute("#event-page", "data-event-id", &event_id)
        .await
        .unwrap();
    app.set_value(&format!("#qty-{ticket_type}"), "1")
        .await
        .unwrap();
    app.click("#buy-button").await.unwrap();
    app.wait_present("#order-summary")
        .await
        .expect("order reserved");
    app.click("#pay-method-sandbox").await.unwrap();
    app.click("#pay-button").await.unwrap();
    let page = app
        .wait_for("the sandbox page opened in the browser", || async {
            profile
                .opened_urls()
                .into_iter()
                .find(|u| u.contains("/sandbox/pay/"))
        })
        .await
        .expect("the shell opened the hosted payment page with $BROWSER");
    app.wait_present("#payment-waiting").await.unwrap();
    api.approve_on_sandbox_page(&page)
        .await
        .expect("approve on the sandbox page");

    // Paid: My tickets shows the ticket with its QR code.
    let card = ".ticket-card .ticket-qr svg";
    app.wait_longer(card, SYNC_TIMEOUT, || async {
        app.exists(card).await.then_some(())
    })
    .await
    .expect("the ticket with its QR code");
    let ticket_id = app
        .attribute(".ticket-card", "data-ticket-id")
        .await
        .unwrap()
        .expect("ticket id");
    assert_eq!(
        app.attribute(".ticket-card", "data-valid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    app.screenshot("journey-attendee-ticket-online")
        .await
        .unwrap();
    app.close().await.unwrap();
    let token = api.login(&email, PASSWORD).await.expect("token");
    let credential = api
        .credential_text(&token, &ticket_id)
        .await
        .expect("the credential the server issued");

    // The server goes away; the app starts again on the same profile.
    server.stop().await.expect("server stopped");
    let app = AppSession::start_with_profile(&display, server.url(), &profile)
        .await
        .expect("app again");
    app.wait_present("#offline-badge")
        .await
        .expect("offline badge");
    app.click("#nav-tickets").await.unwrap();
    let offline_card = format!(".ticket-card[data-ticket-id='{ticket_id}'] .ticket-qr svg");
    app.wait_present(&offline_card)
        .await
        .expect("the ticket and its QR code, offline");
    let svg = app
        .execute(
            "return document.querySelector(arguments[0]).outerHTML.length;",
            vec![offline_card.clone().into()],
        )
        .await
        .unwrap();
    assert!(svg.as_u64().unwrap_or(0) > 200, "a real QR drawing: {svg}");
    // What the screen shows is the credential: read back through the door's camera path
    // (a grey frame, sent as raw bytes to the shell and decoded there).
    let read = app
        .client
        .execute_async(READ_QR_ON_SCREEN, vec![offline_card.clone().into()])
        .await
        .expect("the QR read back");
    assert_eq!(read, serde_json::json!([credential]));
    app.screenshot("journey-attendee-ticket-offline")
        .await
        .unwrap();
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_event_link_opens_the_app_on_that_event_page() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = ServerProcess::start_demo().await.expect("server");
    let api = Api::new(server.url());
    let (event_id, _) = an_oud_event_on_sale(&api).await;
    let display = VirtualDisplay::start().await.expect("display");
    let app =
        AppSession::start_with_link(&display, server.url(), &format!("hafla://event/{event_id}"))
            .await
            .expect("app opened by the link");
    app.wait_attribute("main", "data-route", "event")
        .await
        .expect("the event page, not Discover");
    app.wait_attribute("#event-page", "data-event-id", &event_id)
        .await
        .unwrap();
    let title = app.text_of("#event-title").await.unwrap();
    assert!(title.contains("Oud") || title.contains("عود"), "{title}");
    app.click("#share").await.unwrap();
    let link = app.text_of("#share-link").await.unwrap();
    assert_eq!(link, format!("hafla://event/{event_id}"));
    app.screenshot("journey-link-event").await.unwrap();
    app.close().await.unwrap();
}
