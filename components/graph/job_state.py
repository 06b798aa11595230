"""`JobState`: Provisioning Status On/Off of a job (start or pause it to match `enabled`; never lift a quarantine).

Type token `pulumi-python:dynamic/webex:JobState`; its provider's module path and class name are a contract with
every stack state (tests/test_graph_pickles.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi.dynamic as dyn

from components.graph import provider_base as base
from components.graph.errors import DEFAULT_GRAPH_BASE_URL, GraphError

# Job status codes (synchronizationStatus.code) in which a job does not run until started.
STOPPED_STATUS_CODES: frozenset[str] = frozenset({"Paused", "Quarantine"})

# synchronizationSchedule.state of a job that runs on its interval (the portal's Provisioning Status On). Any other
# state (Disabled: never started or turned off; Paused) means the job does not run.
ACTIVE_SCHEDULE_STATE = "Active"


# What Graph reports right after each call (schedule.state, status.code): start clears a pause or a quarantine and
# schedules the job; pause turns the schedule off. A refresh (`read`) replaces these with the live values.
_AFTER_CALL: dict[str, tuple[str, str]] = {"start": ("Active", "Active"), "pause": ("Disabled", "Paused")}


QUARANTINED = "quarantined"


def job_state_action(enabled: bool, schedule_state: str | None, status_code: str | None) -> str | None:
    """The call that puts a job in the wanted state: "start", "pause", None (already there), or "quarantined".

    Wanted on: start unless the schedule is Active and the job is not Paused. A job in Quarantine is never started
    here ("quarantined": report it): start would lift the quarantine, and a quarantine (the accidental-deletion
    threshold above all) is a human gate that only an explicit restart request releases. Wanted off: pause only a
    job whose schedule is Active; a Disabled or Paused job is already off.
    """
    running = schedule_state == ACTIVE_SCHEDULE_STATE
    if enabled:
        if status_code == "Quarantine":
            return QUARANTINED
        return None if running and status_code not in STOPPED_STATUS_CODES else "start"
    return "pause" if running else None


class JobQuarantinedError(RuntimeError):
    """The job is in quarantine and no explicit request releases it: `pulumi up` reports it instead of starting it."""


def quarantine_message(job_id: str, job: Mapping[str, Any]) -> str:
    """What is wrong and how to release it, from Graph's synchronizationQuarantine (reason, error, currentBegan)."""
    quarantine = (job.get("status") or {}).get("quarantine") or {}
    error = quarantine.get("error") or {}
    reason = quarantine.get("reason") or "not given"
    detail = ": ".join(str(v) for v in (error.get("code"), error.get("message")) if v)
    since = f" since {quarantine['currentBegan']}" if quarantine.get("currentBegan") else ""
    text = (
        f"provisioning job {job_id} is in quarantine (reason {reason}{since}"
        + (f"; {detail}" if detail else "")
        + "). `pulumi up` does not lift a quarantine on its own: it holds provisioning until someone decides. Fix the "
        "cause, then release it explicitly with a new restart request: `pulumi config set --path "
        "'provisioning.restartRequest' <new value>` (the portal's Restart provisioning: resetScope Watermark, Escrows, "
        "QuarantineState), or Restart provisioning in the portal."
    )
    if reason == "TooManyDeletes":
        text += (
            " The accidental-deletion threshold held deletions back; a restart keeps them held. Review them in the "
            "provisioning logs; to let them through, set a new `provisioning.forceDeletesRequest` (ForceDeletes)."
        )
    return text


def _job_state(job: Mapping[str, Any]) -> tuple[str | None, str | None]:
    schedule_state = (job.get("schedule") or {}).get("state") or None
    status_code = (job.get("status") or {}).get("code") or None
    return schedule_state, status_code


