"""Feeding the policy pack while the program runs: each registration is analyzed as it happens, as the CLI does.

The pack process is started first (`start_pack`, before the SDKs are imported), so its start-up overlaps the
program's. Where the platform can fork, the pack's gRPC client then runs in a child forked once the SDKs are
imported (it inherits them): the client's own work (requests, gRPC futures and their callbacks) never competes
with the program for this process's GIL. The program side only queues each registration; a writer thread pickles
it into a pipe. Elsewhere the client runs in this process (`PolicyPack.stream`).
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import EngineError, UsageError
from .model import RecordedResource
from .pack_process import PACK_DIR, Pack, PackProcess, SharedPack, forget_inherited

if TYPE_CHECKING:
    from .model import PolicyReport

_GRPC_STARTED = False  # set once this process opens a gRPC channel


def note_grpc_started() -> None:
    """Called by the gRPC client when it opens a channel: from then on this process must not fork a client."""
    global _GRPC_STARTED
    _GRPC_STARTED = True


class _InProcessAnalysis:
    """The pack's gRPC client in this process (where fork is unavailable)."""

    def __init__(
        self,
        process: Pack,
        *,
        project: str,
        stack: str,
        policy_config: Mapping[str, Any] | None,
    ) -> None:
        from .policy import PolicyPack

        self._pack = PolicyPack(process.pack_dir, process=process)
        self._stream = self._pack.stream(project=project, stack=stack, policy_config=policy_config)

    def submit(self, resource: RecordedResource) -> None:
        self._stream.submit(resource)

    def finish(self, resources: Sequence[RecordedResource]) -> PolicyReport:
        return self._stream.finish(resources)

    def close(self) -> None:
        self._pack.close()


class _ForkedAnalysis:
    """The pack and its gRPC client in a forked child process, fed the registrations through a pipe.

    The client's own work (building requests, gRPC futures and their callbacks) then runs outside this process:
    in it, that work competed with the program for the GIL and added ~0.3 ms to each registration. Here each
    registration costs one pickle and one pipe write. The pack stays this process's child: `close()` kills both,
    and the kernel kills the pack if this process dies first (its parent-death signal).
    """

    def __init__(
        self,
        process: Pack,
        *,
        project: str,
        stack: str,
        policy_config: Mapping[str, Any] | None,
    ) -> None:
        request_r, request_w = os.pipe()
        result_r, result_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            code = 0
            try:
                os.close(request_w)
                os.close(result_r)
                _serve_analysis(request_r, result_w, process, project, stack, policy_config)
            except BaseException:  # the parent reports a child that wrote no result
                code = 70
            finally:
                os._exit(code)
        os.close(request_r)
        os.close(result_w)
        self._process = process  # this process started the pack, so it kills it (close(), or the kernel)
        self._pid: int | None = pid
        self._requests = os.fdopen(request_w, "wb")
        self._results = os.fdopen(result_r, "rb")
        # Registrations come in bursts on the SDK's worker threads, faster than the child analyzes them: a full
        # pipe must never stall a registration, so a writer thread owns the pipe and the program only queues.
        self._queue: queue.SimpleQueue[RecordedResource | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_all, name="policy-pipe", daemon=True)
        self._writer.start()

    def submit(self, resource: RecordedResource) -> None:
        self._queue.put(resource)

    def _write_all(self) -> None:
        try:
            while (resource := self._queue.get()) is not None:
                frame = pickle.dumps(resource, protocol=pickle.HIGHEST_PROTOCOL)
                self._requests.write(len(frame).to_bytes(4, "little") + frame)
                if self._queue.empty():
                    self._requests.flush()
            self._requests.write(_END_OF_RESOURCES)
            self._requests.close()
        except (OSError, ValueError):  # the child is gone: finish() reports what it left
            pass

    def finish(self, resources: Sequence[RecordedResource]) -> PolicyReport:
        self._queue.put(None)
        self._writer.join()
        payload = self._results.read()
        code = self._reap()
        try:
            kind, value = pickle.loads(payload)
        except Exception:  # nothing (or garbage) came back: the child died
            raise EngineError(f"the policy analysis process ended with code {code} and no result") from None
        if kind == "report":
            return value
        error = UsageError if kind == "usage" else EngineError
        raise error(value)

    def close(self) -> None:
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap()
        self._process.kill()
        self._queue.put(None)  # a writer still running stops on the closed pipe or on this
        for stream in (self._requests, self._results):
            try:
                stream.close()
            except OSError:
                pass

    def _reap(self) -> int | None:
        if self._pid is None:
            return None
        pid, self._pid = self._pid, None
        try:
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        except ChildProcessError:
            return None


_END_OF_RESOURCES = (0).to_bytes(4, "little")


def _serve_analysis(
    request_fd: int,
    result_fd: int,
    process: Pack,
    project: str,
    stack: str,
    policy_config: Mapping[str, Any] | None,
) -> None:
    """The forked child: talk to the pack, analyze each registration read from the pipe, write back the report."""
    forget_inherited()  # the parent's packs are the parent's: never kill them from here
    process.adopt_after_fork()
    from .policy import PolicyPack

    result: tuple[str, Any]
    pack = PolicyPack(process.pack_dir, process=process)
    try:
        stream = pack.stream(project=project, stack=stack, policy_config=policy_config)
        resources: list[RecordedResource] = []
        with os.fdopen(request_fd, "rb") as requests:
            while len(head := requests.read(4)) == 4 and head != _END_OF_RESOURCES:
                resource = pickle.loads(requests.read(int.from_bytes(head, "little")))
                resources.append(resource)
                stream.submit(resource)
        result = ("report", stream.finish(resources))
    except UsageError as exc:
        result = ("usage", str(exc))
    except EngineError as exc:
        result = ("engine", str(exc))
    except Exception as exc:
        result = ("engine", f"the policy analysis failed: {type(exc).__name__}: {exc}")
    finally:
        pack.close()
    with os.fdopen(result_fd, "wb") as out:
        out.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


def start_pack(pack_dir: Path = PACK_DIR) -> Pack:
    """Start the pack process now (call it first thing: its start-up then overlaps everything else), or use the
    one `python -m offline diff` shares with this preview (byte-identical to the pack in `pack_dir`)."""
    return SharedPack.from_environment() or PackProcess(pack_dir)


def start_analysis(
    process: Pack,
    *,
    project: str,
    stack: str,
    policy_config: Mapping[str, Any] | None = None,
) -> _ForkedAnalysis | _InProcessAnalysis:
    """Connect a client to the started pack before the program runs; `submit` each registration, then `finish`.

    Where the platform can fork, the client runs in a child process so its work does not slow the program down;
    otherwise it runs here, on a background thread (`PolicyPack.stream`). Call it once the SDKs are imported: the
    child inherits them instead of importing them again beside the program.
    """
    # gRPC's core does not survive a fork once it has started (threads, pollers): only fork a process that has
    # opened no channel yet, as the CLI's is. A process that has (a test session) keeps the client in-process.
    if hasattr(os, "fork") and sys.platform.startswith("linux") and not _GRPC_STARTED:
        return _ForkedAnalysis(process, project=project, stack=stack, policy_config=policy_config)
    return _InProcessAnalysis(process, project=project, stack=stack, policy_config=policy_config)
