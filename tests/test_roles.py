"""Which app role an assignment gets: a Webex role, never Default Access, and a clear failure otherwise.

The role ids exist only once the app does, so this runs the components under the SDK mocks in deploy mode
(not preview), with a service principal that answers with app roles as Entra would.
"""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
from collections.abc import Iterator

import pulumi
import pytest

from components.assignments import Assignments, pick_role_id
from components.catalog import DEFAULT_ACCESS_ROLE_ID
from components.settings import Assignment, DeployTimeError, validate
from tests.support import ROOT, config

USER_ROLE = {"id": "7ca6ce96-0000-4a3b-9b1c-2f5e8d7a6b01", "value": "User", "enabled": True}
ADMIN_ROLE = {"id": "1b2c3d4e-0000-4a3b-9b1c-2f5e8d7a6b02", "value": "Admin", "enabled": True}
# SAML gallery apps' role: no value, only a display name.
MSIAM = {"id": "b9632174-0000-4a3b-9b1c-2f5e8d7a6b03", "value": None, "displayName": "msiam_access", "enabled": True}
DEFAULT_ACCESS = {"id": DEFAULT_ACCESS_ROLE_ID, "value": "", "enabled": True}


def test_the_only_webex_role_is_picked_and_default_access_never():
    assert pick_role_id([DEFAULT_ACCESS, USER_ROLE], None) == USER_ROLE["id"]


def test_a_role_without_value_counts_and_is_named_by_display_name():
    with pytest.raises(DeployTimeError) as err:
        pick_role_id([DEFAULT_ACCESS, MSIAM, USER_ROLE], None)
    assert "User, msiam_access" in str(err.value)
    assert pick_role_id([MSIAM, USER_ROLE], "msiam_access") == MSIAM["id"]
    assert pick_role_id([DEFAULT_ACCESS, MSIAM], None) == MSIAM["id"]


def test_a_configured_role_value_is_used():
    assert pick_role_id([USER_ROLE, ADMIN_ROLE], "Admin") == ADMIN_ROLE["id"]


def test_several_roles_and_none_chosen_fails_listing_them():
    with pytest.raises(DeployTimeError) as err:
        pick_role_id([USER_ROLE, ADMIN_ROLE, DEFAULT_ACCESS], None)
    assert "Admin, User" in str(err.value) and "pulumi config set assignmentRole" in str(err.value)


def test_an_unknown_role_value_fails_listing_the_real_ones():
    with pytest.raises(DeployTimeError) as err:
        pick_role_id([USER_ROLE], "Owner")
    assert "no role 'Owner'" in str(err.value) and "User" in str(err.value)


def test_only_default_access_fails():
    with pytest.raises(DeployTimeError) as err:
        pick_role_id([DEFAULT_ACCESS], None)
    assert "none besides Default Access" in str(err.value)


def test_disabled_roles_are_not_assignable():
    with pytest.raises(DeployTimeError):
        pick_role_id([{**USER_ROLE, "enabled": False}], None)


class _TenantMocks(pulumi.runtime.Mocks):
    """A deployment where the service principal exists and reports its app roles."""

    def __init__(self, roles: list[dict]) -> None:
        self.roles = roles

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        outputs = dict(args.inputs)
        if args.typ == "azuread:index/servicePrincipal:ServicePrincipal":
            outputs.update(objectId="sp-object-id", appRoles=self.roles)
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {"objectId": f"looked-up:{args.args.get('userPrincipalName') or args.args.get('displayName')}"}


def _deploy(roles: list[dict], assignments: list[Assignment], default_role: str | None = None) -> dict[str, str]:
    import pulumi_azuread as azuread

    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(_TenantMocks(roles), project="webex-scim", stack="deploy", preview=False)
    sp = azuread.ServicePrincipal("service-principal", client_id="client", use_existing=True)
    component = Assignments("assignments", assignments, rollout="full", default_role=default_role, service_principal=sp)
    result: dict[str, str] = {}

    @pulumi.runtime.test
    def collect():
        outs = [
            pulumi.Output.all(a.app_role_id, a.principal_object_id, a.resource_object_id).apply(
                lambda v, key=key: result.__setitem__(key, v)
            )
            for key, a in component.assignments.items()
        ]
        return pulumi.Output.all(*outs)

    collect()
    return result


def test_deployment_assigns_the_webex_role_to_looked_up_principals():
    assigned = _deploy([DEFAULT_ACCESS, USER_ROLE], [Assignment(user="alice@contoso.com"), Assignment(group="Webex")])
    assert assigned == {
        "user-alice@contoso.com": [USER_ROLE["id"], "looked-up:alice@contoso.com", "sp-object-id"],
        "group-webex": [USER_ROLE["id"], "looked-up:Webex", "sp-object-id"],
    }


@pytest.fixture
def failed_deployment() -> Iterator[None]:
    """Around a mock deployment that is meant to fail: read the failure out of every Output future it leaves.

    The failed deployment leaves Output futures holding the DeployTimeError, referenced from the SDK's settings
    (set_mocks keeps the previous `outputs` set), so no garbage collection frees them before interpreter exit;
    asyncio then logs each as "Future exception was never retrieved" after pytest's summary (AUDIT-2026-11 D8).
    """
    pulumi.runtime.settings.SETTINGS.outputs = set()  # this deployment's tasks only, not an earlier test's
    yield
    for obj in gc.get_objects():
        if isinstance(obj, asyncio.Future) and obj.done() and not obj.cancelled():
            obj.exception()  # marks it retrieved; the test already asserted what the failure says
    pulumi.runtime.settings.SETTINGS.outputs = set()


def test_deployment_fails_clearly_when_the_role_is_ambiguous(failed_deployment):
    with pytest.raises(DeployTimeError) as err:
        _deploy([USER_ROLE, ADMIN_ROLE], [Assignment(user="alice@contoso.com")])
    assert "assignmentRole" in str(err.value)


def test_the_suite_prints_nothing_after_its_summary():
    """The audit's reproduction: these three modules in this order logged 36 never-retrieved futures at exit."""
    modules = ["tests/test_docs.py", "tests/test_roles.py", "tests/test_secrets.py"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *modules, "-k", "not after_its_summary"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "never retrieved" not in proc.stdout + proc.stderr
    summary = [line for line in proc.stdout.splitlines() if " passed" in line][-1]
    assert proc.stdout.rstrip().endswith(summary) and proc.stderr == ""


def test_the_stacks_assignment_role_and_a_principals_own_role_are_the_roles_assigned():
    settings = validate(
        config(
            rollout="full",
            assignmentRole="Admin",
            assignments=[{"user": "alice@contoso.com"}, {"group": "Webex", "role": "User"}],
        )
    )
    assigned = _deploy([USER_ROLE, ADMIN_ROLE, DEFAULT_ACCESS], settings.assignments, settings.assignment_role)
    assert assigned == {
        "user-alice@contoso.com": [ADMIN_ROLE["id"], "looked-up:alice@contoso.com", "sp-object-id"],
        "group-webex": [USER_ROLE["id"], "looked-up:Webex", "sp-object-id"],
    }
