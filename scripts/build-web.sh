#!/usr/bin/env bash
# Builds the playground for the browser into dist/ (release, wasm-opt -Oz) and prints its size.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=wasm-env.sh
source scripts/wasm-env.sh
echo "[build-web] trunk build --release ($(cat .tools/wasm-mode) toolchain for wasm32)"
# Not --offline: with -Z build-std (Debian fallback) cargo must fetch std's own crates once.
# Trunk still never downloads tools: the versions pinned in Trunk.toml are on PATH.
trunk --log warn build --release
scripts/measure-size.sh
