#!/usr/bin/env bash
# check_manpage.sh BACKCHECK - docs/backcheck.1 documents every command `backcheck --help`
# lists and every flag each `backcheck COMMAND --help` prints, and renders without groff
# warnings.
set -u
bc=${1:-}
src=${BACKCHECK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
page=$src/docs/backcheck.1
if [ -z "$bc" ] || [ ! -x "$bc" ]; then
    echo "SKIP: no backcheck binary in this build"
    exit 77
fi
status=0
# The page as plain text: roff escapes for '-' and fonts removed.
text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$page")

cmds=$("$bc" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{on=0}')
[ -n "$cmds" ] || { echo "FAIL: no command list in backcheck --help"; exit 1; }
nflags=0
for c in $cmds; do
    if ! grep -q "^\.SS \"backcheck $c" "$page"; then
        echo "FAIL: command $c has no section (.SS \"backcheck $c ...\") in docs/backcheck.1"
        status=1
    fi
    for f in $("$bc" "$c" --help 2>&1 | grep -oE '(^|[[:space:]])--[a-z][a-z-]*' | tr -d ' \t' | sort -u); do
        nflags=$((nflags + 1))
        if ! grep -qE -- "(^|[^a-z-])$f([^a-z-]|$)" <<<"$text"; then
            echo "FAIL: backcheck $c $f is not in docs/backcheck.1"
            status=1
        fi
    done
done
for f in --help --version; do
    grep -qE -- "(^|[^a-z-])$f([^a-z-]|$)" <<<"$text" || { echo "FAIL: $f is not in docs/backcheck.1"; status=1; }
done
if command -v groff >/dev/null; then
    warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    if [ -n "$warn" ]; then
        echo "FAIL: groff warnings:"
        echo "$warn"
        status=1
    fi
fi
echo "commands: $(echo $cmds | wc -w), flags checked: $nflags"
[ $status -eq 0 ] && echo "PASS: docs/backcheck.1 covers every command and flag"
exit $status
