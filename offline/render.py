"""A recorded run as the JSON document of shared/DESIGN.md and a tree like `pulumi preview`; a diff's document as
terminal lines; and printing such lines, styled where the terminal has colour (Markdown: offline/markdown.py).

Everything that leaves the process goes through `display_value`, which masks secrets as "[secret]" and unknowns
as "[unknown]": a secret cannot reach JSON, Markdown or the terminal in clear by any other path.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from google.protobuf import struct_pb2

from policies.vocabulary import SECRET_MARKER, UNKNOWN_MARKER

from .engine import OUTPUT_SIG, RESOURCE_SIG, SECRET_SIG, SIG_KEY, UNKNOWN, ProgramRun
from .model import PolicyViolation, RecordedResource
from .ordering import ordered_violations, tree_order, verdict_key
from .review import checked_at_up, user_name_source_change, weakened_guards
from .value_diff import top_property

SECRET = SECRET_MARKER
UNKNOWN_TEXT = UNKNOWN_MARKER
HIDDEN_INPUTS = frozenset({"__provider"})  # a dynamic resource's pickled provider: machinery, not configuration


def display_value(value: struct_pb2.Value | Any) -> Any:
    """A protobuf Value (or plain Python from one) as JSON-safe data with secrets and unknowns masked."""
    if isinstance(value, struct_pb2.Value):
        kind = value.WhichOneof("kind")
        if kind == "struct_value":
            return display_inputs(value.struct_value)
        if kind == "list_value":
            return [display_value(v) for v in value.list_value.values]
        if kind == "string_value":
            return UNKNOWN_TEXT if value.string_value == UNKNOWN else value.string_value
        if kind == "number_value":
            n = value.number_value
            return int(n) if n.is_integer() else n
        if kind == "bool_value":
            return value.bool_value
        return None
    return value


def display_inputs(struct: struct_pb2.Struct) -> Any:
    """Inputs or outputs as JSON-safe data, masked as `display_value` masks (a secret object is "[secret]")."""
    fields = struct.fields
    if SIG_KEY in fields:
        sig = fields[SIG_KEY].string_value
        if sig == SECRET_SIG:
            return SECRET
        if sig == RESOURCE_SIG:
            return fields["urn"].string_value if "urn" in fields else UNKNOWN_TEXT
        if sig == OUTPUT_SIG:
            if fields.get("secret") and fields["secret"].bool_value:
                return SECRET
            return display_value(fields["value"]) if "value" in fields else UNKNOWN_TEXT
    return {k: display_value(v) for k, v in sorted(fields.items()) if k not in HIDDEN_INPUTS}


def ordered_resources(run: ProgramRun) -> list[RecordedResource]:
    """The run's resources in tree order (offline/ordering.py): the same order whatever order they registered in."""
    return tree_order(
        run.resources, urn=lambda r: r.urn, parent=lambda r: r.parent, key=lambda r: (r.name, r.type, r.urn)
    )


