"""The policy pack (and the process that talks to it) never outlives the preview, also on Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import ROOT


def _processes_with(marker: str) -> list[int]:
    """Pids whose environment carries `marker` (children inherit it: a preview's or a diff's packs)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _wait_gone(marker: str, seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := _processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _env(marker: str) -> dict[str, str]:
    return {**os.environ, "WEBEX_SCIM_TEST_MARKER": marker}


def _run_offline(marker: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "webex_scim", *args],
        cwd=ROOT,
        env=_env(marker),
        capture_output=True,
        text=True,
        check=False,
    )


def test_no_process_is_left_after_a_preview():
    marker = f"marker-{uuid.uuid4().hex}"
    proc = _run_offline(marker, "preview", "--stack", "dev", "--no-details")
    assert proc.returncode == 0, proc.stderr
    assert "webex-scim-guard: 17 rules" in proc.stdout  # the pack did run
    assert _wait_gone(marker) == []


def test_no_process_is_left_after_a_diff():
    """A diff runs both sides' programs itself, with one pack for both (the same policies/ here)."""
    marker = f"marker-{uuid.uuid4().hex}"
    proc = _run_offline(marker, "diff", "--stack", "dev", "--base", "HEAD", "--json", "-")
    assert proc.returncode == 0, proc.stderr
    assert '"ok": true' in proc.stdout  # the base ran too
    assert _wait_gone(marker) == []


@contextmanager
def _runner_sigint(ignored: bool) -> Iterator[None]:
    """The runner's own SIGINT disposition: ignored when it was started as a `&` job of a script, under nohup, or by
    some CI wrappers. A child inherits an ignored SIGINT, so the test must restore the default in the child itself."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if ignored else None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


# What the shell does for a foreground job (AUDIT D9): SIGINT back to its default before the command runs, so a
# terminal's Ctrl-C reaches it even when the runner ignores SIGINT. Done by a tiny exec wrapper, not `preexec_fn`:
# that forces a real fork() of this pytest process, in which gRPC is live (the tests run previews in-process), and
# gRPC's fork handlers restart its poller in the child, which then dies (SIGABRT, "epoll_wait error: Bad file
# descriptor") once close_fds closes the poller's epoll fd before exec. Without it, Popen uses vfork.
_WITH_DEFAULT_SIGINT = [
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])",
]


def _offline(*args: str) -> list[str]:
    """`python -m webex_scim ARGS`, started with SIGINT at its default (the process keeps its pid through exec)."""
    return [*_WITH_DEFAULT_SIGINT, "-m", "webex_scim", *args]


def _big_stack(tmp_path: Path, assignments: int = 1500) -> Path:
    """AUDIT D1's reproduction: long enough to be interrupted while thousands of resources register."""
    stack = yaml.safe_load((ROOT / "tests" / "stacks" / "Pulumi.compliant.yaml").read_text())
    users = [{"user": str(uuid.UUID(int=i + 1))} for i in range(assignments)]
    stack["config"].update({"webex-scim:rollout": "full", "webex-scim:assignments": users})
    path = tmp_path / "Pulumi.big.yaml"
    path.write_text(yaml.safe_dump(stack))
    return path


def _signal_and_wait(proc: subprocess.Popen[str], signum: int, to_group: bool) -> tuple[float, str]:
    """Send one signal, and how long the process took to end after it (and its stderr)."""
    sent = time.monotonic()
    if to_group:
        os.killpg(proc.pid, signum)  # what a terminal does: every process of the foreground group
    else:
        proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    return time.monotonic() - sent, err


# Moments after the pack process appears: while the pack and the SDKs start up, while the program registers
# its 1,500 assignments, and while the last of them are analyzed.
MOMENTS = [0.0, 0.6, 1.4, 2.2]


def _running_preview(path: Path, marker: str, **popen: Any) -> subprocess.Popen[str]:
    """A preview of `path`, once it and its pack both run (at most 20 s)."""
    proc = subprocess.Popen(
        _offline("preview", "--config-file", str(path), "--no-details"),
        cwd=ROOT,
        env=_env(marker),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )
    deadline = time.monotonic() + 20
    while len(_processes_with(marker)) < 2 and time.monotonic() < deadline:  # the preview and the pack
        time.sleep(0.02)
    return proc


