#!/usr/bin/env bash
# Runs Hafla's whole test suite: formatting, lints, the UI type check, every cargo test,
# and the end-to-end journeys (real server, real app in WebKit under Xvfb).
# Installs what is missing first; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

# CI keeps its build cache outside the fresh clone so warm runs stay fast; a cold cache
# only makes the run slower, never different.
if [ "${CI:-}" = "true" ] && [ -z "${CARGO_TARGET_DIR:-}" ]; then
  export CARGO_TARGET_DIR=/var/cache/hafla/target
fi

ensure_apt_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
ensure_node
ensure_cargo_tool tauri-driver tauri-driver "^2"
ensure_ui_packages
ensure_test_peers
ensure_postgres
ensure_promtool

step "UI type check"
(cd ui && npm run --silent typecheck)
build_ui

step "cargo fmt"
cargo fmt --all --check

step "Prometheus alerting rules"
promtool check rules deploy/prometheus/hafla-rules.yml
promtool test rules deploy/prometheus/hafla-rules.test.yml

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo build (binaries the journeys launch)"
cargo build --workspace --locked

step "cargo test"
cargo test --workspace --locked

step "systemd unit"
verify_systemd_unit

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  step "generated TypeScript bindings are committed"
  if [ -n "$(git status --porcelain -- ui/src/bindings)" ]; then
    git status --porcelain -- ui/src/bindings
    echo "ui/src/bindings changed when the tests regenerated them: commit the new files" >&2
    exit 1
  fi
fi

step "all checks passed; screenshots in $(target_dir)/e2e-shots/"
