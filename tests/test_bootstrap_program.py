"""The identity bootstrap's program (bootstrap/), offline: for the example stack, exactly which identities,
federated credentials, Graph permissions and scoped role it declares, with which inputs; the Webex app read from the
main stack instead; and the offline engine running this second project beside the main one."""

from __future__ import annotations

import importlib.util
import json
import re
import sys

import pytest
from bootstrap_support import BOOTSTRAP, EXAMPLE, WEBEX_SP, by_name, inputs, run, write_stack
from google.protobuf import json_format

from offline import stackfile
from offline.engine import UNKNOWN
from webex_scim.cli import main

GITHUB = "https://token.actions.githubusercontent.com"
AUDIENCE = "api://AzureADTokenExchange"
ACTION = "microsoft.directory/servicePrincipals/appRoleAssignedTo/update"
TABLE = json.loads((BOOTSTRAP / "policies" / "graph_permissions.json").read_text())["permissions"]
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

READ = ["Application.Read.All", "Synchronization.Read.All", "User.Read.All", "GroupMember.Read.All",
        "AuditLog.Read.All", "Directory.Read.All"]  # fmt: skip
DEPLOY = ["Application.ReadWrite.OwnedBy", "User.Read.All", "GroupMember.Read.All"]


@pytest.fixture(scope="module")
def example():
    return run()


def test_the_example_declares_two_identities_their_credentials_permissions_and_the_scoped_role(example):
    types = sorted((r.type.rsplit(":", 1)[-1], r.name) for r in example.resources if r.type != "pulumi:pulumi:Stack")
    expected = [
        ("AppRoleAssignment", f"{role}-{name}")
        for role, names in (("read", READ), ("deploy", DEPLOY))
        for name in names
    ]
    expected += [("Application", "read-app"), ("Application", "deploy-app")]
    expected += [("ServicePrincipal", "read-sp"), ("ServicePrincipal", "deploy-sp")]
    expected += [
        ("ApplicationFederatedIdentityCredential", "read-github-preview"),
        ("ApplicationFederatedIdentityCredential", "read-github-read"),
        ("ApplicationFederatedIdentityCredential", "deploy-github-production"),
    ]
    expected += [("PipelineIdentity", "read"), ("PipelineIdentity", "deploy")]
    expected += [
        ("ScopedAssignmentRole", "webex-assignments"),
        ("CustomDirectoryRole", "webex-assignments-role"),
        ("DirectoryRoleAssignment", "webex-assignments-assignment"),
    ]
    assert types == sorted(expected)
    assert example.warnings == []  # no SCIM token in this project, so no warning about one


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("read-github-preview", "repo:contoso/webex-scim:environment:preview"),
        ("read-github-read", "repo:contoso/webex-scim:environment:read"),
        ("deploy-github-production", "repo:contoso/webex-scim:environment:production"),
    ],
)
def test_each_federated_credential_trusts_one_github_environment(example, name, subject):
    values = inputs(by_name(example.resources)[name])
    assert values["subject"] == subject
    assert values["issuer"] == GITHUB
    assert values["audiences"] == [AUDIENCE]
    assert values["displayName"] == name.split("-", 1)[1]


def test_each_permission_is_granted_by_its_app_role_id_from_the_table(example):
    resources = by_name(example.resources)
    for role, names in (("read", READ), ("deploy", DEPLOY)):
        identity = inputs(resources[role])
        assert identity["role"] == role
        assert identity["permissions"] == names
        assert identity["acceptTenantWide"] == []
        for name in names:
            grant = resources[f"{role}-{name}"]
            assert inputs(grant)["appRoleId"] == TABLE[name]["id"]
            assert grant.parent == resources[role].urn


def test_the_scoped_role_allows_one_action_at_the_webex_apps_scope(example):
    resources = by_name(example.resources)
    assert inputs(resources["webex-assignments-role"])["permissions"] == [{"allowedResourceActions": [ACTION]}]
    assert inputs(resources["webex-assignments-assignment"])["directoryScopeId"] == f"/{WEBEX_SP}"


