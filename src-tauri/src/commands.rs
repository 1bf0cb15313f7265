//! The Tauri commands the UI may call. Each forwards to [`AppCore`]; errors cross to the
//! UI as `{code, message}` so it can branch on the code.

use crate::shell::{AppCore, AppInfo};
use hafla_core::Lang;
use hafla_core::wire::{ErrorBody, EventPage};
use tauri::State;

#[tauri::command]
pub fn app_info(core: State<'_, AppCore>) -> Result<AppInfo, ErrorBody> {
    core.info()
}

#[tauri::command]
pub fn set_language(core: State<'_, AppCore>, lang: Lang) -> Result<(), ErrorBody> {
    core.set_language(lang)
}

#[tauri::command]
pub async fn list_events(core: State<'_, AppCore>, offset: u32) -> Result<EventPage, ErrorBody> {
    core.list_events(offset).await
}
