#!/usr/bin/env bash
# Builds the named workers (default: both) to wasm with worker-build, using
# only locally installed tools. Output: <worker>/build/index.js and its wasm.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/bootstrap.sh"

workers=("$@")
[ ${#workers[@]} -gt 0 ] || workers=(identity-worker logging-worker)
for w in "${workers[@]}"; do
  printf 'build: %s\n' "$w" >&2
  (cd "$root/$w" && worker-build --release >&2)
done
