# Sourced before every wasm32 build or test: applies the toolchain scripts/setup.sh chose.
# In the Debian fallback, Debian's rustc/cargo rebuild std for wasm32 (-Z build-std); the
# rustup toolchain stays in charge of native builds because this is only sourced for wasm.
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_mode=$(cat "$_root/.tools/wasm-mode" 2>/dev/null || echo missing)
# wasm-opt 132 from npm (Debian's binaryen is too old); wasm-bindgen and trunk from cargo install.
export PATH="$_root/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# std is rebuilt for wasm32 from its sources in either mode (-Z build-std, which a stable
# toolchain accepts with RUSTC_BOOTSTRAP=1), so the page's std is optimised for size like the
# rest and scripts/build-web.sh can drop panic locations from it.
export RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort
case "$_mode" in
  rustup) ;;
  debian)
    export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=rust-lld
    # Debian's cargo first: the rustup proxy would not understand the Debian sysroot.
    export PATH="$_root/.tools/debian-cargo:$PATH"
    ;;
  *) echo "wasm-env: run scripts/setup.sh first (.tools/wasm-mode is $_mode)" >&2; return 1 ;;
esac
# The wasm test runner (from wasm-bindgen-cli) and the ChromeDriver it drives.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
unset _root _mode
