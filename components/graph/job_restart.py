"""`JobRestart`: the portal's Restart provisioning of a job, once per new request value (never Full).

Type token `pulumi-python:dynamic/webex:JobRestart`; its provider's module path and class name are a contract with
every stack state (tests/test_graph_pickles.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi.dynamic as dyn

from components.graph import provider_base as base
from components.graph.errors import DEFAULT_GRAPH_BASE_URL
from components.graph.job_state import STOPPED_STATUS_CODES

_RESTART_RECORD = (
    "restartedRequestId",
    "forcedDeletesRequestId",
    "restartedAt",
    "resetScope",
    "jobStatusBefore",
    "startedJob",
)


class JobRestartProvider(base.GraphProvider):
    """Restart the job once per new `requestId` (the portal's Restart provisioning: Watermark, Escrows,
    QuarantineState), or once per new `forceDeletesRequest` (the same plus ForceDeletes); never Full.

    A request is handled only while `enabled` is true: Graph documents that restarting can start a paused or
    quarantined job (resetScope `None` "Starts a paused or quarantined provisioning job"), so a job the stack says is
    off is not restarted; the request waits, with a warning, until provisioning is switched on. After the restart a
    Paused or Quarantine job is started (the request is the explicit decision to release a quarantine).
    """

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        failures = base.missing(news, ["servicePrincipalId", "jobId"])
        enabled = news.get("enabled")
        if not base.has_unknowns(enabled) and not isinstance(enabled, bool):
            failures.append(dyn.CheckFailure("enabled", "enabled must be true or false"))
        return dyn.CheckResult(news, failures)

    def _outs(self, props: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "servicePrincipalId": props["servicePrincipalId"],
            "jobId": props["jobId"],
            "graphBaseUrl": base.base_url(props),
            "requestId": props.get("requestId") or "",
            "forceDeletesRequest": props.get("forceDeletesRequest") or "",
            "enabled": bool(props.get("enabled")),
        }

    def _handle(self, props: Mapping[str, Any], olds: Mapping[str, Any], *, fresh: bool) -> dict[str, Any]:
        """Restart when a request is new and provisioning is on; otherwise keep the record of the last restart."""
        record = {k: olds.get(k) for k in _RESTART_RECORD}
        record["restartedRequestId"] = record["restartedRequestId"] or ""
        record["forcedDeletesRequestId"] = record["forcedDeletesRequestId"] or ""
        record["startedJob"] = bool(record["startedJob"])
        request = props.get("requestId") or ""
        force = props.get("forceDeletesRequest") or ""
        restart_new = bool(request) and request != record["restartedRequestId"]
        force_new = bool(force) and force != record["forcedDeletesRequestId"]
        if not (restart_new or force_new):
            return {**self._outs(props), **record}
        job_id = str(props["jobId"])
        if not props.get("enabled"):
            pending = ", ".join(
                f"{key} {value!r}"
                for key, value, new in (
                    ("restart request", request, restart_new),
                    ("force-deletes request", force, force_new),
                )
                if new
            )
            pulumi.log.warn(
                f"JobRestart {job_id}: {pending} not sent: provisioning is off (provisioning.enabled: false), and a "
                "restart can start a stopped job; it is sent when provisioning is switched on"
            )
            return {**self._outs(props), **record}
        sp_id = str(props["servicePrincipalId"])
        with base.client_for(props, fresh=fresh) as client:
            status = ((client.get_job(sp_id, job_id).get("status") or {}).get("code")) or None
            scope = client.restart_job(sp_id, job_id, force_deletes=force_new)
            started = status in STOPPED_STATUS_CODES
            if started:
                client.start_job(sp_id, job_id)
        pulumi.log.info(
            f"JobRestart {job_id}: restarted with resetScope {scope!r} (request {request or force!r}); status was "
            f"{status}" + ("; started it" if started else "")
        )
        return {
            **self._outs(props),
            "restartedRequestId": request if restart_new else record["restartedRequestId"],
            "forcedDeletesRequestId": force if force_new else record["forcedDeletesRequestId"],
            "restartedAt": base.now(),
            "resetScope": scope,
            "jobStatusBefore": status,
            "startedJob": started,
        }

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        # An empty requestId records the job without touching it; a non-empty one is a restart request.
        return dyn.CreateResult(f"restart-{uuid.uuid4().hex}", self._handle(props, {}, fresh=True))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        keys = ["servicePrincipalId", "jobId", "graphBaseUrl", "requestId", "forceDeletesRequest", "enabled"]
        # State written before `forceDeletesRequest`/`enabled` existed: an absent key is the same as the default.
        olds = {**olds, "forceDeletesRequest": olds.get("forceDeletesRequest") or "", "enabled": olds.get("enabled")}
        news = {**news, "forceDeletesRequest": news.get("forceDeletesRequest") or ""}
        if olds["enabled"] is None:
            olds["enabled"] = news.get("enabled")
        changed = base.changed_keys(olds, news, keys)
        return dyn.DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        return dyn.UpdateResult(self._handle(news, olds, fresh=False))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        # Nothing live to compare: a restart is an event, not a state.
        return dyn.ReadResult(id_, props)


class JobRestart(dyn.Resource, module="webex", name="JobRestart"):
    """Restart of a provisioning job (the portal's Restart provisioning), once per value of `request_id`."""

    restartedRequestId: pulumi.Output[str]
    forcedDeletesRequestId: pulumi.Output[str]
    restartedAt: pulumi.Output[str | None]
    resetScope: pulumi.Output[str | None]
    jobStatusBefore: pulumi.Output[str | None]
    startedJob: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        *,
        service_principal_id: pulumi.Input[str],
        job_id: pulumi.Input[str],
        enabled: pulumi.Input[bool],
        request_id: pulumi.Input[str] = "",
        force_deletes_request: pulumi.Input[str] = "",
        graph_base_url: pulumi.Input[str] = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """JobRestart(resource_name, *, service_principal_id, job_id, enabled, request_id="",
        force_deletes_request="", graph_base_url="https://graph.microsoft.com/v1.0", opts=None)

        Inputs: servicePrincipalId, jobId, graphBaseUrl, enabled (the stack's provisioning on/off), requestId,
        forceDeletesRequest. A new non-empty requestId restarts the job with resetScope "Watermark, Escrows,
        QuarantineState" (the portal's Restart provisioning: the accidental-deletion threshold still holds back what it
        held back); a new non-empty forceDeletesRequest restarts with "Watermark, Escrows, QuarantineState,
        ForceDeletes" (the held-back deletions go through: a separate, explicit decision). Both on create too. Never
        Full, never ConnectorDataStore. Unchanged or empty values never restart; while enabled is false nothing is
        sent (a warning says the request waits). After a restart, a Paused or Quarantine job is started.
        Outputs: restartedRequestId, forcedDeletesRequestId (the requests handled), restartedAt, resetScope,
        jobStatusBefore, startedJob.
        """
        props = {
            "servicePrincipalId": service_principal_id,
            "jobId": job_id,
            "graphBaseUrl": graph_base_url,
            "enabled": enabled,
            "requestId": request_id,
            "forceDeletesRequest": force_deletes_request,
            **dict.fromkeys(_RESTART_RECORD),
        }
        super().__init__(JobRestartProvider(), resource_name, props, opts)
