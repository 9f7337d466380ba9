"""emuserver.py - starts and stops `backcheck serve` for the compatibility tests.

The server is started with --port 0 so that it picks a free loopback port itself, and the
port is read from the one line it prints when it is listening ("backcheck emulator
listening on http://127.0.0.1:PORT ..."). Every test module gets its own server with its
own credentials, so modules can run in parallel under ctest -j.

The backcheck binary comes from the BACKCHECK_BIN environment variable (ctest sets it) or
the first command-line argument of the test script.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77  # ctest's SKIP_RETURN_CODE for these tests

# Credentials the server accepts; test-only values, not secrets.
ACCESS_KEY = "compatkey"
SECRET_KEY = "compat-secret"
REGION = "us-east-1"

_LISTEN_RE = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")
_START_TIMEOUT_S = 10


def backcheck_bin():
    """The backcheck binary to test: $BACKCHECK_BIN, else argv[1]."""
    path = os.environ.get("BACKCHECK_BIN")
    if not path and len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        path = sys.argv.pop(1)
    if not path or not os.access(path, os.X_OK):
        print("backcheck binary not found (set BACKCHECK_BIN): skipping", flush=True)
        sys.exit(SKIP)
    return path


class EmuServer:
    """One `backcheck serve` process on a free loopback port."""

    def __init__(self, binary, extra_args=()):
        self.binary = binary
        self.extra_args = list(extra_args)
        self.proc = None
        self.endpoint = None
        self.port = None

    def start(self):
        args = [self.binary, "serve", "--host", "127.0.0.1", "--port", "0",
                "--credentials", f"{ACCESS_KEY}:{SECRET_KEY}"] + self.extra_args
        # Output goes to a file, not a pipe: a pipe nobody drains would block a server
        # that logs a lot.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     text=True)
        deadline = time.monotonic() + _START_TIMEOUT_S
        text = ""
        while time.monotonic() < deadline:
            self.log.seek(0)
            text = self.log.read()
            m = _LISTEN_RE.search(text)
            if m:
                self.endpoint, self.port = m.group(1), int(m.group(2))
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("backcheck serve did not report a listening port: " + text)

    def output(self):
        """Everything the server has printed so far."""
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        rc = self.proc.returncode
        self.proc = None
        return rc
