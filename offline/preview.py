"""The `preview` command: the credential-free preview and policy check of one stack (exit codes in the README)."""

from __future__ import annotations

import argparse
import functools
from typing import Any

from . import interrupt, stackfile

# Nothing here imports the SDKs at module level: a preview starts the policy pack first, so the pack's start-up
# runs on the other core while this process imports pulumi and runs the program.


def preview_command(args: argparse.Namespace) -> int:
    cfg = stackfile.load(args.project_dir, stack=args.stack, config_file=args.config_file)
    policy_config = None
    started: list[Any] = []  # the pack, once started: what a signal, or the end, stops
    with interrupt.on_signal(lambda: [p.kill_now() for p in started]):
        try:
            if not args.no_policies:
                from .pack_process import PackProcess
                from .policy_config import load_policy_config

                policy_config = load_policy_config(args.policy_config) if args.policy_config is not None else None
                # Started before this process imports the SDKs: the pack starts up on the other core meanwhile.
                with interrupt.starting():
                    started.append(PackProcess(args.project_dir / "policies"))
            from .engine import preview_tree

            run, report = preview_tree(cfg, started[0] if started else None, policy_config)
            if run.printed.strip():  # kept off stdout, where `--json -` goes: said, not lost
                from .engine import printed_warning

                run.warnings.append(printed_warning("the program", run.printed))
        finally:
            for pack in started:
                pack.kill()
    violations = report.violations if report else []

    from . import render
    from .markdown import preview_markdown

    outcomes = report.outcomes if report else None
    later = report.checked_at_up if report else []
    tree = functools.partial(
        render.tree_lines, run, violations, details=not args.no_details, outcomes=outcomes, later=later
    )
    render.write_reports(args, render.document(run, violations, later), tree, preview_markdown)
    return 1 if any(v.enforcement_level == "mandatory" for v in violations) else 0
