"""The identity bootstrap (bootstrap/) under the real Pulumi CLI against the loopback tenant: preview with its policy
pack (the offline engine agrees step for step), up, a no-change second preview, destroy; what the tenant holds after
up, read back from it; and the pack refusing a stack that grants AppRoleAssignment.ReadWrite.All without saying so.

One tenant and one workspace for the module; the tests run in order, like the life of one stack.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from graph_identity import IdentityDirectory
from graph_server import BEARER, GraphTestServer

from real_engine.workspace import ROOT, Outcome, RealWorkspace

STACK = "example"
TABLE = json.loads((ROOT / "bootstrap" / "policies" / "graph_permissions.json").read_text())["permissions"]
READ = ["Application.Read.All", "Synchronization.Read.All", "User.Read.All", "GroupMember.Read.All",
        "AuditLog.Read.All", "Directory.Read.All"]  # fmt: skip
DEPLOY = ["Application.ReadWrite.OwnedBy", "User.Read.All", "GroupMember.Read.All"]
ACTION = "microsoft.directory/servicePrincipals/appRoleAssignedTo/update"
SUBJECTS = {
    "webex-scim read": ["repo:contoso/webex-scim:environment:preview", "repo:contoso/webex-scim:environment:read"],
    "webex-scim deploy": ["repo:contoso/webex-scim:environment:production"],
}


@pytest.fixture(scope="module")
def tenant() -> Any:
    with GraphTestServer() as server:
        yield server


@pytest.fixture(scope="module")
def identities(tenant: GraphTestServer) -> IdentityDirectory:
    return IdentityDirectory.attach(tenant)


@pytest.fixture(scope="module")
def webex_sp(tenant: GraphTestServer, identities: IdentityDirectory) -> str:
    """The Cisco Webex enterprise app, as SSO setup (or the main stack) left it: the scoped role's scope."""
    return tenant.directory.add_gallery_app()


@pytest.fixture(scope="module")
def ws(tenant: GraphTestServer) -> Any:
    workspace = RealWorkspace(tenant.base_url, BEARER, project="bootstrap")
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def stack_file(ws: RealWorkspace, webex_sp: str) -> Path:
    path = ws.init_stack(STACK, ROOT / "bootstrap" / "Pulumi.example.yaml")
    ws.set_config(STACK, "webex-scim-bootstrap:webexServicePrincipalObjectId", webex_sp)
    return path


def run(ws: RealWorkspace, op: str, stack: str = STACK, *extra: str) -> Outcome:
    pack = ["--policy-pack", str(ws.project / "policies")] if op in ("preview", "up") else []
    return ws.run(op, stack, *pack, *extra)


