"""Run the project's `__main__.py` under the real Pulumi CLI: `python -m real_engine.run OP --project DIR --stack S`.

The Automation API's inline-program path: the SDK serves the language protocol in this process and runs the CLI
with `--client`, so no `pulumi-language-python` host is needed (the Go module proxy does not serve it). The
program is the real `__main__.py`, run as the language host would run it (`runpy`, `__main__`, project dir first on
sys.path, working directory the project). Prints one JSON line: exit status, the CLI's output, the engine's steps
and policy events (read from the engine event stream, as `--event-log` has them), the change summary.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import sys
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation import events as ev

from real_engine.plugin import SECRET_SIG, SIG, UNKNOWN

TOOLS_ROOT = Path(__file__).resolve().parents[2] / ".tools"


def _shown(value: Any) -> Any:
    """Event values as the offline document shows them: unknowns as "[unknown]" (the CLI already masks secrets)."""
    if value == UNKNOWN:
        return "[unknown]"
    if isinstance(value, dict):
        if value.get(SIG) == SECRET_SIG:
            return "[secret]"
        # `__provider` is the dynamic provider's pickle, an engine detail the offline document leaves out.
        return {k: _shown(v) for k, v in value.items() if k != "__provider"}
    if isinstance(value, list):
        return [_shown(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="real_engine.run")
    parser.add_argument("op", choices=["preview", "up", "refresh", "destroy"])
    parser.add_argument("--project", required=True, type=Path)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--policy-pack", action="append", default=[])
    parser.add_argument("--policy-pack-config", action="append", default=[])
    parser.add_argument("--expect-no-changes", action="store_true")
    parser.add_argument("--refresh", action="store_true")
    args = parser.parse_args(argv)
    project = args.project.resolve()

    def program() -> None:
        if str(project) not in sys.path:
            sys.path.insert(0, str(project))
        runpy.run_path(str(project / "__main__.py"), run_name="__main__")

    os.chdir(project)
    workspace = auto.LocalWorkspace(
        work_dir=str(project),
        program=program,
        pulumi_command=auto.PulumiCommand(root=str(TOOLS_ROOT), skip_version_check=True),
    )
    stack = auto.Stack.select(args.stack, workspace)
    steps: list[dict[str, Any]] = []
    policy: list[dict[str, Any]] = []
    outputs: dict[str, Any] = {}
    warnings: list[str] = []

    def on_event(event: ev.EngineEvent) -> None:
        pre = event.resource_pre_event
        if pre is not None and not any(s["urn"] == pre.metadata.urn for s in steps):
            m = pre.metadata
            state = m.new or m.old
            steps.append(
                {
                    "op": str(m.op.value if hasattr(m.op, "value") else m.op),
                    "urn": m.urn,
                    "type": m.type,
                    "name": m.urn.rsplit("::", 1)[-1],
                    "parent": (state.parent or None) if state else None,
                    "inputs": _shown((state.inputs or {}) if state else {}),
                    "protect": bool(state.protect) if state else False,
                    "retainOnDelete": bool(state.retain_on_delete) if state else False,
                    "diffs": list(m.diffs or []),
                    "keys": list(m.keys or []),
                    "detailedDiff": {k: str(v.diff_kind.value) for k, v in (m.detailed_diff or {}).items()},
                }
            )
        done = event.res_outputs_event
        if done is not None and done.metadata.type == "pulumi:pulumi:Stack" and done.metadata.new is not None:
            outputs.update(_shown(dict(done.metadata.new.outputs or {})))  # the stack's exports, as the engine has them
        said = event.diagnostic_event
        if said is not None and said.severity == "warning" and said.urn and not said.ephemeral:
            # pulumi.log.warn from the program or a provider (attributed to a resource); the CLI's own notes have
            # no URN (e.g. which language host it found on $PATH, an artefact of this workspace).
            warnings.append(said.message.strip())
        if event.policy_event is not None:
            p = event.policy_event
            policy.append(
                {
                    "policy": p.policy_name,
                    "pack": p.policy_pack_name,
                    "enforcementLevel": p.enforcement_level,
                    "urn": p.resource_urn,
                    "message": p.message,
                }
            )

    common: dict[str, Any] = {"on_event": on_event, "color": "never"}
    packs = [str(Path(p).resolve()) for p in args.policy_pack]
    configs = [str(Path(p).resolve()) for p in args.policy_pack_config]
    result: dict[str, Any] = {"code": 0, "stdout": "", "stderr": "", "summary": {}, "outputs": {}}
    try:
        if args.op in ("preview", "up"):
            run = stack.preview if args.op == "preview" else stack.up
            res = run(
                policy_packs=packs or None,
                policy_pack_configs=configs or None,
                expect_no_changes=args.expect_no_changes or None,
                refresh=args.refresh or None,
                diff=True,
                **common,
            )
            result.update(stdout=res.stdout, stderr=res.stderr)
            if args.op == "preview":
                result["summary"] = {getattr(k, "value", str(k)): v for k, v in res.change_summary.items()}
            else:
                result["summary"] = dict(res.summary.resource_changes or {})
                result["outputs"] = {k: ("[secret]" if v.secret else v.value) for k, v in res.outputs.items()}
        elif args.op == "refresh":
            res = stack.refresh(expect_no_changes=args.expect_no_changes or None, **common)
            result.update(stdout=res.stdout, stderr=res.stderr, summary=dict(res.summary.resource_changes or {}))
        else:
            res = stack.destroy(**common)
            result.update(stdout=res.stdout, stderr=res.stderr, summary=dict(res.summary.resource_changes or {}))
    except auto.errors.CommandError as error:
        result.update(
            code=1, stdout=getattr(error, "stdout", "") or "", stderr=getattr(error, "stderr", "") or str(error)
        )
    result.update(steps=steps, policy=policy, warnings=warnings)
    if args.op == "preview":
        result["outputs"] = outputs
    print(json.dumps(result, default=str))
    return int(result["code"])


if __name__ == "__main__":
    sys.exit(main())
