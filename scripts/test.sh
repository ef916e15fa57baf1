#!/usr/bin/env bash
# Runs every check: formatting, clippy with warnings as errors, the Rust unit
# and integration tests, the wasm build of both workers, and the Miniflare
# suite. Installs what is missing first (scripts/bootstrap.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/bootstrap.sh --browser

step() { printf '\n== %s\n' "$*" >&2; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (native and wasm32), warnings as errors"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy --workspace --lib --locked --target wasm32-unknown-unknown -- -D warnings

step "Rust tests"
cargo test --workspace --locked

step "wasm build of both workers, and the admin tool the tests use"
bash scripts/build.sh
cargo build --release --locked -p identity-worker --bin identity-admin

step "deploy dry run of both workers (bundle sizes)"
for env in identity logging; do
  printf '%s: ' "$env"
  npx wrangler deploy --dry-run --env "$env" --outdir "target/deploy-$env" 2>&1 |
    grep -E 'Total Upload' || { echo "dry run of $env failed" >&2; exit 1; }
done

step "Miniflare suite and the browser flow"
node --test --test-concurrency=1 tests/
