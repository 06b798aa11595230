"""`python -m offline diff`: preview the base revision and the working tree, and report what would change.

Each side runs in its own process, both at once: `python -m offline preview --json -` with the side's own tree as
working directory, so the base runs the base's own engine, program, policy pack and stack file (on Linux the process
is a fork of this one that shares the SDKs already imported; WEBEX_SCIM_DIFF_SPAWN=subprocess starts a new
interpreter instead, as other platforms always do). The base tree comes from `git archive` into a temporary folder.
The two JSON documents are then compared by URN into the steps `pulumi preview --diff` would show (create, update,
replace, delete, same), with what reviewers of this project need on top: principals gaining and losing access,
attribute mappings per Webex target, a re-set SCIM token (seen only as a changed `secure:` ciphertext, never by
value), and which policy violations the change introduces.

Nothing here ever reads a secret value: the documents hold "[secret]" already, and of the stack files only the
*fact* that a `secure:` ciphertext differs is used.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components.replace_on_change import replace_keys

from .errors import UsageError
from .ordering import ordered_steps, ordered_violations

if TYPE_CHECKING:
    from .pack_process import PackProcess

SECRET = "[secret]"
UNKNOWN = "[unknown]"

APP_ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
ASSIGNMENTS_COMPONENT = "webex-scim:index:Assignments"
SYNC_SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
MAPPINGS_TYPE = "pulumi-python:dynamic/webex:AttributeMappings"
TOKEN_CONFIG_KEY = "scimToken"  # the stack config key whose `secure:` value becomes the SecretToken credential
TOKEN_CREDENTIAL = "SecretToken"
MAPPING_FIELDS = ("source", "expression", "constant", "flowType", "matchingPriority", "defaultValue")

_MISSING = object()


# ---------------------------------------------------------------------------------------------------------------
# Comparing two JSON documents


def top_property(path: str) -> str:
    """`credentials[SecretToken]` → `credentials`; `userMappings[userName].source` → `userMappings`."""
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _principal_label(item: Mapping[str, Any]) -> str | None:
    kind, ref = item.get("kind"), item.get("ref")
    return f"{kind}:{ref}" if isinstance(kind, str) and isinstance(ref, str) else None


def _principal_pairing(item: Mapping[str, Any]) -> str | None:
    # Entra matches UPNs, group names and object ids without regard to case (and so do the resource names, see
    # components/assignments.py): `bob@contoso.com` → `BOB@contoso.com` is one principal whose ref changed.
    label = _principal_label(item)
    return label.casefold() if label is not None else None


# How list items are paired: {key, value} pairs by key, mappings by target, principals by kind:ref (case-folded).
# Each: (pairing key, label shown in the path).
_LIST_KEYS: tuple[tuple[Callable[[Mapping[str, Any]], Any], Callable[[Mapping[str, Any]], Any]], ...] = (
    (lambda i: i.get("key"), lambda i: i.get("key")),
    (lambda i: i.get("target"), lambda i: i.get("target")),
    (_principal_pairing, _principal_label),
)


def _list_key(old: list[Any], new: list[Any]) -> tuple[Callable[[Any], Any], Callable[[Any], Any]] | None:
    """(pairing key, label) for two lists of records that a unique key pairs; None for other lists."""
    items = old + new
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key, label in _LIST_KEYS:
        if all(isinstance(key(i), str) for i in items):
            if len({key(i) for i in old}) == len(old) and len({key(i) for i in new}) == len(new):
                return key, label
    return None


def _shown(value: Any) -> Any:
    return None if value is _MISSING else value


def diff_values(old: Any, new: Any, path: str = "") -> dict[str, dict[str, Any]]:
    """Property-level changes between two displayed values, as {path: {"old", "new"}}.

    Secrets are "[secret]" on both sides and compare equal (a changed token is found from the stack files instead);
    "[unknown]" on both sides is no claim of a change, "[unknown]" against a known value is shown as it is, the way
    `pulumi preview` shows `output<string>` (the tenant may or may not answer the same).
    """
    out: dict[str, dict[str, Any]] = {}
    _diff(old, new, path, out)
    return out


def _diff(old: Any, new: Any, path: str, out: dict[str, dict[str, Any]]) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            _diff(old.get(k, _MISSING), new.get(k, _MISSING), _join(path, k), out)
        return
    if isinstance(old, list) and isinstance(new, list):
        pairing = _list_key(old, new)
        if pairing is not None:
            key, label = pairing
            olds = {key(i): i for i in old}
            news = {key(i): i for i in new}
            pairs = all(set(i) == {"key", "value"} for i in old + new)
            for k in list(olds) + [k for k in news if k not in olds]:
                o, n = olds.get(k, _MISSING), news.get(k, _MISSING)
                where = f"{path}[{label(n if n is not _MISSING else o)}]"  # as the head spells it
                if pairs:
                    _diff(
                        o.get("value") if o is not _MISSING else _MISSING,
                        n.get("value") if n is not _MISSING else _MISSING,
                        where,
                        out,
                    )
                elif o is _MISSING or n is _MISSING:
                    out[where] = {"old": _shown(o), "new": _shown(n)}
                else:
                    _diff(o, n, where, out)
            return
        if len(old) == len(new):
            for i, (o, n) in enumerate(zip(old, new, strict=True)):
                _diff(o, n, f"{path}[{i}]", out)
            return
    out[path] = {"old": _shown(old), "new": _shown(new)}


def _principal_key(kind: str, ref: str) -> tuple[str, str]:
    return kind, ref.lower()


def _principals(doc: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Who is assigned: the Assignments component's `principals`, then any AppRoleAssignment named user-/group-."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for step in doc.get("steps", []):
        if step.get("type") == ASSIGNMENTS_COMPONENT:
            for p in step.get("inputs", {}).get("principals") or []:
                if isinstance(p, dict) and p.get("kind") and isinstance(p.get("ref"), str):
                    entry = {"principal": f"{p['kind']}:{p['ref']}", "kind": p["kind"], "ref": p["ref"]}
                    entry["role"] = p.get("role")
                    found[_principal_key(p["kind"], p["ref"])] = entry
    for step in doc.get("steps", []):
        if step.get("type") == APP_ROLE_ASSIGNMENT:
            kind, _, ref = str(step.get("name", "")).partition("-")
            if kind in ("user", "group") and ref:
                entry = found.setdefault(
                    _principal_key(kind, ref), {"principal": f"{kind}:{ref}", "kind": kind, "ref": ref, "role": None}
                )
                entry["urn"] = step.get("urn")
    return found


def _mapping_source(m: Mapping[str, Any] | None) -> str | None:
    if not m:
        return None
    if m.get("expression"):
        return f"expression {m['expression']}"
    if m.get("constant") is not None and not m.get("source"):
        return f"constant {json.dumps(m['constant'], ensure_ascii=False)}"
    return m.get("source")


def _mapping_lists(step: Mapping[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    if not step:
        return {}
    out = {}
    for key, value in (step.get("inputs") or {}).items():
        if (
            key.endswith("Mappings")
            and isinstance(value, list)
            and all(isinstance(m, dict) and isinstance(m.get("target"), str) for m in value)
        ):
            out[key] = value
    return out


def _mappings(base_steps: Mapping[str, Any], head_steps: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {"added": [], "removed": [], "changed": []}
    urns = [u for u, s in head_steps.items() if s.get("type") == MAPPINGS_TYPE]
    urns += [u for u, s in base_steps.items() if s.get("type") == MAPPINGS_TYPE and u not in head_steps]
    for urn in urns:
        old_lists, new_lists = _mapping_lists(base_steps.get(urn)), _mapping_lists(head_steps.get(urn))
        for list_name in list(new_lists) + [k for k in old_lists if k not in new_lists]:
            olds = {m["target"]: m for m in old_lists.get(list_name, [])}
            news = {m["target"]: m for m in new_lists.get(list_name, [])}
            for target, m in news.items():
                if target not in olds:
                    result["added"].append(
                        {"target": target, "source": _mapping_source(m), "list": list_name, **_extra(m)}
                    )
                elif olds[target] != m:
                    changes = diff_values(olds[target], m)
                    result["changed"].append(
                        {
                            "target": target,
                            "old": _mapping_source(olds[target]),
                            "new": _mapping_source(m),
                            "list": list_name,
                            "changes": changes,
                        }
                    )
            for target, m in olds.items():
                if target not in news:
                    result["removed"].append(
                        {"target": target, "source": _mapping_source(m), "list": list_name, **_extra(m)}
                    )
    return result


def _extra(m: Mapping[str, Any]) -> dict[str, Any]:
    return {k: m[k] for k in MAPPING_FIELDS if k != "source" and m.get(k) not in (None, "")}


def _violation_key(v: Mapping[str, Any]) -> tuple[Any, Any]:
    return v.get("policy"), v.get("urn")


def compare(
    base: Mapping[str, Any],
    head: Mapping[str, Any],
    *,
    secret_changes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The diff document: `head`'s shape with ops and property diffs against `base`, plus access and mappings.

    `secret_changes` maps config keys whose `secure:` value differs between the two stack files to how it differs
    ("changed", "set", "removed"; see `changed_secrets`: ciphertexts are compared, values are never available).
    Which changed inputs replace a resource comes from the table in components/replace_on_change.py, as the
    provider's own Diff would say. Steps and verdicts come in tree order (offline/ordering.py), whatever order
    either side registered them in.
    """
    base_steps = {s["urn"]: s for s in base.get("steps", [])}
    head_steps = {s["urn"]: s for s in head.get("steps", [])}
    secret_changes = dict(secret_changes or {})
    token_change = next(
        (
            how
            for k, how in sorted(secret_changes.items())
            if k == TOKEN_CONFIG_KEY or k.endswith(f":{TOKEN_CONFIG_KEY}")
        ),
        None,
    )

    # A role is chosen by value and resolved to an id only by the tenant, so appRoleId is unknown on both sides:
    # a changed role is seen on the Assignments component and carried to the principal's AppRoleAssignment.
    old_principals, new_principals = _principals(base), _principals(head)
    role_changes = {
        key: (old_principals[key].get("role"), p.get("role"))
        for key, p in new_principals.items()
        if key in old_principals and old_principals[key].get("role") != p.get("role")
    }

    steps: list[dict[str, Any]] = []
    for urn, step in head_steps.items():
        old = base_steps.get(urn)
        new_step = {k: v for k, v in step.items() if k != "diff"}
        if old is None:
            new_step["op"] = "create"
            steps.append(new_step)
            continue
        changes = diff_values(old.get("inputs", {}), step.get("inputs", {}))
        for option in ("protect", "retainOnDelete"):
            if bool(old.get(option)) != bool(step.get(option)):
                changes[f"options.{option}"] = {"old": bool(old.get(option)), "new": bool(step.get(option))}
        if step.get("type") == APP_ROLE_ASSIGNMENT:
            kind, _, ref = str(step.get("name", "")).partition("-")
            role = role_changes.get(_principal_key(kind, ref))
            if role is not None and "appRoleId" not in changes:
                changes["appRoleId"] = {
                    "old": old.get("inputs", {}).get("appRoleId", UNKNOWN),
                    "new": step.get("inputs", {}).get("appRoleId", UNKNOWN),
                    "reason": f"role {role[0] or '(default)'} → {role[1] or '(default)'}",
                }
        if token_change is not None and step.get("type") == SYNC_SECRET:
            creds = (old.get("inputs", {}).get("credentials") or []) + (step.get("inputs", {}).get("credentials") or [])
            if any(isinstance(c, dict) and c.get("key") == TOKEN_CREDENTIAL for c in creds):
                changes[f"credentials[{TOKEN_CREDENTIAL}]"] = _token_change(token_change)
        if not changes:
            new_step["op"] = "same"
        else:
            forced = replace_keys(step.get("type", ""))
            reasons = sorted({top_property(p) for p in changes if top_property(p) in forced})
            new_step["op"] = "replace" if reasons else "update"
            new_step["diff"] = changes
            if reasons:
                new_step["replaceReasons"] = reasons
        steps.append(new_step)
    for urn, step in base_steps.items():
        if urn not in head_steps:
            steps.append({**{k: v for k, v in step.items() if k != "diff"}, "op": "delete"})
    steps = ordered_steps(steps)  # deletions beside their siblings; one order whatever each side registered first

    added = [new_principals[k] for k in new_principals if k not in old_principals]
    removed = [old_principals[k] for k in old_principals if k not in new_principals]
    changed = [{**new_principals[k], "oldRole": old, "newRole": new} for k, (old, new) in role_changes.items()]

    base_violations = {_violation_key(v) for v in base.get("policyViolations", [])}
    head_violations = {_violation_key(v) for v in head.get("policyViolations", [])}
    violations = [{**v, "new": _violation_key(v) not in base_violations} for v in head.get("policyViolations", [])]
    resolved = [v for v in base.get("policyViolations", []) if _violation_key(v) not in head_violations]
    violations = ordered_violations(violations, steps)
    resolved = ordered_violations(resolved, ordered_steps(base.get("steps", [])))

    return {
        "project": head.get("project"),
        "stack": head.get("stack"),
        "steps": steps,
        "outputs": head.get("outputs", {}),
        "outputChanges": diff_values(base.get("outputs", {}), head.get("outputs", {})),
        "policyViolations": violations,
        "resolvedPolicyViolations": resolved,
        "warnings": list(head.get("warnings", [])),
        "changeSummary": dict(Counter(s["op"] for s in steps)),
        "assignments": {"added": added, "removed": removed, "changed": changed},
        "mappings": _mappings(base_steps, head_steps),
        "secretsChanged": sorted(secret_changes),
        "secretsRemoved": sorted(k for k, how in secret_changes.items() if how == "removed"),
    }


