#!/usr/bin/env bash
# Runs Hafla: the sync server on embedded SQLite with the bilingual demo catalog, and the
# desktop app connected to it when a display exists (otherwise the server alone).
# Installs what is missing first; safe to run again. Settings: HAFLA_ADDR (default
# 127.0.0.1:8080), HAFLA_DATA_DIR (default ./data).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

ensure_apt_packages "${BUILD_PACKAGES[@]}"
ensure_node
ensure_ui_packages
build_ui

step "building Hafla"
cargo build --workspace --locked

bin="$(target_dir)/debug"
addr="${HAFLA_ADDR:-127.0.0.1:8080}"
data_dir="${HAFLA_DATA_DIR:-./data}"
"$bin/hafla-server" demo --data-dir "$data_dir"

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  step "no display here: running the server alone (Ctrl-C stops it)"
  exec "$bin/hafla-server" serve --addr "$addr" --data-dir "$data_dir" --sandbox-payments
fi

step "starting the server and the app"
"$bin/hafla-server" serve --addr "$addr" --data-dir "$data_dir" --sandbox-payments &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null; then break; fi
  kill -0 $server 2>/dev/null || { echo "the server did not start" >&2; exit 1; }
  sleep 0.1
done
HAFLA_SERVER_URL="http://$addr" "$bin/hafla-app"
