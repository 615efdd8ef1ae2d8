#!/usr/bin/env bash
# Builds the playground for the browser into dist/ (release, wasm-opt -Oz) and prints its size.
# Five parts (issue 13, "player first"):
#   1. lessons/ID.json and lessons/index.json: every library lesson run by the native core,
#      the data the player plays from (smtp-playground lessons --export);
#   2. the player module (trunk: index.html, CSS, smtp-playground*.js/wasm), which plays a
#      lesson; built with std's panic locations and Debug text left out (-Z location-detail,
#      -Z fmt-debug: it shows no Debug output), the bytes a lesson's first load is made of;
#   3. the full player (src/bin/player_full.rs: player-full.js, player-full_bg.wasm, and the
#      inspectors, lab and path style sheets), which takes the page over the first time the
#      learner opens the lab, the inspectors, predict, the lessons or help (src/ui/handover.rs);
#   4. the Lab's editor (www/lab-editor.js with CodeMirror, bundled by esbuild from
#      node_modules), imported the first time the learner opens the editor;
#   5. the simulator module for the Web Worker (src/bin/simulator.rs: simulator.js,
#      simulator_bg.wasm, started by simulator-worker.js), fetched only by the lab, share
#      links and an embedding page's load-scenario.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LESSONS="$ROOT/target/lesson-data"
# The native core writes the lesson data, with the native (rustup) toolchain: before
# wasm-env.sh, which may point cargo at Debian's for wasm32.
echo "[build-web] lesson data (native: smtp-playground lessons --export)"
rm -rf "$LESSONS"
cargo run -q --locked --bin smtp-playground -- lessons --export "$LESSONS"
# shellcheck source=wasm-env.sh
source scripts/wasm-env.sh
echo "[build-web] player: trunk build --release ($(cat .tools/wasm-mode) toolchain for wasm32)"
# Not --offline: with -Z build-std (Debian fallback) cargo must fetch std's own crates once.
# Trunk still never downloads tools: the versions pinned in Trunk.toml are on PATH.
RUSTFLAGS="-Zlocation-detail=none -Zfmt-debug=none" trunk --log warn build --release
cp -r "$LESSONS" dist/lessons
echo "[build-web] full player: cargo build --features full --bin player-full, wasm-bindgen --target web, wasm-opt"
cargo build -q --release --locked --target wasm32-unknown-unknown --features full --bin player-full
wasm-bindgen --target web --no-typescript --out-dir dist --out-name player-full \
  target/wasm32-unknown-unknown/release/player-full.wasm
wasm-opt -Oz --flatten --rereloop -Oz --converge --strip-producers --strip-target-features \
  dist/player-full_bg.wasm -o dist/player-full_bg.wasm
echo "[build-web] simulator worker: cargo build --profile simulator --bin simulator, wasm-bindgen --target no-modules, wasm-opt"
cargo build -q --profile simulator --locked --target wasm32-unknown-unknown --features full --bin simulator
wasm-bindgen --target no-modules --no-typescript --out-dir dist --out-name simulator \
  target/wasm32-unknown-unknown/simulator/simulator.wasm
# Optimised as its profile is (-Os, for speed within a size; the players' -Oz passes made a
# bulk run slower); the features come from the module's own target_features section, stripped
# last.
wasm-opt -Os --strip-producers --strip-target-features dist/simulator_bg.wasm -o dist/simulator_bg.wasm
echo "[build-web] lab editor: esbuild www/lab-editor.js (CodeMirror) -> dist/lab-editor.js"
node_modules/.bin/esbuild www/lab-editor.js --bundle --format=esm --minify --target=es2020 \
  --log-level=warning --outfile=dist/lab-editor.js
node scripts/precompress.mjs dist
scripts/measure-size.sh
