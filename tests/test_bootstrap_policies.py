"""Every rule of the bootstrap's pack (bootstrap/policies/identity_guard), mirrored: the example stack passes it, one
change fails it at its mandatory level with a message naming what to change; and the offline preview of the
bootstrap exits 1 when the pack refuses, as `pulumi preview --policy-pack` would fail."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from bootstrap_support import BOOTSTRAP, changed, example_config, report, run, violations, write_stack

from offline.model import RecordedResource
from webex_scim.cli import main

OWNED_BY = "18a4783c-866b-4cc7-a460-3d5e5662c884"  # Application.ReadWrite.OwnedBy, a write permission


@pytest.fixture(scope="module")
def example() -> list[RecordedResource]:
    return run().resources


def assert_mirrored(example: list[RecordedResource], failing: list[RecordedResource], rule: str, names: str) -> None:
    """The one helper every rule test goes through: pass on the example, fail (mandatory, pointing at a resource)
    on the changed stack, with a message that names `names` (the setting or value to change)."""
    assert violations(example, rule) == [], f"{rule} must pass on the example stack"
    found = violations(failing, rule)
    assert found, f"{rule} must fail"
    for violation in found:
        assert violation.enforcement_level == "mandatory"
        assert violation.urn
        assert names in violation.message, violation.message


def stack(tmp_path, **identity_changes: dict[str, Any]) -> list[RecordedResource]:
    """The program's registrations for the example with settings of `readIdentity`/`deployIdentity` changed."""
    config = example_config()
    changes = {key: {**config.get(key, {}), **value} for key, value in identity_changes.items()}
    return run(write_stack(tmp_path, **changes)).resources


def test_the_example_passes_every_rule(example):
    outcomes = report(example).outcomes
    assert outcomes == dict.fromkeys(outcomes, "passed")
    assert len(outcomes) == 5


def test_a_write_permission_on_the_read_identity_is_refused(example, tmp_path):
    failing = stack(tmp_path, readIdentity={"permissions": ["User.Read.All", "Application.ReadWrite.OwnedBy"]})
    assert_mirrored(example, failing, "read-identity-reads-only", "webex-scim-bootstrap:readIdentity.permissions")


def test_an_app_role_the_table_does_not_list_is_refused_on_the_read_identity(example):
    def unknown(values: dict[str, Any]) -> None:
        values["appRoleId"] = "00000000-1111-2222-3333-444444444444"

    failing = changed(example, "read-User.Read.All", unknown)
    assert_mirrored(example, failing, "read-identity-reads-only", "does not list")


def test_write_permissions_are_the_deploy_identitys_to_hold(example):
    def owned_by(values: dict[str, Any]) -> None:
        values["appRoleId"] = OWNED_BY

    assert violations(changed(example, "deploy-User.Read.All", owned_by), "read-identity-reads-only") == []


@pytest.mark.parametrize(
    "permission",
    [
        "AppRoleAssignment.ReadWrite.All",
        "RoleManagement.ReadWrite.Directory",
        "Application.ReadWrite.All",
        "Directory.ReadWrite.All",
        "Synchronization.ReadWrite.All",
    ],
)
def test_a_tenant_wide_permission_nobody_accepted_is_refused(example, tmp_path, permission):
    failing = stack(tmp_path, deployIdentity={"permissions": ["Application.ReadWrite.OwnedBy", permission]})
    assert_mirrored(
        example, failing, "tenant-wide-permissions-accepted", f"'deployIdentity.acceptTenantWide[0]' {permission}"
    )


def test_a_tenant_wide_permission_the_stack_accepts_passes(tmp_path):
    accepted = stack(
        tmp_path,
        deployIdentity={
            "permissions": ["Application.ReadWrite.OwnedBy", "AppRoleAssignment.ReadWrite.All"],
            "acceptTenantWide": ["AppRoleAssignment.ReadWrite.All"],
        },
    )
    assert violations(accepted, "tenant-wide-permissions-accepted") == []


