//! hafla-app: the Tauri shell. It opens the local store, registers [`shell::AppCore`] as
//! state and forwards UI commands to it; all behaviour lives in `shell` and `hafla-core`.

mod commands;
pub mod shell;

use tauri::Manager;

/// The server the app talks to unless `HAFLA_SERVER_URL` says otherwise.
pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:8080";

/// The app, generic over the runtime so tests and `run` share one setup.
pub fn builder<R: tauri::Runtime>() -> tauri::Builder<R> {
    tauri::Builder::<R>::new()
        .setup(|app| {
            let data_dir = app.path().app_data_dir()?;
            std::fs::create_dir_all(&data_dir)?;
            let server_url =
                std::env::var("HAFLA_SERVER_URL").unwrap_or_else(|_| DEFAULT_SERVER_URL.to_owned());
            app.manage(shell::AppCore::open(&data_dir, server_url)?);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::set_language,
            commands::list_events,
        ])
}

/// Entry point of the desktop binary and of the iOS/Android libraries.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    if let Err(e) = builder::<tauri::Wry>().run(tauri::generate_context!()) {
        eprintln!("hafla-app: {e}");
        std::process::exit(1);
    }
}
