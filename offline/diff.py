"""`python -m webex_scim diff`: preview the base revision and the working tree, and report what would change.

As the Pulumi CLI runs whichever program it is given, this process runs both: the working tree's program, then the
base's (its tree extracted by offline/revision.py), each through `preview_tree` as `preview` does, with its own
components/ (offline/trees.py) and the verdicts of its own policy pack: one pack process serves
both when their policies/ are the same (`pack_digest`), else the base gets its own (see `make bench`). The two
documents are compared by offline/compare.py and printed by offline/render.py (terminal) or offline/markdown.py.
A Ctrl-C, SIGTERM or SIGHUP stops the packs and removes the base's temporary tree (webex_scim/interrupt.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webex_scim import interrupt
from webex_scim.errors import EngineError, UsageError

from . import stackfile
from .compare import changed_secrets, compare, head_only
from .pack_process import PackProcess, pack_digest
from .policy_config import load_policy_config
from .revision import BaseUnavailable, check_ref, in_ref_terms, materialize
from .trees import GIVEN_UP, give_up

TIME_LIMIT = 600.0  # seconds for one side; far above any real stack (see `make bench`), far below CI's job limit
SidePreview = tuple[dict[str, Any], str]  # a side's JSON document, and what its program printed to stdout


@dataclass
class SideRun:
    """How one side's preview went: its document, or what stopped it; and what its program printed."""

    doc: dict[str, Any] | None
    error: BaseException | None = None
    printed: str = ""
    abandoned: bool = False  # still running past its time limit: this process's SDK state is that side's


def run_diff(args: argparse.Namespace, time_limit: float | None = None) -> tuple[int, dict[str, Any], str | None]:
    """(exit code, document, message for stderr). Each side may take `time_limit` seconds (TIME_LIMIT by default)."""
    time_limit = TIME_LIMIT if time_limit is None else time_limit
    project_dir = Path(args.project_dir).resolve()
    project, _ = stackfile.load_project(project_dir)
    head_config = Path(args.config_file).resolve() if args.config_file is not None else None
    policy_config = Path(args.policy_config).resolve() if args.policy_config is not None else None
    head_stack_file = head_config or stackfile.stack_file(project_dir, args.stack)
    check_ref(project_dir, args.base)
    users = None
    if getattr(args, "users", None) is not None:  # read first: a bad snapshot stops the diff before any preview
        from provisioning_cycle.diffusers import read_users

        users = read_users(args.users)

    scratch = Path(tempfile.mkdtemp(prefix="webex-scim-diff-"))
    packs: list[PackProcess] = []

    def stop(now: bool = False) -> None:  # `now` from the signal handler, which may have interrupted `stop` itself
        for pack in packs:
            pack.kill_now() if now else pack.kill()
        shutil.rmtree(scratch, ignore_errors=True)

    def side(tree: Path, config_file: Path | None, pack: PackProcess | None) -> Callable[[], SidePreview]:
        return lambda: _preview(tree, args.stack, config_file, pack, policy_config)

    base_error: str | None = None
    base_stack_file: Path | None = None
    base_dir: Path | None = None
    base: SideRun | None = None
    with interrupt.on_signal(lambda: stop(now=True)):
        try:
            # The head's pack starts first, before this process imports the SDKs: it boots on the other core while
            # the base is extracted and the head's program runs.
            if not args.no_policies:
                with interrupt.starting():
                    packs.append(PackProcess(project_dir / "policies"))
            head_pack = packs[0] if packs else None
            base_pack = None
            try:
                base_dir = materialize(project_dir, args.base, scratch / "base")
                base_config = head_config
                if head_config is not None:
                    try:
                        base_config = base_dir / head_config.relative_to(project_dir)
                    except ValueError:
                        base_config = head_config  # a stack file outside the project: the same file on both sides
                base_stack_file = base_config or stackfile.stack_file(base_dir, args.stack)
                if not base_stack_file.is_file():  # said here, in the ref's terms
                    base_stack_file = None
                    raise BaseUnavailable(_no_base_stack_file(args, head_config, project_dir))
                base_pack = head_pack and _pack_for(base_dir, project_dir, head_pack, packs)
            except (BaseUnavailable, EngineError, OSError) as exc:
                base_error = str(exc)
            # Each side's program imports its own components/ and policies/ (offline/trees.py).
            head = _run_side("head", side(project_dir, head_config, head_pack), time_limit)
            if base_error is None and base_dir is not None and head.doc is None:
                # Nothing to compare with: the diff fails with the head's message, without waiting for the base.
                base_error = "not previewed: this change's preview " + (
                    "did not finish" if head.abandoned else "failed"
                )
            elif base_error is None and base_dir is not None:
                base = _run_side("base", side(base_dir, base_config, base_pack), time_limit)
                if base.error is not None:
                    base_error = _said(base.error)
            if base_error is not None:
                base_error = in_ref_terms(base_error, base_dir or scratch / "base", scratch, args.base)
            from .engine import printed_warning

            printed = []
            if head.printed.strip():
                printed.append(printed_warning("this change's program", head.printed))
            if base_error is None and base is not None and base.printed.strip() and base_dir:
                said = in_ref_terms(base.printed, base_dir, scratch, args.base)
                printed.append(printed_warning(f"the base revision ({args.base})", said))
            secrets = (
                changed_secrets(base_stack_file, head_stack_file, project)
                if base_stack_file is not None and base_error is None
                else {}
            )
        finally:
            stop()

    ref_info = {"ref": args.base, "ok": base_error is None, "error": base_error}
    if head.doc is None:
        assert head.error is not None
        code = 2 if isinstance(head.error, UsageError) else 1
        stack = args.stack or (stackfile.stack_name_from(head_config) if head_config else None)
        doc = {**head_only({"project": project, "stack": stack}), "base": ref_info}
        doc["head"] = {"ok": False, "error": _said(head.error)}
        return code, doc, f"error: {_message(head.error)}"

    base_doc = base.doc if base_error is None and base is not None else None
    if base_doc is not None:
        doc = compare(base_doc, head.doc, secret_changes=secrets)
    else:
        doc = head_only(head.doc)
    if users is not None:
        from provisioning_cycle.diffusers import add_user_changes

        add_user_changes(doc, users, base_doc, head.doc)
    doc["base"] = ref_info
    doc["head"] = {"ok": True, "error": None}
    # A program's print() would share stdout with `--json -`: kept apart, said, not lost.
    doc["warnings"] = [*doc["warnings"], *printed]
    mandatory = any(v.get("enforcementLevel") == "mandatory" for v in doc["policyViolations"])
    return (1 if mandatory else 0), doc, None


