#!/usr/bin/env bash
# Runs the system locally: installs what is missing, builds the admin tool,
# then starts scripts/dev.mjs: both workers under wrangler dev (which builds
# them, through wrangler.toml's build command) behind one origin, local D1
# migrated, a development user and sample logs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/bootstrap.sh
cargo build --release --locked -p identity-worker --bin identity-admin
exec node scripts/dev.mjs "$@"
