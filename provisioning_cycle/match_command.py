"""`python -m webex_scim match --stack NAME --users PATH|graph --scim-token-env NAME [--scim-url URL] [--list-org]
[--json PATH|-] [--markdown PATH] [--deadline SECONDS] [--concurrency N]`: before the first cycle, which Webex user
each Entra user will match, read from the Webex org itself, read-only.

The users are the simulation's (the same snapshot forms as `simulate`); the SCIM base is the stack's tenant URL, the
address Entra itself uses (`--scim-url` overrides it, http on loopback only); the bearer token comes from the named
environment variable, never the command line, and is never printed or written. Reading is webex_reader.py's (GET
only, by construction), the classes classify.py's, the report match_render.py's.

Exit codes: 0 every provisioned user is a clean match or new and the read was whole; 1 a conflict, a near miss, a
user with a problem, or a partial read; 2 bad usage or config, a token or probe failure (one message on stderr).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from webex_scim.errors import UsageError

MIN_PROGRESS_S = 2.0  # a run shorter than this says nothing while it works
PROGRESS_EVERY_S = 5.0


class Progress:
    """A line on stderr every few seconds of a long read: how far, and for how long."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.start = time.monotonic()
        self.said = self.start + MIN_PROGRESS_S - PROGRESS_EVERY_S  # the first line after MIN_PROGRESS_S

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.said < PROGRESS_EVERY_S:
            return
        self.said = now
        share = f" ({done * 100 // total}%)" if total else ""
        print(f"match: {done:,} of {total:,} {self.what}{share}, {now - self.start:.0f} s", file=sys.stderr)


def match_command(args: argparse.Namespace) -> int:
    from .attributes import b2b_user_principal_name
    from .checks import duplicate_user_names
    from .classify import classify, summary, webex_only
    from .command import simulation_for
    from .match_render import Report, markdown, summary_line, terminal_lines, write_json
    from .run import PROVISION, user_name_source
    from .scim_http import ScimHttp, check_url
    from .webex_reader import RETRIES, Reader, Wanted, found_locally, index

    if not args.scim_token_env:
        raise UsageError(
            "--scim-token-env NAME is required: the environment variable that holds the SCIM bearer token Entra uses "
            "(export it there; never pass the token on the command line)"
        )
    token = os.environ.get(args.scim_token_env)
    if not token:
        raise UsageError(
            f"--scim-token-env {args.scim_token_env}: that environment variable is not set or empty; export the "
            "SCIM bearer token in it (never pass the token on the command line)"
        )
    if args.scim_url is not None:
        check_url(args.scim_url)
    sim_stack, snapshot, sim = simulation_for(args, also_keep=frozenset({"mail"}))
    url = args.scim_url or sim_stack.tenant_url
    if not url:
        raise UsageError("the stack has no tenant URL (webex-scim:orgId and offer, or tenantUrl): give --scim-url")
    if args.scim_url is None:
        check_url(url, "the stack's tenant URL")
    wanted: list[Wanted] = []
    duplicates = set(duplicate_user_names(sim.users))  # Entra sends them nothing: nothing to look up
    for key, (user, source) in enumerate(zip(sim.users, snapshot.users, strict=True)):
        name = (user.scim or {}).get("userName")
        if user.action != PROVISION or not isinstance(name, str) or not name or name.casefold() in duplicates:
            continue
        mail = source.attrs.get("mail")
        upn = b2b_user_principal_name(user.upn or "")
        others = tuple(a for a in (mail, upn) if isinstance(a, str) and "@" in a and a.casefold() != name.casefold())
        wanted.append(Wanted(key, name, others))
    deadline = time.monotonic() + args.deadline
    with ScimHttp(url, token, read_only=True, retries=RETRIES, deadline=deadline, connections=args.concurrency) as scim:
        reader = Reader(scim)
        reader.probe(args.scim_token_env)
        accounts = None
        if args.list_org:
            reader.progress = Progress("Webex users listed")
            accounts = reader.list_org()
            by_name, by_email = index(accounts)
            found = {w.key: found_locally(w, by_name, by_email) for w in wanted}
        else:
            reader.progress = Progress("users looked up")
            found = reader.lookup(wanted, args.concurrency)
        requests = dict(sorted(scim.stats.requests.items()))
    entries = classify(sim, found, sim_stack.verified_domains, user_name_source(sim_stack))
    only = webex_only(accounts, entries) if accounts is not None else None
    report = Report(
        project=sim.project,
        stack=sim.stack,
        source=sim.source,
        url=url,
        listed=accounts is not None,
        entries=entries,
        only=only,
        partial=reader.partial,
        requests=requests,
        summary=summary(entries, only, reader.partial),
        notes=sim.notes,
    )
    if args.json_path == "-":
        write_json(report, sys.stdout)
        for note in sim.notes:
            print(f"note: {note}", file=sys.stderr)
        print(summary_line(report), file=sys.stderr)
    else:
        from offline.render import print_tree

        print_tree(terminal_lines(report))
        if args.json_path:
            with open(args.json_path, "w", encoding="utf-8") as out:
                write_json(report, out)
    if args.markdown is not None:
        args.markdown.write_text(markdown(report), encoding="utf-8")
    attention = report.partial or any(not e.clean for e in entries if e.klass != "not provisioned")
    return 1 if attention else 0
