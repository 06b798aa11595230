"""The dynamic providers as stack states hold them: pinned (F20).

`pulumi.dynamic.Resource` stores each provider in the state as a dill pickle, and dill pickles a class from an
importable module by reference: module path plus class name, nothing else. `pulumi refresh` and `pulumi destroy`
load the provider from the state, not from the program, so a state written today must load tomorrow. These blobs
are what `serialize_provider` writes today; a refactor that moves or renames a provider class, or gives a provider
object state of its own, fails here. If a class must move or be renamed, keep a thin alias under the old module
path and name (in components/graph/resources.py, e.g. `JobStateProvider = NewJobStateProvider`): blobs already in
states resolve through it, while new states record the new name. Keep the old blob here and add the new one.
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

# Type token -> the provider blob stored in the state (base64 of a protocol-4 pickle: "components.graph.resources",
# the class name, an empty instance).
PINNED: dict[str, tuple[str, str]] = {
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


def test_every_dynamic_resource_is_pinned() -> None:
    tokens = {
        f"pulumi-python:{cls._resource_type_name}"
        for _, cls in inspect.getmembers(resources, inspect.isclass)
        if issubclass(cls, dyn.Resource) and cls is not dyn.Resource
    }
    assert tokens == set(PINNED)


@pytest.mark.parametrize("token", sorted(PINNED))
def test_todays_provider_pickles_exactly_as_pinned(token: str) -> None:
    name, blob = PINNED[token]
    provider = getattr(resources, name)()
    assert serialize_provider(provider) == blob
    raw = base64.b64decode(blob)
    assert b"components.graph.resources" in raw and name.encode() in raw


def test_pinned_blobs_load_in_a_fresh_provider_host_interpreter() -> None:
    """As `pulumi refresh`/`destroy` do: dill.loads of the stored blob, from the project directory, in a new
    interpreter that imported nothing of this project beforehand."""
    script = """
import base64, json, sys
import dill
out = {}
for token, (name, blob) in json.loads(sys.stdin.read()).items():
    provider = dill.loads(base64.b64decode(blob))
    out[token] = [type(provider).__module__, type(provider).__qualname__, sorted(vars(provider))]
print(json.dumps(out))
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(PINNED),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert loaded == {token: ["components.graph.resources", name, []] for token, (name, _) in PINNED.items()}
