#!/usr/bin/env bash
# quickstart.sh - install what is missing, build, and run scenarios/quick.json on the
# embedded emulator. The run directory and its report.html land under runs/quick/latest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target backcheck
set +e
./build/backcheck run scenarios/quick.json "$@"
rc=$?
set -e
echo "quickstart: exit code $rc (0 pass, 1 violation, 2 could not run, 3 inconclusive);" \
     "report: runs/quick/latest/report.html"
exit $rc