def test_accepting_does_not_let_the_read_identity_write(tmp_path):
    failing = stack(
        tmp_path,
        readIdentity={"permissions": ["Directory.ReadWrite.All"], "acceptTenantWide": ["Directory.ReadWrite.All"]},
    )
    assert violations(failing, "tenant-wide-permissions-accepted") == []
    assert [v.policy for v in violations(failing)] == ["read-identity-reads-only"]


def _subject(value: str) -> Callable[[dict[str, Any]], None]:
    return lambda values: values.update(subject=value)


@pytest.mark.parametrize(
    ("change", "names"),
    [
        (_subject("repo:contoso/webex-scim:ref:refs/heads/main"), "ref:refs/heads/main"),
        (_subject("repo:contoso/webex-scim:pull_request"), "pull_request"),
        (lambda values: values.update(issuer="https://evil.example.com"), "https://evil.example.com"),
        (lambda values: values.update(audiences=["api://other"]), "api://other"),
    ],
    ids=["branch", "pull-request", "issuer", "audience"],
)
def test_a_credential_that_trusts_more_than_one_environment_is_refused(example, change, names):
    failing = changed(example, "deploy-github-production", change)
    assert_mirrored(example, failing, "federated-credentials-trust-environments", names)


def test_a_custom_role_that_does_more_than_assign_is_refused(example):
    def more(values: dict[str, Any]) -> None:
        values["permissions"][0]["allowedResourceActions"].append("microsoft.directory/applications/credentials/update")

    failing = changed(example, "webex-assignments-role", more)
    assert_mirrored(example, failing, "custom-role-manages-assignments-only", "applications/credentials/update")


@pytest.mark.parametrize("scope", ["/", ""])
def test_a_role_assignment_at_the_tenant_scope_is_refused(example, scope):
    failing = changed(example, "webex-assignments-assignment", lambda values: values.update(directoryScopeId=scope))
    assert_mirrored(example, failing, "role-assignments-scoped-to-one-app", "whole tenant")


def test_without_a_scoped_role_its_rules_are_not_applicable(tmp_path):
    outcomes = report(run(write_stack(tmp_path, webexServicePrincipalObjectId=None)).resources).outcomes
    assert outcomes["custom-role-manages-assignments-only"] == "not-applicable"
    assert outcomes["role-assignments-scoped-to-one-app"] == "not-applicable"


def _preview(path, capsys) -> tuple[int, dict[str, Any]]:
    code = main(["preview", "--project-dir", str(BOOTSTRAP), "--config-file", str(path), "--json", "-"])
    return code, json.loads(capsys.readouterr().out)


def test_the_offline_preview_of_the_bootstrap_fails_when_its_pack_refuses(tmp_path, capsys):
    """Through the command line, as `make bootstrap-preview` runs it: the bootstrap's own pack process judges."""
    config = example_config()
    deploy = {
        **config["deployIdentity"],
        "permissions": ["Application.ReadWrite.OwnedBy", "AppRoleAssignment.ReadWrite.All"],
    }
    code, doc = _preview(write_stack(tmp_path, "privileged", deployIdentity=deploy), capsys)
    assert code == 1
    assert [(v["policy"], v["enforcementLevel"]) for v in doc["policyViolations"]] == [
        ("tenant-wide-permissions-accepted", "mandatory")
    ]
    code, doc = _preview(
        write_stack(
            tmp_path, "accepted", deployIdentity={**deploy, "acceptTenantWide": ["AppRoleAssignment.ReadWrite.All"]}
        ),
        capsys,
    )
    assert code == 0
    assert doc["policyViolations"] == []


def test_the_terminal_names_the_bootstraps_own_pack(capsys):
    """The rule counts are said under the pack's own name, as GetAnalyzerInfo gives it (not the main pack's)."""
    assert (
        main(["preview", "--project-dir", str(BOOTSTRAP), "--config-file", str(BOOTSTRAP / "Pulumi.example.yaml")]) == 0
    )
    out = capsys.readouterr().out
    assert "    webex-scim-identity-guard: 5 rules, 5 passed\n" in out
    assert "webex-scim-guard" not in out