def _pack_for(base_dir: Path, head_dir: Path, head_pack: PackProcess, packs: list[PackProcess]) -> PackProcess:
    """The pack that judges the base: the head's when the base's policies/ are the same files, else its own,
    started now (it boots on the other core while the head's program runs)."""
    if pack_digest(base_dir / "policies") == pack_digest(head_dir / "policies"):
        return head_pack
    with interrupt.starting():
        packs.append(PackProcess(base_dir / "policies"))
    return packs[-1]


def _preview(
    tree: Path,
    stack: str | None,
    config_file: Path | None,
    pack: PackProcess | None,
    policy_config: Path | None,
) -> SidePreview:
    """One side: the tree's stack file and program, judged by `pack`, as the JSON document `preview` writes; and
    what its program printed to stdout."""
    from . import render
    from .engine import preview_tree

    cfg = stackfile.load(tree, stack=stack, config_file=config_file)
    # Read by each side, inside it: a bad file is the change's failure, reported in the diff's document.
    levels = load_policy_config(policy_config) if policy_config is not None and pack is not None else None
    run, report = preview_tree(cfg, pack, levels)
    return render.document(run, *((report.violations, report.checked_at_up) if report else ([], []))), run.printed


def _run_side(label: str, job: Callable[[], SidePreview], time_limit: float) -> SideRun:
    """Run one side's preview in a worker thread, waiting at most `time_limit` seconds (AUDIT D7: a base whose
    program hangs must not hang the diff). Python cannot stop a thread: one that overruns is left behind and
    reported as that side's failure; the working directory, sys.path and modules its program had set are put back,
    and the diff ends its process itself once the report is out (`diff_command`: a thread stuck in a thread pool
    would otherwise hold the interpreter's exit). What the program prints is kept by the engine (`run_program`)."""
    outcome: list[Any] = []

    def work() -> None:
        try:
            outcome.append(job())
        except BaseException as exc:  # the side's failure, said by the diff (a program's sys.exit too)
            outcome.append(exc)

    cwd, path, modules = os.getcwd(), list(sys.path), dict(sys.modules)
    thread = threading.Thread(target=work, name=f"{label} preview", daemon=True)
    thread.start()
    thread.join(time_limit)
    if thread.is_alive():
        give_up(thread)  # its run, if it ever ends, leaves what is put back here alone
        os.chdir(cwd)
        sys.path[:] = path
        for name in set(sys.modules) - set(modules):  # the side's own components/ among them
            del sys.modules[name]
        sys.modules.update(modules)
        error = EngineError(f"the {label} preview did not finish within {time_limit:g} s and was abandoned")
        return SideRun(None, error, abandoned=True)
    (result,) = outcome
    if isinstance(result, BaseException):
        return SideRun(None, result)
    doc, printed = result
    return SideRun(doc, None, printed)


def _message(error: BaseException) -> str:
    """A side's failure in its own words: the engine's message, else the exception (never a traceback)."""
    if isinstance(error, (UsageError, EngineError)):
        return str(error)
    return f"the program failed: {type(error).__name__}: {error}"


def _said(error: BaseException) -> str:
    """`_message` on one line, for the document and the report (a config error lists its problems below it)."""
    return " ".join(line.strip() for line in _message(error).splitlines() if line.strip())


def _no_base_stack_file(args: argparse.Namespace, head_config: Path | None, project_dir: Path) -> str:
    if head_config is None:
        name = f"Pulumi.{args.stack}.yaml"
        return f"stack {args.stack!r} has no stack file {name} in {args.base}: a stack new in this change has no base"
    try:
        shown = head_config.relative_to(project_dir).as_posix()
    except ValueError:
        shown = str(head_config)
    return f"{shown} does not exist in {args.base}: a stack file new in this change has no base"


def diff_command(args: argparse.Namespace) -> int:
    abandoned_before = len(GIVEN_UP)
    code, doc, message = run_diff(args)
    if message:
        sys.stderr.write(message.rstrip() + "\n")
    from .markdown import diff_markdown
    from .render import diff_lines, write_reports

    write_reports(args, doc, lambda: diff_lines(doc), diff_markdown)
    if any(thread.is_alive() for thread in GIVEN_UP[abandoned_before:]):
        # The report is out and the packs and the base's tree are gone; an abandoned program cannot be stopped and
        # could hold the interpreter's exit forever (thread-pool workers are joined at exit): leave now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