@pytest.mark.parametrize("moment", MOMENTS, ids=[f"after-{m}s" for m in MOMENTS])
@pytest.mark.parametrize("runner_ignores_sigint", [False, True], ids=["runner-default", "runner-ignores-sigint"])
@pytest.mark.parametrize("to_group", [False, True], ids=["signal-to-preview", "ctrl-c-to-process-group"])
def test_one_ctrl_c_ends_a_large_preview_at_once(tmp_path, to_group, runner_ignores_sigint, moment):
    path = _big_stack(tmp_path)
    marker = f"marker-{uuid.uuid4().hex}"
    with _runner_sigint(runner_ignores_sigint):
        # Its own group, so a terminal's Ctrl-C can be imitated with killpg.
        proc = _running_preview(path, marker, start_new_session=to_group)
    assert proc.poll() is None, proc.communicate()[1]
    time.sleep(moment)
    took, err = _signal_and_wait(proc, signal.SIGINT, to_group)
    assert proc.returncode == 130, err
    assert took < 1.0
    assert "interrupted" in err and "Traceback" not in err
    assert _wait_gone(marker) == []


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)], ids=["sigterm", "sighup"])
def test_sigterm_and_sighup_end_a_preview_and_leave_nothing(tmp_path, signum, code):
    path = _big_stack(tmp_path)
    marker = f"marker-{uuid.uuid4().hex}"
    proc = _running_preview(path, marker)
    time.sleep(0.8)  # registering
    took, err = _signal_and_wait(proc, signum, to_group=False)
    assert proc.returncode == code, err
    assert took < 1.0
    assert "Traceback" not in err
    assert _wait_gone(marker) == []


def test_a_pack_that_fails_to_start_is_reported_with_its_code_and_words(tmp_path):
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"):
        shutil.copy2(ROOT / name, tmp_path / name)
    for name in ("components", "policies"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    (tmp_path / "policies" / "__main__.py").write_text('raise SystemExit("broken on purpose")\n', encoding="utf-8")
    marker = f"marker-{uuid.uuid4().hex}"

    proc = _run_offline(marker, "preview", "--stack", "dev", "--project-dir", str(tmp_path))

    assert proc.returncode == 1
    assert "policy pack 'policies' failed to start (the pack exited with code 1)" in proc.stderr
    assert "broken on purpose" in proc.stderr and "Traceback" not in proc.stderr.split("---")[0]
    assert _wait_gone(marker) == []


@pytest.mark.parametrize(
    ("signum", "code", "to_group"),
    [(signal.SIGINT, 130, True), (signal.SIGTERM, 143, False), (signal.SIGHUP, 129, False)],
    ids=["ctrl-c-to-process-group", "sigterm", "sighup"],
)
@pytest.mark.parametrize("moment", [0.2, 1.5], ids=["while-starting", "while-the-programs-run"])
def test_a_signal_ends_a_diff_and_leaves_no_process_or_temporary_tree(tmp_path, signum, code, to_group, moment):
    """AUDIT D7: the diff, its pack and the base's extracted tree go, whenever the signal comes: while the pack
    starts and the base is extracted, or while a program runs (a stack file outside the project is the same file
    on both sides: 1,500 assignments, each side's program runs for seconds)."""
    marker = f"marker-{uuid.uuid4().hex}"
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = subprocess.Popen(
        _offline("diff", "--config-file", str(_big_stack(tmp_path)), "--base", "HEAD", "--json", "-"),
        cwd=ROOT,
        env={**_env(marker), "TMPDIR": str(temp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=to_group,
    )
    deadline = time.monotonic() + 20
    while not list(temp.glob("webex-scim-diff-*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(moment)
    assert proc.poll() is None, proc.communicate()
    took, err = _signal_and_wait(proc, signum, to_group)
    assert proc.returncode == code, err
    assert took < 1.0
    assert "Traceback" not in err
    assert _wait_gone(marker) == []
    assert list(temp.iterdir()) == []


def test_a_signal_while_a_process_starts_waits_until_it_is_registered(tmp_path):
    # The window between Popen and registering the child's cleanup: a signal there must not leave the child behind.
    log = tmp_path / "log"
    script = f"""
import os, signal
from webex_scim import interrupt
log = open({str(log)!r}, "w", buffering=1)
with interrupt.handled():
    started = []
    with interrupt.on_signal(lambda: log.write("cleanup saw " + ",".join(started) + "\\n")):
        with interrupt.starting():
            os.kill(os.getpid(), signal.SIGTERM)  # arrives while the process is being started
            started.append("child")
            log.write("registered\\n")
        log.write("never\\n")
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 143
    assert log.read_text() == "registered\ncleanup saw child\n"
