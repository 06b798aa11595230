"""`ServicePrincipalReady`: the object id of a service principal, known only once Graph serves it (audit F9).

Type token `pulumi-python:dynamic/webex:ServicePrincipalReady`; its provider's module path and class name are a
contract with every stack state (tests/test_graph_pickles.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi.dynamic as dyn

from components.graph import provider_base as base
from components.graph.errors import DEFAULT_GRAPH_BASE_URL, GraphError


class ServicePrincipalReadyProvider(base.GraphProvider):
    """Waits until Graph serves a service principal that was just made (F9).

    Instantiating the gallery app returns the new service principal's id, but terraform-provider-azuread's
    application_from_template_resource.go waits only for the *application* to replicate, and its service principal
    data source (service_principal_data_source.go) does not retry a 404: read right away, a replica that has not seen
    the new object yet fails the first `pulumi up`. This resource's create GETs it with the replication retries.
    """

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        return dyn.CheckResult(news, base.missing(news, ["servicePrincipalId"]))

    def _get(self, props: Mapping[str, Any], *, fresh: bool) -> dict[str, Any]:
        with base.client_for(props, fresh=fresh) as client:
            found = client.get_service_principal(str(props["servicePrincipalId"]))
        return {
            "servicePrincipalId": str(found.get("id") or props["servicePrincipalId"]),
            "graphBaseUrl": base.base_url(props),
        }

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        outs = self._get(props, fresh=True)
        return dyn.CreateResult(outs["servicePrincipalId"], outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        changed = base.changed_keys(olds, news, ["servicePrincipalId", "graphBaseUrl"])
        replaces = [k for k in changed if k == "servicePrincipalId"]
        return dyn.DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        return dyn.UpdateResult(self._get(news, fresh=False))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        try:
            return dyn.ReadResult(id_, self._get(props, fresh=False))
        except GraphError as error:
            if error.status == 404:
                return dyn.ReadResult("", {})
            raise

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        return None  # a wait, nothing to undo: the service principal goes with its application


class ServicePrincipalReady(dyn.Resource, module="webex", name="ServicePrincipalReady"):
    """The object id of a service principal, known only once Graph serves it (read it from here, not the input)."""

    servicePrincipalId: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        service_principal_id: pulumi.Input[str],
        graph_base_url: pulumi.Input[str] = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """ServicePrincipalReady(resource_name, *, service_principal_id, graph_base_url=..., opts=None)

        Inputs: servicePrincipalId (object id), graphBaseUrl. Create GETs the service principal, retrying the 404s of
        replication; read drops the resource when it is gone; delete does nothing.
        Outputs: servicePrincipalId (the same id, once served), graphBaseUrl.
        """
        props = {"servicePrincipalId": service_principal_id, "graphBaseUrl": graph_base_url}
        super().__init__(ServicePrincipalReadyProvider(), resource_name, props, opts)
