"""`python -m offline preview|diff`: the credential-free preview and policy check (exit codes in shared/DESIGN.md)."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import interrupt, stackfile, userfiles
from .errors import EngineError, UsageError

# Nothing here imports the SDKs at module level: a preview starts the policy pack first, so the pack's start-up
# runs on the other core while this process imports pulumi and runs the program.

PROJECT_DIR = Path(__file__).resolve().parent.parent


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exit 2, but with our one-line format
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _add_stack_and_reports(p: argparse.ArgumentParser, json_help: str) -> None:
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--stack", help="stack name: reads Pulumi.<NAME>.yaml beside Pulumi.yaml")
    which.add_argument("--config-file", type=Path, help="a stack file anywhere (its name gives the stack name)")
    p.add_argument("--json", dest="json_path", help=json_help)
    p.add_argument("--markdown", type=Path, help="write a Markdown report here (for a PR comment)")
    p.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help=argparse.SUPPRESS)


def _add_common(p: argparse.ArgumentParser) -> None:
    _add_stack_and_reports(p, "write the JSON document here (- for stdout)")
    p.add_argument("--policy-config", type=Path, help="the CLI's --policy-pack-config JSON")
    p.add_argument("--no-policies", action="store_true", help="skip the policy pack (the CLI without --policy-pack)")
    p.add_argument("--no-details", action="store_true", help="tree only, without each resource's inputs")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m offline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    preview = sub.add_parser("preview", help="run the program and the policy pack, print a tree like `pulumi preview`")
    _add_common(preview)
    diff = sub.add_parser("diff", help="preview the base revision and the working tree, and report the difference")
    _add_common(diff)
    diff.add_argument("--base", required=True, help="git ref of the base revision (e.g. origin/main)")
    diff.add_argument(
        "--users", type=Path, help="a directory snapshot: also report who starts or stops being provisioned"
    )
    simulate = sub.add_parser("simulate", help="what Webex would receive, per user, from a directory snapshot")
    _add_simulate(simulate)
    return parser


def _add_simulate(p: argparse.ArgumentParser) -> None:
    # Declared here, not in offline/simulate/: a preview imports nothing of the simulation.
    _add_stack_and_reports(p, "write the Simulation JSON document here (- for stdout)")
    p.add_argument(
        "--users",
        required=True,
        metavar="PATH|graph",
        help='users in Graph\'s shape (JSON array, a Graph {"value": [...]} page, or CSV with Graph property '
        "names), or `graph` to read the assigned users from Microsoft Graph",
    )
    p.add_argument("--check-with-graph", action="store_true", help="compare each expression with Graph's own result")
    p.add_argument("--scim-url", help="replay the provisioning cycle against this SCIM 2.0 base URL")
    p.add_argument("--scim-token-env", metavar="NAME", help="environment variable holding the SCIM bearer token")


def preview(args: argparse.Namespace) -> int:
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
    tree = functools.partial(render.tree_lines, run, violations, details=not args.no_details, outcomes=outcomes)
    render.write_reports(args, render.document(run, violations), tree, preview_markdown)
    return 1 if any(v.enforcement_level == "mandatory" for v in violations) else 0


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse what the command line gets wrong before any work starts (UsageError, exit 2): a stack name that is
    not one, and an output file that cannot be written (found only after a whole preview otherwise).

    A diff reads the stack file and the policy config for each of its two sides: a FIFO or a device there would
    hang or flood it, so a diff checks they are readable regular files first. What they contain is the head side's
    to judge, so a broken stack file still gets the diff's report.
    """
    if args.stack is not None:
        args.stack = stackfile.check_stack_name(args.stack)
    if args.json_path and args.json_path != "-":
        userfiles.check_output("--json", args.json_path, f"{args.command}.json")
    if args.markdown is not None:
        userfiles.check_output("--markdown", str(args.markdown), f"{args.command}.md")
    if args.command == "diff":
        from .policy_config import MAX_POLICY_CONFIG_BYTES

        if args.config_file is not None:
            userfiles.read_text(
                args.config_file, label="stack file", limit=stackfile.MAX_STACK_FILE_BYTES, example="Pulumi.dev.yaml"
            )
        if args.policy_config is not None:
            userfiles.read_text(
                args.policy_config, label="--policy-config", limit=MAX_POLICY_CONFIG_BYTES, example="policy-config.json"
            )


def diff(args: argparse.Namespace) -> int:
    from .diff import diff_command

    return diff_command(args)


# Each subcommand: its parser in build_parser, its function here (args -> exit code).
def simulate(args: argparse.Namespace) -> int:
    from .simulate.command import simulate_command

    return simulate_command(args)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"preview": preview, "diff": diff, "simulate": simulate}


def main(argv: Sequence[str] | None = None) -> int:
    # From here on a Ctrl-C, SIGTERM or SIGHUP stops whatever the command started and exits 130/143/129.
    with interrupt.handled():
        try:
            args = build_parser().parse_args(argv)
            check_arguments(args)
            return COMMANDS[args.command](args)
        except (UsageError, EngineError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return exc.exit_code
