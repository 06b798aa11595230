"""The dynamic providers as stack states hold them: pinned (F20).

`pulumi.dynamic.Resource` stores each provider in the state as a dill pickle, and dill pickles a class from an
importable module by reference: module path plus class name, nothing else. `pulumi refresh` and `pulumi destroy`
load the provider from the state, not from the program, so a state written by any earlier revision must load today.

Two generations of blobs are pinned. STORED are what the code wrote before the providers moved out of
components/graph/resources.py into a module per family (`components.graph.resources.<Name>Provider`): every stack
deployed until then holds them, and they must keep loading, to the very classes today's code uses (resources.py
re-exports them). TODAY are what the code writes now. A refactor that moves or renames a provider class, or gives a
provider object state of its own, fails here: then keep the old name resolving (a re-export or a thin alias under
the old module path and name), add the new blob to the pinned ones, and never drop an old one.
"""

from __future__ import annotations

import base64
import inspect
import json
import subprocess
import sys

import pulumi.dynamic as dyn
import pytest
from pulumi.dynamic.dynamic import serialize_provider

import components.graph.resources as resources
from tests.support import ROOT

# Type token -> (the provider class's name, the blob the code stored before the split: base64 of a protocol-4 pickle of
# "components.graph.resources", the class name, an empty instance). Never edit or drop one: states hold them.
STORED: dict[str, tuple[str, str]] = {
    "pulumi-python:dynamic/webex:SynchronizationTemplate": (
        "SynchronizationTemplateProvider",
        "gASVRQAAAAAAAACMGmNvbXBvbmVudHMuZ3JhcGgucmVzb3VyY2VzlIwfU3luY2hyb25pemF0aW9uVGVtcGxhdGVQcm92aWRlcpSTlCmBlC4=",
    ),
    "pulumi-python:dynamic/webex:AttributeMappings": (
        "AttributeMappingsProvider",
        "gASVPwAAAAAAAACMGmNvbXBvbmVudHMuZ3JhcGgucmVzb3VyY2VzlIwZQXR0cmlidXRlTWFwcGluZ3NQcm92aWRlcpSTlCmBlC4=",
    ),
    "pulumi-python:dynamic/webex:CredentialCheck": (
        "CredentialCheckProvider",
        "gASVPQAAAAAAAACMGmNvbXBvbmVudHMuZ3JhcGgucmVzb3VyY2VzlIwXQ3JlZGVudGlhbENoZWNrUHJvdmlkZXKUk5QpgZQu",
    ),
    "pulumi-python:dynamic/webex:JobRestart": (
        "JobRestartProvider",
        "gASVOAAAAAAAAACMGmNvbXBvbmVudHMuZ3JhcGgucmVzb3VyY2VzlIwSSm9iUmVzdGFydFByb3ZpZGVylJOUKYGULg==",
    ),
    "pulumi-python:dynamic/webex:JobState": (
        "JobStateProvider",
        "gASVNgAAAAAAAACMGmNvbXBvbmVudHMuZ3JhcGgucmVzb3VyY2VzlIwQSm9iU3RhdGVQcm92aWRlcpSTlCmBlC4=",
    ),
    "pulumi-python:dynamic/webex:ServicePrincipalReady": (
        "ServicePrincipalReadyProvider",
        "gASVQwAAAAAAAACMGmNvbXBvbmVudHMuZ3JhcGgucmVzb3VyY2VzlIwdU2VydmljZVByaW5jaXBhbFJlYWR5UHJvdmlkZXKUk5QpgZQu",
    ),
    "pulumi-python:dynamic/webex:ProvisionOnDemand": (
        "ProvisionOnDemandProvider",
        "gASVPwAAAAAAAACMGmNvbXBvbmVudHMuZ3JhcGgucmVzb3VyY2VzlIwZUHJvdmlzaW9uT25EZW1hbmRQcm92aWRlcpSTlCmBlC4=",
    ),
}