def test_the_outputs_name_the_subjects_and_the_workflow_variables(example):
    outputs = json_format.MessageToDict(example.outputs)
    assert outputs["readSubjects"] == [
        "repo:contoso/webex-scim:environment:preview",
        "repo:contoso/webex-scim:environment:read",
    ]
    assert outputs["deploySubjects"] == ["repo:contoso/webex-scim:environment:production"]
    assert set(outputs["workflowVariables"]) == {"AZURE_READ_CLIENT_ID", "AZURE_DEPLOY_CLIENT_ID", "AZURE_TENANT_ID"}


def test_the_webex_app_can_come_from_the_main_stack(tmp_path):
    path = write_stack(tmp_path, webexServicePrincipalObjectId=None, mainStack="acme/webex-scim/dev")
    resources = by_name(run(path).resources)
    # A StackReference is read, not registered; its output, the scope, is known only to `pulumi up`.
    assert inputs(resources["webex-assignments-assignment"])["directoryScopeId"] == UNKNOWN
    assert inputs(resources["webex-assignments"])["directoryScopeId"] == UNKNOWN


def test_without_the_webex_app_there_is_no_role_and_a_warning_says_what_to_set(tmp_path):
    result = run(write_stack(tmp_path, webexServicePrincipalObjectId=None))
    assert not [r for r in result.resources if "webex-assignments" in r.name]
    assert len(result.warnings) == 1
    assert "pulumi config set webexServicePrincipalObjectId" in result.warnings[0]


def test_the_permission_table_is_well_formed():
    ids = [row["id"] for row in TABLE.values()]
    assert all(GUID.match(i) for i in ids) and len(set(ids)) == len(ids)
    assert all(row["access"] in ("read", "write") for row in TABLE.values())
    tenant_wide = {name for name, row in TABLE.items() if row.get("tenantWide")}
    assert {"AppRoleAssignment.ReadWrite.All", "RoleManagement.ReadWrite.Directory", "Application.ReadWrite.All",
            "Directory.ReadWrite.All"} <= tenant_wide  # fmt: skip
    assert all(TABLE[name]["access"] == "write" for name in tenant_wide)
    assert all(TABLE[name]["access"] == "read" for name in READ)


def test_the_pack_names_the_types_the_program_registers(example):
    spec = importlib.util.spec_from_file_location(
        "bootstrap_pack_stack", BOOTSTRAP / "policies/identity_guard/stack.py"
    )
    pack = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pack)
    registered = {r.type for r in example.resources}
    for token in (pack.IDENTITY, pack.APP_ROLE_ASSIGNMENT, pack.FEDERATED_CREDENTIAL, pack.CUSTOM_ROLE,
                  pack.ROLE_ASSIGNMENT):  # fmt: skip
        assert token in registered
    assert pack.ASSIGNMENTS_ACTION == ACTION


def test_the_offline_engine_keeps_the_two_projects_components_apart(tmp_path):
    """Both projects have a `components` package; previews of one and then the other, in one process, each import
    their own, and the main project's is back in place afterwards."""
    run()
    main_stack = stackfile.load(BOOTSTRAP.parent, stack="dev")
    from offline.engine import run_program

    assert len(run_program(main_stack).resources) > 10
    import components.settings

    assert components.settings.__file__.startswith(str(BOOTSTRAP.parent / "components"))
    bootstrap_components = [
        name
        for name, module in list(sys.modules.items())
        if name.partition(".")[0] == "components" and str(BOOTSTRAP) in str(getattr(module, "__file__", "") or "")
    ]
    assert bootstrap_components == []
    assert len(run().resources) == len(run().resources)


def test_a_relative_project_dir_is_the_folder_it_names(monkeypatch, capsys):
    monkeypatch.chdir(BOOTSTRAP.parent)
    code = main(
        ["preview", "--project-dir", "bootstrap", "--config-file", str(EXAMPLE), "--no-policies", "--json", "-"]
    )
    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["project"] == "webex-scim-bootstrap"
