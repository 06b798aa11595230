"""Policy tests: the rules run in-process through one small helper (`evaluate`), plus a known-good stack to vary.

`evaluate` hands the pack's own servicer (pulumi_policy's, the object `python -m pulumi.policy` serves over gRPC)
the very requests the offline engine sends and reads its answers with the engine's own code (offline/verdicts.py):
the same verdicts as the pack process gives, without a process or a port. `shared_pack()` is the real pack
process, for the few end-to-end tests that keep the gRPC path honest (tests/test_policy_client.py).

`webex_stack()` builds the registrations the program makes for a healthy pilot (every rule passes); a test
changes one input (`webex_stack(sp={"appRoleAssignmentRequired": False})`) and asserts the one rule that fails.
Inputs are protobuf Structs with the SDK's own secret and unknown markers, as the engine would hand them over.
"""

from __future__ import annotations

import atexit
import copy
import dataclasses
import datetime as dt
import importlib
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `pytest` run without `python -m`: make `offline` importable
    sys.path.insert(0, str(REPO))

from offline.analyzer_requests import analyze_request, stack_resource  # noqa: E402
from offline.model import PolicyViolation, RecordedResource  # noqa: E402
from offline.policy import PACK_DIR, PolicyPack, PolicyReport  # noqa: E402
from offline.policy_config import PolicyInfo  # noqa: E402
from offline.verdicts import Tally, configure_request, levels_in_force, policy_infos  # noqa: E402

PROJECT = "webex-scim"
STACK = "test"

# The SDK's wire markers (pulumi.runtime.rpc): a secret is a signed object, an unknown a sentinel string.
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

ORG_ID = "0c5d6a6e-8f9e-4d3a-9b1c-2f4e6a8b0c1d"
SP_ID = "11111111-2222-3333-4444-555555555555"
PILOT_USER_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
WEBEX_ROLE_ID = "99999999-8888-7777-6666-555555555555"
TENANT_URL = f"https://webexapis.com/identity/scim/{ORG_ID}/v2"

TYPES = {
    "root": "webex-scim:index:WebexProvisioning",
    "app": "webex-scim:index:WebexEnterpriseApp",
    "gallery": "azuread:index/applicationFromTemplate:ApplicationFromTemplate",
    "sp": "azuread:index/servicePrincipal:ServicePrincipal",
    "assignments": "webex-scim:index:Assignments",
    "assignment": "azuread:index/appRoleAssignment:AppRoleAssignment",
    "provisioning": "webex-scim:index:ProvisioningJob",
    "credentials": "azuread:index/synchronizationSecret:SynchronizationSecret",
    "job": "azuread:index/synchronizationJob:SynchronizationJob",
    "mappings": "pulumi-python:dynamic/webex:AttributeMappings",
}


def secret(value: Any) -> dict[str, Any]:
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


def to_struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(dict(values))
    return struct


def urn(type_: str, name: str, parent: RecordedResource | None = None) -> str:
    qualified = type_ if parent is None or parent.type == "pulumi:pulumi:Stack" else f"{_qualified(parent)}${type_}"
    return f"urn:pulumi:{STACK}::{PROJECT}::{qualified}::{name}"


def _qualified(resource: RecordedResource) -> str:
    return resource.urn.split("::", 3)[2]


def resource(
    type_: str,
    name: str,
    inputs: Mapping[str, Any],
    *,
    parent: RecordedResource | None = None,
    custom: bool = True,
    options: Mapping[str, Any] | None = None,
    outputs: Mapping[str, Any] | None = None,
) -> RecordedResource:
    """A recorded registration. A component's outputs default to its inputs, as this project's components register
    their facts as outputs (what AnalyzeStack hands the stack's policies)."""
    return RecordedResource(
        urn=urn(type_, name, parent),
        type=type_,
        name=name,
        parent=parent.urn if parent else None,
        custom=custom,
        inputs=to_struct(inputs),
        options=dict(options or {}),
        outputs=None if custom else to_struct(outputs if outputs is not None else inputs),
    )


def default_mappings() -> list[dict[str, Any]]:
    """The catalog's default user mappings in the AttributeMappings input shape."""
    rows = json.loads((REPO / "components" / "webex_catalog.json").read_text())["defaultUserMappings"]
    return [
        {
            "target": row["target"],
            "source": row.get("source"),
            "expression": row.get("expression"),
            "constant": None,
            "flowType": "Always",
            "matchingPriority": row.get("matchingPriority", 0),
            "defaultValue": None,
        }
        for row in rows
    ]


