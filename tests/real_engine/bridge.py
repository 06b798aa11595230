"""What every resource of the azuread test provider shares: values on the Pulumi wire, Terraform's schema and plan as
the Pulumi bridge reports them, a small Graph client for the loopback tenant, and the `Resource` base class.

The resources themselves are in azuread_provider.py (the main program's) and azuread_identity.py (the bootstrap's).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import provider_pb2

from components.replace_on_change import replace_keys
from real_engine.plugin import SECRET_SIG, SIG, UNKNOWN


class ProviderError(Exception):
    """Fails the gRPC call with this message, as the bridge reports a Terraform diagnostic."""


# -- values on the wire ------------------------------------------------------------------------------------------


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(struct)


def to_struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(dict(value))
    return out


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG) == SECRET_SIG


def unwrap(value: Any) -> Any:
    """Secrets unwrapped everywhere (the provider works on plain values and marks its Sensitive outputs again)."""
    if is_secret(value):
        return unwrap(value.get("value"))
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def secret(value: Any) -> dict[str, Any]:
    return {SIG: SECRET_SIG, "value": value}


def has_unknown(value: Any) -> bool:
    if value == UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


# -- Terraform's schema and plan, as far as these resources need it ----------------------------------------------


@dataclass(frozen=True)
class Prop:
    """One property of a Terraform schema: Optional/Required/Computed, its TypeSet-ness and its zero value."""

    kind: str = "optional"  # "required", "optional", "computed" (output only) or "optional+computed"
    zero: Any = None
    is_set: bool = False

    def planned(self, value: Any) -> Any:
        return self.zero if value is None else value

    def same(self, old: Any, new: Any) -> bool:
        old, new = self.planned(old), self.planned(new)
        if self.is_set and isinstance(old, list) and isinstance(new, list):
            return sorted(json.dumps(v, sort_keys=True) for v in old) == sorted(
                json.dumps(v, sort_keys=True) for v in new
            )
        return old == new


def plan_diff(
    force_new: frozenset[str],
    schema: Mapping[str, Prop],
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    ignore: list[str],
) -> provider_pb2.DiffResponse:
    """Terraform's plan as the bridge reports it: changed properties, the ForceNew ones among them, a detailed diff."""
    changed: list[str] = []
    detailed: dict[str, provider_pb2.PropertyDiff] = {}
    for name, prop in schema.items():
        if prop.kind == "computed" or any(
            name == i or i.startswith(name + ".") or i.startswith(name + "[") for i in ignore
        ):
            continue
        new = news.get(name)
        if new is None and prop.kind == "optional+computed":
            continue  # absent keeps the state's value
        old = olds.get(name)
        if not has_unknown(new) and prop.same(old, new):
            continue
        changed.append(name)
        was, will = prop.planned(old), prop.planned(new)
        if name in force_new:
            kind = provider_pb2.PropertyDiff.UPDATE_REPLACE
        elif was in (None, "", [], {}, False) and will not in (None, "", [], {}, False):
            kind = provider_pb2.PropertyDiff.ADD
        elif will in (None, "", [], {}, False) and was not in (None, "", [], {}, False):
            kind = provider_pb2.PropertyDiff.DELETE
        else:
            kind = provider_pb2.PropertyDiff.UPDATE
        detailed[name] = provider_pb2.PropertyDiff(kind=kind, inputDiff=True)
    replaces = [n for n in changed if n in force_new]
    return provider_pb2.DiffResponse(
        changes=provider_pb2.DiffResponse.DIFF_SOME if changed else provider_pb2.DiffResponse.DIFF_NONE,
        replaces=replaces,
        diffs=changed,
        detailedDiff=detailed,
        hasDetailedDiff=True,
        deleteBeforeReplace=False,
    )


# -- Graph -------------------------------------------------------------------------------------------------------


class Graph:
    """A small Graph client with the go-azure-sdk's retries that matter here (404 right after a create)."""

    def __init__(self) -> None:
        url = os.environ.get("WEBEX_SCIM_TEST_GRAPH_URL", "")
        token = os.environ.get("WEBEX_SCIM_TEST_GRAPH_TOKEN", "")
        if not url or not token or not is_loopback(url):
            raise SystemExit("the azuread test provider needs WEBEX_SCIM_TEST_GRAPH_URL (loopback) and _TOKEN")
        self.http = httpx.Client(base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def call(self, method: str, path: str, *, body: Any = None, ok404: bool = False, params: Any = None) -> Any:
        response = self.http.request(method, path, json=body, params=params)
        if response.status_code == 404 and ok404:
            return None
        if response.status_code >= 300:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:200]
            raise ProviderError(f"{method} {path}: unexpected status {response.status_code}: {message}")
        return response.json() if response.content else None

    def wait_for(self, path: str, *, present: bool = True, attempts: int = 50) -> Any:
        """consistency.WaitForUpdate / WaitForDeletion (internal/helpers/consistency/consistency.go), scaled down."""
        for _ in range(attempts):
            found = self.call("GET", path, ok404=True)
            if (found is not None) == present:
                return found
            time.sleep(0.1)
        raise ProviderError(f"timed out waiting for {path} to {'appear' if present else 'disappear'}")


def is_loopback(url: str) -> bool:
    return httpx.URL(url).host in {"127.0.0.1", "localhost", "::1"}


def object_id(path: str, collection: str) -> str:
    """`/servicePrincipals/{id}` -> id, refusing other shapes as ValidateServicePrincipalID does."""
    prefix = f"/{collection}/"
    if not isinstance(path, str) or not path.startswith(prefix) or "/" in path[len(prefix) :]:
        raise ProviderError(f"parsing {path!r}: expected an ID of the form {prefix}{{objectId}}")
    return path[len(prefix) :]


def or_none(value: Any) -> Any:
    return value if value not in ("", []) else None


# -- resources ---------------------------------------------------------------------------------------------------


class Resource:
    """One azuread resource type: its schema, and create/read/update/delete against Graph."""

    token: str
    schema: dict[str, Prop]
    # The top-level properties marked ForceNew in the Terraform schema. None: the main program's types, whose table
    # is components/replace_on_change.py (shared with the offline diff); a resource of another project names its own.
    replace_on_change: frozenset[str] | None = None

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def force_new(self) -> frozenset[str]:
        return replace_keys(self.token) if self.replace_on_change is None else self.replace_on_change

    def check(self, news: dict[str, Any]) -> list[provider_pb2.CheckFailure]:
        return [
            provider_pb2.CheckFailure(
                property=name, reason=f'The argument "{name}" is required, but no definition was found.'
            )
            for name, prop in self.schema.items()
            if prop.kind == "required" and news.get(name) in (None, "")
        ]

    def preview(self, news: dict[str, Any], olds: dict[str, Any] | None = None) -> dict[str, Any]:
        """The planned outputs: inputs, then computed values (unknown on create, kept on update)."""
        out = dict(news)
        for name, prop in self.schema.items():
            if name not in out or out[name] is None:
                if olds is not None and name in olds:
                    out[name] = olds[name]
                elif prop.kind in ("computed", "optional+computed"):
                    out[name] = UNKNOWN
        return out

    def create(self, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def read(self, id_: str, state: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any], changed: set[str]) -> dict[str, Any]:
        raise ProviderError(f"{self.token} has no in-place update")

    def delete(self, id_: str, state: dict[str, Any]) -> None:
        raise NotImplementedError
