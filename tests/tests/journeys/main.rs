//! Whole-system journeys: each starts the real server and the real app in a real window.
//! They run one at a time (each brings up its own display and WebKit, heavy on 2 cores).

mod attendee;
mod door;
mod organizer;
mod organizer_tools;
mod refunds_and_reviews;
mod screenshots;
mod signin;
mod smoke;

use tokio::sync::Mutex;

/// Serialises journeys inside this test binary.
pub static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());
