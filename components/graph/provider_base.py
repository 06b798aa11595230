"""What every dynamic provider in components/graph shares: reading its inputs, building its Graph client, and taking
the stack's `azuread:*` settings from the engine.

Pulumi pickles each provider object (dill) into the state and unpickles it in its dynamic-provider host. The provider
classes live in importable modules, so dill stores them *by reference* (module + class name) and the host imports the
module (it runs with the project directory as its working directory). Provider objects hold nothing at all: each
method builds its Graph client from its inputs (`graphBaseUrl`) and the azuread settings (see auth.py), so no token,
secret or client can end up in a pickle.

Providers call `client_for` through this module (`provider_base.client_for(...)`), so a test can put an unreachable
Graph in its place for all of them at once.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pulumi.dynamic as dyn
from pulumi.runtime import rpc

from components.graph.errors import DEFAULT_GRAPH_BASE_URL

if TYPE_CHECKING:
    from components.graph.client import GraphClient


def has_unknowns(value: Any) -> bool:
    """True when a preview input is not known yet (the engine's unknown sentinel, anywhere inside)."""
    if isinstance(value, str):
        return value == rpc.UNKNOWN
    if isinstance(value, Mapping):
        return any(has_unknowns(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_unknowns(v) for v in value)
    return False


def plain(value: Any) -> Any:
    """Secret-wrapped values, should an engine send them, unwrapped (these providers do not accept secrets)."""
    return rpc.unwrap_rpc_secret(value) if rpc.is_rpc_secret(value) else value


def base_url(props: Mapping[str, Any]) -> str:
    return str(props.get("graphBaseUrl") or DEFAULT_GRAPH_BASE_URL)


def client_for(props: Mapping[str, Any], *, fresh: bool = False) -> GraphClient:
    # Imported here: a preview never calls Graph, so it need not load httpx and azure-identity.
    from components.graph.client import GraphClient

    return GraphClient.from_environment(base_url(props), fresh_principal=fresh)


def inputs_unknown(news: Mapping[str, Any]) -> bool:
    # The serialized provider itself (`__provider`) may be unknown in a preview; it says nothing about our inputs.
    return any(has_unknowns(v) for k, v in news.items() if k != "__provider")


def changed_keys(olds: Mapping[str, Any], news: Mapping[str, Any], keys: Sequence[str]) -> list[str]:
    return [k for k in keys if has_unknowns(news.get(k)) or olds.get(k) != news.get(k)]


def missing(props: Mapping[str, Any], keys: Sequence[str]) -> list[dyn.CheckFailure]:
    return [dyn.CheckFailure(k, f"{k} is required") for k in keys if not props.get(k)]


def now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


class GraphProvider(dyn.ResourceProvider):
    """What every provider here shares: it takes the stack's `azuread:*` settings from the engine's Configure request
    (the dynamic-provider host's only source of stack config) and leaves them to auth.py, in this process's memory
    only. Nothing is stored on the provider object: it is pickled into the state."""

    def configure(self, req: dyn.ConfigureRequest) -> None:
        from components.graph.auth_settings import use_stack_config

        use_stack_config(req.config.get)
