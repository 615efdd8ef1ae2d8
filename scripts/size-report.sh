#!/usr/bin/env bash
# Prints what the page's wasm is made of: the top functions (twiggy) and a table of crates and
# of this crate's modules, raw and gzip -9. Not part of CI; for finding what to shrink.
#
#   scripts/size-report.sh [--opt] [N]
#
# Reads the release wasm that scripts/build-web.sh left in $CARGO_TARGET_DIR (default
# target/), runs wasm-bindgen on it as trunk does, and reports on that output, which still
# has its function names. With --opt it reports on `wasm-opt -Oz -g` of it instead: the same
# code as dist/, but wasm-opt's inlining hides callees inside their callers (the Yew view that
# runs a lesson swallows most of the simulator), so the default is the clearer picture.
# The gzip column gzips each group alone: groups add up to more than the file.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OPT=0
if [ "${1:-}" = "--opt" ]; then OPT=1; shift; fi
TOP=${1:-30}
# shellcheck source=wasm-env.sh
source scripts/wasm-env.sh
WASM=${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/smtp-playground.wasm
[ -f "$WASM" ] || { echo "size-report: $WASM not built; run scripts/build-web.sh first" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
wasm-bindgen --target web --out-dir "$TMP" "$WASM"
IN=$TMP/smtp-playground_bg.wasm
if [ "$OPT" = 1 ]; then
  wasm-opt -Oz -g --converge "$IN" -o "$TMP/opt.wasm"
  IN=$TMP/opt.wasm
fi

echo "== $(basename "$WASM") after wasm-bindgen$([ "$OPT" = 1 ] && echo ' and wasm-opt -Oz -g')"
if command -v twiggy > /dev/null; then
  echo "== twiggy top -n $TOP (raw bytes; the names section is not shipped)"
  twiggy top -n "$TOP" "$IN"
else
  echo "== twiggy is not installed: \`cargo install twiggy --locked\` adds top, dominators, garbage"
fi

echo "== by crate, and by module for smtp_playground"
python3 - "$IN" "$TOP" <<'EOF'
import collections, re, sys, zlib

wasm = open(sys.argv[1], "rb").read()
top = int(sys.argv[2])

def leb(b, i):
    result = shift = 0
    while True:
        byte = b[i]; i += 1
        result |= (byte & 0x7F) << shift; shift += 7
        if byte < 0x80:
            return result, i

def name(b, i):
    n, i = leb(b, i)
    return b[i:i + n].decode("utf-8", "replace"), i + n

def skip_limits(b, j):
    flags, j = leb(b, j)
    _, j = leb(b, j)
    if flags & 1:
        _, j = leb(b, j)
    return j

bodies, data, names, imported = [], [], {}, 0
i = 8
while i < len(wasm):
    section = wasm[i]; i += 1
    size, i = leb(wasm, i)
    body, end = wasm[i:i + size], i + size
    if section == 2:  # imports: function indices start after the imported functions
        j = 0; count, j = leb(body, j)
        for _ in range(count):
            _, j = name(body, j); _, j = name(body, j)
            kind = body[j]; j += 1
            if kind == 0: _, j = leb(body, j); imported += 1
            elif kind == 1: j = skip_limits(body, j + 1)
            elif kind == 2: j = skip_limits(body, j)
            elif kind == 3: j += 2
            elif kind == 4: j += 1; _, j = leb(body, j)
    elif section == 10:
        j = 0; count, j = leb(body, j)
        for _ in range(count):
            n, j = leb(body, j); bodies.append(body[j:j + n]); j += n
    elif section == 11:
        j = 0; count, j = leb(body, j)
        for _ in range(count):
            flags, j = leb(body, j)
            if flags == 2: _, j = leb(body, j)
            if flags in (0, 2):
                while body[j] != 0x0B: j += 1
                j += 1
            n, j = leb(body, j); data.append(body[j:j + n]); j += n
    elif section == 0:
        custom, j = name(body, 0)
        if custom == "name":
            while j < len(body):
                sub = body[j]; j += 1
                n, j = leb(body, j)
                if sub == 1:
                    k = j; count, k = leb(body, k)
                    for _ in range(count):
                        index, k = leb(body, k); names[index], k = name(body, k)
                j += n
    i = end

KNOWN = r"(smtp_playground|yew|nom|serde_json|serde|idna|base64|sha2|ed25519_compact|rsa|crypto_bigint|wasm_bindgen|web_sys|js_sys|gloo\w*|hashbrown|indexmap|dlmalloc)::"
def group(fn):
    fn = re.sub(r"\[[0-9a-f]+\]", "", fn)
    m = re.match(r"^<+\s*(?:&(?:mut )?)?(?:dyn )?([A-Za-z_]\w*)", fn) or re.match(r"^([A-Za-z_]\w*)", fn)
    crate = m.group(1) if m else "?"
    if crate in ("core", "alloc", "std", "str", "char", "impl", "dyn") or len(crate) == 1 or re.fullmatch(r"[iuf](8|16|32|64|128|size)|bool", crate):
        # std's generic code (Vec, BTreeMap, sort, drop_in_place…) goes to the crate it serves.
        m = re.search(KNOWN, fn)
        crate = f"{m.group(1)} (std generics)" if m else ("std: " + crate if crate in ("core", "alloc", "std") else "std: other")
    if crate == "smtp_playground":
        m = re.search(r"smtp_playground::(\w+)(?:::(\w+))?", fn)
        crate = "smtp_playground::" + (m.group(1) + ("::" + m.group(2) if m.group(1) == "sim" and m.group(2) and m.group(2)[0].islower() else "") if m else "?")
    return crate

groups = collections.defaultdict(list)
for k, body in enumerate(bodies):
    groups[group(names.get(imported + k, "?"))].append(body)
rows = [(len(zlib.compress(b"".join(bs), 9)), sum(map(len, bs)), len(bs), g) for g, bs in groups.items()]
joined = b"".join(data)
rows.append((len(zlib.compress(joined, 9)), len(joined), len(data), "[data: strings, lessons, tables, panic locations]"))
rows.sort(reverse=True)
print(f"file: {len(wasm) / 1024:.1f} KB raw, {len(zlib.compress(wasm, 9)) / 1024:.1f} KB gzip (with its names section)")
print(f"{'gzip KB':>8} {'raw KB':>8} {'items':>6}  group")
for gz, raw, n, g in rows[:top]:
    print(f"{gz / 1024:8.1f} {raw / 1024:8.1f} {n:6d}  {g}")
rest = rows[top:]
if rest:
    print(f"{sum(r[0] for r in rest) / 1024:8.1f} {sum(r[1] for r in rest) / 1024:8.1f} {sum(r[2] for r in rest):6d}  ({len(rest)} more groups)")
EOF
