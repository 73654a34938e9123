#!/usr/bin/env bash
# Screenshot of a run report in headless Chromium, to check that it renders in a real browser.
#   bash report/screenshot.sh OUT/index.html [shot.png] [WIDTHxHEIGHT]
# Needs chromium (apt-get install -y chromium). Exit 77 (CTest "skipped") when it is missing.
set -euo pipefail
page=${1:?usage: screenshot.sh INDEX.html [SHOT.png] [WxH]}
shot=${2:-$(dirname "$page")/screenshot.png}
size=${3:-1200x3000}
browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
  echo "screenshot: chromium not found; install with: apt-get install -y chromium" >&2
  exit 77
fi
[ -f "$page" ] || { echo "screenshot: '$page' not found" >&2; exit 2; }
abs=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")
rm -f "$shot"
# --no-sandbox: containers running as root; a fresh profile dir keeps runs independent.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
  --screenshot="$shot" --window-size="${size/x/,}" "file://$abs" >/dev/null 2>&1 || true
if [ ! -s "$shot" ]; then
  echo "screenshot: $browser wrote no screenshot of $abs" >&2
  exit 1
fi
# The page must have loaded its plots: every <img> file exists.
missing=0
for src in $(grep -o 'src="[^"]*"' "$abs" | sed 's/src="\(.*\)"/\1/'); do
  [ -f "$(dirname "$abs")/$src" ] || { echo "screenshot: missing image $src" >&2; missing=1; }
done
[ $missing -eq 0 ] || exit 1
echo "screenshot: $shot"
