#!/usr/bin/env bash
# check_fields.sh - docs/scenarios.md's field reference must be exactly what the
# scenario loader's tables print (sc_print_reference): a field the loader accepts but the
# page does not list, or a documented field the loader does not accept, fails this test.
#   check_fields.sh SC_TABLES [BACKCHECK]     check
#   check_fields.sh SC_TABLES --update        rewrite the generated part of the page
# When BACKCHECK is given and `backcheck scenarios --fields` exists, its output must be the
# same reference too.
set -u
tool=${1:?usage: check_fields.sh SC_TABLES [BACKCHECK|--update]}
src=${BACKCHECK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
page=$src/docs/scenarios.md
begin='<!-- BEGIN GENERATED: sc_print_reference (tests/docs/check_fields.sh --update) -->'
end='<!-- END GENERATED -->'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$tool" --reference >"$tmp/generated.md" || { echo "FAIL: $tool --reference failed"; exit 1; }
[ -s "$tmp/generated.md" ] || { echo "FAIL: empty reference"; exit 1; }

if ! grep -qxF "$begin" "$page" || ! grep -qxF "$end" "$page"; then
    echo "FAIL: $page lacks the markers:"
    echo "  $begin"
    echo "  $end"
    exit 1
fi

if [ "${2:-}" = "--update" ]; then
    awk -v b="$begin" -v e="$end" -v gen="$tmp/generated.md" '
        $0 == b { print; while ((getline l < gen) > 0) print l; skip = 1; next }
        $0 == e { skip = 0 }
        !skip { print }' "$page" >"$tmp/page.md" && cp "$tmp/page.md" "$page"
    echo "updated $page"
    exit 0
fi

awk -v b="$begin" -v e="$end" '$0 == e { on = 0 } on { print } $0 == b { on = 1 }' \
    "$page" >"$tmp/documented.md"

status=0
if ! diff -u "$tmp/documented.md" "$tmp/generated.md" >"$tmp/diff"; then
    echo "FAIL: docs/scenarios.md differs from the loader's tables (- page, + loader)."
    cat "$tmp/diff"
    echo "Fix the page with: tests/docs/check_fields.sh $tool --update"
    status=1
fi

# Field names, section by section, as an explicit two-way check with readable messages.
names() { awk '/^### /{sec=substr($0,5)} /^\| `/{split($0,a,"`"); print sec " :: " a[2]}' "$1" | sort; }
names "$tmp/documented.md" >"$tmp/doc.names"
names "$tmp/generated.md" >"$tmp/gen.names"
while IFS= read -r n; do echo "FAIL: accepted by the loader but undocumented: $n"; status=1; done \
    < <(comm -13 "$tmp/doc.names" "$tmp/gen.names")
while IFS= read -r n; do echo "FAIL: documented but not accepted by the loader: $n"; status=1; done \
    < <(comm -23 "$tmp/doc.names" "$tmp/gen.names")
echo "fields: $(wc -l <"$tmp/gen.names") in the loader's tables, $(wc -l <"$tmp/doc.names") documented"

# Every fault kind of the loader's table has its row in docs/chaos.md.
chaos=$src/docs/chaos.md
for k in $(awk '/^### fault kinds/{on=1} on && /^\| `/{split($0,a,"`"); print a[2]}' "$tmp/generated.md"); do
    grep -qF "| \`$k\` |" "$chaos" || { echo "FAIL: fault kind $k is not documented in docs/chaos.md"; status=1; }
done

bc=${2:-}
if [ -n "$bc" ] && [ -x "$bc" ]; then
    if "$bc" scenarios --fields >"$tmp/cli.md" 2>"$tmp/cli.err"; then
        if ! diff -u "$tmp/generated.md" "$tmp/cli.md" >"$tmp/diff2"; then
            echo "FAIL: \`backcheck scenarios --fields\` differs from sc_print_reference:"
            cat "$tmp/diff2"
            status=1
        else
            echo "backcheck scenarios --fields: same reference"
        fi
    else
        echo "note: \`backcheck scenarios --fields\` is not available ($(head -c 200 "$tmp/cli.err"))"
    fi
fi
[ $status -eq 0 ] && echo "PASS: docs/scenarios.md matches the loader's tables"
exit $status
