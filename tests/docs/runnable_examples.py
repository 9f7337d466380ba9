#!/usr/bin/env python3
"""runnable_examples.py BACKCHECK - runs every shell block of docs/*.md marked
`<!-- runnable: exit=N -->` (the line right before a ```sh fence) and checks its exit
status. Blocks of one page run in order in one scratch directory (so a later block can read
the runs of an earlier one), with the built backcheck first on PATH, `scenarios` linked to
the repository's, and each block bounded by a timeout. Only the embedded emulator is
used: a block must not need the network or credentials."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("BACKCHECK_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", ".."))
TIMEOUT_S = 180
MARK = re.compile(r"<!-- runnable: exit=(\d+) -->\n```(?:sh|bash)\n(.*?)```", re.S)


def main():
    bc = sys.argv[1] if len(sys.argv) > 1 else ""
    if not bc or not os.access(bc, os.X_OK):
        print("SKIP: no backcheck binary in this build")
        sys.exit(77)
    bindir = tempfile.mkdtemp(prefix="bc-docs-bin-")
    os.symlink(os.path.abspath(bc), os.path.join(bindir, "backcheck"))
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
              "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        env.pop(k, None)
    failures, total = [], 0
    for page in sorted(glob.glob(os.path.join(SRC, "docs", "*.md"))):
        text = open(page).read()
        blocks = MARK.findall(text)
        if not blocks:
            continue
        work = tempfile.mkdtemp(prefix="bc-docs-run-")
        os.symlink(os.path.join(SRC, "scenarios"), os.path.join(work, "scenarios"))
        name = os.path.relpath(page, SRC)
        for i, (want, code) in enumerate(blocks, 1):
            total += 1
            try:
                p = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", code], cwd=work,
                                   env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
                rc = p.returncode
                out = (p.stdout + p.stderr)[-1500:]
            except subprocess.TimeoutExpired:
                rc, out = None, "timed out after %d s" % TIMEOUT_S
            first = code.strip().splitlines()[0]
            if rc != int(want):
                failures.append("%s block %d (%s): exit %s, the page says %s\n%s"
                                % (name, i, first, rc, want, out))
            else:
                print("ok   %s block %d: %s (exit %s)" % (name, i, first, rc))
        shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(bindir, ignore_errors=True)
    for f in failures:
        print("FAIL:", f)
    if total == 0:
        print("FAIL: no runnable block found in docs/*.md")
        sys.exit(1)
    print("%d of %d runnable blocks exit as documented" % (total - len(failures), total))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