def document(
    run: ProgramRun, violations: Iterable[PolicyViolation], checked_at_up: Iterable[PolicyViolation] = ()
) -> dict[str, Any]:
    """The `--json` document (shape borrowed from `pulumi preview --json`), steps and verdicts in a stable order.
    `checkedAtUp` holds the verdicts the pack could not give during preview, shaped as `policyViolations` entries
    but apart from them (they are not violations: no verdict yet), with the level each rule has at `pulumi up`."""
    steps = [
        {
            "op": "create",
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "inputs": display_inputs(r.inputs),
            "protect": bool(r.options.get("protect")),
            "retainOnDelete": bool(r.options.get("retainOnDelete")),
        }
        for r in ordered_resources(run)
    ]
    return {
        "project": run.project,
        "stack": run.stack,
        "steps": steps,
        "outputs": display_inputs(run.outputs),
        "policyViolations": ordered_violations((v.as_json() for v in violations), steps),
        "checkedAtUp": ordered_violations((v.as_json() for v in checked_at_up), steps),
        "warnings": list(run.warnings),
        "changeSummary": {"create": len(steps)} if steps else {},
    }


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_reports(
    args: Any,
    doc: dict[str, Any],
    lines: Callable[[], list[tuple[str, str]]],
    markdown: Callable[[dict[str, Any]], str],
) -> None:
    """A command's reports: the JSON document alone on stdout for `--json -`, else the terminal `lines` and the
    document in the `--json` file; and the `markdown` report in the `--markdown` file."""
    if args.json_path == "-":
        sys.stdout.write(dumps(doc))
    else:
        print_tree(lines())
        if args.json_path:
            Path(args.json_path).write_text(dumps(doc), encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(markdown(doc), encoding="utf-8")


# ---------------------------------------------------------------------------------------------------------------
# Terminal


def _short(value: Any, limit: int = 110) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mapping_row(row: dict[str, Any]) -> str:
    """One attribute mapping as the portal's Mappings page reads: target <- source, with its flags."""
    if row.get("expression"):
        source = f"expression {row['expression']}"
    elif row.get("constant") is not None:
        source = f"constant {json.dumps(row['constant'])}"
    else:
        source = str(row.get("source"))
    flags = [str(row.get("flowType") or "Always")]
    if row.get("matchingPriority"):
        flags.append(f"matching #{row['matchingPriority']}")
    if row.get("defaultValue") is not None:
        flags.append(f"default {json.dumps(row['defaultValue'])}")
    return f"{row.get('target')} <- {source}  ({', '.join(flags)})"


def detail_lines(key: str, value: Any) -> list[str]:
    """A resource input for review: lists of records one per line and never cut (credentials, mappings)."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        if all(set(v) == {"key", "value"} for v in value):  # synchronization secrets
            return [f"{key}:"] + [f"  {v['key']} = {_short(v['value'], 10_000)}" for v in value]
        if all("target" in v for v in value):  # attribute mappings
            return [f"{key}:"] + [f"  {mapping_row(v)}" for v in value]
        return [f"{key}:"] + [f"  - {_short(v, 10_000)}" for v in value]
    return [f"{key}: {_short(value)}"]


def _children(resources: list[RecordedResource]) -> dict[str | None, list[RecordedResource]]:
    by_parent: dict[str | None, list[RecordedResource]] = {}
    for r in resources:
        by_parent.setdefault(r.parent, []).append(r)
    return by_parent


def tree_lines(
    run: ProgramRun,
    violations: list[PolicyViolation],
    *,
    details: bool = True,
    outcomes: dict[str, str] | None = None,
    later: list[PolicyViolation] | None = None,
    pack: str = "",
) -> list[tuple[str, str]]:
    """(style, text) lines of the preview, in the order `pulumi preview` prints them; `pack` names the policy pack."""
    lines: list[tuple[str, str]] = [
        ("bold", f"Previewing update ({run.stack}) offline: no Pulumi CLI, no cloud login"),
        ("", ""),
    ]
    resources = ordered_resources(run)
    by_parent = _children(resources)
    by_urn = {r.urn: r for r in resources}
    for r in resources:  # resources whose parent was never registered still show, at the top level
        if r.parent and r.parent not in by_urn and r not in by_parent.get(None, []):
            by_parent.setdefault(None, []).append(r)
    place = {r.urn: i for i, r in enumerate(resources)}
    violations = sorted(violations, key=lambda v: verdict_key(place, v.urn, v.policy, v.message))
    per_resource: dict[str | None, list[PolicyViolation]] = {}
    for v in violations:
        per_resource.setdefault(v.urn if v.urn in by_urn else None, []).append(v)

    rows: list[tuple[str, RecordedResource]] = []

    def walk(parent: str | None, prefix: str) -> None:
        kids = by_parent.get(parent, [])
        for i, r in enumerate(kids):
            last = i == len(kids) - 1
            branch = "" if parent is None else ("└─ " if last else "├─ ")
            rows.append((prefix + branch, r))
            walk(r.urn, prefix + ("" if parent is None else ("   " if last else "│  ")))

    walk(None, "")
    width = max((len(p) + len(r.type) for p, r in rows), default=40) + 2
    lines.append(("bold", f"     {'Type':<{width}}{'Name':<34}Plan"))
    for prefix, r in rows:
        lines.append(("green", f" +   {prefix + r.type:<{width}}{r.name:<34}create"))
        pad = " " * (5 + len(prefix) + 3)
        if details:  # custom resources' inputs, and the settings a component records
            for key, value in display_inputs(r.inputs).items():
                lines += [("dim", pad + text) for text in detail_lines(key, value)]
            if r.options.get("retainOnDelete"):
                lines.append(("yellow", f"{pad}(retainOnDelete: destroy leaves it in the tenant)"))
        for v in per_resource.get(r.urn, []):
            style = "red" if v.enforcement_level == "mandatory" else "yellow"
            first, *rest = v.message.splitlines() or [""]
            lines.append((style, f"{pad}{v.enforcement_level}: [{v.policy}] {first}"))
            lines += [(style, f"{pad}    {part}") for part in rest]  # a multi-line message keeps the tree's margin

    if violations or outcomes or later:
        lines += [("", ""), ("bold", "Policies:")]
        label = pack or "the policy pack"
        if outcomes:
            # As the CLI's summary: a rule with nothing to check is "not applicable", never counted as passed.
            counts = Counter(outcomes.values())
            parts = [
                f"{counts[k]} {k.replace('-', ' ')}"
                for k in ("passed", "failed", "unknown-at-preview", "not-applicable", "disabled")
            ]
            label += f": {len(outcomes)} rules, " + ", ".join(p for p in parts if not p.startswith("0 "))
        lines.append(("", f"    {label}"))
        types = {r.urn: r.type for r in resources}
        for policy, level, count in checked_at_up([v.as_json() for v in later or []], types):
            lines.append(("dim", f"      - checked at `pulumi up` ({level} then): {policy} on {count}"))
        for v in violations:
            style = "red" if v.enforcement_level == "mandatory" else "yellow"
            where = f"  ({by_urn[v.urn].type}: {by_urn[v.urn].name})" if v.urn in by_urn else ""
            lines.append((style, f"      - [{v.enforcement_level}]  {v.policy}{where}"))
            for part in v.message.splitlines():
                lines.append(("", f"        {part}"))

    outputs = display_inputs(run.outputs)
    if outputs:
        lines += [("", ""), ("bold", "Outputs:")]
        key_width = max(len(k) for k in outputs) + 1
        for key, value in outputs.items():
            shown = "output<string>" if value == UNKNOWN_TEXT else _short(value)
            lines.append(("", f"    {key:<{key_width}}: {shown}"))

    if run.warnings:
        lines += [("", ""), ("bold yellow", "Warnings:")]
        lines += [("yellow", f"    warning: {w}") for w in run.warnings]

    lines += [("", ""), ("bold", "Resources:"), ("green", f"    + {len(run.resources)} to create")]
    mandatory = sum(1 for v in violations if v.enforcement_level == "mandatory")
    if mandatory:
        lines.append(("bold red", f"\n{mandatory} mandatory policy violation(s): `pulumi up` would be blocked."))
    return lines


# ---------------------------------------------------------------------------------------------------------------
# A diff on the terminal


_OP_STYLE = {"create": ("green", "+"), "update": ("yellow", "~"), "replace": ("magenta", "+-"), "delete": ("red", "-")}


def _side(value: Any, limit: int = 90) -> str:
    """One side of an old → new change: "(none)" where that side has no value (added, removed), not the JSON word."""
    return "(none)" if value is None or value in ("", [], {}) else _short(value, limit)


def diff_lines(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    base = doc.get("base") or {}
    lines: list[tuple[str, str]] = [
        ("bold", f"Previewing update ({doc.get('stack')}) offline, against {base.get('ref')}")
    ]
    if not base.get("ok", True):
        lines.append(("bold yellow", f"base failed to run: {base.get('error')}"))
        lines.append(("yellow", "no change is claimed; the head's policy verdicts follow"))
    lines.append(("", ""))
    for step in doc.get("steps", []):
        op = step.get("op")
        if op not in _OP_STYLE:
            continue
        style, mark = _OP_STYLE[op]
        lines.append((style, f" {mark:<3}{step.get('type')}  {step.get('name')}  {op}"))
        for path, change in (step.get("diff") or {}).items():
            reason = f"  ({change['reason']})" if change.get("reason") else ""
            forced = " [forces replacement]" if top_property(path) in step.get("replaceReasons", []) else ""
            lines.append(
                ("dim", f"       {path}: {_side(change.get('old'))} → {_side(change.get('new'))}{forced}{reason}")
            )
    access = doc.get("assignments") or {}
    for p in access.get("removed", []):
        lines.append(("bold red", f"LOSES ACCESS: {p['principal']}"))
    for p in access.get("added", []):
        lines.append(("green", f"gains access: {p['principal']}" + (f" (role {p['role']})" if p.get("role") else "")))
    for p in access.get("changed", []):
        old_role, new_role = p.get("oldRole") or "(default)", p.get("newRole") or "(default)"
        lines.append(("yellow", f"role change: {p['principal']}: {old_role} → {new_role}"))
    for g in weakened_guards(doc):
        if g["key"] != "mappings.userNameSource":  # said on its own line below, as before
            lines.append(
                ("bold red", f"GUARD WEAKENED: {g['guard']} ({g['key']}: {_side(g['old'])} → {_side(g['new'])})")
            )
    if source := user_name_source_change(doc):
        lines.append(("bold red", f"USERNAME SOURCE CHANGES: {source[0]} → {source[1]} (Webex matches users on it)"))
    steps = [*doc.get("headSteps", []), *doc.get("steps", [])]
    names = {s.get("urn"): f"  ({s.get('type')}: {s.get('name')})" for s in steps}
    for v in doc.get("policyViolations", []):
        style = "red" if v.get("enforcementLevel") == "mandatory" else "yellow"
        new = " (new)" if v.get("new") else ""
        lines.append((style, f"{v.get('enforcementLevel')}: [{v.get('policy')}]{new}{names.get(v.get('urn'), '')}"))
        lines += [("", f"    {part}") for part in str(v.get("message", "")).splitlines()]
    types = {str(s.get("urn")): str(s.get("type")) for s in steps}
    for policy, level, count in checked_at_up(list(doc.get("checkedAtUp") or []), types):
        lines.append(("dim", f"checked at `pulumi up` ({level} then): [{policy}] on {count}"))
    if doc.get("users"):
        from provisioning_cycle.diffusers import terminal_lines

        lines += terminal_lines(doc["users"])
    warnings = doc.get("warnings") or []
    if warnings:  # as the preview prints them (e.g. a token the stack file does not set)
        lines += [("", ""), ("bold yellow", "Warnings:")]
        lines += [("yellow", f"    warning: {w}") for w in warnings]
    counts = doc.get("changeSummary") or {}
    summary = ", ".join(f"{counts[op]} to {op}" for op in ("create", "update", "replace", "delete") if counts.get(op))
    summary = (summary or "no changes") + (f", {counts['same']} unchanged" if counts.get("same") else "")
    if not base.get("ok", True):  # nothing was compared: not "no changes"
        count = len(doc.get("headSteps", []))
        summary = f"not compared (the base did not run); this change has {count} resource{'' if count == 1 else 's'}"
    return [*lines, ("", ""), ("bold", f"Resources: {summary}")]


def print_tree(lines: list[tuple[str, str]], *, color: bool | None = None) -> None:
    """Write the lines, styled where the terminal has colour. rich decides colour support (NO_COLOR, pipes, CI),
    but each line is rendered on its own: one giant rich Text for 5,000 resources takes seconds to wrap."""
    if color is False or (not sys.stdout.isatty() and not os.environ.get("FORCE_COLOR")):
        # Plain text for pipes, files and CI logs: no need to import rich to decide that.
        sys.stdout.write("".join(line + "\n" for _, line in lines))
        sys.stdout.flush()
        return
    from rich.console import COLOR_SYSTEMS, Console

    console = Console(highlight=False, soft_wrap=True)
    system = None if console.no_color else COLOR_SYSTEMS.get(console.color_system or "")
    styles: dict[str, Any] = {}
    out = []
    for style, line in lines:
        if style and system is not None:
            if style not in styles:
                styles[style] = console.get_style(style)
            line = styles[style].render(line, color_system=system)
        out.append(line + "\n")
    console.file.write("".join(out))
    console.file.flush()
