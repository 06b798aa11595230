"""The policy pack's process, started the way the Pulumi CLI starts a Python pack, and never left behind.

`python -m pulumi.policy <engine address> <pack dir>`, in the pack directory, in its own process group; it prints
the port it serves on. This module imports no gRPC and no SDK on purpose: a preview starts the pack first, before
it imports anything heavy, so the pack's own start-up (an interpreter, the SDKs, the rules) runs on the other core
while the program's start-up runs on this one.
"""

from __future__ import annotations

import collections
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import IO, Any

from .errors import EngineError

PACK_DIR = Path(__file__).resolve().parents[1] / "policies"  # this project's pack

# `python -m pulumi.policy` requires an engine address but only dials it to log; with no engine configured the
# SDK logs to stderr instead, so an address nothing listens on is enough (and nothing can call back into us).
ENGINE_ADDRESS = "127.0.0.1:1"
_STDERR_TAIL_LINES = 25


_LIVE: weakref.WeakSet[PackProcess] = weakref.WeakSet()


def forget_inherited() -> None:
    """In a forked child: the packs it inherited belong to its parent, so never kill them from here."""
    for inherited in list(_LIVE):
        inherited.forget()
    _LIVE.clear()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the pack and anything it started (its own process group), and reap it. Safe to call twice."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        except OSError:
            proc.kill()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _parent_death_signal() -> Any:
    """On Linux, a preexec hook asking the kernel to SIGKILL the pack when its parent dies (even by SIGKILL).

    Resolved in the parent so the child only makes one prctl call between fork and exec. The kernel ties this to
    the *thread* that forked, so it is only used from the main thread (a worker thread ending must not kill it).
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGKILL)

    return hook


# poll() of a pack this process cannot wait for, once it is gone: its exit code is not known here.
EXITED_CODE_UNKNOWN = -1000


def _exit_code_without_reaping(pid: int) -> int | None:
    """The exit code of a process that is another's child (it cannot be waited for here), None while it runs.

    Linux shows an exited, unreaped process as a zombie with the status waitpid would give. Elsewhere, or once
    its parent reaped it, only "gone" is known (EXITED_CODE_UNKNOWN)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)  # no /proc (not Linux): it exists (running, or exited and not yet reaped), or not
        except ProcessLookupError:
            return EXITED_CODE_UNKNOWN
        except OSError:
            return None
        return None
    if fields[0] not in ("Z", "X"):
        return None
    try:
        return os.waitstatus_to_exitcode(int(fields[49]))  # field 52, exit_code: the status waitpid would give
    except (IndexError, ValueError):
        return EXITED_CODE_UNKNOWN


def _read_port(stdout: IO[bytes], port_box: list[int | None], ready: threading.Event) -> None:
    """The pack's first stdout line is its port; the rest (a rule's print) is drained so the pack never blocks."""
    line = stdout.readline()
    try:
        port_box[0] = int(line.strip())
    except ValueError:
        port_box[0] = None
    ready.set()
    for _ in iter(lambda: stdout.read(65536), b""):
        pass