class JobStateProvider(base.GraphProvider):
    """Starts or pauses the job so that it runs exactly when `enabled` says (GET the job, then at most one POST)."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        failures = base.missing(news, ["servicePrincipalId", "jobId"])
        enabled = news.get("enabled")
        if not base.has_unknowns(enabled) and not isinstance(enabled, bool):
            failures.append(dyn.CheckFailure("enabled", "enabled must be true or false"))
        return dyn.CheckResult(news, failures)

    def _outs(self, props: Mapping[str, Any], enabled: bool) -> dict[str, Any]:
        return {
            "servicePrincipalId": props["servicePrincipalId"],
            "jobId": props["jobId"],
            "graphBaseUrl": base.base_url(props),
            "enabled": enabled,
        }

    def _apply(self, props: Mapping[str, Any], *, fresh: bool) -> dict[str, Any]:
        sp_id, job_id, enabled = str(props["servicePrincipalId"]), str(props["jobId"]), bool(props["enabled"])
        with base.client_for(props, fresh=fresh) as client:
            job = client.get_job(sp_id, job_id)
            schedule_state, status_code = _job_state(job)
            action = job_state_action(enabled, schedule_state, status_code)
            if action == QUARANTINED:
                raise JobQuarantinedError(quarantine_message(job_id, job))
            if action == "start":
                client.start_job(sp_id, job_id)
            elif action == "pause":
                client.pause_job(sp_id, job_id)
        if action:
            pulumi.log.info(
                f"JobState {job_id}: {action} (schedule was {schedule_state}, status {status_code}); "
                f"provisioning is now {'on' if enabled else 'off'}"
            )
            schedule_state, status_code = _AFTER_CALL[action]
        return {**self._outs(props, enabled), "scheduleState": schedule_state, "statusCode": status_code}

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        return dyn.CreateResult(f"jobstate-{uuid.uuid4().hex}", self._apply(props, fresh=True))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        # `olds` are the outputs: after a refresh they hold the live state (`read`), so a portal toggle, a pause or a
        # quarantine since the last run is a change even when the inputs are the same. No Graph call here.
        changed = base.changed_keys(olds, news, ["servicePrincipalId", "jobId", "graphBaseUrl", "enabled"])
        if not changed and olds.get("scheduleState") is not None:
            if job_state_action(bool(news.get("enabled")), olds.get("scheduleState"), olds.get("statusCode")):
                changed.append("scheduleState")
        return dyn.DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        return dyn.UpdateResult(self._apply(news, fresh=False))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        try:
            with base.client_for(props) as client:
                job = client.get_job(str(props["servicePrincipalId"]), str(props["jobId"]))
        except GraphError as error:
            if error.status == 404:
                return dyn.ReadResult("", {})
            raise
        schedule_state, status_code = _job_state(job)
        # `enabled` is what Graph says (the azuread provider reads it the same way), so a portal toggle is drift.
        outs = self._outs(props, schedule_state == ACTIVE_SCHEDULE_STATE)
        return dyn.ReadResult(id_, {**outs, "scheduleState": schedule_state, "statusCode": status_code})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        # Nothing to undo: the job itself goes with the azuread SynchronizationJob.
        return None


class JobState(dyn.Resource, module="webex", name="JobState"):
    """Provisioning Status On/Off of a provisioning job: starts or pauses it to match `enabled`."""

    enabled: pulumi.Output[bool]
    scheduleState: pulumi.Output[str | None]
    statusCode: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        *,
        service_principal_id: pulumi.Input[str],
        job_id: pulumi.Input[str],
        enabled: pulumi.Input[bool],
        graph_base_url: pulumi.Input[str] = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """JobState(resource_name, *, service_principal_id, job_id, enabled,
        graph_base_url="https://graph.microsoft.com/v1.0", opts=None)

        Inputs: servicePrincipalId (the bare object id), jobId (the Graph job id, not the azuread resource id),
        graphBaseUrl, enabled (bool). Create and update GET the job, then POST …/start when enabled and the job is
        not running (schedule not Active, or status Paused), or POST …/pause when not enabled and the schedule is
        Active; otherwise nothing. A job in Quarantine with enabled true is not started: the update fails with
        JobQuarantinedError naming Graph's quarantine reason and how to release it (a new restart request, which
        JobRestart handles; make this depend on the JobRestart). Never a restart. Delete makes no call.
        Outputs: the inputs, scheduleState (job.schedule.state: Active, Disabled, Paused) and statusCode
        (job.status.code: Active, Paused, Quarantine, NotRun, …), as Graph reports them after the call. A refresh
        reads them live and sets enabled to schedule.state == Active, so a portal toggle is drift the next
        `pulumi up` reverts. Create the azuread SynchronizationJob with enabled=False (ignore_changes=["enabled"])
        and make this depend on the credentials and mappings, so the first cycle runs with both.
        """
        props = {
            "servicePrincipalId": service_principal_id,
            "jobId": job_id,
            "graphBaseUrl": graph_base_url,
            "enabled": enabled,
            "scheduleState": None,
            "statusCode": None,
        }
        super().__init__(JobStateProvider(), resource_name, props, opts)
