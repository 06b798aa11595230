"""The replace-on-change table: it covers every resource type the program registers, names real inputs, agrees
with the dynamic providers' own diff(), stays importable without the Pulumi SDK, and drives the offline diff."""

from __future__ import annotations

import inspect
import subprocess
import sys
from typing import Any

import pulumi
import pulumi.dynamic as dyn
import pulumi_azuread
import pytest

from components.graph import provider_base, resources
from components.graph.errors import GraphError
from components.replace_on_change import REPLACE_ON_CHANGE, replace_keys
from offline import render
from offline.compare import compare
from offline.markdown import diff_markdown
from tests.support import ROOT, config, run

JOB = "azuread:index/synchronizationJob:SynchronizationJob"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
PROVISION_ON_DEMAND = "azuread:index/synchronizationJobProvisionOnDemand:SynchronizationJobProvisionOnDemand"


def _every_type_config() -> dict[str, Any]:
    """A stack that registers every resource type the program has: pilot rollout (provision on demand), a restart,
    and the synchronization template looked up (not pinned)."""
    return config(rollout="pilot", provisioning={"restartRequest": "r1"})


@pytest.fixture(scope="module")
def every_type() -> dict[str, Any]:
    return render.document(run(_every_type_config()), [])


def test_every_resource_type_the_program_registers_is_in_the_table(every_type: dict[str, Any]) -> None:
    # Components and the stack have no provider (nothing to replace); every custom resource must be listed, or a
    # new type would silently show every change as an in-place update.
    custom = {s["type"] for s in every_type["steps"] if not s["type"].startswith(("webex-scim:", "pulumi:pulumi:"))}
    assert custom - set(REPLACE_ON_CHANGE) == set()
    # ...and this stack registers every dynamic resource, so that the provider agreement test below sees them all.
    assert {t for t in custom if t.startswith("pulumi-python:dynamic/")} == _dynamic_types()


def _dynamic_types() -> set[str]:
    classes = [c for _, c in inspect.getmembers(resources, inspect.isclass) if issubclass(c, dyn.Resource)]
    return {f"pulumi-python:dynamic/webex:{c.__name__}" for c in classes if c is not dyn.Resource}


def test_every_dynamic_resource_class_is_in_the_table() -> None:
    tokens = _dynamic_types()
    assert tokens and tokens <= set(REPLACE_ON_CHANGE)


def _args_inputs(type_token: str) -> set[str]:
    """The camelCase input names of an azuread type, from the installed SDK's Args class."""
    cls = getattr(pulumi_azuread, type_token.rsplit(":", 1)[1] + "Args")
    return {getattr(m.fget, "_pulumi_name", name) for name, m in vars(cls).items() if isinstance(m, property)}


@pytest.mark.parametrize("type_token", [t for t in REPLACE_ON_CHANGE if t.startswith("azuread:")])
def test_azuread_entries_name_real_inputs_of_the_sdk(type_token: str) -> None:
    names = set(REPLACE_ON_CHANGE[type_token])
    assert names and names <= _args_inputs(type_token)


def test_the_table_holds_the_terraform_schemas_force_new_arguments() -> None:
    # Pinned here as well, so that an edit of the table is a visible, reviewed change of this test too.
    assert replace_keys(SERVICE_PRINCIPAL) == {"clientId"}
    assert replace_keys(JOB) == {"servicePrincipalId", "templateId"}
    assert replace_keys("azuread:index/applicationFromTemplate:ApplicationFromTemplate") == {"templateId"}
    assert replace_keys("azuread:index/appRoleAssignment:AppRoleAssignment") == {
        "appRoleId",
        "principalObjectId",
        "resourceObjectId",
    }
    assert replace_keys("azuread:index/synchronizationSecret:SynchronizationSecret") == {"servicePrincipalId"}
    assert replace_keys(PROVISION_ON_DEMAND) == set(_args_inputs(PROVISION_ON_DEMAND))  # all of them
    assert replace_keys("webex-scim:index:Assignments") == frozenset()
    assert replace_keys("no:such:Type") == frozenset()


def _concrete(value: Any, index: int) -> Any:
    """A recorded input with every "[unknown]"/"[secret]" made a concrete value (a provider diff sees real ones)."""
    if value in ("[unknown]", "[secret]"):
        return f"value-{index}"
    return value


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return value + "-changed"
    if isinstance(value, (list, dict)):  # shorter, never malformed: the provider still parses it
        return value[:-1] if isinstance(value, list) and value else None
    return "changed"


