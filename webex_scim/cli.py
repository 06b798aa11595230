"""`python -m webex_scim preview|diff|simulate|match|status`: every command of webex-scim, one parser, one way to fail.

Exit codes are one contract for every command: 0 fine (advisories allowed), 1 something needs attention (a
mandatory policy violation, a failed program, a user Webex may refuse), 2 bad config or usage, with one message on
stderr naming the key or flag and the fix, never a traceback. A Ctrl-C, SIGTERM or SIGHUP stops whatever the
command started and exits 130/143/129 (webex_scim/interrupt.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from offline import stackfile
from webex_scim import interrupt, userfiles
from webex_scim.errors import EngineError, UsageError

# Nothing here imports a command's modules at module level: a preview starts its policy pack before it imports the
# SDKs, and no command pays for another's imports.

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROG = "python -m webex_scim"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exit 2, but with our one-line format
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _add_stack_and_reports(p: argparse.ArgumentParser, json_help: str, *, every_stack: bool = False) -> None:
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--stack", help="stack name: reads Pulumi.<NAME>.yaml beside Pulumi.yaml")
    which.add_argument("--config-file", type=Path, help="a stack file anywhere (its name gives the stack name)")
    if every_stack:
        which.add_argument("--all", action="store_true", help="every Pulumi.<stack>.yaml beside Pulumi.yaml")
    p.add_argument("--json", dest="json_path", help=json_help)
    p.add_argument("--markdown", type=Path, help="write a Markdown report here (for a PR comment)")
    p.add_argument(
        "--project-dir",
        type=Path,
        default=PROJECT_DIR,
        help="the Pulumi project (a folder with Pulumi.yaml) whose stack this is, with its own policies/ pack; "
        "default: this project (the identity bootstrap: bootstrap)",
    )


def _add_policy_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy-config", type=Path, help="the CLI's --policy-pack-config JSON")
    p.add_argument("--no-policies", action="store_true", help="skip the policy pack (the CLI without --policy-pack)")
    p.add_argument("--no-details", action="store_true", help="tree only, without each resource's inputs")


def _add_preview(p: argparse.ArgumentParser) -> None:
    _add_stack_and_reports(p, "write the JSON document here (- for stdout)", every_stack=True)
    _add_policy_flags(p)


def _add_diff(p: argparse.ArgumentParser) -> None:
    _add_stack_and_reports(p, "write the JSON document here (- for stdout)")
    _add_policy_flags(p)
    p.add_argument("--base", required=True, help="git ref of the base revision (e.g. origin/main)")
    p.add_argument("--users", type=Path, help="a directory snapshot: also report who starts or stops being provisioned")


def _add_simulate(p: argparse.ArgumentParser) -> None:
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


def _positive(text: str, what: str, top: float) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= top:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return value


def _deadline(text: str) -> float:
    return _positive(text, "a number of seconds above 0 (at most 86400), e.g. 300", 86_400)


def _concurrency(text: str) -> int:
    value = _positive(text, "a whole number from 1 to 16", 16)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to 16")
    return int(value)


def _add_match(p: argparse.ArgumentParser) -> None:
    _add_stack_and_reports(p, "write the match report's JSON document here (- for stdout)")
    p.add_argument(
        "--users",
        required=True,
        metavar="PATH|graph",
        help="the users, as for simulate: a Graph-shaped snapshot (JSON or CSV), or `graph` to read them from Graph",
    )
    p.add_argument(
        "--scim-token-env", metavar="NAME", help="environment variable holding the SCIM bearer token (Entra's)"
    )
    p.add_argument("--scim-url", help="read this SCIM 2.0 base URL instead of the stack's tenant URL")
    p.add_argument(
        "--list-org",
        action="store_true",
        help="list the whole org instead of one lookup per user (a request per 1,000 users), and the Webex users "
        "no Entra user reaches",
    )
    p.add_argument(
        "--deadline", type=_deadline, default=300.0, metavar="SECONDS", help="stop reading after this long (300)"
    )
    p.add_argument("--concurrency", type=_concurrency, default=4, metavar="N", help="lookups in flight at once (4)")


def _add_status(p: argparse.ArgumentParser) -> None:
    _add_stack_and_reports(p, "write the status JSON document here (- for stdout)", every_stack=True)
    p.add_argument("--service-principal-id", help="the Cisco Webex service principal's object id")
    p.add_argument("--job-id", help="the provisioning job's id (default: the service principal's only job)")
    p.add_argument("--hours", type=float, default=24.0, help="the provisioning logs' window, in hours (default 24)")
    p.add_argument("--test-connection", action="store_true", help="also run Test Connection (Entra calls Webex)")
    p.add_argument("--policy-config", type=Path, help="the CLI's --policy-pack-config JSON (token-expiry.minDaysLeft)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds each Graph read may take (default 120)")
    p.add_argument(
        "--drift",
        type=Path,
        metavar="PATH",
        help="a `pulumi preview --refresh --json` document of the stack: its drift joins the report",
    )


def _preview(args: argparse.Namespace) -> int:
    if args.all:
        from offline.fleet import preview_all

        return preview_all(args)
    from offline.preview import preview_command

    return preview_command(args)


def _diff(args: argparse.Namespace) -> int:
    from offline.diff import diff_command

    return diff_command(args)


def _simulate(args: argparse.Namespace) -> int:
    from provisioning_cycle.command import simulate_command

    return simulate_command(args)


def _match(args: argparse.Namespace) -> int:
    from provisioning_cycle.match_command import match_command

    return match_command(args)


def _status(args: argparse.Namespace) -> int:
    from provisioning_cycle.status_command import status_command

    return status_command(args)


# name -> (help, how its arguments are declared, what runs it: args -> exit code)
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "preview": (
        "run the program and the policy pack, print a tree like `pulumi preview` (--all: every stack, one table)",
        _add_preview,
        _preview,
    ),
    "diff": ("preview the base revision and the working tree, and report the difference", _add_diff, _diff),
    "simulate": ("what Webex would receive, per user, from a directory snapshot", _add_simulate, _simulate),
    "match": ("which Webex user each Entra user will match, read from the Webex org (read-only)", _add_match, _match),
    "status": ("a deployed provisioning job's health, read live from Microsoft Graph", _add_status, _status),
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description=__doc__.split("\n\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (help_, declare, _) in COMMANDS.items():
        declare(sub.add_parser(name, help=help_))
    return parser


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse what the command line gets wrong before any work starts (UsageError, exit 2): a stack name that is
    not one, and an output file that cannot be written (found only after a whole preview otherwise).

    A diff reads the stack file and the policy config for each of its two sides: a FIFO or a device there would
    hang or flood it, so a diff checks they are readable regular files first. What they contain is the head side's
    to judge, so a broken stack file still gets the diff's report.
    """
    if getattr(args, "project_dir", None) is not None:
        # The program runs with its project folder as working directory: a relative path would no longer lead there.
        args.project_dir = args.project_dir.resolve()
    if getattr(args, "stack", None) is not None:
        args.stack = stackfile.check_stack_name(args.stack)
    if getattr(args, "json_path", None) and args.json_path != "-":
        userfiles.check_output("--json", args.json_path, f"{args.command}.json")
    if getattr(args, "markdown", None) is not None:
        userfiles.check_output("--markdown", str(args.markdown), f"{args.command}.md")
    if args.command == "diff":
        from offline.policy_config import MAX_POLICY_CONFIG_BYTES

        if args.config_file is not None:
            userfiles.read_text(
                args.config_file, label="stack file", limit=stackfile.MAX_STACK_FILE_BYTES, example="Pulumi.dev.yaml"
            )
        if args.policy_config is not None:
            userfiles.read_text(
                args.policy_config, label="--policy-config", limit=MAX_POLICY_CONFIG_BYTES, example="policy-config.json"
            )


def main(argv: Sequence[str] | None = None) -> int:
    # From here on a Ctrl-C, SIGTERM or SIGHUP stops whatever the command started and exits 130/143/129.
    with interrupt.handled():
        try:
            args = build_parser().parse_args(argv)
            check_arguments(args)
            return COMMANDS[args.command][2](args)
        except (UsageError, EngineError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return exc.exit_code
