"""`python -m offline diff`: preview the base revision and the working tree, and report what would change.

The two sides run at once, each its own revision's `python -m offline preview --json -` (offline/revision.py),
sharing one policy pack process when their policies/ are the same;
their documents are compared by offline/compare.py and printed here (terminal) or by offline/markdown.py.
A Ctrl-C, SIGTERM or SIGHUP stops both sides and the pack, and removes the base's temporary tree
(offline/interrupt.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import interrupt, stackfile
from .compare import changed_secrets, compare, head_only, top_property
from .errors import UsageError
from .pack_process import PackProcess
from .revision import (
    BaseUnavailable,
    Side,
    SideResult,
    can_share_pack,
    in_ref_terms,
    materialize,
    quote_printed,
    side_argv,
)

PACK_START_TIMEOUT = 60.0  # seconds, as a preview waits for its own pack (offline/policy.py)


def run_diff(args: argparse.Namespace) -> tuple[int, dict[str, Any], str | None]:
    """(exit code, document, message for stderr)."""
    project_dir = Path(args.project_dir).resolve()
    project, _ = stackfile.load_project(project_dir)
    head_config = Path(args.config_file).resolve() if args.config_file is not None else None
    policy_config = Path(args.policy_config).resolve() if args.policy_config is not None else None
    if policy_config is not None and not policy_config.is_file():
        raise UsageError(f"--policy-config {args.policy_config}: no such file")
    head_stack_file = head_config or stackfile.stack_file(project_dir, args.stack)
    users = None
    if getattr(args, "users", None) is not None:  # read first: a bad snapshot stops the diff before any preview
        from .simulate.diffusers import read_users

        users = read_users(args.users)

    def argv(config_file: Path | None, shared_pack: bool) -> list[str]:
        return side_argv(
            stack=args.stack,
            config_file=config_file,
            policy_config=policy_config,
            no_policies=args.no_policies,
            shared_pack=shared_pack,
        )

    scratch = Path(tempfile.mkdtemp(prefix="webex-scim-diff-"))
    sides: list[Side] = []
    packs: list[PackProcess] = []

    def stop() -> None:
        for side in sides:
            side.kill()
        for pack in packs:
            pack.kill()
        shutil.rmtree(scratch, ignore_errors=True)

    base_error: str | None = None
    base_stack_file: Path | None = None
    base_dir: Path | None = None
    base_result: SideResult | None = None
    with interrupt.on_signal(stop):
        try:
            # One pack process for both sides when their policies/ agree (see `make bench`: a pack per side is a
            # third and fourth interpreter on the same cores). It starts first and boots while the base is
            # extracted; the sides get its port when it is up. A base with another pack, or an engine too old to
            # take it, starts its own.
            if not args.no_policies:
                with interrupt.starting():
                    packs.append(PackProcess(project_dir / "policies"))
            base_argv: list[str] | None = None
            try:
                base_dir = materialize(project_dir, args.base, scratch / "base")
                base_config = head_config
                if head_config is not None:
                    try:
                        base_config = base_dir / head_config.relative_to(project_dir)
                    except ValueError:
                        base_config = head_config  # a stack file outside the project: the same file on both sides
                base_stack_file = base_config or stackfile.stack_file(base_dir, args.stack)
                if (
                    not base_stack_file.is_file()
                ):  # said here, in the ref's terms: the base's own words name a temp path
                    base_stack_file = None
                    raise BaseUnavailable(_no_base_stack_file(args, head_config, project_dir))
                base_argv = argv(base_config, bool(packs) and can_share_pack(base_dir, project_dir))
            except BaseUnavailable as exc:
                base_error = str(exc)
            # The sides start together: one started ahead would compete with the extraction, and the other then
            # runs on alone at the end (see `make bench`).
            with interrupt.starting():
                sides.append(Side(project_dir, argv(head_config, bool(packs)), scratch, "head"))
            if base_argv is not None and base_dir is not None:
                with interrupt.starting():
                    sides.append(Side(base_dir, base_argv, scratch, "base"))
            waiting = [side for side in sides if side.shares_pack]
            for side in sides:
                if not side.shares_pack:
                    side.pass_port(None)  # stdin's EOF at once: it starts its own pack, or none
            port = _port(packs[0]) if waiting else None
            for side in waiting:
                side.pass_port(port)
            head_result = sides[0].result()
            base_result = sides[1].result() if len(sides) > 1 else None
            pack_said = _pack_ending(packs[0]) if packs and not head_result.ok and packs[0].poll() is not None else ""
            if base_result is not None and not base_result.ok:
                base_error = base_result.error_line()
            if base_error is not None and base_dir is not None:
                base_error = in_ref_terms(base_error, base_dir, scratch, args.base)
            printed = []
            if head_result.printed.strip():
                printed.append(f"this change's program printed to stdout: {quote_printed(head_result.printed)}")
            if base_error is None and base_result is not None and base_result.printed.strip() and base_dir:
                said = in_ref_terms(base_result.printed, base_dir, scratch, args.base)
                printed.append(f"the base revision ({args.base}) printed to stdout: {quote_printed(said)}")
            secrets = (
                changed_secrets(base_stack_file, head_stack_file, project)
                if base_stack_file is not None and base_error is None
                else {}
            )
        finally:
            stop()

    ref_info = {"ref": args.base, "ok": base_error is None, "error": base_error}
    if not head_result.ok:
        message = (head_result.stderr.strip() or f"error: the head preview {head_result.error_line()}") + pack_said
        code = 2 if head_result.exit_code == 2 else 1
        doc = {
            "project": project,
            "stack": args.stack
            or (head_config.name.removeprefix("Pulumi.").removesuffix(".yaml") if head_config else None),
            "steps": [],
            "outputs": {},
            "policyViolations": [],
            "warnings": [],
            "changeSummary": {},
            "base": ref_info,
            "head": {"ok": False, "error": head_result.error_line()},
            "assignments": {"added": [], "removed": [], "changed": []},
            "mappings": {"added": [], "removed": [], "changed": []},
        }
        return code, doc, message

    assert head_result.doc is not None
    base_doc = base_result.doc if base_error is None and base_result is not None else None
    if base_doc is not None:
        doc = compare(base_doc, head_result.doc, secret_changes=secrets)
    else:
        doc = head_only(head_result.doc)
    if users is not None:
        from .simulate.diffusers import add_user_changes

        add_user_changes(doc, users, base_doc, head_result.doc)
    doc["base"] = ref_info
    doc["head"] = {"ok": True, "error": None}
    # A program's print() goes to stdout, which a side's document shares: said, not lost, not mistaken for a failure.
    doc["warnings"] = [*doc["warnings"], *(f"{w} (a program reports through pulumi.log)" for w in printed)]
    mandatory = any(v.get("enforcementLevel") == "mandatory" for v in doc["policyViolations"])
    return (1 if mandatory else 0), doc, None


def _port(pack: PackProcess) -> int | None:
    """The shared pack's port; None if it failed to start or is too slow (the sides then say so, and the head's
    message ends with how the pack ended: `_pack_ending`)."""
    try:
        return pack.wait_for_port(PACK_START_TIMEOUT)
    except TimeoutError:
        return None


def _pack_ending(pack: PackProcess) -> str:
    """For a failed head's message: how the shared pack ended, and its last stderr lines (only the diff holds them)."""
    tail = pack.stderr_tail()
    return f"\n(the policy pack {pack.state()})" + (f"\n--- the pack's stderr (last lines) ---\n{tail}" if tail else "")


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
    code, doc, message = run_diff(args)
    if message:
        sys.stderr.write(message.rstrip() + "\n")
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if args.json_path == "-":
        sys.stdout.write(text)
    else:
        print_diff(doc)
        if args.json_path:
            Path(args.json_path).write_text(text, encoding="utf-8")
    if args.markdown:
        from .markdown import diff_markdown

        Path(args.markdown).write_text(diff_markdown(doc), encoding="utf-8")
    return code


