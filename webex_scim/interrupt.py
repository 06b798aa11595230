"""One Ctrl-C (or SIGTERM, SIGHUP) ends a run at once: stop what it started, remove what it wrote, exit 128 + signal.

A KeyboardInterrupt cannot be trusted to travel through the Pulumi SDK: `_get_source_position_for_frame` swallows
it during a registration, and `run_pulumi_func` waits for Outputs that an interrupted constructor never resolves
(shared/reference/AUDIT-2026-11.md, D1). So for the length of a run the signal is handled here instead: each
process or temporary directory the run starts registers how to stop or remove it (`on_signal`), and the handler
runs those and leaves with os._exit, whatever the SDK's threads are doing.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_cleanups: list[Callable[[], None]] = []
_deferring = 0
_pending: list[int] = []


def _handle(signum: int, frame: FrameType | None) -> None:
    if _deferring:  # a process is being started and registered: stop it too, once it is known (`starting`)
        _pending.append(signum)
        return
    for cleanup in reversed(_cleanups):
        try:
            cleanup()
        except BaseException:  # one failing cleanup must not keep the others from running, nor the exit
            pass
    os.write(2, b"interrupted\n" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}\n".encode())
    os._exit(128 + signum)


@contextmanager
def handled() -> Iterator[None]:
    """Handle the signals for the length of the block. A SIGINT or SIGHUP the caller ignores (a `nohup` or `&`
    job) stays ignored, as Python itself leaves it."""
    previous = {}
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    for signum in _SIGNALS:
        if signum != signal.SIGTERM and signal.getsignal(signum) == signal.SIG_IGN:
            continue
        previous[signum] = signal.signal(signum, _handle)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def on_signal(cleanup: Callable[[], None]) -> Iterator[None]:
    """Run `cleanup` if a handled signal arrives while the block runs (the block's own `finally` does it otherwise)."""
    _cleanups.append(cleanup)
    try:
        yield
    finally:
        _cleanups.remove(cleanup)


@contextmanager
def starting() -> Iterator[None]:
    """Start a process and register its cleanup inside this block: a signal that arrives meanwhile is acted on
    when the block ends, so no process can be started after the handler ran or left without a cleanup."""
    global _deferring
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring and _pending:
            _handle(_pending[0], None)
