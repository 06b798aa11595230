"""The real Pulumi CLI end to end on the loopback tenant (`make conformance`): preview with the policy pack, up,
a no-change second run, updates, drift, destroy; the canary token never in clear; the offline engine agrees.

One tenant and one workspace for the module; the tests run in order and each builds on the last, like the life of
one stack. Every figure a test asserts is read back from the tenant or from the engine's own events.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from graph_directory import WEBEX_USER_ROLE_ID
from graph_server import BEARER, GraphTestServer

from offline.verdicts import is_checked_at_up
from real_engine.workspace import ROOT, Outcome, RealWorkspace

CANARY = "canary-7Hq2-SCIM-TOKEN-do-not-leak-91f3"
ROTATED = "rotated-canary-Zq81-SCIM-TOKEN-do-not-leak-55aa"
PILOT = "pilot.user@contoso.com"
GROUP = "Webex Users"
STACK = "dev"

SEEN: list[str] = []  # everything the CLI printed in this module, for the leak check at the end


def run(ws: RealWorkspace, op: str, stack: str = STACK, *extra: str, pack: bool = True) -> Outcome:
    args = ["--policy-pack", str(ws.project / "policies")] if pack and op in ("preview", "up") else []
    outcome = ws.run(op, stack, *args, *extra)
    SEEN.append(outcome.text + json.dumps(outcome.steps) + json.dumps(outcome.policy) + json.dumps(outcome.outputs))
    return outcome


def custom_ops(outcome: Outcome) -> dict[str, str]:
    """Resource name -> op for the resources a provider manages (components and the stack left out)."""
    return {
        s["urn"].rsplit("::", 1)[-1]: s["op"]
        for s in outcome.steps
        if s["type"].startswith(("azuread:index/", "pulumi-python:dynamic/"))
    }


@pytest.fixture(scope="module")
def tenant() -> Any:
    with GraphTestServer(webex_token=CANARY) as server:
        server.directory.add_user(PILOT)
        server.directory.add_user("second.user@contoso.com")
        server.directory.add_group(GROUP)
        # A new service principal is not served for its first reads, as Graph replicates (F9): the first `up`
        # must wait for it instead of failing.
        server.directory.replication_lag = 2
        yield server


@pytest.fixture(scope="module")
def ws(tenant: GraphTestServer) -> Any:
    workspace = RealWorkspace(tenant.base_url, BEARER)
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def stack_file(ws: RealWorkspace, tenant: GraphTestServer) -> Path:
    path = ws.init_stack(STACK, ROOT / "Pulumi.dev.yaml")
    ws.set_config(STACK, "webex-scim:graphBaseUrl", tenant.base_url)
    ws.set_config(STACK, "webex-scim:scimToken", CANARY, secret=True)
    return path


def offline_preview(stack_file: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "webex_scim", "preview", "--config-file", str(stack_file), "--json", "-"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    SEEN.append(proc.stdout + proc.stderr)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_the_token_is_stored_encrypted_and_the_offline_preview_reads_that_file(stack_file: Path) -> None:
    text = stack_file.read_text()
    config = yaml.safe_load(text)
    assert set(config["config"]["webex-scim:scimToken"]) == {"secure"}
    assert config["encryptionsalt"].startswith("v1:")
    assert CANARY not in text
    doc = offline_preview(stack_file)
    assert doc["changeSummary"] == {"create": 16}
    assert not [v for v in doc["policyViolations"] if v["enforcementLevel"] == "mandatory"]


def later(policy_event: dict[str, Any]) -> bool:
    return is_checked_at_up(policy_event["message"].strip())


def test_the_two_engines_agree_on_steps_and_verdicts(ws: RealWorkspace, stack_file: Path) -> None:
    real = run(ws, "preview")
    assert real.code == 0, real.text
    offline = offline_preview(stack_file)
    # The real engine also shows its default provider resources (`pulumi:providers:…`, not counted in its summary);
    # the offline engine has no providers to show. Everything else must match step for step.
    real_steps = [s for s in real.steps if not s["type"].startswith("pulumi:providers:")]
    assert sorted((s["urn"], s["type"], s["op"]) for s in real_steps) == sorted(
        (s["urn"], s["type"], s["op"]) for s in offline["steps"]
    )
    # The SDK's "can't run during preview" diagnostics are not verdicts: the offline document keeps them apart.
    verdicts = sorted((p["policy"], p["enforcementLevel"], p["urn"]) for p in real.policy if not later(p))
    assert verdicts == sorted((v["policy"], v["enforcementLevel"], v["urn"]) for v in offline["policyViolations"])
    unknown = sorted((p["policy"], p["urn"] or None) for p in real.policy if later(p))
    assert unknown == sorted((v["policy"], v["urn"]) for v in offline["checkedAtUp"])
    assert real.summary == {"create": 16}


def test_a_mandatory_violation_fails_preview_and_up_and_policy_config_can_relax_it(
    ws: RealWorkspace, tenant: GraphTestServer
) -> None:
    ws.init_stack("visible", ROOT / "tests" / "stacks" / "Pulumi.visible-app.yaml")
    ws.set_config("visible", "webex-scim:graphBaseUrl", tenant.base_url)
    ws.set_config("visible", "webex-scim:scimToken", CANARY, secret=True)
    before = len(tenant.directory.applications)
    preview = run(ws, "preview", "visible")
    assert preview.code != 0
    assert ("hidden-from-users", "mandatory") in {(p["policy"], p["enforcementLevel"]) for p in preview.policy}
    up = run(ws, "up", "visible")
    assert up.code != 0
    assert "hidden-from-users" in up.text and "mandatory" in up.text
    # What the real engine does: `up` reports the violation and fails, but the resources were applied (the app is
    # instantiated and visible). A mandatory rule does not stop `up` from writing: the deploy workflow therefore
    # runs `pulumi preview --policy-pack` as a gate first, and the README says so.
    assert len(tenant.directory.applications) == before + 1
    assert run(ws, "destroy", "visible").code == 0
    assert len(tenant.directory.applications) == before
    relaxed = ws.dir / "policy-config.json"
    relaxed.write_text(json.dumps({"hidden-from-users": {"enforcementLevel": "advisory"}}))
    preview = run(ws, "preview", "visible", "--policy-pack-config", str(relaxed))
    assert preview.code == 0, preview.text
    assert ("hidden-from-users", "advisory") in {(p["policy"], p["enforcementLevel"]) for p in preview.policy}


def test_up_lands_what_the_webex_article_asks_for(ws: RealWorkspace, tenant: GraphTestServer, stack_file: Path) -> None:
    up = run(ws, "up")
    assert up.code == 0, up.text
    assert up.summary == {"create": 16}
    d = tenant.directory
    sp_id = up.outputs["servicePrincipalObjectId"]
    sp = d.service_principals[sp_id]
    assert "HideApp" in sp["tags"] and "WindowsAzureActiveDirectoryIntegratedApp" in sp["tags"]
    assert sp["appRoleAssignmentRequired"] is True
    pilot = d.user_by_upn(PILOT)
    assert [(a["principalId"], a["appRoleId"]) for a in d.assignments_of(sp_id)] == [(pilot["id"], WEBEX_USER_ROLE_ID)]
    assert d.owners[sp_id] == [d.deployer_object_id]  # the instantiating identity, untouched
    secrets = {s["key"]: s["value"] for s in tenant.state.secrets[sp_id]}
    assert set(secrets) == {"BaseAddress", "SecretToken", "SyncNotificationSettings", "SyncAll"}
    assert secrets["SecretToken"] == CANARY and secrets["SyncAll"] == "false"
    assert json.loads(secrets["SyncNotificationSettings"])["Recipients"] == "webex-admins@contoso.com"
    job = tenant.job(up.outputs["jobId"])
    assert job["schedule"]["state"] == "Active"
    user_rule = tenant.schema(up.outputs["jobId"])["synchronizationRules"][0]["objectMappings"][0]
    username = next(m for m in user_rule["attributeMappings"] if m["targetAttributeName"] == "userName")
    assert username["source"]["name"] == "userPrincipalName"
    on_demand = [r for r in tenant.requests("POST", "/provisionOnDemand") if up.outputs["jobId"] in r.path]
    assert [r.json()["parameters"][0]["subjects"][0]["objectId"] for r in on_demand] == [pilot["id"]]


def test_a_second_run_has_no_changes(ws: RealWorkspace) -> None:
    again = run(ws, "preview", STACK, "--expect-no-changes")
    assert again.code == 0, again.text
    assert set(custom_ops(again).values()) == {"same"}


def test_a_new_notification_email_updates_exactly_the_secret(ws: RealWorkspace, tenant: GraphTestServer) -> None:
    ws.set_config(STACK, "webex-scim:notificationEmail", "provisioning-alerts@contoso.com")
    preview = run(ws, "preview")
    assert {n: op for n, op in custom_ops(preview).items() if op != "same"} == {"credentials": "update"}
    up = run(ws, "up")
    assert up.code == 0, up.text
    sp_id = up.outputs["servicePrincipalObjectId"]
    secrets = {s["key"]: s["value"] for s in tenant.state.secrets[sp_id]}
    assert json.loads(secrets["SyncNotificationSettings"])["Recipients"] == "provisioning-alerts@contoso.com"


def test_a_rotated_token_updates_the_secret_and_the_credential_check_shown_as_secret(
    ws: RealWorkspace, tenant: GraphTestServer
) -> None:
    tenant.state.webex_token = ROTATED  # Webex now accepts the new token only
    ws.set_config(STACK, "webex-scim:scimToken", ROTATED, secret=True)
    preview = run(ws, "preview")
    changed = {n: op for n, op in custom_ops(preview).items() if op != "same"}
    assert changed == {"credentials": "update", "credential-check": "update"}
    assert "[secret]" in preview.stdout
    up = run(ws, "up")
    assert up.code == 0, up.text
    secrets = {s["key"]: s["value"] for s in tenant.state.secrets[up.outputs["servicePrincipalObjectId"]]}
    assert secrets["SecretToken"] == ROTATED
    validations = tenant.requests("POST", "/validateCredentials")
    assert validations and validations[-1].json()["credentials"][1] == {"key": "SecretToken", "value": ROTATED}


def test_going_from_pilot_to_full_with_a_group_assigns_it(ws: RealWorkspace, tenant: GraphTestServer) -> None:
    ws.set_config(STACK, "webex-scim:rollout", "full")
    ws.set_config(STACK, "webex-scim:assignments", [{"user": PILOT}, {"group": GROUP}])
    preview = run(ws, "preview")
    changed = {n: op for n, op in custom_ops(preview).items() if op != "same"}
    assert changed.get(f"group-{GROUP.lower()}") == "create"
    up = run(ws, "up")
    assert up.code == 0, up.text
    sp_id = up.outputs["servicePrincipalObjectId"]
    group_id = next(g for g in tenant.directory.groups.values() if g["displayName"] == GROUP)["id"]
    assert (group_id, WEBEX_USER_ROLE_ID) in {
        (a["principalId"], a["appRoleId"]) for a in tenant.directory.assignments_of(sp_id)
    }
    assert run(ws, "preview", STACK, "--expect-no-changes").code == 0


def test_a_mapping_edited_in_the_portal_is_drift_that_up_reverts(ws: RealWorkspace, tenant: GraphTestServer) -> None:
    job_id = run(ws, "up").outputs["jobId"]

    def portal_edit(schema: dict[str, Any]) -> None:
        user = schema["synchronizationRules"][0]["objectMappings"][0]
        row = next(m for m in user["attributeMappings"] if m["targetAttributeName"] == "displayName")
        row["source"] = {"expression": "[mailNickname]", "name": "mailNickname", "parameters": [], "type": "Attribute"}

    tenant.mutate_schema(job_id, portal_edit)
    preview = run(ws, "preview")
    assert custom_ops(preview)["attribute-mappings"] == "update"
    refresh = run(ws, "refresh")
    assert refresh.code == 0, refresh.text
    assert run(ws, "up").code == 0
    user = tenant.schema(job_id)["synchronizationRules"][0]["objectMappings"][0]
    row = next(m for m in user["attributeMappings"] if m["targetAttributeName"] == "displayName")
    assert row["source"]["name"] == "displayName"


def test_the_state_holds_the_token_only_as_ciphertext(ws: RealWorkspace) -> None:
    exported = ws.cli("stack", "export", "--stack", STACK, check=True).stdout
    SEEN.append(exported)
    assert "ciphertext" in exported
    assert CANARY not in exported and ROTATED not in exported


def test_destroy_deletes_the_created_app_and_keeps_an_adopted_one(ws: RealWorkspace, tenant: GraphTestServer) -> None:
    up = run(ws, "up")
    app_ids = set(tenant.directory.applications)
    sp_id, job_id = up.outputs["servicePrincipalObjectId"], up.outputs["jobId"]
    down = run(ws, "destroy")
    assert down.code == 0, down.text
    assert sp_id not in tenant.directory.service_principals
    assert not (app_ids & set(tenant.directory.applications))
    assert job_id not in tenant.state.jobs
    # The mappings were reset to the template's default (DELETE …/schema) before the job went.
    assert [r.path for r in tenant.requests("DELETE", "/schema") if job_id in r.path] == [
        f"/v1.0/servicePrincipals/{sp_id}/synchronization/jobs/{job_id}/schema"
    ]

    adopted = tenant.directory.add_gallery_app("Cisco Webex (SSO)")
    ws.init_stack("adopted", ROOT / "Pulumi.dev.yaml")
    ws.set_config("adopted", "webex-scim:graphBaseUrl", tenant.base_url)
    ws.set_config("adopted", "webex-scim:scimToken", ROTATED, secret=True)
    ws.set_config("adopted", "webex-scim:app", {"existingServicePrincipalObjectId": adopted})
    up = run(ws, "up", "adopted")
    assert up.code == 0, up.text
    assert run(ws, "preview", "adopted", "--expect-no-changes").code == 0
    down = run(ws, "destroy", "adopted")
    assert down.code == 0, down.text
    assert adopted in tenant.directory.service_principals  # sign-in still depends on it
    assert "HideApp" in tenant.directory.service_principals[adopted]["tags"]


def test_the_canary_token_never_appeared_in_clear() -> None:
    assert SEEN, "the tests above ran nothing"
    leaked = [i for i, text in enumerate(SEEN) if CANARY in text or ROTATED in text]
    assert leaked == []


def test_the_cli_is_the_pinned_build() -> None:
    go_mod = (ROOT / "tools" / "pulumi" / "go.mod").read_text()
    pinned = re.search(r"github\.com/pulumi/pulumi/pkg/v3 (v\S+)", go_mod).group(1)  # type: ignore[union-attr]
    version = subprocess.run([str(ROOT / ".tools" / "bin" / "pulumi"), "version"], capture_output=True, text=True)
    assert version.stdout.strip() == pinned == "v3.274.1"
