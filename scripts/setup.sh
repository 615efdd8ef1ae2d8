#!/usr/bin/env bash
# Installs what building and testing smtp-playground needs, on a machine that has never
# seen the project. Idempotent: with everything present it only checks, in seconds.
#
#   scripts/setup.sh build   # what `make play` needs: wasm32 std, wasm-bindgen, trunk, wasm-opt
#   scripts/setup.sh test    # all of the above, plus Chromium, ChromeDriver and the interop peers
#                            # (swaks from Debian; aiosmtpd, dkimpy, pyspf from PyPI into .venv)
#                            # and cargo-fuzz for the fuzz smoke
#
# How the wasm32 standard library is obtained (see ../shared/TOOLCHAIN.md). The page's
# modules are built with std itself rebuilt for size (-Z build-std, opt-level z, and for the
# player module no panic locations or Debug text: scripts/build-web.sh), so a toolchain with
# std's sources is needed:
#   1. rustup: `rustup target add wasm32-unknown-unknown` and `rustup component add
#      rust-src`, each under a timeout (they can hang offline);
#   2. otherwise Debian's rustc-web/cargo-web/rust-web-src/lld.
# The choice is written to .tools/wasm-mode and applied only to wasm builds by
# scripts/wasm-env.sh; native builds keep using rustup's toolchain.
# Set SMTP_PLAYGROUND_WASM=debian to force the fallback (used to test it).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROFILE=${1:-test}
TOOLS="$ROOT/.tools"
mkdir -p "$TOOLS"
START=$SECONDS