@pytest.mark.parametrize("type_token", [t for t in REPLACE_ON_CHANGE if t.startswith("pulumi-python:dynamic/")])
def test_dynamic_entries_agree_with_the_providers_diff(
    type_token: str, every_type: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each input changed on its own: the provider replaces exactly when the table says so (no Graph call: the one
    provider that reads the live schema in diff() gets an unreachable Graph and compares with its state)."""

    def no_graph(*_args: Any, **_kwargs: Any) -> Any:
        raise GraphError(operation="get schema", method="GET", path="/x", status=None, code=None, message="offline")

    monkeypatch.setattr(provider_base, "client_for", no_graph)
    monkeypatch.setattr(pulumi.log, "warn", lambda *_a, **_k: None)
    (step,) = [s for s in every_type["steps"] if s["type"] == type_token]
    olds = {k: _concrete(v, i) for i, (k, v) in enumerate(step["inputs"].items())}
    if type_token.endswith(":CredentialCheck"):  # the state a create leaves: a fingerprint of the same token
        olds["fingerprintSalt"] = "00" * 16
        olds["tokenFingerprint"] = resources.token_fingerprint(str(olds["token"]), olds["fingerprintSalt"])
    provider = getattr(resources, type_token.rsplit(":", 1)[1] + "Provider")()
    assert provider.diff("id", olds, dict(olds)).replaces == []
    for key in step["inputs"]:
        result = provider.diff("id", olds, {**olds, key: _changed(olds[key])})
        assert set(result.replaces) == ({key} & replace_keys(type_token)), key
    for key in REPLACE_ON_CHANGE[type_token]:
        assert key in step["inputs"], f"{key} is not an input of {type_token}"


def test_the_table_imports_without_the_pulumi_sdk() -> None:
    code = (
        "import sys; import components.replace_on_change as t; "
        "assert not any(m == 'pulumi' or m.startswith(('pulumi.', 'pulumi_')) for m in sys.modules), "
        "sorted(m for m in sys.modules if 'pulumi' in m); print(len(t.REPLACE_ON_CHANGE))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) == len(REPLACE_ON_CHANGE)


# ---------------------------------------------------------------------------------------------------------------
# What a reviewer sees: two real program runs whose only difference is the synchronization template id


@pytest.fixture(scope="module")
def template_change() -> dict[str, Any]:
    base = render.document(run(config(provisioning={"templateId": "ciscowebex"})), [])
    head = render.document(run(config(provisioning={"templateId": "ciscowebex-v2"})), [])
    doc = compare(base, head)
    doc["base"] = {"ref": "main", "ok": True, "error": None}
    doc["head"] = {"ok": True, "error": None}
    return doc


def test_a_template_id_change_replaces_the_provisioning_job(template_change: dict[str, Any]) -> None:
    changed = [s for s in template_change["steps"] if s["op"] != "same"]
    assert [(s["type"], s["name"], s["op"]) for s in changed] == [(JOB, "job", "replace")]
    (job,) = changed
    assert job["replaceReasons"] == ["templateId"]
    assert job["diff"] == {"templateId": {"old": "ciscowebex", "new": "ciscowebex-v2"}}
    assert template_change["changeSummary"]["replace"] == 1 and "update" not in template_change["changeSummary"]


def test_a_template_id_change_is_a_loud_replacement_in_the_pr_comment(template_change: dict[str, Any]) -> None:
    lines = diff_markdown(template_change).splitlines()
    assert "🟣 1 to replace" in lines[1]
    assert "> - **Replace** azuread:SynchronizationJob <code>job</code> (delete and re-create: templateId changes)" in (
        lines
    )
    at = lines.index("- 🟣 replace azuread:SynchronizationJob <code>job</code>")
    assert lines[at + 1] == (
        "  - <code>templateId</code> **(forces replacement)**<br>old: <code>ciscowebex</code><br>new: "
        "<code>ciscowebex-v2</code>"
    )


@pytest.mark.parametrize(
    ("type_token", "inputs_old", "inputs_new", "op"),
    [
        (SERVICE_PRINCIPAL, {"clientId": "a", "tags": ["HideApp"]}, {"clientId": "b", "tags": ["HideApp"]}, "replace"),
        (SERVICE_PRINCIPAL, {"clientId": "a", "tags": ["HideApp"]}, {"clientId": "a", "tags": []}, "update"),
        (PROVISION_ON_DEMAND, {"triggers": {"a": "1"}}, {"triggers": {"a": "2"}}, "replace"),
        (JOB, {"templateId": "t", "enabled": False}, {"templateId": "t", "enabled": True}, "update"),
    ],
)
def test_ops_follow_the_table(type_token: str, inputs_old: dict[str, Any], inputs_new: dict[str, Any], op: str) -> None:
    def doc(inputs: dict[str, Any]) -> dict[str, Any]:
        step = {"urn": f"urn:pulumi:t::p::{type_token}::r", "type": type_token, "name": "r", "inputs": inputs}
        return {"project": "p", "stack": "t", "steps": [step], "policyViolations": []}

    (step,) = compare(doc(inputs_old), doc(inputs_new))["steps"]
    assert step["op"] == op


def test_a_type_whose_delete_changes_nothing_has_a_provider_that_deletes_nothing() -> None:
    """The diff keeps these deletes out of its destructive section: their providers' delete() must not call Graph
    (called here with no credential, no tenant: a call would fail)."""
    from components.replace_on_change import DELETE_CHANGES_NOTHING

    for type_token in sorted(DELETE_CHANGES_NOTHING):
        provider = getattr(resources, type_token.rsplit(":", 1)[1] + "Provider")()
        assert provider.delete("some-id", {"servicePrincipalId": "sp", "jobId": "job"}) is None, type_token
    # And the one that does change the tenant on delete is not among them.
    assert "pulumi-python:dynamic/webex:AttributeMappings" not in DELETE_CHANGES_NOTHING
    assert resources.AttributeMappingsProvider.delete is not dyn.ResourceProvider.delete
