"""`ProvisionOnDemand`: the portal's Provision on demand for the pilot user; `pulumi up` fails with Graph's reason
unless the user reached Webex (or already matched it).

Type token `pulumi-python:dynamic/webex:ProvisionOnDemand`; its provider's module path and class name are a contract
with every stack state (tests/test_graph_pickles.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi.dynamic as dyn

from components.graph import provider_base as base
from components.graph.errors import DEFAULT_GRAPH_BASE_URL

# provisionOnDemand's answer is a stringKeyStringValuePair whose `key` is JSON text {"result", "details":
# {"errorCode", "errorMessage"}} and whose `value` is JSON text {"action", "reportableIdentifier", "statusInfo":
# {"status", "errorCode", "reason", "recommendedAction", …}, "provisioningSteps": [{"name", "type", "status",
# "description", "details"}], "targetIdentity", …} (microsoft-graph-docs-contrib api-reference/v1.0/api/
# synchronization-synchronizationjob-provisionondemand.md, example 1 answers "Skipped"/"RedundantExport").
# Skipped because Webex already matches Entra ("RedundantExport": "The state of the user in both the source and
# target systems already match") is a success: re-provisioning after a mapping change that alters nothing for the
# pilot must not fail every later `pulumi up`.
_ALREADY_IN_SYNC = "RedundantExport"
_ON_DEMAND_REPLACE_KEYS = ("servicePrincipalId", "jobId", "ruleId", "objectId", "objectTypeName", "triggers")


class ProvisionOnDemandError(RuntimeError):
    """Graph answered provisionOnDemand with Skipped or Failure: the pilot user did not reach Webex."""


def _json_text(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    try:
        parsed = json.loads(value) if isinstance(value, str) and value else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def on_demand_outcome(body: Mapping[str, Any]) -> dict[str, Any]:
    """Graph's answer reduced to what a user needs: result, Graph's reason, the steps that did not succeed.

    Accepts the documented single pair and, defensively, a collection of pairs (`value: [...]`); the worst result
    of several wins (Failure over Skipped over Success).
    """
    pairs = body.get("value") if isinstance(body.get("value"), list) else [body]
    rank = {"Failure": 2, "Skipped": 1, "Success": 0}
    outcome: dict[str, Any] | None = None
    for pair in pairs or []:
        key, value = _json_text(pair.get("key")), _json_text(pair.get("value"))
        details = key.get("details") if isinstance(key.get("details"), Mapping) else {}
        status = value.get("statusInfo") if isinstance(value.get("statusInfo"), Mapping) else {}
        steps = [s for s in value.get("provisioningSteps") or [] if isinstance(s, Mapping)]
        result = str(key.get("result") or status.get("status") or "Unknown")
        current = {
            "result": result,
            "errorCode": details.get("errorCode") or status.get("errorCode"),
            "errorMessage": details.get("errorMessage") or status.get("reason"),
            "recommendedAction": status.get("recommendedAction"),
            "reportableIdentifier": value.get("reportableIdentifier"),
            "action": value.get("action"),
            "targetId": (value.get("targetIdentity") or {}).get("id")
            if isinstance(value.get("targetIdentity"), Mapping)
            else None,
            "steps": [
                {
                    "name": step.get("name"),
                    "type": step.get("type"),
                    "status": step.get("status"),
                    "description": step.get("description"),
                    # Only the reasons: a step's other details are the user's attribute values.
                    "reason": (step.get("details") or {}).get("SkipReason")
                    or (step.get("details") or {}).get("ErrorCode")
                    if isinstance(step.get("details"), Mapping)
                    else None,
                }
                for step in steps
                if step.get("status") not in (None, "Success")
            ],
        }
        if outcome is None or rank.get(result, 3) > rank.get(outcome["result"], 3):
            outcome = current
    return outcome or {"result": "Unknown", "errorCode": None, "errorMessage": "empty answer", "steps": []}


def on_demand_succeeded(outcome: Mapping[str, Any]) -> bool:
    if outcome["result"] == "Success":
        return True
    reasons = {outcome.get("errorCode"), *(step.get("reason") for step in outcome.get("steps") or [])}
    return outcome["result"] == "Skipped" and _ALREADY_IN_SYNC in reasons


def on_demand_message(object_id: str, outcome: Mapping[str, Any]) -> str:
    who = f"{outcome['reportableIdentifier']} ({object_id})" if outcome.get("reportableIdentifier") else object_id
    why = ": ".join(str(v) for v in (outcome.get("errorCode"), outcome.get("errorMessage")) if v) or "no reason given"
    text = f"provision on demand of the pilot user {who} was {outcome['result']} by Graph: {why}"
    for step in outcome.get("steps") or []:
        reason = f" [{step['reason']}]" if step.get("reason") else ""
        text += (
            f"; step {step.get('name')} ({step.get('type')}) {step.get('status')}: {step.get('description')}{reason}"
        )
    if outcome.get("recommendedAction"):
        text += f"; recommended action: {outcome['recommendedAction']}"
    if outcome["result"] == "Skipped":
        text += (
            ". A skipped user is out of scope: assign them to the app with a Webex role (not Default Access), and "
            "check the scoping filter"
        )
    return text


class ProvisionOnDemandProvider(base.GraphProvider):
    """POST …/provisionOnDemand for the pilot user; fails when Graph answers Skipped or Failure."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        return dyn.CheckResult(news, base.missing(news, ["servicePrincipalId", "jobId", "ruleId", "objectId"]))

    def _outs(self, props: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "servicePrincipalId": props["servicePrincipalId"],
            "jobId": props["jobId"],
            "graphBaseUrl": base.base_url(props),
            "ruleId": props["ruleId"],
            "objectId": props["objectId"],
            "objectTypeName": props.get("objectTypeName") or "User",
            "triggers": dict(props.get("triggers") or {}),
        }

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        outs = self._outs(props)
        with base.client_for(props) as client:
            body = client.provision_on_demand(
                str(outs["servicePrincipalId"]),
                str(outs["jobId"]),
                rule_id=str(outs["ruleId"]),
                object_id=str(outs["objectId"]),
                object_type=str(outs["objectTypeName"]),
            )
        outcome = on_demand_outcome(body)
        if not on_demand_succeeded(outcome):
            raise ProvisionOnDemandError(on_demand_message(str(outs["objectId"]), outcome))
        pulumi.log.info(
            f"ProvisionOnDemand {outs['objectId']}: {outcome['result']}"
            + (f" ({outcome['errorCode']})" if outcome.get("errorCode") else "")
            + (f", action {outcome['action']}" if outcome.get("action") else "")
        )
        return dyn.CreateResult(
            f"on-demand-{uuid.uuid4().hex}",
            {
                **outs,
                "result": outcome["result"],
                "reason": outcome.get("errorCode"),
                "action": outcome.get("action"),
                "reportableIdentifier": outcome.get("reportableIdentifier"),
                "targetId": outcome.get("targetId"),
                "provisionedAt": base.now(),
            },
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        olds = {**olds, "objectTypeName": olds.get("objectTypeName") or "User", "triggers": olds.get("triggers") or {}}
        news = {**news, "objectTypeName": news.get("objectTypeName") or "User", "triggers": news.get("triggers") or {}}
        replaces = base.changed_keys(olds, news, list(_ON_DEMAND_REPLACE_KEYS))
        changed = replaces or base.changed_keys(olds, news, ["graphBaseUrl"])
        return dyn.DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        # Only graphBaseUrl updates in place (everything else replaces): nothing to send.
        kept = {k: olds.get(k) for k in ("result", "reason", "action", "reportableIdentifier", "targetId")}
        return dyn.UpdateResult({**self._outs(news), **kept, "provisionedAt": olds.get("provisionedAt")})

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        # An event, not a state: nothing live to compare.
        return dyn.ReadResult(id_, props)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        # Provisioning cannot be undone here; removing the pilot leaves Webex to the regular cycles.
        return None


class ProvisionOnDemand(dyn.Resource, module="webex", name="ProvisionOnDemand"):
    """The portal's Provision on demand for one user: fails `pulumi up` with Graph's reason unless it worked."""

    result: pulumi.Output[str]
    reason: pulumi.Output[str | None]
    action: pulumi.Output[str | None]
    reportableIdentifier: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        *,
        service_principal_id: pulumi.Input[str],
        job_id: pulumi.Input[str],
        rule_id: pulumi.Input[str],
        object_id: pulumi.Input[str],
        triggers: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        graph_base_url: pulumi.Input[str] = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """ProvisionOnDemand(resource_name, *, service_principal_id, job_id, rule_id, object_id, triggers=None,
        graph_base_url="https://graph.microsoft.com/v1.0", opts=None)

        Inputs: servicePrincipalId, jobId (bare Graph ids), graphBaseUrl, ruleId (the synchronization rule holding
        the User object mapping), objectId (the user), objectTypeName ("User"), triggers (any map; a change
        provisions again). Create POSTs {"parameters": [{"ruleId", "subjects": [{"objectId", "objectTypeName"}]}]}
        and fails with ProvisionOnDemandError (Graph's result, error code and message, the steps that did not
        succeed) on Failure, or on Skipped for any reason but RedundantExport (already in sync). Every input but
        graphBaseUrl replaces the resource (so a change provisions again), like the azuread resource it replaces.
        Read and delete make no call. Outputs: result, reason, action, reportableIdentifier, targetId, provisionedAt.
        """
        props = {
            "servicePrincipalId": service_principal_id,
            "jobId": job_id,
            "graphBaseUrl": graph_base_url,
            "ruleId": rule_id,
            "objectId": object_id,
            "objectTypeName": "User",
            "triggers": triggers or {},
            **dict.fromkeys(("result", "reason", "action", "reportableIdentifier", "targetId", "provisionedAt")),
        }
        super().__init__(ProvisionOnDemandProvider(), resource_name, props, opts)
