#!/usr/bin/env bash
# Installs whatever the build and the tests need and is not there yet:
# the wasm32 target, worker-build, wasm-bindgen-cli (the version locked in
# Cargo.lock), the Node packages from package-lock.json and, with --browser,
# Debian's Chromium. Safe to run again: each step checks before it installs.
# Source it (`. scripts/bootstrap.sh`) to get the tool paths exported.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
worker_build_version="0.8.7"
want_browser=0
for arg in "$@"; do
  [ "$arg" = "--browser" ] && want_browser=1
done

say() { printf 'bootstrap: %s\n' "$*" >&2; }

export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown >&2
fi

# `worker-build --version` prints the bare version number.
if [ "$(worker-build --version 2>/dev/null | awk '{print $NF}')" != "$worker_build_version" ]; then
  say "installing worker-build $worker_build_version (a few minutes)"
  cargo install --locked --force worker-build --version "$worker_build_version" >&2
fi

bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' \
  "$root/Cargo.lock")"
if [ -z "$bindgen_version" ]; then
  say "no wasm-bindgen version found in Cargo.lock"
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $NF}')" != "$bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version (a few minutes)"
  cargo install --locked --force wasm-bindgen-cli --version "$bindgen_version" >&2
fi

# npm ci only when package-lock.json changed since the last install.
lock_sum="$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)"
stamp="$root/node_modules/.installed-lock-sha256"
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
  say "installing Node packages (npm ci)"
  (cd "$root" && npm ci --no-audit --no-fund >&2)
  printf '%s\n' "$lock_sum" >"$stamp"
fi

if [ "$want_browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  say "installing Chromium from Debian's packages"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2
fi

# worker-build would download these; point it at the installed ones instead.
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$root/node_modules/.bin/esbuild"
