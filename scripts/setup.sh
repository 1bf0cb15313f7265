# Shared set-up for scripts/run.sh and scripts/test.sh: installs what is missing, never
# re-installs what is there. Sourced, not run.

# Packages to build the app (WebKitGTK and friends) and to test it (Xvfb, WebKitWebDriver).
BUILD_PACKAGES=(build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev)
# The keyring test runs a real Secret Service (gnome-keyring on a private D-Bus); deep-link
# registration writes a .desktop handler with xdg-utils.
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver dbus-daemon gnome-keyring xdg-utils desktop-file-utils)

step() { printf '\n==> %s\n' "$*"; }

# Node's TLS uses its own CA list; where the system's bundle has extra roots (a proxy's),
# npm needs them too.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi

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
    (cd ui && npm ci --no-audit --no-fund --prefer-offline)
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
    npm ci --prefix "$mock" --no-audit --no-fund --prefer-offline
  fi
}

# A PostgreSQL server for the PostgreSQL store's tests, on 127.0.0.1: uses one that is
# running, else starts an installed cluster, else installs PostgreSQL and starts it. Then
# makes sure the test role exists (hafla/hafla, CREATEDB: each test creates and drops its
# own database), that pg_createcluster is there (the outage test makes a cluster of its
# own) and exports HAFLA_TEST_DATABASE_URL.
ensure_postgres() {
  local port=5432
  if ! pg_isready -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
    if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
      ensure_apt_packages postgresql
    fi
    # The first cluster listed (version, name, port); the package's postinst made one.
    local version name
    read -r version name port _ < <(pg_lsclusters -h | head -n 1)
    if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
      step "starting PostgreSQL $version/$name on port $port"
      as_root pg_ctlcluster "$version" "$name" start
    fi
    local waited=0
    until pg_isready -q -h 127.0.0.1 -p "$port"; do
      if [ "$waited" -ge 30 ]; then
        echo "PostgreSQL $version/$name did not answer on 127.0.0.1:$port within 30 s" >&2
        return 1
      fi
      sleep 1
      waited=$((waited + 1))
    done
  fi
  # As the postgres superuser over the local socket (peer authentication). A server run by
  # someone else (no local postgres account) must already have the role.
  local psql=(as_root runuser -u postgres -- psql -X -q -p "$port" -d postgres -v ON_ERROR_STOP=1)
  if id postgres >/dev/null 2>&1 &&
    [ "$( (cd / && "${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'hafla'") )" != "1" ]; then
    step "creating the PostgreSQL test role hafla"
    (cd / && "${psql[@]}" -c "CREATE ROLE hafla LOGIN PASSWORD 'hafla' CREATEDB")
  fi
  # The database outage test stops and starts a cluster of its own, made with
  # postgresql-common's pg_createcluster.
  if ! command -v pg_createcluster >/dev/null 2>&1; then
    ensure_apt_packages postgresql
  fi
  export HAFLA_TEST_DATABASE_URL="postgres://hafla:hafla@127.0.0.1:$port/postgres"
}

# promtool, which checks deploy/prometheus/hafla-rules.yml; Debian ships it in the
# prometheus package. On a machine run by systemd the package also starts a Prometheus
# server (port 9090); `systemctl disable --now prometheus` if it is not wanted.
ensure_promtool() {
  if ! command -v promtool >/dev/null 2>&1; then
    ensure_apt_packages prometheus
  fi
}

# systemd-analyze, which checks deploy/systemd/hafla-server.service, when the machine has
# it (containers often have no systemd; the check is then skipped).
verify_systemd_unit() {
  local unit=deploy/systemd/hafla-server.service
  if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "systemd-analyze not found; skipping the check of $unit"
    return 0
  fi
  # The unit names /usr/local/bin/hafla-server; check it against the binary just built.
  local dir
  dir=$(mktemp -d)
  sed "s|/usr/local/bin/hafla-server|$(target_dir)/debug/hafla-server|g" "$unit" >"$dir/hafla-server.service"
  systemd-analyze verify --man=no "$dir/hafla-server.service"
  rm -rf "$dir"
}

build_ui() {
  step "building the UI"
  (cd ui && npm run --silent build)
}

target_dir() {
  echo "${CARGO_TARGET_DIR:-$PWD/target}"
}
