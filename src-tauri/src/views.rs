//! What the shell hands the UI: plain serializable shapes, exported to TypeScript so the
//! UI's types cannot drift from these (`ui/src/bindings/`). Fields of hafla-core's types
//! name their generated binding with an inline `import("./X").X`.

use hafla_core::Bilingual;
use hafla_core::wire::{ErrorBody, EventSummary, OrgRole};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! exported {
    ($($item:item)*) => {$(
        #[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../../ui/src/bindings/"))]
        $item
    )*};
}

exported! {
    /// What the UI needs at start.
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct AppInfo {
        /// The language the person chose; `None` on first run (the UI then follows the system).
        #[cfg_attr(test, ts(type = "\"ar\" | \"en\" | null"))]
        pub lang: Option<hafla_core::Lang>,
        /// Show numbers with Arabic-Indic digits (٠١٢) in Arabic.
        pub arabic_digits: bool,
        pub server_url: String,
        pub version: String,
    }

    #[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
    pub struct Membership {
        pub organization_id: Uuid,
        #[cfg_attr(test, ts(type = "import(\"./Bilingual\").Bilingual"))]
        pub name: Bilingual,
        #[cfg_attr(test, ts(type = "import(\"./OrgRole\").OrgRole"))]
        pub role: OrgRole,
    }

    /// The signed-in person, kept on the device so the app knows who it is offline. The
    /// tokens are not here: they stay in the OS keyring.
    #[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
    pub struct Session {
        pub user_id: Uuid,
        pub display_name: String,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub is_admin: bool,
        pub organizations: Vec<Membership>,
    }

    /// Online, waiting uploads and the last sync problem; emitted as `sync-status`.
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct SyncStatus {
        pub online: bool,
        /// Changes and scans waiting to be sent.
        #[cfg_attr(test, ts(type = "number"))]
        pub pending: u64,
        /// The last sync round's error, null after a good one.
        #[cfg_attr(test, ts(type = "import(\"./ErrorBody\").ErrorBody | null"))]
        pub last_error: Option<ErrorBody>,
        /// Whether the catalog has been downloaded at least once.
        pub catalog_ready: bool,
    }

    #[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
    pub struct Point {
        pub lat: f64,
        pub lng: f64,
    }

    /// What Discover asks for; every part is optional but the limit.
    #[derive(Debug, Clone, Deserialize)]
    pub struct EventFilter {
        /// Arabic or English words; empty for everything.
        pub query: String,
        #[cfg_attr(test, ts(type = "import(\"./Category\").Category | null"))]
        pub category: Option<hafla_core::wire::Category>,
        #[cfg_attr(test, ts(type = "import(\"./City\").City | null"))]
        pub city: Option<hafla_core::places::City>,
        /// Sort by distance from here (device location or a chosen city's centre).
        pub near: Option<Point>,
        pub limit: u32,
    }

    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct EventCard {
        #[cfg_attr(test, ts(type = "import(\"./EventSummary\").EventSummary"))]
        pub event: EventSummary,
        pub distance_km: Option<f64>,
    }

    /// A ticket's QR code, drawn on the device.
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct TicketQr {
        pub svg: String,
        /// The code changes every this many seconds (rotating codes); `None` when it never does.
        pub refresh_secs: Option<u32>,
    }

    /// Rows of a door list downloaded so far; emitted as `door-progress`.
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct DoorProgress {
        pub event_id: Uuid,
        #[cfg_attr(test, ts(type = "number"))]
        pub done: u64,
        #[cfg_attr(test, ts(type = "number"))]
        pub total: u64,
    }

    /// An event this person may work the door of.
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct DoorEventChoice {
        pub organization_id: Uuid,
        #[cfg_attr(test, ts(type = "import(\"./EventSummary\").EventSummary"))]
        pub event: EventSummary,
        /// Whether its door list is on this device.
        pub downloaded: bool,
    }

    /// Green, amber or red at the door.
    #[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
    #[serde(rename_all = "snake_case")]
    pub enum Signal {
        Admit,
        Attention,
        Refuse,
    }

    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct ScanVerdict {
        /// Stable key, e.g. `admitted`, `already_admitted`, `bad_signature`, `revoked`.
        pub verdict: String,
        pub signal: Signal,
        /// In the chosen language, short enough to read at arm's length.
        pub message: String,
        pub ticket_serial: Option<u32>,
    }

    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct GateCounts {
        pub gate: String,
        #[cfg_attr(test, ts(type = "number"))]
        pub entered: u64,
        #[cfg_attr(test, ts(type = "number"))]
        pub exited: u64,
        #[cfg_attr(test, ts(type = "number"))]
        pub refused: u64,
    }

    /// The door's figures for one event, from what this device knows.
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct DoorCounts {
        #[cfg_attr(test, ts(type = "number"))]
        pub admitted: u64,
        #[cfg_attr(test, ts(type = "number"))]
        pub remaining: u64,
        #[cfg_attr(test, ts(type = "number"))]
        pub tickets: u64,
        #[cfg_attr(test, ts(type = "number"))]
        pub revoked: u64,
        #[cfg_attr(test, ts(type = "number"))]
        pub conflicts: u64,
        pub gates: Vec<GateCounts>,
        /// Scans waiting to be sent.
        #[cfg_attr(test, ts(type = "number"))]
        pub pending: u64,
        pub online: bool,
    }

    /// Where a `hafla://` link points; emitted as `open-link`.
    #[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
    #[serde(tag = "kind", content = "id", rename_all = "snake_case")]
    pub enum LinkRoute {
        Event(Uuid),
        Ticket(Uuid),
    }
}