# Type token -> (the provider class's module today, the blob today's code stores).
TODAY: dict[str, tuple[str, str]] = {
    "pulumi-python:dynamic/webex:SynchronizationTemplate": (
        "components.graph.template",
        "gASVRAAAAAAAAACMGWNvbXBvbmVudHMuZ3JhcGgudGVtcGxhdGWUjB9TeW5jaHJvbml6YXRpb25UZW1wbGF0ZVByb3ZpZGVylJOUKYGULg==",
    ),
    "pulumi-python:dynamic/webex:AttributeMappings": (
        "components.graph.mappings",
        "gASVPgAAAAAAAACMGWNvbXBvbmVudHMuZ3JhcGgubWFwcGluZ3OUjBlBdHRyaWJ1dGVNYXBwaW5nc1Byb3ZpZGVylJOUKYGULg==",
    ),
    "pulumi-python:dynamic/webex:CredentialCheck": (
        "components.graph.credential_check",
        "gASVRAAAAAAAAACMIWNvbXBvbmVudHMuZ3JhcGguY3JlZGVudGlhbF9jaGVja5SMF0NyZWRlbnRpYWxDaGVja1Byb3ZpZGVylJOUKYGULg==",
    ),
    "pulumi-python:dynamic/webex:JobRestart": (
        "components.graph.job_restart",
        "gASVOgAAAAAAAACMHGNvbXBvbmVudHMuZ3JhcGguam9iX3Jlc3RhcnSUjBJKb2JSZXN0YXJ0UHJvdmlkZXKUk5QpgZQu",
    ),
    "pulumi-python:dynamic/webex:JobState": (
        "components.graph.job_state",
        "gASVNgAAAAAAAACMGmNvbXBvbmVudHMuZ3JhcGguam9iX3N0YXRllIwQSm9iU3RhdGVQcm92aWRlcpSTlCmBlC4=",
    ),
    "pulumi-python:dynamic/webex:ServicePrincipalReady": (
        "components.graph.principal_ready",
        "gASVSQAAAAAAAACMIGNvbXBvbmVudHMuZ3JhcGgucHJpbmNpcGFsX3JlYWR5lIwdU2VydmljZVByaW5jaXBhbFJlYWR5UHJvdmlkZXKUk5QpgZQu",
    ),
    "pulumi-python:dynamic/webex:ProvisionOnDemand": (
        "components.graph.on_demand",
        "gASVPwAAAAAAAACMGmNvbXBvbmVudHMuZ3JhcGgub25fZGVtYW5klIwZUHJvdmlzaW9uT25EZW1hbmRQcm92aWRlcpSTlCmBlC4=",
    ),
}


def _provider_name(token: str) -> str:
    return STORED[token][0]


def test_every_dynamic_resource_is_pinned() -> None:
    tokens = {
        f"pulumi-python:{cls._resource_type_name}"
        for _, cls in inspect.getmembers(resources, inspect.isclass)
        if issubclass(cls, dyn.Resource) and cls is not dyn.Resource
    }
    assert tokens == set(STORED) == set(TODAY)


@pytest.mark.parametrize("token", sorted(TODAY))
def test_todays_provider_pickles_exactly_as_pinned(token: str) -> None:
    module, blob = TODAY[token]
    name = _provider_name(token)
    provider = getattr(resources, name)()
    assert type(provider).__module__ == module
    assert serialize_provider(provider) == blob
    raw = base64.b64decode(blob)
    assert module.encode() in raw and name.encode() in raw


def test_stored_blobs_name_the_old_module() -> None:
    """What states deployed before the split hold: the proof that the load test below loads old blobs."""
    for name, blob in STORED.values():
        raw = base64.b64decode(blob)
        assert b"components.graph.resources" in raw and name.encode() in raw


def _load_in_a_fresh_interpreter(blobs: dict[str, str]) -> dict[str, list[object]]:
    script = """
import base64, json, sys
import dill
out = {}
for token, blob in json.loads(sys.stdin.read()).items():
    provider = dill.loads(base64.b64decode(blob))
    out[token] = [type(provider).__module__, type(provider).__qualname__, sorted(vars(provider))]
print(json.dumps(out))
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(blobs),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("generation", ["STORED", "TODAY"])
def test_pinned_blobs_load_in_a_fresh_provider_host_interpreter(generation: str) -> None:
    """As `pulumi refresh`/`destroy` do: dill.loads of the stored blob, from the project directory, in a new
    interpreter that imported nothing of this project beforehand. Blobs of both generations load to today's classes
    (in their family modules), with nothing in the instance."""
    pinned = STORED if generation == "STORED" else TODAY
    loaded = _load_in_a_fresh_interpreter({token: blob for token, (_, blob) in pinned.items()})
    assert loaded == {token: [TODAY[token][0], _provider_name(token), []] for token in pinned}
