# Shared set-up for scripts/run.sh and scripts/test.sh: installs what is missing, never
# re-installs what is there. Sourced, not run.

# Packages to build the app (WebKitGTK and friends) and to test it (Xvfb, WebKitWebDriver).
BUILD_PACKAGES=(build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev)
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver)

step() { printf '\n==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_apt_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    step "installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
}

ensure_node() {
  if ! command -v npm >/dev/null 2>&1; then
    ensure_apt_packages nodejs npm
  fi
}

# ensure_cargo_tool BINARY CRATE VERSION
ensure_cargo_tool() {
  local bin=$1 crate=$2 version=$3
  if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/$bin" ]; then
    step "installing $crate $version"
    cargo install "$crate" --version "$version" --locked
  fi
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
}

# Installs the UI's npm packages when package-lock.json changed since the last install.
ensure_ui_packages() {
  if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    step "installing UI packages"
    (cd ui && npm ci --no-audit --no-fund)
  fi
}

# Test peers that speak real protocols: an SMTP server (aiosmtpd) and an OpenID Connect
# provider (oauth2-mock-server).
ensure_test_peers() {
  if ! python3 -c "import aiosmtpd" >/dev/null 2>&1; then
    step "installing aiosmtpd (a real SMTP server for the mail tests)"
    python3 -m pip install --quiet "aiosmtpd==1.4.6"
  fi
  local mock=sync-server/tests/support/oidc-mock
  if [ ! -f "$mock/node_modules/.package-lock.json" ] || [ "$mock/package-lock.json" -nt "$mock/node_modules/.package-lock.json" ]; then
    step "installing oauth2-mock-server (a real OIDC provider for the sign-in tests)"
    npm ci --prefix "$mock" --no-audit --no-fund
  fi
}

build_ui() {
  step "building the UI"
  (cd ui && npm run --silent build)
}

target_dir() {
  echo "${CARGO_TARGET_DIR:-$PWD/target}"
}
