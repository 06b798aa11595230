"""`AttributeMappings`: the Webex attribute mappings, user scoping filter and group-object switch of a provisioning job
(GET the job's schema, change only what the stack manages, PUT the whole document back; schema.py is the pure part).

Type token `pulumi-python:dynamic/webex:AttributeMappings`; its provider's module path and class name are a contract
with every stack state (tests/test_graph_pickles.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi.dynamic as dyn

from components.graph import provider_base as base
from components.graph import schema as schema_ops
from components.graph.errors import DEFAULT_GRAPH_BASE_URL, GraphError
from components.graph.schema_rows import Desired
from components.mapping_settings import MappingSettings, attribute_mappings_inputs

_MAPPING_INPUTS = ("userMappings", "removedTargets", "scopingFilter", "groupObjects", "userNameSource")


def _mapping_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    desired = Desired.from_props(props)
    return {
        "servicePrincipalId": props.get("servicePrincipalId"),
        "jobId": props.get("jobId"),
        "graphBaseUrl": base.base_url(props),
        "userMappings": desired.user_mappings,
        "removedTargets": desired.removed_targets,
        "scopingFilter": desired.scoping_filter,
        "groupObjects": desired.group_objects,
        "userNameSource": props.get("userNameSource"),
    }


class AttributeMappingsProvider(base.GraphProvider):
    """GET the job schema, change only what we manage, PUT the complete document back (only when it differs)."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        failures = base.missing(news, ["servicePrincipalId", "jobId"])
        rows = news.get("userMappings")
        if not base.has_unknowns(rows):
            targets: set[str] = set()
            for index, row in enumerate(rows or []):
                given = [k for k in ("source", "expression", "constant") if (row or {}).get(k) is not None]
                target = (row or {}).get("target")
                if not target:
                    failures.append(dyn.CheckFailure("userMappings", f"userMappings[{index}] has no target"))
                elif target in targets:
                    failures.append(dyn.CheckFailure("userMappings", f"target {target!r} appears more than once"))
                elif len(given) != 1:
                    failures.append(
                        dyn.CheckFailure(
                            "userMappings",
                            f"userMappings[{index}] ({target}) needs exactly one of source, expression, constant",
                        )
                    )
                targets.add(str(target))
        return dyn.CheckResult(news, failures)

    def _apply(self, props: Mapping[str, Any], *, fresh: bool) -> dict[str, Any]:
        sp_id, job_id = str(props["servicePrincipalId"]), str(props["jobId"])
        desired = Desired.from_props(props)
        with base.client_for(props, fresh=fresh) as client:
            live = client.get_schema(sp_id, job_id)
            # Everything (including Graph's parse of changed expressions) is computed before the one write, so a
            # failure before the PUT leaves the live schema as it was, and the PUT itself is all-or-nothing.
            result = schema_ops.plan(
                live,
                desired,
                parse=lambda e: client.parse_expression(sp_id, job_id, e),
                # Graph's filterOperators page names each operator `name`; its metadata (msgraph-sdk's model) keys
                # it `id`: either is the operator's name.
                operators=lambda: [str(o.get("name") or o.get("id")) for o in client.filter_operators(sp_id, job_id)],
            )
            if result.changed:
                pulumi.log.info(f"AttributeMappings {job_id}: " + "; ".join(result.changes))
                client.put_schema(sp_id, job_id, result.document)
        return {**_mapping_inputs(props), "ruleId": result.rule_id, "appliedMappings": result.applied}

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        outs = self._apply(props, fresh=True)
        return dyn.CreateResult(f"{outs['servicePrincipalId']}/{outs['jobId']}", outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        return dyn.UpdateResult(self._apply(news, fresh=False))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        replaces = base.changed_keys(olds, news, ["servicePrincipalId", "jobId"])
        if replaces:
            return dyn.DiffResult(changes=True, replaces=replaces, delete_before_replace=False)
        if base.inputs_unknown(news) or base.changed_keys(olds, news, ["graphBaseUrl"]):
            return dyn.DiffResult(changes=True, replaces=[], delete_before_replace=False)
        # Compare with the live schema, not the state: a portal edit since the last run shows up as a change.
        desired = Desired.from_props(news)
        try:
            with base.client_for(news) as client:
                live = client.get_schema(str(news["servicePrincipalId"]), str(news["jobId"]))
        except GraphError as error:
            pulumi.log.warn(f"AttributeMappings: could not read the live schema, comparing with the state: {error}")
            wanted = _mapping_inputs(news)
            return dyn.DiffResult(changes=any(olds.get(k) != wanted.get(k) for k in _MAPPING_INPUTS), replaces=[])
        return dyn.DiffResult(changes=schema_ops.plan(live, desired).changed, replaces=[], delete_before_replace=False)

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        desired = Desired.from_props(props)
        try:
            with base.client_for(props) as client:
                live = client.get_schema(str(props["servicePrincipalId"]), str(props["jobId"]))
        except GraphError as error:
            if error.status == 404:
                return dyn.ReadResult("", {})
            raise
        observed = schema_ops.observe(live, desired)
        return dyn.ReadResult(id_, {**_mapping_inputs(props), **observed})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        # DELETE resets the job's schema to the template default; a job already gone is fine.
        with base.client_for(props) as client:
            client.delete_schema(str(props["servicePrincipalId"]), str(props["jobId"]))


class AttributeMappings(dyn.Resource, module="webex", name="AttributeMappings"):
    """The Webex attribute mappings, user scoping filter and group-object switch of a provisioning job."""

    ruleId: pulumi.Output[str]
    appliedMappings: pulumi.Output[list[dict[str, Any]]]
    userMappings: pulumi.Output[list[dict[str, Any]]]
    scopingFilter: pulumi.Output[list[dict[str, Any]]]
    groupObjects: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        *,
        service_principal_id: pulumi.Input[str],
        job_id: pulumi.Input[str],
        user_mappings: pulumi.Input[Sequence[pulumi.Input[Mapping[str, Any]]]],
        removed_targets: pulumi.Input[Sequence[str]] = (),
        scoping_filter: pulumi.Input[Sequence[Mapping[str, Any]]] = (),
        group_objects: pulumi.Input[bool] = False,
        user_name_source: pulumi.Input[str] | None = None,
        graph_base_url: pulumi.Input[str] = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """AttributeMappings(resource_name, *, service_principal_id, job_id, user_mappings, removed_targets=(),
        scoping_filter=(), group_objects=False, user_name_source=None,
        graph_base_url="https://graph.microsoft.com/v1.0", opts=None)

        Inputs (camelCase in state): servicePrincipalId, jobId, graphBaseUrl, userMappings (rows
        {target, source, expression, constant, flowType, matchingPriority, defaultValue}, from
        `desired_user_mappings`), removedTargets [str], scopingFilter [{clauses: [{attribute, operator, values}]}],
        groupObjects (bool), userNameSource (str, informational: the userName row carries it).
        Outputs: the inputs, plus ruleId (the synchronizationRule id provisionOnDemand needs) and appliedMappings
        (the job's whole user mapping table after the change, as rows). `AttributeMappings.from_settings` builds
        the mapping inputs from a `MappingSettings`.
        """
        props = {
            "servicePrincipalId": service_principal_id,
            "jobId": job_id,
            "graphBaseUrl": graph_base_url,
            "userMappings": user_mappings,
            "removedTargets": list(removed_targets) if isinstance(removed_targets, (list, tuple)) else removed_targets,
            "scopingFilter": list(scoping_filter) if isinstance(scoping_filter, (list, tuple)) else scoping_filter,
            "groupObjects": group_objects,
            "userNameSource": user_name_source,
            "ruleId": None,
            "appliedMappings": None,
        }
        super().__init__(AttributeMappingsProvider(), resource_name, props, opts)

    @classmethod
    def from_settings(
        cls,
        resource_name: str,
        mappings: MappingSettings,
        *,
        service_principal_id: pulumi.Input[str],
        job_id: pulumi.Input[str],
        graph_base_url: pulumi.Input[str] = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> AttributeMappings:
        """The resource for a validated `webex-scim:mappings` value."""
        inputs = attribute_mappings_inputs(mappings)
        return cls(
            resource_name,
            service_principal_id=service_principal_id,
            job_id=job_id,
            user_mappings=inputs["userMappings"],
            removed_targets=inputs["removedTargets"],
            scoping_filter=inputs["scopingFilter"],
            group_objects=inputs["groupObjects"],
            user_name_source=inputs["userNameSource"],
            graph_base_url=graph_base_url,
            opts=opts,
        )
