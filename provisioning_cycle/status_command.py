"""`python -m webex_scim status`: one stack's report (status.py reads it), or `--all` stacks' verdicts in one table;
written to the terminal, `--json` and `--markdown`. Exit 0 healthy, 1 attention or failing, 2 bad usage or config;
`--all` exits with the worst of its stacks."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from webex_scim.errors import EngineError, UsageError

from .status import load_stack, min_days_left, read_report
from .status_report import Report


def status_command(args: argparse.Namespace) -> int:
    if args.hours <= 0:
        raise UsageError(f"--hours {args.hours:g}: give a window of more than 0 hours (e.g. --hours 24)")
    if args.timeout <= 0:
        raise UsageError(f"--timeout {args.timeout:g}: give more than 0 seconds (e.g. --timeout 120)")
    args.min_days_left = min_days_left(args.policy_config)
    if args.all:
        return _all(args)
    report = read_report(args, load_stack(args.project_dir, stack=args.stack, config_file=args.config_file))
    _write(args, report.to_json(), _markdown(report), _terminal(report))
    return report.exit_code


def _terminal(report: Report) -> list[tuple[str, str]]:
    from .status_render import terminal_lines

    return terminal_lines(report)


def _markdown(report: Report) -> str:
    from .status_render import markdown

    return markdown(report)


def _write(args: argparse.Namespace, doc: dict[str, Any], markdown: str, lines: list[tuple[str, str]]) -> None:
    from offline.render import print_tree

    text = json.dumps(doc, indent=2) + "\n"
    if args.json_path == "-":
        sys.stdout.write(text)
    else:
        print_tree(lines)
        if args.json_path:
            Path(args.json_path).write_text(text, encoding="utf-8")
    if args.markdown is not None:
        args.markdown.write_text(markdown, encoding="utf-8")


def _all(args: argparse.Namespace) -> int:
    """Every `Pulumi.<stack>.yaml` of the project, each read as `status --stack <stack>` would."""
    from .status_render import summary_lines

    if args.service_principal_id or args.job_id:
        raise UsageError("--all reads each stack's own ids: drop --service-principal-id and --job-id")
    if args.drift is not None:
        raise UsageError("--drift is one stack's refresh preview: give it with --stack, not --all")
    from webex_scim.stacks import stack_names

    names = stack_names(args.project_dir)
    if not names:
        raise UsageError(f"--all: no Pulumi.<stack>.yaml in {args.project_dir}")
    rows: list[dict[str, Any]] = []
    docs: list[dict[str, Any]] = []
    worst = 0
    for name in names:
        try:
            report = read_report(args, load_stack(args.project_dir, stack=name, config_file=None))
        except (UsageError, EngineError) as exc:
            worst = max(worst, exc.exit_code)
            rows.append({"stack": name, "verdict": "error", "error": str(exc)})
            docs.append({"stack": name, "error": str(exc), "exitCode": exc.exit_code})
            continue
        worst = max(worst, report.exit_code)
        status = report.job.get("status") if isinstance(report.job.get("status"), dict) else {}
        rows.append(
            {
                "stack": name,
                "verdict": report.verdict,
                "job": status.get("code"),
                "failures": sum(int(f["count"]) for f in report.failures),
                "daysLeft": report.token.get("daysLeft"),
                "rules": ", ".join(r.rule for r in report.reasons),
            }
        )
        docs.append(report.to_json())
    table = ["| stack | verdict | job | failures | token days left | rules |", "|---|---|---|---|---|---|"]
    table += [
        f"| `{r['stack']}` | {r['verdict']} | {r.get('job') or ''} | {r.get('failures', '')} | "
        f"{'' if r.get('daysLeft') is None else r['daysLeft']} | {r.get('rules') or r.get('error') or ''} |"
        for r in rows
    ]
    _write(args, {"stacks": docs, "exitCode": worst}, "\n".join(table) + "\n", summary_lines(rows))
    return worst
