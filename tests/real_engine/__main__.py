"""`make real-preview CONFIG=path JSON=out.json`: any stack file through the real `pulumi preview --policy-pack`.

A throwaway loopback tenant holds what the stack file names (its users, groups, an adopted service principal), a
throwaway workspace runs the real CLI with the azuread test provider, and the result is written as the same JSON
document the offline preview writes (`python -m webex_scim preview --json`), so anyone can compare the two engines.
Secrets the stack needs are test values: the file's own `secure:` values are never decrypted or copied.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from graph_server import BEARER, GraphTestServer

from components.settings import is_object_id
from offline.verdicts import is_checked_at_up
from real_engine.workspace import RealWorkspace

TEST_TOKEN = "real-preview-test-token"


def _config_value(config: dict[str, Any], key: str) -> Any:
    value = config.get(f"webex-scim:{key}")
    if isinstance(value, str) and value.strip()[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def seed(tenant: GraphTestServer, config: dict[str, Any]) -> None:
    """The principals the stack assigns and the service principal it adopts, as a tenant would have them."""
    for a in _config_value(config, "assignments") or []:
        if not isinstance(a, dict):
            continue
        if a.get("user"):
            ref = str(a["user"])
            if is_object_id(ref):
                tenant.directory.add_user(f"user-{ref[:8]}@contoso.test", object_id=ref)
            else:
                tenant.directory.add_user(ref)
        elif a.get("group"):
            ref = str(a["group"])
            if is_object_id(ref):
                tenant.directory.add_group(f"group-{ref[:8]}", object_id=ref)
            else:
                tenant.directory.add_group(ref)
    app = _config_value(config, "app") or {}
    if isinstance(app, dict) and app.get("existingServicePrincipalObjectId"):
        tenant.directory.add_gallery_app(sp_object_id=str(app["existingServicePrincipalObjectId"]))


def document(project: str, stack: str, outcome: Any) -> dict[str, Any]:
    """The offline preview's JSON shape, from the real engine's events."""
    steps = [
        {k: s[k] for k in ("op", "urn", "type", "name", "parent", "inputs", "protect", "retainOnDelete")}
        for s in outcome.steps
        if not s["type"].startswith("pulumi:providers:")
    ]
    summary: dict[str, int] = {}
    for s in steps:
        summary[s["op"]] = summary.get(s["op"], 0) + 1
    verdicts = [
        {
            "policy": p["policy"],
            "enforcementLevel": p["enforcementLevel"],
            "urn": p["urn"] or None,
            "message": p["message"].strip(),
        }
        for p in outcome.policy
    ]
    return {
        "project": project,
        "stack": stack,
        "steps": steps,
        "outputs": outcome.outputs,
        # As the offline document keeps them: the SDK's "can't run during preview" apart from the violations.
        "policyViolations": [v for v in verdicts if not is_checked_at_up(v["message"])],
        "checkedAtUp": [v for v in verdicts if is_checked_at_up(v["message"])],
        "warnings": outcome.warnings,
        "changeSummary": summary,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m real_engine")
    parser.add_argument("command", choices=["preview"])
    parser.add_argument("--config-file", required=True, type=Path)
    parser.add_argument("--json", dest="json_path", default="-")
    parser.add_argument("--policy-config", type=Path)
    args = parser.parse_args(argv)
    stack_file = args.config_file.resolve()
    match = re.fullmatch(r"Pulumi\.(.+)\.yaml", stack_file.name)
    if not match or not stack_file.is_file():
        print(f"error: {args.config_file}: expected a stack file named Pulumi.<stack>.yaml", file=sys.stderr)
        return 2
    stack = match.group(1)
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    with GraphTestServer(webex_token=TEST_TOKEN) as tenant:
        seed(tenant, config)
        ws = RealWorkspace(tenant.base_url, BEARER)
        try:
            ws.init_stack(stack, stack_file)
            ws.set_config(stack, "webex-scim:graphBaseUrl", tenant.base_url)
            # A secure or missing token gets a secret test value; a plain one stays plain (the program refuses it).
            token = config.get("webex-scim:scimToken")
            ws.set_config(stack, "webex-scim:scimToken", TEST_TOKEN, secret=token is None or isinstance(token, dict))
            extra = ["--policy-pack", str(ws.project / "policies")]
            if args.policy_config:
                extra += ["--policy-pack-config", str(args.policy_config.resolve())]
            outcome = ws.run("preview", stack, *extra)
        finally:
            ws.close()
    doc = document("webex-scim", stack, outcome)
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    if args.json_path == "-":
        sys.stdout.write(text)
    else:
        Path(args.json_path).write_text(text)
    if outcome.code != 0:
        print(outcome.stderr.strip()[-4000:], file=sys.stderr)
    return 0 if outcome.code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
