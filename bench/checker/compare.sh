#!/bin/sh
# compare.sh - runs two builds of the check stage (OLD, NEW: chk_bench_check binaries)
# over run directories and reports any difference in results.json (checked_at aside),
# the verdict line or an error, so that a speed-up is shown to change no result.
#
#   OLD=/tmp/chk-base/build-rel/checkers/chk_bench_check NEW=./build-rel/checkers/chk_bench_check \
#     bench/checker/compare.sh /tmp/chkbench1m /tmp/backcheck-chk-test-*/*
#
# Runs the old and the new check over every test-suite run directory (kept by
# BACKCHECK_KEEP_TEST_DIRS=1 build/checkers/test_chk_run) and the bench runs;
# compares results.json (without checked_at), the verdict line and any error.
OLD=${OLD:?set OLD to the reference chk_bench_check}
NEW=${NEW:?set NEW to the chk_bench_check under test}
n=0; bad=0
for d in "$@"; do
  [ -f "$d/history.jsonl" ] || continue
  n=$((n+1))
  rm -f "$d/results.json"
  $OLD "$d" > ${TMPDIR:-/tmp}/chkcmp-old.out 2>&1; sed -i 's/seconds=.*//' ${TMPDIR:-/tmp}/chkcmp-old.out
  grep -v checked_at "$d/results.json" > ${TMPDIR:-/tmp}/chkcmp-old.json 2>/dev/null; rm -f "$d/results.json"
  $NEW "$d" > ${TMPDIR:-/tmp}/chkcmp-new.out 2>&1; sed -i 's/seconds=.*//' ${TMPDIR:-/tmp}/chkcmp-new.out
  grep -v checked_at "$d/results.json" > ${TMPDIR:-/tmp}/chkcmp-new.json 2>/dev/null
  if ! cmp -s ${TMPDIR:-/tmp}/chkcmp-old.json ${TMPDIR:-/tmp}/chkcmp-new.json || ! cmp -s ${TMPDIR:-/tmp}/chkcmp-old.out ${TMPDIR:-/tmp}/chkcmp-new.out; then
    echo "DIFF: $d"; bad=$((bad+1))
  fi
done
echo "compared $n run dirs, $bad differ"