class PackProcess:
    """A started pack: its process (group), its stderr (a file, so nothing blocks on a full pipe) and its port.

    Killed by `kill()`, on garbage collection and at exit, and on Linux by the kernel if this process dies first.
    """

    def __init__(self, pack_dir: Path, python: str = sys.executable) -> None:
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
                [python, "-m", "pulumi.policy", ENGINE_ADDRESS, str(self.pack_dir)],
                cwd=self.pack_dir,  # as the CLI: the plugin runs in the pack directory
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=env,
                start_new_session=True,  # own process group: Ctrl-C reaches us, and we kill the whole group
                preexec_fn=_parent_death_signal(),
            )
        except OSError as exc:
            self._stderr.close()
            raise EngineError(f"policy pack {self.pack_dir}: cannot start {python}: {exc.strerror}") from None
        self._finalizer = weakref.finalize(self, _kill_group, self.proc)
        _LIVE.add(self)
        self._owned = True  # False in a forked child: only the process that started the pack may reap it
        self._ready = threading.Event()
        self._port_box: list[int | None] = [None]
        self._reader: threading.Thread | None = None  # started by whoever talks to the pack

    @property
    def pid(self) -> int:
        return self.proc.pid

    def adopt_after_fork(self) -> None:
        """In a child forked after this pack started: talk to it from here, but leave killing and reaping it to the
        parent that started it (the pack is the parent's child; the kernel kills it when the parent dies)."""
        self._finalizer.detach()
        _LIVE.discard(self)
        self._owned = False
        self._ready = threading.Event()
        self._port_box = [None]
        self._reader = None

    def wait_for_port(self, timeout: float) -> int | None:
        """The port the pack serves on; None if it closed its stdout without one. TimeoutError if it is too slow."""
        if self._reader is None:
            # The reader gets only what it needs (not `self`), so an unused pack can still be garbage collected.
            assert self.proc.stdout is not None
            self._reader = threading.Thread(
                target=_read_port,
                args=(self.proc.stdout, self._port_box, self._ready),
                name="policy-pack-stdout",
                daemon=True,
            )
            self._reader.start()
        if not self._ready.wait(timeout):
            raise TimeoutError
        return self._port_box[0]

    def poll(self) -> int | None:
        """The pack's exit code, or None while it runs (EXITED_CODE_UNKNOWN: it exited, its code unknown here)."""
        if self._owned:
            return self.proc.poll()
        return _exit_code_without_reaping(self.proc.pid)

    def wait(self, timeout: float) -> None:
        """Give an exiting pack `timeout` seconds to finish, so a message can say how it ended."""
        if self._owned:
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
            return
        deadline = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)

    def kill(self) -> None:
        """Stop the pack and its process group, once; later calls (GC, exit) do nothing. A forked child that
        adopted the pack only stops listening: the parent kills it."""
        self._finalizer()
        if self._reader is not None and self._owned:  # killed: its stdout ends, so the reader does too
            self._reader.join(timeout=2)
        self._stderr.close()

    def forget(self) -> None:
        """Never kill this pack from here (a forked process holding a copy of its parent's handle)."""
        self._finalizer.detach()

    def stderr_tail(self) -> str:
        try:
            self._stderr.flush()
            self._stderr.seek(0)
            text = self._stderr.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        lines = collections.deque((line.rstrip() for line in text.splitlines() if line.strip()), _STDERR_TAIL_LINES)
        return "\n".join(lines)


# Set by `python -m offline diff` for the two previews it runs when their packs are byte-identical: one pack (the
# diff's own child) serves both, instead of two interpreters importing the same SDKs on a 2-core runner.
SHARED_PACK_ENV = "WEBEX_SCIM_SHARED_POLICY_PACK"


class SharedPack:
    """A pack started and owned by another process (the diff that forked this preview), reached at its port.

    It has the PackProcess surface the client uses; it is never killed from here, and its stderr is its owner's.
    """

    def __init__(self, pack_dir: Path, pid: int, port: int) -> None:
        self.pack_dir = Path(pack_dir).resolve()
        self.pid = pid
        self.port = port

    @classmethod
    def from_environment(cls) -> SharedPack | None:
        """The shared pack the environment names (`<pid>:<port>:<pack dir>`), if any."""
        value = os.environ.get(SHARED_PACK_ENV)
        if not value:
            return None
        pid, port, pack_dir = value.split(":", 2)
        return cls(Path(pack_dir), int(pid), int(port))

    def environment_value(self) -> str:
        return f"{self.pid}:{self.port}:{self.pack_dir}"

    def adopt_after_fork(self) -> None:
        pass

    def wait_for_port(self, timeout: float) -> int | None:
        return self.port

    def poll(self) -> int | None:
        return _exit_code_without_reaping(self.pid)

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)

    def kill(self) -> None:
        pass

    def forget(self) -> None:
        pass

    def stderr_tail(self) -> str:
        return ""  # its owner keeps it, and reports it


Pack = PackProcess | SharedPack
