"""The policy pack's process, started the way the Pulumi CLI starts a Python pack.

`python -m pulumi.policy <engine address> <pack dir>`, in the pack directory; it prints the port it serves on.
This module imports no gRPC and no SDK: a preview starts the pack first, so the pack's own start-up (an
interpreter, the SDKs, the rules) runs on the other core while this process imports the SDKs and runs the program.

As the CLI does with its plugins, the pack gets a process group of its own, so a terminal's Ctrl-C reaches only
the preview, which decides: `kill()` stops the pack's whole group (webex_scim/interrupt.py runs it on a signal).
A diff runs both its sides through one pack when their packs are the same (`pack_digest`).
"""

from __future__ import annotations

import collections
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import weakref
from concurrent.futures import Future
from pathlib import Path
from typing import IO

from webex_scim.errors import EngineError

PACK_DIR = Path(__file__).resolve().parents[1] / "policies"  # this project's pack

# `python -m pulumi.policy` requires an engine address but only dials it to log; with no engine configured the
# SDK logs to stderr instead, so an address nothing listens on is enough (and nothing can call back into us).
ENGINE_ADDRESS = "127.0.0.1:1"
_STDERR_TAIL_LINES = 25
_SKIPPED_DIRS = frozenset({"venv", ".venv", "__pycache__"})  # what running or installing a pack adds


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the pack's process group, unless the pack was reaped (its group id may be another's by then)."""
    if proc.returncode is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the pack's process group and reap the pack. Safe to call twice."""
    proc.poll()
    _kill_group(proc)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _read_port(stdout: IO[bytes], port: Future[int | None]) -> None:
    """The pack's first stdout line is its port; the rest (a rule's print) is drained so the pack never blocks."""
    line = stdout.readline().strip()
    port.set_result(int(line) if line.isdigit() else None)
    for _ in iter(lambda: stdout.read(65536), b""):
        pass


class PackProcess:
    """A started pack: its process, its stderr (a file, so nothing blocks on a full pipe) and its port.

    Stopped by `kill()`, and on garbage collection or at exit if nobody called it.
    """

    def __init__(self, pack_dir: Path) -> None:
        self.pack_dir = Path(pack_dir).resolve()
        if not (self.pack_dir / "PulumiPolicy.yaml").is_file():
            raise EngineError(f"policy pack {self.pack_dir}: no PulumiPolicy.yaml there, so it is not a policy pack")
        self._stderr = tempfile.TemporaryFile()
        # The pack must not see the program's config (it may hold the SCIM token): the CLI passes stack config via
        # PULUMI_CONFIG, which these rules do not read, so it is left out entirely.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_CONFIG")}
        env["PYTHONUNBUFFERED"] = "1"
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "pulumi.policy", ENGINE_ADDRESS, str(self.pack_dir)],
                cwd=self.pack_dir,  # as the CLI: the plugin runs in the pack directory
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            self._stderr.close()
            raise EngineError(f"policy pack {self.pack_dir}: cannot start {sys.executable}: {exc.strerror}") from None
        self._finalizer = weakref.finalize(self, _kill, self.proc)
        self.pid = self.proc.pid
        self._port: Future[int | None] = Future()
        # The reader gets only what it needs (not `self`), so an unused pack can still be garbage collected.
        assert self.proc.stdout is not None
        self._reader = threading.Thread(
            target=_read_port, args=(self.proc.stdout, self._port), name="pack-stdout", daemon=True
        )
        self._reader.start()

    def wait_for_port(self, timeout: float) -> int | None:
        """The port the pack serves on; None if it closed its stdout without one. TimeoutError if it is too slow."""
        return self._port.result(timeout)  # concurrent.futures.TimeoutError is TimeoutError

    def state(self) -> str:
        """How the pack is, for a message: "is running" or "exited with code N"."""
        rc = self.proc.poll()
        return "is running" if rc is None else f"exited with code {rc}"

    def wait(self, timeout: float) -> None:
        """Give an exiting pack `timeout` seconds to finish, so a message can say how it ended."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass

    def kill(self) -> None:
        """Stop the pack, once; later calls (GC, exit) do nothing."""
        self._finalizer()
        self._reader.join(timeout=2)  # killed: its stdout ends, so the reader does too
        self._stderr.close()

    def kill_now(self) -> None:
        """Stop the pack from a signal handler (webex_scim/interrupt.py), whatever the interrupted code was doing:
        SIGKILL its group and return. Nothing is waited for — the process exits next — and `kill`'s bookkeeping
        is not trusted, since the signal may have come in the middle of it (it would then wait for a pack that
        nobody killed)."""
        _kill_group(self.proc)

    def stderr_tail(self) -> str:
        try:
            self._stderr.flush()
            self._stderr.seek(0)
            text = self._stderr.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        lines = collections.deque((line.rstrip() for line in text.splitlines() if line.strip()), _STDERR_TAIL_LINES)
        return "\n".join(lines)


def pack_digest(pack_dir: Path) -> str:
    """A content hash of a pack's own files (not its virtualenv or bytecode): two trees whose packs hash alike judge
    alike, so a diff's two sides can share one pack process. A virtualenv is not even walked (thousands of files:
    see `make bench`)."""
    root = Path(pack_dir)
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS]
        files += [Path(folder, name) for name in names if not name.endswith(".pyc")]
    digest = hashlib.sha256()
    for path in sorted(files):
        if not path.is_file():  # a socket, a broken link: not a pack's file
            continue
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()
