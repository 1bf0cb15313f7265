//! Sign-in cost and per-request token checks (being written).
fn main() {}
