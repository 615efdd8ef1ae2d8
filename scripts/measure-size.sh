#!/usr/bin/env bash
# Prints the built site's files with raw and `gzip -9` sizes, then what a learner's browser
# fetches, next to the 200 KB gzip budget for a lesson's first load:
#   - first load of a lesson: the page, its CSS, the player module (JS + wasm) and that
#     lesson's data (the largest lesson's is counted, the worst case);
#   - on demand (issue 13): the full player (its module and snippets, style sheets and the lesson index),
#     fetched the first time the lab, inspectors, predict, the lessons or help are needed,
#     with the lesson's scenario text (lessons/ID.toml, which the lesson's data leaves out);
#     the simulator module and its worker, fetched only by the lab, share links and an
#     embedding page's load-scenario; the Lab's editor, fetched when it first opens.
#     embed.js and embed-example.html are for course pages,
#     not the player, and are counted in none.
# The precompressed copies (FILE.br, FILE.gz) are left out: they are the same files, sent
# compressed. scripts/measure-load.mjs measures the same in Chromium, lesson by lesson.
set -euo pipefail
DIST=${1:-dist}
[ -d "$DIST" ] || { echo "measure-size: $DIST not built" >&2; exit 1; }
total_raw=0; total_gz=0; player=0; full=0; simulator=0; editor=0; largest=0; largest_name=""; text=0
printf '%-48s %10s %10s\n' "file" "raw B" "gzip-9 B"
while IFS= read -r -d '' f; do
  raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  name=${f#"$DIST"/}
  printf '%-48s %10d %10d\n' "$name" "$raw" "$gz"
  case "$name" in
    simulator*) simulator=$((simulator + gz)) ;;
    player-full*|snippets/*|inspectors.css|lab.css|path.css|lessons/index.json) full=$((full + gz)) ;;
    lessons/*.toml) if [ "$gz" -gt "$text" ]; then text=$gz; fi ;;
    lab-editor.js) editor=$((editor + gz)) ;;
    lessons/*) if [ "$gz" -gt "$largest" ]; then largest=$gz; largest_name=$name; fi ;;
    embed.js|embed-example.html) ;;
    *) player=$((player + gz)) ;;
  esac
done < <(find "$DIST" -type f ! -name '*.br' ! -name '*.gz' -print0 | sort -z)
kb() { awk -v b="$1" 'BEGIN{printf "%.1f KB", b/1024}'; }
printf '%-48s %10d %10d\n' "all files" "$total_raw" "$total_gz"
first=$((player + largest))
printf 'full player on demand (module, CSS, index):     %s gzip\n' "$(kb "$full")"
printf 'simulator on demand (worker, module):          %s gzip\n' "$(kb "$simulator")"
printf 'lab editor on demand (CodeMirror):             %s gzip\n' "$(kb "$editor")"
printf "a lesson's text, with the full player:          %s gzip (the largest)\n" "$(kb "$text")"
printf 'first load of a lesson: %s gzip of 200 KB budget (player %s + largest lesson data %s, %s)\n' \
  "$(kb "$first")" "$(kb "$player")" "$(kb "$largest")" "$largest_name"