def offline_preview(ws: RealWorkspace, stack_file: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "webex_scim",
            "preview",
            "--project-dir",
            str(ws.project),
            "--config-file",
            str(stack_file),
            "--json",
            "-",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def steps(doc_steps: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return sorted((s["urn"], s["type"], s["op"]) for s in doc_steps if not s["type"].startswith("pulumi:providers:"))


def test_the_preview_passes_the_pack_and_the_two_engines_agree(ws: RealWorkspace, stack_file: Path) -> None:
    real = run(ws, "preview")
    assert real.code == 0, real.text
    assert real.policy == []
    offline = offline_preview(ws, stack_file)
    assert steps(real.steps) == steps(offline["steps"])
    assert offline["policyViolations"] == []
    assert real.summary == {"create": 22}


def test_up_makes_both_identities_in_the_tenant(ws: RealWorkspace, stack_file: Path, identities) -> None:
    up = run(ws, "up")
    assert up.code == 0, up.text
    assert up.summary == {"create": 22}
    for name, subjects in SUBJECTS.items():
        app = identities.application_named(name)
        assert app is not None, name
        assert app["signInAudience"] == "AzureADMyOrg"
        assert identities.directory.owners[app["id"]] == []  # the admin who ran it is not left an owner
        assert identities.service_principal_of(app["appId"]) is not None
        credentials = identities.credentials[app["id"]].values()
        assert sorted(c["subject"] for c in credentials) == sorted(subjects)
        assert {c["issuer"] for c in credentials} == {"https://token.actions.githubusercontent.com"}
        assert [c["audiences"] for c in credentials] == [["api://AzureADTokenExchange"]] * len(subjects)
    client_ids = {name: identities.application_named(name)["appId"] for name in SUBJECTS}
    assert up.outputs["workflowVariables"]["AZURE_READ_CLIENT_ID"] == client_ids["webex-scim read"]
    assert up.outputs["workflowVariables"]["AZURE_DEPLOY_CLIENT_ID"] == client_ids["webex-scim deploy"]


@pytest.mark.parametrize(("name", "permissions"), [("webex-scim read", READ), ("webex-scim deploy", DEPLOY)])
def test_each_identity_holds_exactly_its_graph_permissions(identities, name: str, permissions: list[str]) -> None:
    sp = identities.service_principal_of(identities.application_named(name)["appId"])
    grants = identities.grants_to(sp["id"])
    assert {g["resourceId"] for g in grants} == {identities.microsoft_graph}
    assert sorted(g["appRoleId"] for g in grants) == sorted(TABLE[p]["id"] for p in permissions)


def test_the_deploy_identity_may_manage_assignments_of_the_webex_app_only(identities, webex_sp: str) -> None:
    (role,) = identities.role_definitions.values()
    assert role["rolePermissions"] == [{"allowedResourceActions": [ACTION]}]
    assert role["isEnabled"] is True
    deploy = identities.service_principal_of(identities.application_named("webex-scim deploy")["appId"])
    (assignment,) = identities.role_assignments.values()
    assert assignment["roleDefinitionId"] == role["id"]
    assert assignment["principalId"] == deploy["id"]
    assert assignment["directoryScopeId"] == f"/{webex_sp}"


def test_a_second_preview_after_refresh_changes_nothing(ws: RealWorkspace) -> None:
    again = run(ws, "preview", STACK, "--refresh", "--expect-no-changes")
    assert again.code == 0, again.text
    assert set(again.summary) == {"same"}


def test_destroy_leaves_the_tenant_as_it_was(ws: RealWorkspace, identities, webex_sp: str) -> None:
    down = run(ws, "destroy")
    assert down.code == 0, down.text
    assert [a["displayName"] for a in identities.directory.applications.values()] == ["Cisco Webex"]
    assert identities.role_definitions == {} and identities.role_assignments == {}
    assert not [a for a in identities.directory.assignments.values() if a["resourceId"] == identities.microsoft_graph]
    assert webex_sp in identities.directory.service_principals


def test_the_pack_refuses_app_role_assignment_readwrite_all_unless_the_stack_says_so(
    ws: RealWorkspace, identities, webex_sp: str
) -> None:
    example = yaml.safe_load((ROOT / "bootstrap" / "Pulumi.example.yaml").read_text())["config"]
    deploy = {**example["webex-scim-bootstrap:deployIdentity"]}
    deploy["permissions"] = ["Application.ReadWrite.OwnedBy", "AppRoleAssignment.ReadWrite.All"]
    source = ws.dir / "Pulumi.privileged.yaml"
    source.write_text(yaml.safe_dump({"config": {**example, "webex-scim-bootstrap:deployIdentity": deploy}}))
    ws.init_stack("privileged", source)
    ws.set_config("privileged", "webex-scim-bootstrap:webexServicePrincipalObjectId", webex_sp)

    refused = run(ws, "preview", "privileged")
    assert refused.code != 0
    assert {(p["policy"], p["enforcementLevel"]) for p in refused.policy} == {
        ("tenant-wide-permissions-accepted", "mandatory")
    }
    (violation,) = refused.policy
    assert "AppRoleAssignment.ReadWrite.All" in violation["message"]
    assert "deployIdentity.acceptTenantWide" in violation["message"]

    ws.set_config("privileged", "webex-scim-bootstrap:deployIdentity", {**deploy, "acceptTenantWide": [
        "AppRoleAssignment.ReadWrite.All"]})  # fmt: skip
    accepted = run(ws, "preview", "privileged")
    assert accepted.code == 0, accepted.text
    assert accepted.policy == []
