"""Getting a revision's tree: `git archive` of a ref into a temporary directory (`materialize`), for a diff's base.

The tree is only read: this process runs its program (offline/diff.py), so a base needs its program, project and
stack files, not an engine of its own. Any failure here is the base's, reported as such, never the diff's.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path

from webex_scim.errors import UsageError


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def _git_error(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [x for x in (proc.stderr or "").splitlines() if x.strip()]
    return lines[-1].strip() if lines else f"git exited with code {proc.returncode}"


class BaseUnavailable(Exception):
    """The base revision could not be materialized or has no project (reported, never fatal)."""


def _safe_member(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """tarfile's "data" filter, but a member it refuses (a symlink out of the tree, say) is skipped, not fatal."""
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None


def check_ref(project_dir: Path, ref: str) -> None:
    """Refuse a `--base` that names no commit here (UsageError, exit 2) before any preview runs: a diff against a
    ref that does not exist compares nothing, and saying "not compared" would pass a typo in CI. (A base that exists
    but cannot run, or a stack new in the change, stays a reported "not compared".)"""
    try:
        top = _git(project_dir, "rev-parse", "--show-toplevel")
    except FileNotFoundError:
        return  # no git at all: said as the base's failure, with the rest of the report
    if top.returncode != 0:
        raise UsageError(
            f"--base {ref}: {project_dir} is not in a git checkout ({_git_error(top)}), so there is no base"
        )
    commit = _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if commit.returncode != 0 or not commit.stdout.strip():
        raise UsageError(
            f"--base {ref}: no such commit here; give a branch, tag or commit that exists (`git branch -a` lists "
            "them; fetch it first, e.g. `git fetch origin`; in CI check out with fetch-depth: 0)"
        )


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
    # `check_ref` refused a ref that names no commit, before the diff began.
    sha = _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").stdout.strip() or ref
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
    if not (base_dir / "Pulumi.yaml").is_file():
        shown = f"{ref}:{prefix}" if prefix else ref
        raise BaseUnavailable(f"{shown} has no Pulumi.yaml: no project there to preview")
    return base_dir


def in_ref_terms(text: str, base_dir: Path, scratch: Path, ref: str) -> str:
    """A base's message with its temporary tree's paths written as `<ref>:<path>` (git's notation), so no report
    names a folder that is gone by the time anyone reads it."""
    for root in sorted({str(base_dir), str(base_dir.resolve())}, key=len, reverse=True):
        text = text.replace(root + os.sep, f"{ref}:").replace(root, ref)
    for root in sorted({str(scratch), str(scratch.resolve())}, key=len, reverse=True):
        text = text.replace(root, "<temporary folder>")
    return text