def _token_change(how: str) -> dict[str, Any]:
    """The SecretToken credential's line in the diff: a rotation, a token set for the first time, or one removed
    (which is no rotation: `pulumi up` then stops until the token is set again)."""
    if how == "removed":
        return {
            "old": SECRET,
            "new": None,
            "reason": f"removed: the stack file no longer sets {TOKEN_CONFIG_KEY} "
            f"(`pulumi config set --secret {TOKEN_CONFIG_KEY} <token>` before `pulumi up`)",
        }
    if how == "set":
        return {"old": None, "new": SECRET, "reason": f"set: the base's stack file had no {TOKEN_CONFIG_KEY}"}
    return {"old": SECRET, "new": SECRET, "reason": f"the stack file's secure value of {TOKEN_CONFIG_KEY} changed"}


def head_only(head: Mapping[str, Any]) -> dict[str, Any]:
    """When the base could not be previewed: the head's resources and verdicts, and no claim about what changes."""
    return {
        "project": head.get("project"),
        "stack": head.get("stack"),
        "steps": [],
        "outputs": head.get("outputs", {}),
        "outputChanges": {},
        "policyViolations": ordered_violations(
            [{**v, "new": None} for v in head.get("policyViolations", [])], ordered_steps(head.get("steps", []))
        ),
        "resolvedPolicyViolations": [],
        "warnings": list(head.get("warnings", [])),
        "changeSummary": {},
        "assignments": {"added": [], "removed": [], "changed": []},
        "mappings": {"added": [], "removed": [], "changed": []},
        "secretsChanged": [],
        "secretsRemoved": [],
        "headSteps": [{k: v for k, v in s.items() if k != "op"} for s in ordered_steps(head.get("steps", []))],
    }


