"""`SynchronizationTemplate`: the Cisco Webex synchronization template id of a service principal (a lookup).

Type token `pulumi-python:dynamic/webex:SynchronizationTemplate`; its provider's module path and class name are a
contract with every stack state (tests/test_graph_pickles.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi.dynamic as dyn

from components.graph import provider_base as base
from components.graph.errors import DEFAULT_GRAPH_BASE_URL, GraphError


def pick_template(templates: Sequence[Mapping[str, Any]], match: str | None) -> Mapping[str, Any]:
    """The Webex template: the one whose id or factoryTag equals `match`, else the only one there is."""

    def label(t: Mapping[str, Any]) -> str:
        tag = t.get("factoryTag")
        return f"{t.get('id')} (factoryTag {tag})" if tag else str(t.get("id"))

    available = ", ".join(label(t) for t in templates) or "none"
    if match:
        wanted = match.strip().lower()
        hits = [
            t for t in templates if wanted in {str(t.get("id") or "").lower(), str(t.get("factoryTag") or "").lower()}
        ]
        if len(hits) == 1:
            return hits[0]
        raise ValueError(
            f"synchronization template {match!r} {'is ambiguous' if hits else 'not found'} on this service "
            f"principal; available: {available}"
        )
    if len(templates) == 1:
        return templates[0]
    if not templates:
        raise ValueError(
            "the service principal has no synchronization templates: is it the Cisco Webex gallery app, and does "
            "the caller have Synchronization.ReadWrite.All or own it (Application.ReadWrite.OwnedBy)?"
        )
    raise ValueError(
        f"the service principal has {len(templates)} synchronization templates ({available}); "
        "say which one to use with the template id override"
    )


class SynchronizationTemplateProvider(base.GraphProvider):
    """Looks up the synchronization template id with one GET …/synchronization/templates."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        return dyn.CheckResult(news, base.missing(news, ["servicePrincipalId"]))

    def _lookup(self, props: Mapping[str, Any], *, fresh: bool, keep: str | None = None) -> dict[str, Any]:
        """The template to use; `keep` (the id already recorded) wins while the service principal still has it.

        The job's template id forces a new job (terraform-provider-azuread synchronization_job_resource.go:
        template_id ForceNew): a second template appearing in the gallery, or a different answer, must never
        replace the job on a refresh or an unrelated update (F8). Only a changed `templateMatch` chooses again.
        """
        with base.client_for(props, fresh=fresh) as client:
            templates = client.list_templates(str(props["servicePrincipalId"]))
        recorded = [t for t in templates if keep and str(t.get("id")) == keep]
        chosen = recorded[0] if recorded else pick_template(templates, props.get("templateMatch"))
        return {
            "servicePrincipalId": props["servicePrincipalId"],
            "graphBaseUrl": base.base_url(props),
            "templateMatch": props.get("templateMatch"),
            "templateId": chosen.get("id"),
            "factoryTag": chosen.get("factoryTag"),
            "availableTemplateIds": sorted(str(t.get("id")) for t in templates),
        }

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        outs = self._lookup(props, fresh=True)
        return dyn.CreateResult(f"{outs['servicePrincipalId']}/{outs['templateId']}", outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        changed = base.changed_keys(olds, news, ["servicePrincipalId", "graphBaseUrl", "templateMatch"])
        replaces = [k for k in changed if k == "servicePrincipalId"]
        return dyn.DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        same_choice = olds.get("templateMatch") == news.get("templateMatch")
        return dyn.UpdateResult(self._lookup(news, fresh=False, keep=olds.get("templateId") if same_choice else None))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        try:
            outs = self._lookup(props, fresh=False, keep=props.get("templateId"))
        except GraphError as error:
            if error.status == 404:
                return dyn.ReadResult("", {})
            raise
        return dyn.ReadResult(id_, outs)


class SynchronizationTemplate(dyn.Resource, module="webex", name="SynchronizationTemplate"):
    """The Cisco Webex synchronization template id of a service principal (a lookup; deleting it does nothing)."""

    templateId: pulumi.Output[str]
    factoryTag: pulumi.Output[str | None]
    availableTemplateIds: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        *,
        service_principal_id: pulumi.Input[str],
        template_match: pulumi.Input[str] | None = None,
        graph_base_url: pulumi.Input[str] = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """SynchronizationTemplate(resource_name, *, service_principal_id, template_match=None,
        graph_base_url="https://graph.microsoft.com/v1.0", opts=None)

        Inputs (camelCase in state): servicePrincipalId, templateMatch (a template id or factoryTag: the config
        override; without it the service principal must have exactly one template), graphBaseUrl.
        Outputs: templateId, factoryTag, availableTemplateIds.
        """
        props = {
            "servicePrincipalId": service_principal_id,
            "templateMatch": template_match,
            "graphBaseUrl": graph_base_url,
            "templateId": None,
            "factoryTag": None,
            "availableTemplateIds": None,
        }
        super().__init__(SynchronizationTemplateProvider(), resource_name, props, opts)
