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

import pytest
import yaml

from tests.support import ROOT


def _processes_with(marker: str) -> list[int]:
    """Pids whose environment carries `marker` (children inherit it: the forked client and the pack)."""
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
        [sys.executable, "-m", "offline", *args],
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
    assert "webex-scim-guard: 16 rules" in proc.stdout  # the pack did run
    assert _wait_gone(marker) == []


def test_no_process_is_left_after_a_diff():
    """A diff runs two previews, a process extracting the base, and a pack the two sides may share."""
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


def _default_sigint() -> None:  # runs in the child between fork and exec: a terminal's Ctrl-C reaches it (D9)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("runner_ignores_sigint", [False, True], ids=["runner-default", "runner-ignores-sigint"])
@pytest.mark.parametrize("to_group", [False, True], ids=["signal-to-preview", "ctrl-c-to-process-group"])
def test_no_process_is_left_after_ctrl_c(tmp_path, to_group, runner_ignores_sigint):
    stack = yaml.safe_load((ROOT / "tests" / "stacks" / "Pulumi.compliant.yaml").read_text())
    users = [{"user": str(uuid.UUID(int=i + 1))} for i in range(1500)]
    stack["config"].update({"webex-scim:rollout": "full", "webex-scim:assignments": users})
    path = tmp_path / "Pulumi.big.yaml"
    path.write_text(yaml.safe_dump(stack))
    marker = f"marker-{uuid.uuid4().hex}"
    with _runner_sigint(runner_ignores_sigint):
        proc = subprocess.Popen(
            [sys.executable, "-m", "offline", "preview", "--config-file", str(path), "--no-details"],
            cwd=ROOT,
            env=_env(marker),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=to_group,  # its own group, so a terminal's Ctrl-C can be imitated with killpg
            preexec_fn=_default_sigint,
        )
    deadline = time.monotonic() + 20
    while len(_processes_with(marker)) < 3 and time.monotonic() < deadline:  # the preview, the client, the pack
        time.sleep(0.05)
    assert len(_processes_with(marker)) >= 3
    if to_group:
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal does: every process of the foreground group
    else:
        proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert _wait_gone(marker) == []


def test_a_pack_that_fails_to_start_is_reported_with_its_code_and_words_by_the_forked_client(tmp_path):
    """The pack is the preview's child; its client is a forked child that cannot wait for it and reads the pack's
    exit status from /proc instead. The message still says how the pack ended and what it said."""
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
