"""Running one revision of the project: `python -m offline preview --json -` in that revision's own tree.

A diff's base comes from `git archive` into a temporary directory (`materialize`) and runs its own engine,
program and stack file; the head runs the working tree the same way. Their policy packs are judged by content: when
the base's policies/ are the head's, one pack process (the diff's) serves both sides, its port passed on each
side's stdin (`--policy-pack-on-stdin`, `Side.pass_port`); otherwise the base starts its own. Each side is a plain
subprocess in a process group of its own, with a time limit (AUDIT D7): a side that exceeds it, or fails, is
reported as that side's failure. `Side.kill` stops the side and whatever it started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tarfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .pack_process import pack_digest

TIME_LIMIT = 600.0  # seconds for one side; far above any real stack (see `make bench`), far below CI's job limit
_GRACE = 0.5  # seconds a stopped side gets to stop its own policy pack before its whole group is killed

SHARED_PACK_OPTION = "--policy-pack-on-stdin"  # `preview`'s option for a pack the diff lends (offline/cli.py)
PRINTED_LIMIT = 200  # characters of a side's stray stdout quoted in a report


@dataclass
class SideResult:
    exit_code: int
    doc: dict[str, Any] | None
    stderr: str
    printed: str = ""  # what the side wrote to stdout besides its JSON document (a program's print())

    @classmethod
    def parse(cls, exit_code: int, stdout: str, stderr: str) -> SideResult:
        doc, printed = parse_doc(exit_code, stdout)
        return cls(exit_code, doc, stderr, printed)

    @property
    def ok(self) -> bool:
        return self.doc is not None and self.exit_code in (0, 1)

    def error_line(self) -> str:
        said = error_line(self.stderr)
        if said:
            return said
        if self.printed.strip():
            return (
                f"exited with code {self.exit_code} without its JSON document; "
                f"it printed to stdout: {quote_printed(self.printed)}"
            )
        return f"exited with code {self.exit_code} without its JSON document, and printed no message"


def quote_printed(text: str, limit: int = PRINTED_LIMIT) -> str:
    """A side's stray stdout for a one-line report: whitespace runs as one space, at most `limit` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return repr(flat)
    return f"{flat[: limit - 1]!r}… ({len(flat) - limit + 1:,} more characters)"


