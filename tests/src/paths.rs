//! Where the built binaries and the test outputs are.

use std::path::PathBuf;

/// The cargo profile folder this test binary was built into (`target/debug`), which also
/// holds `hafla-server` and `hafla-app` when the workspace was built.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/debug/deps/<test-binary>
    exe.parent()
        .and_then(|deps| deps.parent())
        .map(PathBuf::from)
        .expect("test binary lives in target/<profile>/deps")
}

/// A binary of the workspace, e.g. `hafla-server`.
pub fn workspace_binary(name: &str) -> PathBuf {
    profile_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// `target/e2e-shots/`, where journeys save screenshots (created on demand).
pub fn screenshot_dir() -> PathBuf {
    let dir = profile_dir()
        .parent()
        .map(|target| target.join("e2e-shots"))
        .expect("profile dir has a parent");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A program on PATH or in cargo's bin folder.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}
