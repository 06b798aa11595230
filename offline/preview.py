"""The `preview` command: the credential-free preview and policy check of one stack (exit codes in the README)."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from webex_scim import interrupt

from . import stackfile

if TYPE_CHECKING:  # types only: a preview imports the SDKs after its pack has started
    from .engine import ProgramRun
    from .model import PolicyReport
    from .pack_process import PackProcess
    from .stackfile import StackConfig

# Nothing here imports the SDKs at module level: a preview starts the policy pack first, so the pack's start-up
# runs on the other core while this process imports pulumi and runs the program.


def preview_command(args: argparse.Namespace) -> int:
    cfg = stackfile.load(args.project_dir, stack=args.stack, config_file=args.config_file)
    started: list[Any] = []  # the pack, once started: what a signal, or the end, stops
    with interrupt.on_signal(lambda: [p.kill_now() for p in started]):
        try:
            policy_config = start_pack(args, started)
            run, report, doc = judged(cfg, started[0] if started else None, policy_config)
        finally:
            for pack in started:
                pack.kill()

    from . import render
    from .markdown import preview_markdown

    violations, later = (report.violations, report.checked_at_up) if report else ([], [])
    outcomes, pack = (report.outcomes, report.pack) if report else (None, "")
    tree = functools.partial(
        render.tree_lines, run, violations, details=not args.no_details, outcomes=outcomes, later=later, pack=pack
    )
    render.write_reports(args, doc, tree, preview_markdown)
    return exit_code(doc)


def start_pack(args: argparse.Namespace, started: list[Any]) -> Mapping[str, Any] | None:
    """The project's policy pack started (appended to `started`), unless --no-policies; the policy config read."""
    if args.no_policies:
        return None
    from .pack_process import PackProcess
    from .policy_config import load_policy_config

    policy_config = load_policy_config(args.policy_config) if args.policy_config is not None else None
    # Started before this process imports the SDKs: the pack starts up on the other core meanwhile.
    with interrupt.starting():
        started.append(PackProcess(args.project_dir / "policies"))
    return policy_config


def judged(
    cfg: StackConfig, pack: PackProcess | None, policy_config: Mapping[str, Any] | None
) -> tuple[ProgramRun, PolicyReport | None, dict[str, Any]]:
    """One stack previewed and judged by `pack`: the run, the pack's report, and the `--json` document."""
    from .engine import preview_tree, printed_warning
    from .render import document

    run, report = preview_tree(cfg, pack, policy_config)
    if run.printed.strip():  # kept off stdout, where `--json -` goes: said, not lost
        run.warnings.append(printed_warning("the program", run.printed))
    violations, later = (report.violations, report.checked_at_up) if report else ([], [])
    return run, report, document(run, violations, later)


def exit_code(doc: Mapping[str, Any]) -> int:
    """1 when a mandatory policy refuses the stack, else 0 (a preview that could not run raised instead)."""
    return 1 if any(v.get("enforcementLevel") == "mandatory" for v in doc.get("policyViolations", [])) else 0