# ---------------------------------------------------------------------------------------------------------------
# Terminal


_OP_STYLE = {"create": ("green", "+"), "update": ("yellow", "~"), "replace": ("magenta", "+-"), "delete": ("red", "-")}


def _short(value: Any, limit: int = 90) -> str:
    if value is None:  # a side without the value (added, removed): not the JSON word
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
                ("dim", f"       {path}: {_short(change.get('old'))} → {_short(change.get('new'))}{forced}{reason}")
            )
    access = doc.get("assignments") or {}
    for p in access.get("removed", []):
        lines.append(("bold red", f"LOSES ACCESS: {p['principal']}"))
    for p in access.get("added", []):
        lines.append(("green", f"gains access: {p['principal']}" + (f" (role {p['role']})" if p.get("role") else "")))
    for p in access.get("changed", []):
        lines.append(("yellow", f"role change: {p['principal']}: {p.get('oldRole')} → {p.get('newRole')}"))
    for v in doc.get("policyViolations", []):
        style = "red" if v.get("enforcementLevel") == "mandatory" else "yellow"
        new = " (new)" if v.get("new") else ""
        lines.append(
            (style, f"{v.get('enforcementLevel')}: [{v.get('policy')}]{new} {v.get('message', '').splitlines()[0]}")
        )
    if doc.get("users"):
        from .simulate.diffusers import terminal_lines

        lines += terminal_lines(doc["users"])
    warnings = doc.get("warnings") or []
    if warnings:  # as the preview prints them (e.g. a token the stack file does not set)
        lines += [("", ""), ("bold yellow", "Warnings:")]
        lines += [("yellow", f"    warning: {w}") for w in warnings]
    counts = doc.get("changeSummary") or {}
    summary = ", ".join(f"{counts[op]} to {op}" for op in ("create", "update", "replace", "delete") if counts.get(op))
    lines += [
        ("", ""),
        (
            "bold",
            f"Resources: {summary or 'no changes'}" + (f", {counts['same']} unchanged" if counts.get("same") else ""),
        ),
    ]
    return lines


def print_diff(doc: Mapping[str, Any]) -> None:
    from .terminal import print_tree

    print_tree(diff_lines(doc))
