#!/usr/bin/env bash
# test_rep_browser.sh - opens report.html in headless Chromium: the SVG timelines must be
# in the DOM the browser built, and the rendered page must not be blank.
#
# usage: test_rep_browser.sh RENDER_TOOL RUN_DIR
# Installs Debian's `chromium` when it is missing and we run as root; otherwise skips
# (exit 77, which CTest reports as skipped). Opens only a local file: no network.
set -u
tool=$1
run_dir=$2
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    if [ "$(id -u)" != 0 ]; then
        skip "chromium is not installed and installing it needs root (apt-get install chromium)"
    fi
    echo "installing chromium (Debian package)..."
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/tmp/test_rep_browser_apt.log 2>&1; then
        skip "apt-get install chromium failed (see /tmp/test_rep_browser_apt.log)"
    fi
    browser=$(command -v chromium || true)
    [ -n "$browser" ] || skip "chromium still not found after installing"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$tool" "$run_dir" html "$work/report.html" || fail "rendering report.html"

flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
       --disable-component-update --disable-sync --no-first-run
       --user-data-dir="$work/profile" --window-size=1000,1400)

timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$work/report.html" \
    >"$work/dom.html" 2>"$work/chromium.log" || fail "chromium --dump-dom failed: $(tail -3 "$work/chromium.log")"

backups=$(grep -o 'id="backup-[^"]*"' "$work/report.html" | sort -u | wc -l)
[ "$backups" -ge 1 ] || fail "the fixture report has no backup section"
for view in zoom whole; do
    n=$(grep -o "<svg[^>]*id=\"tl-[^\"]*-$view\"" "$work/dom.html" | wc -l)
    [ "$n" -eq "$backups" ] || fail "expected $backups $view timelines in the DOM, found $n"
done
grep -q 'class="marker marker-R"' "$work/dom.html" || fail "no R marker in the DOM"
grep -q 'class="marker marker-A"' "$work/dom.html" || fail "no A marker in the DOM"
grep -q 'class="cut cut-' "$work/dom.html" || fail "no cut band in the DOM"

timeout 120 "$browser" "${flags[@]}" --screenshot="$work/shot.png" "file://$work/report.html" \
    >>"$work/chromium.log" 2>&1 || fail "chromium --screenshot failed"
[ -s "$work/shot.png" ] || fail "no screenshot written"

# Not blank: decode the PNG (zlib only, no imaging library) and count colours.
command -v python3 >/dev/null || skip "python3 missing: cannot inspect the screenshot"
python3 - "$work/shot.png" <<'EOF' || exit 1
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), "unexpected PNG format %d/%d" % (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours, nonwhite, i = set(), 0, 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    for x in range(0, stride, bpp * 4):  # every 4th pixel is plenty
        px = bytes(line[x:x + 3])
        colours.add(px)
        nonwhite += px != b"\xff\xff\xff"
print("screenshot %dx%d: %d distinct colours, %d sampled non-white pixels" % (w, h, len(colours), nonwhite))
if len(colours) < 8 or nonwhite < 1000:
    print("FAIL: the page looks blank"); sys.exit(1)
EOF
echo "PASS: $backups backups, timelines in the DOM, screenshot not blank"