# ---------------------------------------------------------------------------------------------------------------
# Stack files: which `secure:` values differ (ciphertexts are compared, never opened, never printed)


def secure_ciphertexts(path: Path, project: str) -> dict[str, str] | None:
    """{full config key: ciphertext} of a stack file's `secure:` values; None if the file cannot be read."""
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    config = doc.get("config") if isinstance(doc, dict) else None
    if not isinstance(config, dict):
        return {}
    out: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            full = key if ":" in str(key) else f"{project}:{key}"
            out[str(full)] = str(value["secure"])
    return out


def changed_secrets(base_file: Path, head_file: Path, project: str) -> dict[str, str]:
    """{config key: "changed" | "set" | "removed"} for each `secure:` value that differs between the two files."""
    old, new = secure_ciphertexts(base_file, project), secure_ciphertexts(head_file, project)
    if old is None or new is None:
        return {}
    return {
        k: "set" if k not in old else "removed" if k not in new else "changed"
        for k in sorted(set(old) | set(new))
        if old.get(k) != new.get(k)
    }


# ---------------------------------------------------------------------------------------------------------------
# Running the two sides


PRINTED_LIMIT = 200  # characters of a side's stray stdout quoted in a report


@dataclass
class SideResult:
    exit_code: int
    doc: dict[str, Any] | None
    stderr: str
    printed: str = ""  # what the side wrote to stdout besides its JSON document (a program's print())

    @classmethod
    def parse(cls, exit_code: int, stdout: str, stderr: str) -> SideResult:
        doc, printed = _parse_doc(exit_code, stdout)
        return cls(exit_code, doc, stderr, printed)

    @property
    def ok(self) -> bool:
        return self.doc is not None and self.exit_code in (0, 1)

    def error_line(self) -> str:
        said = error_line(self.stderr)
        if said:
            return said
        if self.printed.strip():
            return (
                f"exited with code {self.exit_code} without its JSON document; "
                f"it printed to stdout: {quote_printed(self.printed)}"
            )
        return f"exited with code {self.exit_code} without its JSON document, and printed no message"


