//! What a person waits for in the app, measured in the real app in a real WebKit window:
//!
//! * **start to "my tickets"**, offline: from launching the app (the WebDriver session
//!   request, which starts it) to the ticket's QR code drawn on the My tickets screen,
//!   with the server stopped. The in-page share (from the page's own start) is shown too.
//! * **door scan, Enter to verdict**: from the Enter key of a wedge scanner to the verdict
//!   in the DOM plus two animation frames (the frame that shows it), measured inside the
//!   page; the server is stopped, as at a door without a network.
//!
//! `npm --prefix ui run build && cargo build --release --workspace && cargo bench -p
//! hafla-e2e --bench app_latency`: a bench runs the release binaries, as people get them.
//! `HAFLA_BENCH_STARTS` (default 10) app starts, `HAFLA_BENCH_SCANS` (default 200) scans.

use hafla_e2e::api::PASSWORD;
use hafla_e2e::app::Profile;
use hafla_e2e::steps::{
    door_staff_app, download_door_list, scene_with_published_event, sign_in, ticket_for,
    unique_email,
};
use hafla_e2e::{Api, AppSession, ServerProcess, VirtualDisplay};
use std::time::{Duration, Instant};

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(what: &str, mut ms: Vec<f64>) {
    if std::env::var_os("HAFLA_BENCH_VERBOSE").is_some() {
        println!("{what}: {ms:?}");
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "{what}: n={} p50={:.1} ms p99={:.1} ms min={:.1} ms max={:.1} ms",
        ms.len(),
        percentile(&ms, 50.0),
        percentile(&ms, 99.0),
        ms[0],
        ms[ms.len() - 1]
    );
}

/// Records, inside the page, the time from each Enter in the scan input to the frame that
/// shows the verdict it produced.
const INSTRUMENT_SCANS: &str = "
    window.__scans = { t0: null, times: [] };
    const input = document.querySelector('#scan-input');
    input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') window.__scans.t0 = performance.now();
    }, true);
    new MutationObserver(() => {
        const s = window.__scans;
        if (s.t0 === null || !document.querySelector('#verdict')) return;
        const t0 = s.t0;
        s.t0 = null;
        requestAnimationFrame(() => requestAnimationFrame(() => s.times.push(performance.now() - t0)));
    }).observe(document.body, { subtree: true, childList: true, attributes: true,
        attributeFilter: ['data-verdict'] });
    return true;";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let starts = env_count("HAFLA_BENCH_STARTS", 10);
    let scans = env_count("HAFLA_BENCH_SCANS", 200);
    let mut server = ServerProcess::start_demo().await.expect("server");
    let api = Api::new(server.url());
    let scene = scene_with_published_event(&server, &api, "ليلة قياس", "Measuring night")
        .await
        .expect("scene");
    let holder_email = unique_email("holder");
    let holder = api.register(&holder_email, "Layla").await.expect("holder");
    let (ticket, qr_text) = ticket_for(&api, &scene, &holder).await.expect("ticket");
    let display = VirtualDisplay::start().await.expect("display");

    // The holder's device: signed in once, the ticket synced; then the server goes away.
    let profile = Profile::new().expect("profile");
    let app = AppSession::start_with_profile(&display, server.url(), &profile)
        .await
        .expect("app");
    sign_in(&app, &holder_email, PASSWORD)
        .await
        .expect("sign in");
    app.click("#nav-tickets").await.unwrap();
    let qr = format!(".ticket-card[data-ticket-id='{ticket}'] .ticket-qr svg");
    app.wait_longer("the ticket synced", Duration::from_secs(90), || async {
        app.exists(&qr).await.then_some(())
    })
    .await
    .expect("ticket on the device");
    app.close().await.unwrap();
    server.stop().await.expect("server stopped");

    let mut wall = Vec::with_capacity(starts);
    let mut in_page = Vec::with_capacity(starts);
    for _ in 0..starts {
        let t0 = Instant::now();
        let app = AppSession::start_with_profile(&display, server.url(), &profile)
            .await
            .expect("app");
        app.click("#nav-tickets").await.unwrap();
        app.wait_present(&qr).await.expect("QR shown offline");
        wall.push(t0.elapsed().as_secs_f64() * 1000.0);
        let page = app
            .execute("return performance.now();", vec![])
            .await
            .unwrap();
        in_page.push(page.as_f64().unwrap_or(f64::NAN));
        app.close().await.unwrap();
    }
    report(
        "app start to my tickets shown, offline (launch to QR)",
        wall,
    );
    report("  of which in the page (page start to QR)", in_page);

    // A door device: door staff download the list, then scan with the server gone.
    server.start_again().await.expect("server back");
    let api = Api::new(server.url());
    let (door, _) = door_staff_app(&api, &scene, &display, server.url())
        .await
        .expect("door staff signed in");
    download_door_list(&door, &scene.event)
        .await
        .expect("door list");
    door.type_into("#door-gate", "Bench").await.unwrap();
    door.click("#door-start").await.unwrap();
    door.wait_present("#scan-input").await.unwrap();
    server.stop().await.expect("server stopped");
    door.execute(INSTRUMENT_SCANS, vec![]).await.unwrap();
    // Two texts in turn, so every verdict changes the screen: the real ticket (admitted,
    // then already admitted) and a code that is not a ticket.
    let texts = [qr_text.as_str(), "HF:NOT-A-TICKET"];
    for i in 0..scans {
        door.type_into("#scan-input", &format!("{}\n", texts[i % 2]))
            .await
            .unwrap();
        door.wait_for("the verdict", || async {
            let n = door
                .execute("return window.__scans.times.length;", vec![])
                .await
                .ok()?;
            (n.as_u64()? as usize > i).then_some(())
        })
        .await
        .expect("verdict shown");
    }
    let times = door
        .execute("return window.__scans.times;", vec![])
        .await
        .unwrap();
    let ms: Vec<f64> = times
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
        .unwrap_or_default();
    report("door scan, Enter to verdict on screen (offline)", ms);
    door.close().await.unwrap();
}