step() { printf '\n\033[1m[setup %3ds] %s\033[0m\n' $((SECONDS - START)) "$*"; }
note() { printf '  %s\n' "$*"; }
die() { printf '\033[31msetup: %s\033[0m\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Debian packages are installed in one apt transaction, with `apt-get update` only when needed.
APT_UPDATED=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && { note "present: $*"; return 0; }
  note "installing with apt: ${missing[*]}"
  if [ $APT_UPDATED -eq 0 ]; then
    $SUDO apt-get update -q >/dev/null || die "apt-get update failed"
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# The version of a crate pinned with `=` in Cargo.toml.
pinned() { sed -n "s/^$1 = \"=\\([0-9.]*\\)\".*/\\1/p" "$ROOT/Cargo.toml" | head -n 1; }

step "Checking the base tools"
command -v cargo >/dev/null || die "cargo not found: install Rust with rustup (https://rustup.rs)"
command -v rustup >/dev/null || die "rustup not found: the native toolchain is expected to come from rustup"
command -v node >/dev/null || die "node not found: install Node.js 20 or newer"
command -v npm >/dev/null || die "npm not found"
# Rust links with it, and ring and mimalloc (the CLI's allocator) compile C with it.
command -v cc >/dev/null || apt_install gcc libc6-dev
command -v cc >/dev/null || die "cc not found: install a C compiler (Debian: gcc)"
note "$(cargo --version), node $(node --version)"

step "wasm32 standard library"
MODE=""
if [ "${SMTP_PLAYGROUND_WASM:-}" = "debian" ]; then
  note "SMTP_PLAYGROUND_WASM=debian: using the Debian fallback"
else
  has_target() { rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; }
  has_src() { [ -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library" ]; }
  if ! has_target; then
    note "trying: rustup target add wasm32-unknown-unknown (20 s limit)"
    timeout 20 rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
  fi
  if has_target && ! has_src; then
    note "trying: rustup component add rust-src (20 s limit)"
    timeout 20 rustup component add rust-src >/dev/null 2>&1 || true
  fi
  if has_target && has_src; then
    MODE=rustup
    note "rustup has wasm32-unknown-unknown and std's sources"
  else
    note "rustup could not provide wasm32 with std's sources in time; falling back to Debian's Rust"
  fi
fi
if [ -z "$MODE" ]; then
  MODE=debian
  apt_install rustc-web cargo-web rust-web-src rust-web-llvm rust-web-clippy lld-22
  [ -x /usr/bin/rust-lld ] || die "/usr/bin/rust-lld missing after installing lld-22"
  [ -d /usr/lib/rustlib/src/rust/library ] || die "Rust std sources missing after installing rust-web-src"
  mkdir -p "$TOOLS/debian-cargo"
  # Debian's cargo and clippy, put first on PATH for wasm builds only (scripts/wasm-env.sh).
  for tool in cargo cargo-clippy clippy-driver; do ln -sf "/usr/bin/$tool" "$TOOLS/debian-cargo/$tool"; done
  note "$(/usr/bin/rustc --version) will build std for wasm32 itself (-Z build-std)"
fi
echo "$MODE" > "$TOOLS/wasm-mode"

step "wasm-bindgen CLI"
WB=$(pinned wasm-bindgen)
[ -n "$WB" ] || die "Cargo.toml does not pin wasm-bindgen with ="
if [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $WB" ]; then
  note "wasm-bindgen $WB present"
else
  note "cargo install wasm-bindgen-cli $WB (a few minutes)"
  cargo install -q wasm-bindgen-cli --version "$WB" --force || die "could not install wasm-bindgen-cli $WB"
fi

step "trunk"
TRUNK=0.22.1
if trunk --version 2>/dev/null | grep -q "trunk $TRUNK"; then
  note "trunk $TRUNK present"
elif rustup toolchain list | grep -q '^nightly'; then
  # trunk 0.22 needs a newer rustc than stable 1.95 on these machines.
  note "cargo +nightly install trunk $TRUNK (several minutes)"
  cargo +nightly install -q trunk --version "$TRUNK" --locked || die "could not install trunk"
else
  note "cargo install trunk $TRUNK (several minutes)"
  cargo install -q trunk --version "$TRUNK" --locked || die "could not install trunk (it may need a newer rustc: rustup toolchain install nightly)"
fi

step "npm packages (wasm-opt from binaryen, playwright-core, axe-core, CodeMirror and esbuild for the Lab editor)"
LOCK_SUM=$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)
if [ -d "$ROOT/node_modules" ] && [ "$(cat "$TOOLS/npm-lock.sha256" 2>/dev/null)" = "$LOCK_SUM" ]; then
  note "node_modules matches package-lock.json"
else
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  echo "$LOCK_SUM" > "$TOOLS/npm-lock.sha256"
fi
"$ROOT/node_modules/.bin/wasm-opt" --version >/dev/null || die "wasm-opt from binaryen does not run"

if [ "$PROFILE" = "test" ]; then
  step "Chromium and ChromeDriver for the browser tests"
  apt_install chromium chromium-driver
  note "$(chromium --version 2>/dev/null | head -n 1); $(chromedriver --version 2>/dev/null | head -n 1)"

  step "swaks, a real SMTP client, with TLS (Net::SSLeay, IO::Socket::SSL)"
  apt_install swaks libnet-ssleay-perl libio-socket-ssl-perl
  note "$(swaks --version 2>/dev/null | head -n 1)"

  step "Python peers (aiosmtpd, dkimpy with PyNaCl, pyspf) in .venv"
  command -v python3 >/dev/null || die "python3 not found"
  REQ="$ROOT/tests/interop/requirements.txt"
  REQ_SUM=$(sha256sum "$REQ" | cut -d' ' -f1)
  if [ -x "$ROOT/.venv/bin/python" ] && [ "$(cat "$TOOLS/venv-req.sha256" 2>/dev/null)" = "$REQ_SUM" ]; then
    note ".venv matches tests/interop/requirements.txt"
  else
    python3 -m venv "$ROOT/.venv" || die "python3 -m venv failed"
    "$ROOT/.venv/bin/pip" install -q --disable-pip-version-check -r "$REQ" || die "pip install failed"
    echo "$REQ_SUM" > "$TOOLS/venv-req.sha256"
  fi
  note "$("$ROOT/.venv/bin/python" --version)"

  step "OpenSPF RFC 7208 test suite (from the pyspf 2.0.14 source distribution)"
  SUITE="$TOOLS/pyspf-2.0.14/test/rfc7208-tests.yml"
  if [ -f "$SUITE" ]; then
    note "present: ${SUITE#"$ROOT"/}"
  else
    "$ROOT/.venv/bin/pip" download -q --disable-pip-version-check --no-deps --no-binary :all: -d "$TOOLS" pyspf==2.0.14 \
      || die "could not download the pyspf source distribution"
    tar -xzf "$TOOLS/pyspf-2.0.14.tar.gz" -C "$TOOLS" pyspf-2.0.14/test || die "could not unpack pyspf"
    [ -f "$SUITE" ] || die "rfc7208-tests.yml missing from the pyspf source distribution"
    note "fetched ${SUITE#"$ROOT"/}"
  fi

  step "cargo-fuzz, for the fuzz smoke (scripts/fuzz-smoke.sh; libFuzzer needs the nightly toolchain)"
  FUZZ=0.13.2
  rustup toolchain list | grep -q '^nightly' || die "the nightly toolchain is missing (rustup toolchain install nightly)"
  if cargo +nightly fuzz --version 2>/dev/null | grep -q "cargo-fuzz $FUZZ"; then
    note "cargo-fuzz $FUZZ present"
  else
    note "cargo +nightly install cargo-fuzz $FUZZ (a few minutes)"
    cargo +nightly install -q cargo-fuzz --version "$FUZZ" --locked || die "could not install cargo-fuzz"
  fi
fi

step "Done in $((SECONDS - START)) s (wasm32 std via $MODE)"