def quote_printed(text: str, limit: int = PRINTED_LIMIT) -> str:
    """A side's stray stdout for a one-line report: whitespace runs as one space, at most `limit` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return repr(flat)
    return f"{flat[: limit - 1]!r}… ({len(flat) - limit + 1:,} more characters)"


def error_line(stderr: str) -> str:
    """The one message a failed run gave: from its `error:` line on (a config error may list problems below it),
    else the last line (a traceback's exception)."""
    lines = [line.rstrip() for line in stderr.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith("error:"):
            rest = [line.removeprefix("error:").strip()] + [x.strip() for x in lines[i + 1 :]]
            return " ".join(rest)
    return lines[-1].strip() if lines else ""


class _Child:
    """One `python -m offline preview --json -` process; stdout and stderr go to files (no pipe can fill up)."""

    def __init__(self, cwd: Path, argv: list[str], scratch: Path, label: str, env: dict[str, str]) -> None:
        self.out = open(scratch / f"{label}.json", "w+b")
        self.err = open(scratch / f"{label}.err", "w+b")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "offline", *argv], cwd=cwd, stdout=self.out, stderr=self.err, env=env
        )

    def result(self) -> SideResult:
        code = self.proc.wait()
        try:
            self.out.seek(0)
            self.err.seek(0)
            raw, err = self.out.read().decode("utf-8", "replace"), self.err.read().decode("utf-8", "replace")
        finally:
            self.out.close()
            self.err.close()
        return SideResult.parse(code, raw, err)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _kill_and_reap(pid: int) -> int:
    """SIGKILL a forked child of this process and reap it: its exit code (-9 if it was already gone)."""
    try:
        os.kill(pid, 9)
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    except (ProcessLookupError, ChildProcessError):
        return -9


