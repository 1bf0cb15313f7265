//! The real app in a WebKit window, driven over WebDriver through tauri-driver.

use crate::{HarnessError, VirtualDisplay, free_port, paths, wait_until};
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// Run by `sh -c` inside `dbus-run-session`: unlocks (or creates) the profile's login
/// keyring with a fixed password, then becomes the program given as `$0`.
const KEYRING_SESSION: &str = r#"eval "$(printf hafla | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null && exec "$0" "$@""#;

/// How long a journey waits for something to appear on screen.
pub const UI_TIMEOUT: Duration = Duration::from_secs(30);

/// The app's folders (HOME, data, config, cache) and what it handed to the "browser". Keep
/// one across [`AppSession::start_with_profile`] calls to restart the app on the same data.
pub struct Profile {
    dir: tempfile::TempDir,
}

impl Profile {
    /// An empty profile, with a `BROWSER` program that only writes down the URLs it is given.
    pub fn new() -> Result<Profile, HarnessError> {
        let dir = tempfile::tempdir()?;
        let script = dir.path().join("browser.sh");
        let log = dir.path().join("opened-urls.txt");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", log.display()),
        )?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
        Ok(Profile { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn browser(&self) -> PathBuf {
        self.dir.path().join("browser.sh")
    }

    /// The URLs the app opened in the "system browser", oldest first.
    pub fn opened_urls(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("opened-urls.txt"))
            .map(|s| s.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

/// One app instance with a profile (data, config, cache) and a WebDriver session.
pub struct AppSession {
    pub client: Client,
    driver: Child,
    own_profile: Option<Profile>,
}

impl Drop for AppSession {
    /// Ends tauri-driver's whole process group, so no WebKitWebDriver or app outlives a
    /// failed journey (an orphan would also hold the test's output pipe open).
    fn drop(&mut self) {
        if let Some(pid) = self.driver.id() {
            // SAFETY: kill(2) with a negative pid signals the group we created at spawn.
            unsafe {
                libc::kill(-(pid as i32), libc::SIGKILL);
            }
        }
    }
}

impl AppSession {
    /// Launches the app on `display` with a new empty profile, configured to talk to the
    /// server at `server_url`.
    pub async fn start(
        display: &VirtualDisplay,
        server_url: &str,
    ) -> Result<AppSession, HarnessError> {
        let profile = Profile::new()?;
        let mut app = Self::launch(display, server_url, &profile, &[]).await?;
        app.own_profile = Some(profile);
        Ok(app)
    }

    /// Launches the app as the OS does for a link (`hafla://event/{id}`): the link is its
    /// argument. A new empty profile.
    pub async fn start_with_link(
        display: &VirtualDisplay,
        server_url: &str,
        link: &str,
    ) -> Result<AppSession, HarnessError> {
        let profile = Profile::new()?;
        let mut app = Self::launch(display, server_url, &profile, &[link]).await?;
        app.own_profile = Some(profile);
        Ok(app)
    }

    /// Launches the app on an existing profile: a restart keeps its data and session.
    pub async fn start_with_profile(
        display: &VirtualDisplay,
        server_url: &str,
        profile: &Profile,
    ) -> Result<AppSession, HarnessError> {
        Self::launch(display, server_url, profile, &[]).await
    }

    /// The profile this session made for itself (none when it was given one).
    pub fn profile(&self) -> Option<&Profile> {
        self.own_profile.as_ref()
    }

    async fn launch(
        display: &VirtualDisplay,
        server_url: &str,
        profile: &Profile,
        args: &[&str],
    ) -> Result<AppSession, HarnessError> {
        let application = paths::workspace_binary("hafla-app");
        if !application.is_file() {
            return Err(HarnessError::Start {
                what: "hafla-app".into(),
                reason: format!(
                    "{} is missing (build the workspace first)",
                    application.display()
                ),
            });
        }
        let driver_path: PathBuf = std::env::var_os("TAURI_DRIVER")
            .map(PathBuf::from)
            .or_else(|| paths::find_program("tauri-driver"))
            .ok_or_else(|| HarnessError::Start {
                what: "tauri-driver".into(),
                reason: "not found on PATH or in ~/.cargo/bin (cargo install tauri-driver --version ^2 --locked)".into(),
            })?;
        let (port, native_port) = (free_port()?, free_port()?);
        // The app inherits this environment through tauri-driver and WebKitWebDriver.
        let driver_args = [
            "--port".to_owned(),
            port.to_string(),
            "--native-port".to_owned(),
            native_port.to_string(),
        ];
        // The app keeps its refresh token in the OS keyring (Secret Service): give it a
        // private D-Bus session with an unlocked gnome-keyring whose keyrings live in the
        // profile, so a restart on the same profile finds the token again.
        let runtime = profile.path().join("runtime");
        std::fs::create_dir_all(&runtime)?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700))?;
        }
        let mut command = match (
            paths::find_program("dbus-run-session"),
            paths::find_program("gnome-keyring-daemon"),
        ) {
            (Some(dbus), Some(_)) => {
                let mut c = Command::new(dbus);
                c.args(["--", "sh", "-c", KEYRING_SESSION])
                    .arg(&driver_path)
                    .args(&driver_args);
                c
            }
            _ => {
                let mut c = Command::new(&driver_path);
                c.args(&driver_args);
                c
            }
        };
        let driver = command
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("DISPLAY", display.name())
            .env("HAFLA_SERVER_URL", server_url)
            .env("HOME", profile.path())
            .env("XDG_DATA_HOME", profile.path().join("data"))
            .env("XDG_CONFIG_HOME", profile.path().join("config"))
            .env("XDG_CACHE_HOME", profile.path().join("cache"))
            .env("BROWSER", profile.browser())
            .env("LANG", "en_US.UTF-8")
            .env("LANGUAGE", "en_US")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            // Its own process group, so Drop can end WebKitWebDriver and the app with it.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| HarnessError::Start {
                what: "tauri-driver".into(),
                reason: e.to_string(),
            })?;
        let webdriver_url = format!("http://127.0.0.1:{port}");
        wait_until("tauri-driver", Duration::from_secs(20), || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
                .map(|_| ())
        })
        .await?;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": application, "args": args }),
        );
        let client = ClientBuilder::native()
            .capabilities(capabilities)
            .connect(&webdriver_url)
            .await
            .map_err(|e| HarnessError::WebDriver(e.to_string()))?;
        Ok(AppSession {
            client,
            driver,
            own_profile: None,
        })
    }

    /// Like [`wait_until`] for the UI; on a timeout it saves a screenshot of what was shown.
    pub async fn wait_for<T, F, Fut>(&self, what: &str, check: F) -> Result<T, HarnessError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        self.wait_longer(what, UI_TIMEOUT, check).await
    }

    /// [`Self::wait_for`] with its own timeout (e.g. for a sync round after an outage).
    pub async fn wait_longer<T, F, Fut>(
        &self,
        what: &str,
        timeout: Duration,
        check: F,
    ) -> Result<T, HarnessError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let result = wait_until(what, timeout, check).await;
        if result.is_err() {
            let name: String = what
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            if let Ok(path) = self.screenshot(&format!("timeout-{name}")).await {
                eprintln!(
                    "timed out waiting for {what}; the window is in {}",
                    path.display()
                );
            }
        }
        result
    }

    async fn element(&self, css: &str) -> Result<fantoccini::elements::Element, HarnessError> {
        self.wait_for(css, || async {
            self.client.find(Locator::Css(css)).await.ok()
        })
        .await
    }

    /// Waits until an element matching `css` exists and returns its text.
    pub async fn text_of(&self, css: &str) -> Result<String, HarnessError> {
        self.wait_for(css, || async {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            element.text().await.ok()
        })
        .await
    }

    /// The texts of every element matching `css`, once at least one exists.
    pub async fn texts_of_all(&self, css: &str) -> Result<Vec<String>, HarnessError> {
        self.wait_for(css, || async {
            let elements = self.client.find_all(Locator::Css(css)).await.ok()?;
            if elements.is_empty() {
                return None;
            }
            let mut texts = Vec::with_capacity(elements.len());
            for e in elements {
                texts.push(e.text().await.ok()?);
            }
            Some(texts)
        })
        .await
    }

    /// An attribute of the first element matching `css`.
    pub async fn attribute(&self, css: &str, name: &str) -> Result<Option<String>, HarnessError> {
        self.element(css)
            .await?
            .attr(name)
            .await
            .map_err(|e| HarnessError::WebDriver(e.to_string()))
    }

    /// Whether an element matching `css` is there now (no waiting).
    pub async fn exists(&self, css: &str) -> bool {
        self.client
            .find_all(Locator::Css(css))
            .await
            .is_ok_and(|found| !found.is_empty())
    }

    /// Waits until an element matching `css` exists.
    pub async fn wait_present(&self, css: &str) -> Result<(), HarnessError> {
        self.element(css).await.map(|_| ())
    }

    /// Waits until `css` has attribute `name` equal to `expected`; returns the element's text.
    pub async fn wait_attribute(
        &self,
        css: &str,
        name: &str,
        expected: &str,
    ) -> Result<String, HarnessError> {
        self.wait_for(&format!("{css}[{name}={expected}]"), || async {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            let value = element.attr(name).await.ok()??;
            if value == expected {
                element.text().await.ok()
            } else {
                None
            }
        })
        .await
    }

    /// Waits until the text of `css` contains `needle`; returns the whole text.
    pub async fn wait_text_contains(
        &self,
        css: &str,
        needle: &str,
    ) -> Result<String, HarnessError> {
        self.wait_for(&format!("{css} containing {needle}"), || async {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            let text = element.text().await.ok()?;
            text.contains(needle).then_some(text)
        })
        .await
    }

    /// Types into `css` as a keyboard (or a wedge scanner) would; `\n` presses Enter.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<(), HarnessError> {
        let keys: String = text
            .chars()
            .map(|c| if c == '\n' { '\u{E007}' } else { c })
            .collect();
        self.element(css)
            .await?
            .send_keys(&keys)
            .await
            .map_err(|e| HarnessError::WebDriver(e.to_string()))
    }

    /// Sets an input's or select's value the way a picker does (for date pickers and
    /// selects, which have no reliable typing), firing `input` and `change`.
    pub async fn set_value(&self, css: &str, value: &str) -> Result<(), HarnessError> {
        self.element(css).await?;
        let script = "const e = document.querySelector(arguments[0]);
            const proto = e instanceof HTMLSelectElement ? HTMLSelectElement.prototype
                : e instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype
                : HTMLInputElement.prototype;
            Object.getOwnPropertyDescriptor(proto, 'value').set.call(e, arguments[1]);
            e.dispatchEvent(new Event('input', { bubbles: true }));
            e.dispatchEvent(new Event('change', { bubbles: true }));
            return true;";
        self.client
            .execute(script, vec![css.into(), value.into()])
            .await
            .map(|_| ())
            .map_err(|e| HarnessError::WebDriver(e.to_string()))
    }

    /// Runs a script in the page and returns its value.
    pub async fn execute(
        &self,
        script: &str,
        args: Vec<serde_json::Value>,
    ) -> Result<serde_json::Value, HarnessError> {
        self.client
            .execute(script, args)
            .await
            .map_err(|e| HarnessError::WebDriver(e.to_string()))
    }

    /// The id of the focused element.
    pub async fn focused_id(&self) -> Result<String, HarnessError> {
        let id = self
            .execute(
                "return document.activeElement ? document.activeElement.id : '';",
                vec![],
            )
            .await?;
        Ok(id.as_str().unwrap_or_default().to_owned())
    }

    /// Clicks the first element matching `css` once it is there and can take the click
    /// (tried again while it is covered, moving, or being replaced by a re-render).
    pub async fn click(&self, css: &str) -> Result<(), HarnessError> {
        let last_error = std::sync::Mutex::new(String::new());
        let clicked = self
            .wait_for(&format!("{css} to take a click"), || async {
                let element = self.client.find(Locator::Css(css)).await.ok()?;
                match element.click().await {
                    Ok(()) => Some(()),
                    Err(e) => {
                        *last_error.lock().unwrap_or_else(|p| p.into_inner()) = e.to_string();
                        None
                    }
                }
            })
            .await;
        let last_error = last_error.into_inner().unwrap_or_else(|p| p.into_inner());
        clicked.map_err(|e| match e {
            HarnessError::Timeout { .. } if !last_error.is_empty() => {
                HarnessError::WebDriver(format!("clicking {css}: {last_error}"))
            }
            other => other,
        })
    }

    /// Saves a PNG of the window as `target/e2e-shots/<name>.png` and returns its path.
    /// It first waits for fonts and two animation frames, so the shot shows the current DOM.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf, HarnessError> {
        let settle = "const done = arguments[arguments.length - 1];
            document.fonts.ready.then(() =>
                requestAnimationFrame(() => requestAnimationFrame(() => done(true))));";
        self.client
            .execute_async(settle, vec![])
            .await
            .map_err(|e| HarnessError::WebDriver(e.to_string()))?;
        // WebKit composites on its own thread; give it a beat after the frame is produced.
        tokio::time::sleep(Duration::from_millis(250)).await;
        let png = self
            .client
            .screenshot()
            .await
            .map_err(|e| HarnessError::WebDriver(e.to_string()))?;
        let path = paths::screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Ends the WebDriver session, which closes the app.
    pub async fn close(self) -> Result<(), HarnessError> {
        self.client
            .clone()
            .close()
            .await
            .map_err(|e| HarnessError::WebDriver(e.to_string()))
    }
}
