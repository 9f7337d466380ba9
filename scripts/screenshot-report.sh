#!/usr/bin/env bash
# screenshot-report.sh - a PNG of a real report.html, taken with headless Chromium, for
# the README (docs/figures/report.png).
#
#   scripts/screenshot-report.sh [RUN_DIR] [OUT.png]
#
# Without RUN_DIR it builds backcheck and runs scenarios/quick.json first.
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-}
out=${2:-docs/figures/report.png}
if [ -z "$run" ]; then
  scripts/deps.sh >/dev/null
  cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" --target backcheck >/dev/null
  tmp=$(mktemp -d)
  ./build/backcheck run scenarios/quick.json --out "$tmp" --quiet || true
  run=$(readlink -f "$tmp/quick/latest")
fi
[ -f "$run/report.html" ] || { echo "screenshot-report.sh: no report.html in $run" >&2; exit 2; }
command -v chromium >/dev/null || scripts/deps.sh --browser
profile=$(mktemp -d)
# The flags keep Chromium off the network (the report is self-contained) and headless.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size=1280,1800 \
  --screenshot="$(readlink -f "$(dirname "$out")")/$(basename "$out")" \
  "file://$run/report.html" 2>/dev/null
rm -rf "$profile"
echo "screenshot-report.sh: wrote $out from $run/report.html"