class _ForkedChild:
    """The same `python -m offline preview --json -`, run by a fork of this process instead of a new interpreter.

    Both sides use this venv's SDKs anyway; a fork shares the ones this process already imported (pulumi, grpc,
    protobuf: ~0.25 s of CPU per side that two fresh interpreters would each pay again on a 2-core runner). The
    side's own code is still its own: the child changes to the side's tree, forgets every module this process
    loaded from the head's tree, puts the side's tree first on sys.path, and runs `offline` as `-m` would.
    It ends with os._exit, so nothing of ours (temporary directories, atexit handlers) runs twice.
    """

    def __init__(
        self, cwd: Path, argv: list[str], scratch: Path, label: str, *, loaded_from: Path, env: dict[str, str]
    ) -> None:
        self.out_path, self.err_path = scratch / f"{label}.json", scratch / f"{label}.err"
        self.code: int | None = None
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover (runs in the child, which never returns)
            os.environ.clear()
            os.environ.update(env)
            _run_forked(cwd, argv, self.out_path, self.err_path, loaded_from)
        self.pid = pid

    def result(self) -> SideResult:
        if self.code is None:
            _, status = os.waitpid(self.pid, 0)
            self.code = os.waitstatus_to_exitcode(status)
        raw = self.out_path.read_text(encoding="utf-8", errors="replace") if self.out_path.exists() else ""
        err = self.err_path.read_text(encoding="utf-8", errors="replace") if self.err_path.exists() else ""
        return SideResult.parse(self.code, raw, err)

    def kill(self) -> None:
        if self.code is None:
            self.code = _kill_and_reap(self.pid)


