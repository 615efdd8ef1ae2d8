#!/usr/bin/env bash
# Prints the built site's files with raw and `gzip -9` sizes, and the total first-page-load
# weight (everything in dist/ — the budget is 200 KB gzip).
set -euo pipefail
DIST=${1:-dist}
[ -d "$DIST" ] || { echo "measure-size: $DIST not built" >&2; exit 1; }
total_raw=0; total_gz=0
printf '%-48s %10s %10s\n' "file" "raw B" "gzip-9 B"
while IFS= read -r -d '' f; do
  raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  printf '%-48s %10d %10d\n' "${f#"$DIST"/}" "$raw" "$gz"
done < <(find "$DIST" -type f -print0 | sort -z)
printf '%-48s %10d %10d   (%.1f KB gzip of 200 KB budget)\n' "TOTAL" "$total_raw" "$total_gz" "$(awk -v b="$total_gz" 'BEGIN{print b/1024}')"