def good_inputs() -> dict[str, dict[str, Any]]:
    """Inputs of every registration of a healthy pilot stack, by part name (see TYPES)."""
    return {
        "root": {"orgId": ORG_ID, "offer": "commercial", "rollout": "pilot"},
        "app": {
            "displayName": "Cisco Webex",
            "adopted": False,
            "templateId": None,
            "hideFromUsers": True,
            "assignmentRequired": True,
        },
        "gallery": {"displayName": "Cisco Webex", "templateId": UNKNOWN},
        "sp": {
            "clientId": UNKNOWN,
            "useExisting": True,
            # As the program writes them: the app's own tags, plus HideApp.
            "tags": ["WindowsAzureActiveDirectoryIntegratedApp", "HideApp"],
            "appRoleAssignmentRequired": True,
        },
        "assignments": {
            "rollout": "pilot",
            "principals": [{"kind": "user", "ref": "pilot@contoso.com", "role": None}],
        },
        "assignment": {"appRoleId": WEBEX_ROLE_ID, "principalObjectId": PILOT_USER_ID, "resourceObjectId": SP_ID},
        "provisioning": {
            "orgId": ORG_ID,
            "offer": "commercial",
            "tenantUrl": TENANT_URL,
            "scope": "assigned",
            "deleteThreshold": 500,
            "notificationEmail": "webex-admins@contoso.com",
            "tokenExpiresOn": "2099-01-01",
            "rollout": "pilot",
            "verifiedDomains": [],
            "graphBaseUrl": "https://graph.microsoft.com/v1.0",
            "azureEnvironmentGraphUrl": "https://graph.microsoft.com/v1.0",
        },
        "credentials": {
            "servicePrincipalId": SP_ID,
            "credentials": [
                {"key": "BaseAddress", "value": TENANT_URL},
                {"key": "SecretToken", "value": secret("not-a-real-token")},
                {
                    "key": "SyncNotificationSettings",
                    "value": json.dumps(
                        {
                            "Enabled": True,
                            "Recipients": "webex-admins@contoso.com",
                            "DeleteThresholdEnabled": True,
                            "DeleteThresholdValue": 500,
                        }
                    ),
                },
                {"key": "SyncAll", "value": "false"},
            ],
        },
        "job": {"servicePrincipalId": SP_ID, "templateId": "webex", "enabled": True},
        "mappings": {
            "servicePrincipalId": SP_ID,
            "jobId": UNKNOWN,
            "userMappings": default_mappings(),
            "removedTargets": [],
            "scopingFilter": [],
            "groupObjects": False,
            "userNameSource": "userPrincipalName",
        },
    }


def notification(**changes: Any) -> str:
    settings = {
        "Enabled": True,
        "Recipients": "webex-admins@contoso.com",
        "DeleteThresholdEnabled": True,
        "DeleteThresholdValue": 500,
    }
    settings.update(changes)
    return json.dumps(settings)


def mappings(*, replace: dict[str, dict[str, Any]] | None = None, add: list[dict[str, Any]] | None = None) -> list:
    """The default userMappings with some rows changed (by target) or added."""
    rows = default_mappings()
    for row in rows:
        row.update((replace or {}).get(row["target"], {}))
    for extra in add or []:
        rows.append({"source": None, "expression": None, "constant": None, "flowType": "Always",
                     "matchingPriority": 0, "defaultValue": None, **extra})  # fmt: skip
    return rows


def job_restart(*, request_id: str = "", force_deletes_request: str = "") -> Any:
    """The JobRestart dynamic resource the program registers when a restart is requested."""
    inputs = {"requestId": request_id, "forceDeletesRequest": force_deletes_request, "enabled": True}
    return resource("pulumi-python:dynamic/webex:JobRestart", "restart", inputs)


def days_from_today(days: int) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


def set_credential(inputs: dict[str, Any], key: str, value: Any) -> None:
    """Change (or, with value None, remove) one synchronization secret key."""
    rows = [row for row in inputs["credentials"] if row["key"] != key]
    if value is not None:
        rows.append({"key": key, "value": value})
    inputs["credentials"] = rows