def error_line(stderr: str) -> str:
    """The one message a failed run gave: from its `error:` line on (a config error may list problems below it),
    else the last line (a traceback's exception)."""
    lines = [line.rstrip() for line in stderr.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith("error:"):
            rest = [line.removeprefix("error:").strip()] + [x.strip() for x in lines[i + 1 :]]
            return " ".join(rest)
    return lines[-1].strip() if lines else ""


def parse_doc(code: int, raw: str) -> tuple[dict[str, Any] | None, str]:
    """(the side's JSON document or None, whatever else it printed to stdout).

    A program may print() while it runs; a preview writes its document last, starting on a line of its own with the
    one unindented `{` of `json.dumps(indent=2)`, so the document is found after the last such line.
    """
    if code not in (0, 1) or not raw.strip():
        return None, raw
    start = raw.rfind("\n{") + 1  # 0 when the document is all there is
    if not raw.startswith("{", start):
        return None, raw
    try:
        doc = json.loads(raw[start:])
    except json.JSONDecodeError:
        return None, raw
    if not isinstance(doc, dict):
        return None, raw
    return doc, raw[:start]


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def _git_error(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [x for x in (proc.stderr or "").splitlines() if x.strip()]
    return lines[-1].strip() if lines else f"git exited with code {proc.returncode}"


class BaseUnavailable(Exception):
    """The base revision could not be materialized or has no offline engine (reported, never fatal)."""


def _safe_member(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """tarfile's "data" filter, but a member it refuses (a symlink out of the tree, say) is skipped, not fatal."""
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None


def materialize(project_dir: Path, ref: str, dest: Path) -> Path:
    """Extract the tree of `ref` (the project's folder of it) into `dest`; the project folder inside it. Any
    failure is the base's, reported as such (BaseUnavailable), never a crash."""
    try:
        return _extract(project_dir, ref, dest)
    except BaseUnavailable:
        raise
    except Exception as exc:
        raise BaseUnavailable(f"extracting {ref} failed: {type(exc).__name__}: {exc}") from None


def _extract(project_dir: Path, ref: str, dest: Path) -> Path:
    try:
        top = _git(project_dir, "rev-parse", "--show-toplevel")
    except FileNotFoundError:
        raise BaseUnavailable("git is not installed") from None
    if top.returncode != 0:
        raise BaseUnavailable(f"{project_dir} is not in a git checkout ({_git_error(top)})")
    prefix = _git(project_dir, "rev-parse", "--show-prefix").stdout.strip()
    commit = _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if commit.returncode != 0 or not commit.stdout.strip():
        raise BaseUnavailable(
            f"git ref {ref!r} is not a commit here (fetch it first, e.g. `git fetch origin`; in CI check out with "
            "fetch-depth: 0)"
        )
    sha = commit.stdout.strip()
    root = Path(top.stdout.strip())
    argv = ["git", "archive", "--format=tar", sha]
    if prefix:
        argv += ["--", prefix]
    proc = subprocess.Popen(argv, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            tar.extractall(dest, filter=_safe_member)
    except tarfile.TarError as exc:
        proc.kill()
        raise BaseUnavailable(f"git archive {ref}: {exc}") from None
    finally:
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        proc.wait()
    if proc.returncode != 0:
        raise BaseUnavailable(f"git archive {ref}: {err.strip().splitlines()[-1] if err.strip() else 'failed'}")
    base_dir = dest / prefix if prefix else dest
    if not (base_dir / "offline" / "__main__.py").is_file():
        raise BaseUnavailable(f"{ref} has no offline/ engine (python -m offline), so it cannot be previewed")
    return base_dir


class Side:
    """One side of a diff, running: stdout and stderr go to files (no pipe can fill up)."""

    def __init__(self, cwd: Path, argv: list[str], scratch: Path, label: str) -> None:
        # `python -m offline` puts its working directory first on sys.path: each side imports `offline`,
        # `components` and the policy pack from its own tree, never from ours.
        env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
        self.label = label
        self.shares_pack = SHARED_PACK_OPTION in argv  # it waits for the diff's pack: `pass_port`
        self._out: IO[bytes] = open(scratch / f"{label}.json", "w+b")
        self._err: IO[bytes] = open(scratch / f"{label}.err", "w+b")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "offline", *argv],
            cwd=cwd,
            stdin=subprocess.PIPE,  # closed at once, or after the shared pack's port (`pass_port`)
            stdout=self._out,
            stderr=self._err,
            env=env,
            start_new_session=True,  # a terminal's Ctrl-C reaches the diff only; the diff stops the sides
        )

    def pass_port(self, port: int | None) -> None:
        """Give the side its stdin: the shared pack's port, as the pack printed it, then EOF (all a side that does
        not share the diff's pack, or whose pack failed to start, gets)."""
        assert self.proc.stdin is not None
        try:
            if port is not None:
                self.proc.stdin.write(f"{port}\n".encode())
            self.proc.stdin.close()
        except OSError:  # the side has ended already: its result says how
            pass

    def result(self, time_limit: float = TIME_LIMIT) -> SideResult:
        """Wait for the side (at most `time_limit` seconds: then it is stopped and that is its failure)."""
        if not _ends_within(self.proc.pid, time_limit):
            self.kill()
            message = f"error: the {self.label} preview did not finish within {time_limit:g} s and was stopped"
            return SideResult(-1, None, message)
        code = self.proc.wait()  # it has ended: reaped at once
        try:
            self._out.seek(0)
            self._err.seek(0)
            raw = self._out.read().decode("utf-8", "replace")
            err = self._err.read().decode("utf-8", "replace")
        finally:
            self._out.close()
            self._err.close()
        return SideResult.parse(code, raw, err)

    def kill(self) -> None:
        """Stop the side: SIGTERM lets it stop its own pack; anything left in its group is then killed. A side
        already reaped is left alone (its process group id may belong to another process by now)."""
        if self.proc.returncode is not None:
            return
        _signal_group(self.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + _GRACE
        while self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        _signal_group(self.proc.pid, signal.SIGKILL)
        try:  # with a timeout, wait() never blocks on the lock an interrupted wait() of this thread may hold
            self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass


def _ends_within(pid: int, seconds: float) -> bool:
    """Whether the child `pid` ends within `seconds`, known the moment it does: `Popen.wait(timeout)` polls, up to
    50 ms late, and that lateness is the diff's own (see `make bench`). A thread waits without reaping (WNOWAIT),
    so the caller's wait stays interruptible by a signal and Popen still reaps the child itself."""
    ended = threading.Event()

    def watch() -> None:
        try:
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:  # reaped already
            pass
        ended.set()

    threading.Thread(target=watch, name=f"side-{pid}", daemon=True).start()
    return ended.wait(seconds)


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def side_argv(
    *,
    stack: str | None,
    config_file: Path | None,
    policy_config: Path | None,
    no_policies: bool,
    shared_pack: bool = False,
) -> list[str]:
    """The preview command line a side runs; with `shared_pack`, it uses the diff's pack (`Side.pass_port`)."""
    argv = ["preview", "--json", "-"]
    argv += ["--config-file", str(config_file)] if config_file is not None else ["--stack", str(stack)]
    if policy_config is not None:
        argv += ["--policy-config", str(policy_config)]
    if no_policies:
        argv.append("--no-policies")
    elif shared_pack:
        argv.append(SHARED_PACK_OPTION)
    return argv


def can_share_pack(base_dir: Path, head_dir: Path) -> bool:
    """Whether the base may use the head's running pack: its policies/ the same files, and its engine one that
    takes --policy-pack-on-stdin (an older one would refuse the option; it starts its own pack, as it always did)."""
    try:
        cli = (base_dir / "offline" / "cli.py").read_text(encoding="utf-8", errors="replace")
        return SHARED_PACK_OPTION in cli and pack_digest(base_dir / "policies") == pack_digest(head_dir / "policies")
    except OSError:
        return False


def in_ref_terms(text: str, base_dir: Path, scratch: Path, ref: str) -> str:
    """A base's message with its temporary tree's paths written as `<ref>:<path>` (git's notation), so no report
    names a folder that is gone by the time anyone reads it."""
    for root in sorted({str(base_dir), str(base_dir.resolve())}, key=len, reverse=True):
        text = text.replace(root + os.sep, f"{ref}:").replace(root, ref)
    for root in sorted({str(scratch), str(scratch.resolve())}, key=len, reverse=True):
        text = text.replace(root, "<temporary folder>")
    return text
