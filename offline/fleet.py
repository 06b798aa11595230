"""`preview --all`: every stack of the project previewed in one process, judged by one policy pack, in one table.

One stack per Webex org is the model (a `Pulumi.<stack>.yaml` each, beside Pulumi.yaml), so a partner with many
customers has many stacks. Previewing them one command each pays the imports and the pack's start every time;
here they are paid once, then each stack's program runs exactly as `preview` runs one (engine.preview_tree), in
the order of their names. A stack whose config is bad or whose program fails is a row that says why; the others are
still previewed. The exit code is the worst of the stacks' (2 bad config, 1 a mandatory violation or a failed
program, 0 fine).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webex_scim import interrupt
from webex_scim.errors import EngineError, UsageError
from webex_scim.markdown_writer import code, esc, prose
from webex_scim.stacks import stack_names

from . import stackfile


@dataclass
class StackPreview:
    stack: str
    exit_code: int  # as `preview --stack <stack>` would exit
    doc: dict[str, Any] | None  # the preview document (render.document), None when the stack could not run
    error: str | None = None

    def counts(self) -> dict[str, int]:
        verdicts = (self.doc or {}).get("policyViolations", [])
        return {
            "mandatory": sum(1 for v in verdicts if v.get("enforcementLevel") == "mandatory"),
            "advisory": sum(1 for v in verdicts if v.get("enforcementLevel") == "advisory"),
        }

    def as_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "exitCode": self.exit_code, "error": self.error, "preview": self.doc}


def preview_all(args: argparse.Namespace) -> int:
    from .preview import exit_code, judged, start_pack

    names = stack_names(args.project_dir)
    if not names:
        raise UsageError(
            f"no stack file (Pulumi.<stack>.yaml) beside {args.project_dir / 'Pulumi.yaml'}: copy Pulumi.dev.yaml to "
            "Pulumi.<stack>.yaml for each stack"
        )
    results: list[StackPreview] = []
    started: list[Any] = []
    with interrupt.on_signal(lambda: [p.kill_now() for p in started]):
        try:
            policy_config = start_pack(args, started)
            for name in names:
                try:
                    _, _, doc = judged(
                        stackfile.load(args.project_dir, stack=name), started[0] if started else None, policy_config
                    )
                except (UsageError, EngineError) as exc:
                    results.append(StackPreview(name, exc.exit_code, None, str(exc)))
                    continue
                results.append(StackPreview(name, exit_code(doc), doc))
        finally:
            for pack in started:
                pack.kill()
    _write_reports(args, results)
    return max(r.exit_code for r in results)


def _changes(result: StackPreview) -> str:
    summary = (result.doc or {}).get("changeSummary") or {}
    return ", ".join(f"{n} to {op}" for op, n in summary.items() if n) or "no changes"


def summary_line(results: list[StackPreview]) -> str:
    bad = sum(1 for r in results if r.exit_code == 2)
    failing = sum(1 for r in results if r.exit_code == 1)
    stacks = f"{len(results)} stack" + ("" if len(results) == 1 else "s")
    return f"{stacks}: {len(results) - bad - failing} fine, {failing} failing the gate, {bad} with bad config"


def terminal_lines(project: str, results: list[StackPreview]) -> list[tuple[str, str]]:
    width = max(len("stack"), *(len(r.stack) for r in results))
    lines = [
        ("bold", f"Previewing every stack of {project}, offline ({len(results)})"),
        ("", ""),
        ("bold", f"    {'stack':<{width}}  {'mandatory':>9}  {'advisory':>8}  changes"),
    ]
    for r in results:
        if r.doc is None:
            what = "bad config" if r.exit_code == 2 else "failed"
            first, *rest = str(r.error).splitlines()
            lines.append(("red", f"    {r.stack:<{width}}  {'-':>9}  {'-':>8}  {what}: {first}"))
            lines += [("red", f"        {line.strip()}") for line in rest]
            continue
        counts = r.counts()
        style = "red" if counts["mandatory"] else "yellow" if counts["advisory"] else "green"
        lines.append(
            (style, f"    {r.stack:<{width}}  {counts['mandatory']:>9}  {counts['advisory']:>8}  {_changes(r)}")
        )
        lines += [
            ("red", f"        mandatory {v['policy']}: {v['message'].splitlines()[0]}")
            for v in r.doc.get("policyViolations", [])
            if v.get("enforcementLevel") == "mandatory"
        ]
    return [*lines, ("", ""), ("bold", summary_line(results))]


def markdown(project: str, results: list[StackPreview]) -> str:
    rows = []
    for r in results:
        if r.doc is None:
            rows.append(f"| {code(r.stack)} | | | {'bad config' if r.exit_code == 2 else 'failed'}: {prose(r.error)} |")
        else:
            c = r.counts()
            icon = "⛔" if c["mandatory"] else "⚠️" if c["advisory"] else "✅"
            rows.append(f"| {icon} {code(r.stack)} | {c['mandatory']} | {c['advisory']} | {esc(_changes(r))} |")
    return (
        f"**{esc(project)}**, every stack previewed offline: {esc(summary_line(results))}\n\n"
        "| Stack | Mandatory | Advisory | Changes |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )


def _write_reports(args: argparse.Namespace, results: list[StackPreview]) -> None:
    from .render import print_tree

    project, _ = stackfile.load_project(args.project_dir)
    doc = {"project": project, "stacks": [r.as_json() for r in results], "summary": summary_line(results)}
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if args.json_path == "-":
        print(text, end="")
    else:
        print_tree(terminal_lines(project, results))
        if args.json_path:
            Path(args.json_path).write_text(text, encoding="utf-8")
    if args.markdown is not None:
        args.markdown.write_text(markdown(project, results), encoding="utf-8")