def webex_stack(
    *,
    drop: Iterable[str] = (),
    extra: Iterable[RecordedResource] = (),
    credentials: Mapping[str, Any] | None = None,
    **changes: Mapping[str, Any],
) -> list[RecordedResource]:
    """The registrations of a healthy pilot stack, in registration order, with inputs changed per part.

    `credentials={"SyncAll": "true"}` changes synchronization secret keys (None removes one); `drop=("mappings",)`
    leaves parts out; `extra` appends more registrations.
    """
    inputs = copy.deepcopy(good_inputs())
    for part, values in changes.items():
        inputs[part].update(values)
    for key, value in (credentials or {}).items():
        set_credential(inputs["credentials"], key, value)
    dropped = set(drop)

    stack = RecordedResource(
        urn=f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}",
        type="pulumi:pulumi:Stack",
        name=f"{PROJECT}-{STACK}",
        parent=None,
        custom=False,
        inputs=struct_pb2.Struct(),
    )
    out = [stack]
    parents: dict[str, RecordedResource] = {}
    layout = [
        ("root", "webex", None, False),
        ("app", "app", "root", False),
        ("gallery", "gallery-app", "app", True),
        ("sp", "service-principal", "app", True),
        ("assignments", "assignments", "root", False),
        ("assignment", "user-pilot@contoso.com", "assignments", True),
        ("provisioning", "provisioning", "root", False),
        ("credentials", "credentials", "provisioning", True),
        ("job", "job", "provisioning", True),
        ("mappings", "attribute-mappings", "root", True),
    ]
    for part, name, parent, custom in layout:
        if part in dropped:
            continue
        registered = resource(TYPES[part], name, inputs[part], parent=parents.get(parent or "", stack), custom=custom)
        parents[part] = registered
        out.append(registered)
    out.extend(extra)
    return out


# ---------------------------------------------------------------------------------------------------------------
# One real pack for the whole session

_PACK: PolicyPack | None = None


def shared_pack() -> PolicyPack:
    """The session's pack process, started on first use and stopped at exit (end-to-end tests only)."""
    global _PACK
    if _PACK is None:
        _PACK = PolicyPack(PACK_DIR)
        atexit.register(_PACK.close)
    return _PACK


def fresh_pack() -> Any:
    """The `webex_guard` package imported anew, as a pack process imports it when it starts.

    The rule objects are built when the pack is imported (each rule module's RULES), so a package cached by an earlier
    test holds rules built then. Importing it again for each evaluation builds them in the test, as each pack process
    does once: `make mutation` chooses a mutant per test, after the first import, and so sees a change to the code
    that builds a rule too. The modules cached before are put back, so other tests keep the objects they hold."""
    if str(PACK_DIR) not in sys.path:
        sys.path.insert(0, str(PACK_DIR))  # as the CLI runs the pack: its folder first on sys.path
    ours = [name for name in sys.modules if name == "webex_guard" or name.startswith("webex_guard.")]
    cached = {name: sys.modules.pop(name) for name in ours}
    try:
        return importlib.import_module("webex_guard")
    finally:
        sys.modules.update(cached)


def _servicer() -> Any:
    """A fresh in-process servicer of this pack (a fresh one per evaluation: Configure changes its state)."""
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    pack = fresh_pack()
    return _PolicyAnalyzerServicer(
        pack.PACK_NAME, "0.0.1", list(pack.POLICIES), pack.PACK_ENFORCEMENT_LEVEL, None, pack.PACK_DESCRIPTION
    )


def policies() -> list[PolicyInfo]:
    """The pack's rules as GetAnalyzerInfo describes them."""
    return policy_infos(_servicer().GetAnalyzerInfo(empty_pb2.Empty(), None))


def evaluate(resources: list[RecordedResource], policy_config: Mapping[str, Any] | None = None) -> PolicyReport:
    """A preview's analysis of these registrations, in-process: Analyze per resource, then AnalyzeStack."""
    return evaluate_with(_servicer(), resources, policy_config)


def evaluate_with(
    servicer: Any, resources: list[RecordedResource], policy_config: Mapping[str, Any] | None = None
) -> PolicyReport:
    """`evaluate` with any pack's in-process servicer (a fresh one: Configure changes its state)."""
    info = servicer.GetAnalyzerInfo(empty_pb2.Empty(), None)
    infos = policy_infos(info)
    levels = levels_in_force(info, infos, policy_config)
    servicer.Configure(configure_request(levels), None)
    by_urn = {r.urn: r for r in resources}
    entries = [stack_resource(r, by_urn) for r in resources]
    tally = Tally(infos, levels)
    for resource, entry in zip(resources, entries, strict=True):
        tally.add_resource(resource.urn, servicer.Analyze(analyze_request(resource, entry), None))
    tally.add_stack(servicer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=entries), None), by_urn)
    return dataclasses.replace(tally.report(), pack=info.name)  # as offline.policy names the pack that judged


def violations(
    resources: list[RecordedResource], policy: str | None = None, policy_config: Mapping[str, Any] | None = None
) -> list[PolicyViolation]:
    found = evaluate(resources, policy_config).violations
    return [v for v in found if policy is None or v.policy == policy]
