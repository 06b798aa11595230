"""`python -m webex_scim simulate --stack NAME --users PATH|graph [--json PATH] [--markdown PATH]
[--check-with-graph] [--scim-url URL --scim-token-env NAME]`.

Exit codes as the preview's (shared/DESIGN.md): 0 every provisioned user is fine; 1 a user has a problem (something
Webex would refuse, or an attribute the simulation cannot evaluate), the snapshot cannot answer for the stack (a
group-assigned stack, users without group membership), a Graph check found a mismatch, or a replay failed; 2 bad
config, a bad snapshot or bad usage, with one message on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from webex_scim.errors import UsageError

if TYPE_CHECKING:
    from .run import Simulation
    from .snapshot import Snapshot
    from .stack import SimulationStack

GRAPH = "graph"  # `--users graph`: read the users from Microsoft Graph


def simulation_for(
    args: argparse.Namespace, also_keep: frozenset[str] = frozenset()
) -> tuple[SimulationStack, Snapshot, Simulation]:
    """The stack, the snapshot (`--users PATH|graph`) and their simulation, as `simulate` and `match` read them;
    `also_keep`: engine attributes to hold per user beyond what the stack reads."""
    from . import stack
    from .run import attributes_to_keep, simulate

    sim_stack = stack.load(args.project_dir, stack=args.stack, config_file=args.config_file)
    if args.users == GRAPH:
        from .graph_users import read_from_graph

        snapshot = read_from_graph(sim_stack, also=also_keep)
    else:
        from .snapshot import read_snapshot

        snapshot = read_snapshot(Path(args.users), keep=attributes_to_keep(sim_stack) | also_keep)
    return sim_stack, snapshot, simulate(sim_stack, snapshot)


def simulate_command(args: argparse.Namespace) -> int:
    from . import render

    if args.scim_url is not None and not args.scim_token_env:
        raise UsageError("--scim-url needs --scim-token-env NAME: the environment variable that holds the token")
    if args.scim_token_env and args.scim_url is None:
        raise UsageError("--scim-token-env is for --scim-url; give the SCIM base URL too")
    token = None
    if args.scim_url is not None:
        from .scim_http import check_url

        check_url(args.scim_url)
        token = os.environ.get(args.scim_token_env or "")
        if not token:
            raise UsageError(
                f"--scim-token-env {args.scim_token_env}: that environment variable is not set or empty; export the "
                "SCIM bearer token in it (never pass the token on the command line)"
            )
    sim_stack, snapshot, sim = simulation_for(args)
    mismatches = 0
    extra_markdown: list[str] = []
    if args.check_with_graph:
        from .graph_check import check_with_graph

        report = check_with_graph(sim_stack, snapshot, sim)
        mismatches = report.mismatches
        sim.notes.append(report.summary)
    replay_failed = False
    replay_lines: list[tuple[str, str]] = []
    if args.scim_url is not None and token is not None:
        from .replay import replay

        outcome = replay(sim, args.scim_url, token)
        replay_failed = outcome.failed > 0
        replay_lines = outcome.lines()
        extra_markdown.append(outcome.markdown())
    if args.json_path == "-":
        render.write_json(sim, sys.stdout)
    else:
        from offline.render import print_tree

        lines = render.terminal_lines(sim)
        print_tree([*lines[:-1], *replay_lines, lines[-1]])
        if args.json_path:
            with open(args.json_path, "w", encoding="utf-8") as out:
                render.write_json(sim, out)
    if args.markdown is not None:
        args.markdown.write_text(render.markdown(sim, extra=extra_markdown), encoding="utf-8")
    if args.json_path == "-":  # stdout holds the document: what the terminal would say goes to stderr
        for note in sim.notes:
            print(f"note: {note}", file=sys.stderr)
        print(render.summary_line(sim), file=sys.stderr)
    return 1 if sim.summary()["problems"] or sim.attention or mismatches or replay_failed else 0