@functools.cache
def _runtime_prefixes(tree: Path) -> tuple[str, ...]:
    """The interpreter's and the virtualenv's own trees, as text; not one that holds the project (a project in
    /usr/src with Python in /usr): a path starting with one of these is never the project's code."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    prefixes = {os.path.join(p, "") for p in roots} | {os.path.join(os.path.realpath(p), "") for p in roots}
    inside = os.path.join(str(tree), "")
    return tuple(p for p in prefixes if not inside.startswith(p))


def _within(path: str | None, tree: Path) -> bool:
    """Whether `path` is the project's own code in `tree`; a virtualenv inside the tree (`.venv`) is not.

    Asked of every loaded module when a side forgets the head's code: the runtime's own files (most of them) are
    told apart by their prefix, and only the rest are resolved (symlinks) and compared.
    """
    if not path or path.startswith(_runtime_prefixes(tree)):
        return False
    try:
        resolved = Path(path).resolve()
        if "site-packages" in resolved.parts or resolved.is_relative_to(Path(sys.prefix).resolve()):
            return False
        return resolved.is_relative_to(tree)
    except (OSError, ValueError):
        return False


def _run_forked(cwd: Path, argv: list[str], out_path: Path, err_path: Path, loaded_from: Path) -> None:
    import runpy
    import traceback

    code = 70
    try:
        for fd, path in ((1, out_path), (2, err_path)):
            new = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(new, fd)
            os.close(new)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # flushed before os._exit
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
        os.chdir(cwd)
        if cwd.resolve() != loaded_from:
            sys.dont_write_bytecode = True
            for name, module in list(sys.modules.items()):
                files = [getattr(module, "__file__", None), *list(getattr(module, "__path__", None) or [])]
                if any(_within(f, loaded_from) for f in files):
                    del sys.modules[name]
        sys.path[:] = [str(cwd)] + [p for p in sys.path if p not in ("", ".") and not _within(p, loaded_from)]
        sys.argv = [str(cwd / "offline" / "__main__.py"), *argv]
        try:
            runpy.run_module("offline", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
    except BaseException:  # the child must never return into the parent's code
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # nothing left to report to
                pass
        os._exit(code)


# Third-party modules both sides import (the program's SDKs): loaded once here, before forking, instead of twice.
# Only the venv's libraries: never the project's own code, which each side must load from its own tree.
SHARED_IMPORTS = (
    "pulumi_azuread",
    "pulumi.dynamic",
    "pulumi.runtime.mocks",
    "yaml",
    "grpc",
    # pydantic imports these lazily, on the first model a side defines: loaded here, they are loaded once.
    "pydantic.main",
    "pydantic.fields",
    "pydantic.functional_validators",
    "pydantic.types",
    "pydantic.alias_generators",
    "pydantic.json_schema",
    "pydantic._internal._generate_schema",
    "difflib",
    "hmac",
    "secrets",
    "zoneinfo",
)


def _preload() -> None:
    for name in SHARED_IMPORTS:
        try:
            importlib.import_module(name)
        except Exception:  # a side that needs it will say so itself
            continue


def _can_fork() -> bool:
    import threading

    if os.environ.get("WEBEX_SCIM_DIFF_SPAWN") == "subprocess":
        return False
    return sys.platform == "linux" and hasattr(os, "fork") and threading.active_count() == 1


def _parse_doc(code: int, raw: str) -> tuple[dict[str, Any] | None, str]:
    """(the side's JSON document or None, whatever else it printed to stdout).

    A program may print() while it runs; a preview writes its document last, starting on a line of its own with the
    one unindented `{` of `json.dumps(indent=2)`, so the document is found after the last such line.
    """
    if code not in (0, 1) or not raw.strip():
        return None, raw
    start = raw.rfind("\n{") + 1  # 0 when the document is all there is
    if not raw.startswith("{", start):
        return None, raw
    try:
        doc = json.loads(raw[start:])
    except json.JSONDecodeError:
        return None, raw
    if not isinstance(doc, dict):
        return None, raw
    return doc, raw[:start]


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def _git_error(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [x for x in (proc.stderr or "").splitlines() if x.strip()]
    return lines[-1].strip() if lines else f"git exited with code {proc.returncode}"


class BaseUnavailable(Exception):
    """The base revision could not be materialized or has no offline engine (reported, never fatal)."""


def _safe_member(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """tarfile's "data" filter, but a member it refuses (a symlink out of the tree, say) is skipped, not fatal."""
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None


def materialize(project_dir: Path, ref: str, dest: Path) -> Path:
    """Extract the tree of `ref` (the project's folder of it) into `dest`; the project folder inside it."""
    try:
        top = _git(project_dir, "rev-parse", "--show-toplevel")
    except FileNotFoundError:
        raise BaseUnavailable("git is not installed") from None
    if top.returncode != 0:
        raise BaseUnavailable(f"{project_dir} is not in a git checkout ({_git_error(top)})")
    prefix = _git(project_dir, "rev-parse", "--show-prefix").stdout.strip()
    commit = _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if commit.returncode != 0 or not commit.stdout.strip():
        raise BaseUnavailable(
            f"git ref {ref!r} is not a commit here (fetch it first, e.g. `git fetch origin`; in CI check out with "
            "fetch-depth: 0)"
        )
    sha = commit.stdout.strip()
    root = Path(top.stdout.strip())
    argv = ["git", "archive", "--format=tar", sha]
    if prefix:
        argv += ["--", prefix]
    proc = subprocess.Popen(argv, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            tar.extractall(dest, filter=_safe_member)
    except tarfile.TarError as exc:
        proc.kill()
        raise BaseUnavailable(f"git archive {ref}: {exc}") from None
    finally:
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        proc.wait()
    if proc.returncode != 0:
        raise BaseUnavailable(f"git archive {ref}: {err.strip().splitlines()[-1] if err.strip() else 'failed'}")
    base_dir = dest / prefix if prefix else dest
    if not (base_dir / "offline" / "__main__.py").is_file():
        raise BaseUnavailable(f"{ref} has no offline/ engine (python -m offline), so it cannot be previewed")
    return base_dir


# The base's code (engine, program, pack) is compiled once, by the process that extracts it, so the base's preview
# and pack read bytecode instead of compiling their sources again (the base side writes none: its tree is
# temporary).
BASE_CODE = ("offline", "components", "policies")


class _Materializer:
    """`materialize` (and byte-compiling the base's code) in a forked child, while this process imports the SDKs
    both sides share. Without fork it runs here, at once."""

    def __init__(self, project_dir: Path, ref: str, dest: Path, *, fork: bool) -> None:
        self._error: str | None = None
        self._path: Path | None = None
        self._pid: int | None = None
        if not fork:
            try:
                self._path = _extract_base(project_dir, ref, dest)
            except BaseUnavailable as exc:
                self._error = str(exc)
            return
        self._errors = scratch_file = dest.parent / "base.materialize"
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover (runs in the child, which never returns)
            code = 0
            try:
                # Behind the parent's imports, which every later step waits for; this only has to be done by then.
                os.nice(10)
                scratch_file.write_text(str(_extract_base(project_dir, ref, dest)), encoding="utf-8")
            except BaseUnavailable as exc:
                scratch_file.write_text("\0" + str(exc), encoding="utf-8")
            except BaseException:  # no result written: the parent reports the base as not extracted
                code = 1
            finally:
                os._exit(code)
        self._pid = pid

    def kill(self) -> None:
        if self._pid is not None:
            pid, self._pid = self._pid, None
            _kill_and_reap(pid)

    def result(self) -> Path:
        if self._pid is not None:
            pid, self._pid = self._pid, None
            os.waitpid(pid, 0)
            try:
                text = self._errors.read_text(encoding="utf-8")
            except OSError:
                text = "\0the process extracting the base ended without a result"
            if text.startswith("\0"):
                self._error = text[1:]
            else:
                self._path = Path(text)
        if self._error is not None or self._path is None:
            raise BaseUnavailable(self._error or "the base could not be extracted")
        return self._path


def _extract_base(project_dir: Path, ref: str, dest: Path) -> Path:
    """`materialize`, then byte-compile the base's code (only a speed-up: a failure there is ignored, the base then
    compiles its own code as it runs). Any failure to extract is the base's, reported as such, never a crash."""
    try:
        base_dir = materialize(project_dir, ref, dest)
    except BaseUnavailable:
        raise
    except Exception as exc:
        raise BaseUnavailable(f"extracting {ref} failed: {type(exc).__name__}: {exc}") from None
    try:
        _compile_tree(base_dir, project_dir)
    except Exception:  # e.g. a read-only bytecode cache (PYTHONPYCACHEPREFIX)
        pass
    return base_dir


def _compile_tree(base_dir: Path, head_dir: Path) -> None:
    """Byte-compile the base's code. A file byte-identical to the head's (most of them, in most pull requests)
    takes the head's bytecode instead, once given the head file's modification time, which that bytecode's header
    records (Python then accepts it, and points its code at the base's file)."""
    import compileall

    for name in BASE_CODE:
        for source in sorted((base_dir / name).rglob("*.py")):
            if not _reuse_bytecode(source, head_dir / source.relative_to(base_dir)):
                compileall.compile_file(source, quiet=2)


def _reuse_bytecode(source: Path, head_source: Path) -> bool:
    import importlib.util
    import shutil

    head_pyc = Path(importlib.util.cache_from_source(str(head_source)))
    try:
        stat = head_source.stat()
        with head_pyc.open("rb") as f:
            header = f.read(16)
        if head_source.read_bytes() != source.read_bytes():
            return False
    except OSError:
        return False
    # PEP 552: magic, flags (0: checked by the source's time and size), source mtime, source size.
    fresh = (
        header[:4] == importlib.util.MAGIC_NUMBER
        and int.from_bytes(header[4:8], "little") == 0
        and int.from_bytes(header[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
        and int.from_bytes(header[12:16], "little") == stat.st_size & 0xFFFFFFFF
    )
    if not fresh:
        return False
    target = Path(importlib.util.cache_from_source(str(source)))
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(head_pyc, target)
    os.utime(source, (stat.st_atime, stat.st_mtime))
    return True


def _side_argv(args: argparse.Namespace, config_file: Path | None, policy_config: Path | None) -> list[str]:
    argv = ["preview", "--json", "-"]
    argv += ["--config-file", str(config_file)] if config_file is not None else ["--stack", args.stack]
    if policy_config is not None:
        argv += ["--policy-config", str(policy_config)]
    if args.no_policies:
        argv.append("--no-policies")
    return argv


def _child_env() -> dict[str, str]:
    # `python -m offline` puts its working directory first on sys.path: each side imports `offline`, `components`
    # and the policy pack from its own tree, never from ours.
    env = dict(os.environ)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


# What decides a side's verdicts besides its resources: the pack's own directory, the program's data tables it reads
# (policies/webex_guard/catalog.py), and the engine that configures it (the pack keeps one Configure for all its
# clients, so two sides may share a pack only if their engines would send the same one).
PACK_INPUTS = ("policies", "components/webex_catalog.json", "offline")


def _pack_files(root: Path) -> dict[str, bytes] | None:
    files: dict[str, bytes] = {}
    for name in PACK_INPUTS:
        path = root / name
        if path.is_file():
            files[name] = path.read_bytes()
            continue
        if not path.is_dir():
            return None
        for f in sorted(path.rglob("*")):
            rel = f.relative_to(root)
            if f.is_file() and not {"venv", ".venv", "__pycache__"} & set(rel.parts) and f.suffix != ".pyc":
                files[rel.as_posix()] = f.read_bytes()
    return files


def shareable_pack(head_dir: Path, base_dir: Path) -> bool:
    """Whether the base's policy pack is byte for byte the head's (its files, the data it reads and the engine that
    configures it): one pack process can then serve both sides, each still getting its own revision's verdicts."""
    head, base = _pack_files(head_dir), _pack_files(base_dir)
    return head is not None and head == base


def _same_pack(head_dir: Path, base_dir: Path, project: str) -> bool:
    """Whether one pack may serve both sides: the same files, and the same project to configure it for."""
    from . import stackfile

    if not shareable_pack(head_dir, base_dir):
        return False
    try:
        return stackfile.load_project(base_dir)[0] == project
    except UsageError:
        return False


def _start_shared_pack(project_dir: Path) -> PackProcess | None:
    from .pack_process import PackProcess

    try:
        return PackProcess(project_dir / "policies")
    except Exception:  # the side's own preview will say what is wrong with the pack
        return None


def _shared_pack_env(pack: PackProcess | None) -> dict[str, str]:
    """The environment that hands a started pack to a side (`SharedPack.from_environment`); empty if it failed."""
    if pack is None:
        return {}
    from .pack_process import SHARED_PACK_ENV, SharedPack

    try:
        port = pack.wait_for_port(60.0)
    except TimeoutError:
        port = None
    if port is None:
        return {}  # each side starts its own and reports the failure in its own words
    return {SHARED_PACK_ENV: SharedPack(pack.pack_dir, pack.pid, port).environment_value()}


def run_diff(args: argparse.Namespace) -> tuple[int, dict[str, Any], str | None]:
    """(exit code, document, message for stderr)."""
    from . import stackfile

    project_dir = Path(args.project_dir).resolve()
    project, _ = stackfile.load_project(project_dir)
    head_config = Path(args.config_file).resolve() if args.config_file is not None else None
    policy_config = Path(args.policy_config).resolve() if args.policy_config is not None else None
    if policy_config is not None and not policy_config.is_file():
        raise UsageError(f"--policy-config {args.policy_config}: no such file")
    head_stack_file = head_config or stackfile.stack_file(project_dir, args.stack)
    env = _child_env()

    fork = _can_fork()
    loaded_from = Path(__file__).resolve().parent.parent  # the tree this process's `offline` came from
    # The head's pack is started first, so its start-up overlaps everything below; if the base's pack turns out to
    # be byte-identical, it serves both sides (see `shareable_pack`), else the head's side only.
    pack = _start_shared_pack(project_dir) if not args.no_policies else None

    with tempfile.TemporaryDirectory(prefix="webex-scim-diff-") as tmp:
        scratch = Path(tmp)
        base_error: str | None = None
        base_stack_file: Path | None = None
        base_dir: Path | None = None
        materializing: _Materializer | None = None
        head: _Child | _ForkedChild | None = None
        base: _Child | _ForkedChild | None = None
        shared_env: dict[str, str] = {}
        try:
            # Extracting (and byte-compiling) the base runs in a forked child beside the preload below.
            materializing = _Materializer(project_dir, args.base, scratch / "base", fork=fork)
            if fork and os.environ.get("WEBEX_SCIM_DIFF_PRELOAD", "1") == "1":
                _preload()
            shared_env = _shared_pack_env(pack)

            def start(cwd: Path, argv: list[str], label: str, child_env: dict[str, str]) -> _Child | _ForkedChild:
                if fork:
                    return _ForkedChild(cwd, argv, scratch, label, loaded_from=loaded_from, env=child_env)
                return _Child(cwd, argv, scratch, label, child_env)

            head = start(project_dir, _side_argv(args, head_config, policy_config), "head", {**env, **shared_env})
            try:
                base_dir = materializing.result()
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
                base_env = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
                if shared_env and _same_pack(project_dir, base_dir, project):
                    base_env.update(shared_env)
                base = start(base_dir, _side_argv(args, base_config, policy_config), "base", base_env)
            except BaseUnavailable as exc:
                base_error = str(exc)
            head_result = head.result()
            base_result = base.result() if base is not None else None
        finally:
            for side in (head, base):
                if side is not None:
                    side.kill()
            if materializing is not None:
                materializing.kill()
            # The shared pack's own words, for a head that failed on it (a side keeps no copy of them).
            pack_stderr = pack.stderr_tail() if pack is not None and shared_env else ""
            if pack is not None:
                pack.kill()
        if base_result is not None and not base_result.ok:
            base_error = base_result.error_line()
        if base_error is not None and base_dir is not None:
            base_error = _in_ref_terms(base_error, base_dir, scratch, args.base)
        printed = []
        if head_result.printed.strip():
            printed.append(f"this change's program printed to stdout: {quote_printed(head_result.printed)}")
        if base_error is None and base_result is not None and base_result.printed.strip() and base_dir is not None:
            said = _in_ref_terms(base_result.printed, base_dir, scratch, args.base)
            printed.append(f"the base revision ({args.base}) printed to stdout: {quote_printed(said)}")
        secrets = (
            changed_secrets(base_stack_file, head_stack_file, project)
            if base_stack_file is not None and base_error is None
            else {}
        )

    ref_info = {"ref": args.base, "ok": base_error is None, "error": base_error}
    if not head_result.ok:
        message = head_result.stderr.strip() or f"error: the head preview {head_result.error_line()}"
        if pack_stderr and "policy pack" in message:  # the shared pack's own words are the diff's to report
            message += f"\n--- the pack's stderr (last lines) ---\n{pack_stderr}"
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
    if base_error is None and base_result is not None and base_result.doc is not None:
        doc = compare(base_result.doc, head_result.doc, secret_changes=secrets)
    else:
        doc = head_only(head_result.doc)
    doc["base"] = ref_info
    doc["head"] = {"ok": True, "error": None}
    # A program's print() goes to stdout, which a side's document shares: said, not lost, not mistaken for a failure.
    doc["warnings"] = [*doc["warnings"], *(f"{w} (a program reports through pulumi.log)" for w in printed)]
    mandatory = any(v.get("enforcementLevel") == "mandatory" for v in doc["policyViolations"])
    return (1 if mandatory else 0), doc, None


def _no_base_stack_file(args: argparse.Namespace, head_config: Path | None, project_dir: Path) -> str:
    if head_config is None:
        name = f"Pulumi.{args.stack}.yaml"
        return f"stack {args.stack!r} has no stack file {name} in {args.base}: a stack new in this change has no base"
    try:
        shown = head_config.relative_to(project_dir).as_posix()
    except ValueError:
        shown = str(head_config)
    return f"{shown} does not exist in {args.base}: a stack file new in this change has no base"


def _in_ref_terms(text: str, base_dir: Path, scratch: Path, ref: str) -> str:
    """A base's message with its temporary tree's paths written as `<ref>:<path>` (git's notation), so no report
    names a folder that is gone by the time anyone reads it."""
    for root in sorted({str(base_dir), str(base_dir.resolve())}, key=len, reverse=True):
        text = text.replace(root + os.sep, f"{ref}:").replace(root, ref)
    for root in sorted({str(scratch), str(scratch.resolve())}, key=len, reverse=True):
        text = text.replace(root, "<temporary folder>")
    return text


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
    from .render import print_tree

    print_tree(diff_lines(doc))
