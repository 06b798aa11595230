"""The health half of the loopback Graph tenant: a provisioning job in each state Graph documents, and the
provisioning logs (`GET /auditLogs/provisioning`) of its cycles.

Shapes follow Graph v1.0 (microsoft-graph-docs-contrib api-reference/v1.0/resources/synchronization-
synchronizationstatus.md, -synchronizationtaskexecution.md, -synchronizationquarantine.md, provisioningobjectsummary.md
and api/provisioningobjectsummary-list.md): every property of synchronizationStatus is present (null when unset), and
the logs answer `$filter` (`eq`, `gt`, `lt`; `and`), `$top` and `$skiptoken` with an absolute `@odata.nextLink`, or
403 when the caller lacks AuditLog.Read.All (`forbid_logs`). tests/test_graph_models.py checks every document here
against Microsoft's own msgraph-sdk models.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

JOB_STATES = ("healthy", "quarantine", "escrows", "paused", "notrun", "failed")
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def execution(state: str, *, began: dt.datetime, exported: int = 3, escrowed: int = 0, error: Any = None) -> dict:
    """A synchronizationTaskExecution (every property)."""
    return {
        "activityIdentifier": str(uuid.uuid5(uuid.NAMESPACE_URL, iso(began))),
        "countEntitled": 120,
        "countEntitledForProvisioning": 120,
        "countEscrowed": escrowed,
        "countEscrowedRaw": escrowed,
        "countExported": exported,
        "countExports": exported + escrowed,
        "countImported": 120,
        "countImportedDeltas": 4,
        "countImportedReferenceDeltas": 0,
        "error": error,
        "state": state,
        "timeBegan": iso(began),
        "timeEnded": iso(began + dt.timedelta(minutes=2)),
    }


def sync_error(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "tenantActionable": True}


def job_status(state: str, now: dt.datetime) -> tuple[dict[str, Any], str]:
    """(synchronizationStatus, schedule.state) of a job in `state` (one of JOB_STATES), dated from `now`."""
    last = now - dt.timedelta(minutes=12)
    good = execution("Succeeded", began=last)
    status: dict[str, Any] = {
        "code": "Active",
        "countSuccessiveCompleteFailures": 0,
        "escrowsPruned": False,
        "lastExecution": good,
        "lastSuccessfulExecution": good,
        "lastSuccessfulExecutionWithExports": good,
        "progress": [],
        "quarantine": None,
        "steadyStateFirstAchievedTime": iso(now - dt.timedelta(days=30)),
        "steadyStateLastAchievedTime": iso(last),
        "synchronizedEntryCountByType": [{"key": "User", "value": 118}, {"key": "Group", "value": 0}],
        "troubleshootingUrl": None,
    }
    schedule = "Active"
    earlier = execution("Succeeded", began=now - dt.timedelta(days=2))
    if state == "quarantine":
        failed = execution(
            "Failed",
            began=last,
            exported=0,
            error=sync_error("SystemForCrossDomainIdentityManagementCredentialValidationUnavailable", "HTTP 401"),
        )
        status.update(
            code="Quarantine",
            countSuccessiveCompleteFailures=7,
            lastExecution=failed,
            lastSuccessfulExecution=earlier,
            lastSuccessfulExecutionWithExports=earlier,
            steadyStateLastAchievedTime=earlier["timeEnded"],
            troubleshootingUrl="https://aka.ms/ProvisioningTroubleshooting",
            quarantine={
                "currentBegan": iso(now - dt.timedelta(hours=20)),
                "nextAttempt": iso(now + dt.timedelta(hours=4)),
                "reason": "EncounteredQuarantineException",
                "seriesBegan": iso(now - dt.timedelta(days=2)),
                "seriesCount": 7,
                "error": sync_error(
                    "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
                    "Webex answered HTTP 401 Unauthorized to the saved credentials: the token is invalid or expired.",
                ),
            },
        )
    elif state == "escrows":
        heavy = execution("EntryLevelErrors", began=last, exported=40, escrowed=37)
        status.update(lastExecution=heavy, lastSuccessfulExecution=earlier, escrowsPruned=True)
    elif state == "paused":
        status.update(code="Paused")
        schedule = "Disabled"
    elif state == "notrun":
        status.update(
            code="NotRun",
            lastExecution=None,
            lastSuccessfulExecution=None,
            lastSuccessfulExecutionWithExports=None,
            steadyStateFirstAchievedTime=None,
            steadyStateLastAchievedTime=None,
            synchronizedEntryCountByType=[],
        )
        schedule = "Disabled"
    elif state == "failed":
        failed = execution("Failed", began=last, exported=0, error=sync_error("InternalError", "The cycle stopped."))
        status.update(lastExecution=failed, lastSuccessfulExecution=earlier, countSuccessiveCompleteFailures=1)
    elif state != "healthy":
        raise ValueError(f"no job state {state!r}: one of {', '.join(JOB_STATES)}")
    return status, schedule


@dataclass(frozen=True)
class Event:
    """One provisioning log entry to seed: who, what, and how it went (status success|failure|skipped|warning)."""

    upn: str
    action: str = "create"
    status: str = "success"
    error_code: str | None = None
    reason: str | None = None
    minutes_ago: int = 10


def summary(event: Event, *, sp_id: str, job_id: str, now: dt.datetime) -> dict[str, Any]:
    """A provisioningObjectSummary (every property), as Graph lists it."""
    when = now - dt.timedelta(minutes=event.minutes_ago)
    user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, event.upn))
    error = (
        {
            "additionalDetails": None,
            "errorCategory": "nonServiceFailure",
            "errorCode": event.error_code,
            "reason": event.reason or f"Webex refused {event.upn}.",
            "recommendedAction": None,
        }
        if event.status == "failure"
        else None
    )
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{event.upn}/{iso(when)}/{event.action}")),
        "activityDateTime": iso(when),
        "changeId": str(uuid.uuid4()),
        "cycleId": str(uuid.uuid5(uuid.NAMESPACE_URL, iso(when.replace(minute=0, second=0)))),
        "durationInMilliseconds": 812,
        "initiatedBy": {"id": "", "displayName": "Azure AD Provisioning Service", "initiatorType": "system"},
        "jobId": job_id,
        "modifiedProperties": [{"displayName": "userName", "oldValue": None, "newValue": event.upn}],
        "provisioningAction": event.action,
        "provisioningStatusInfo": {"status": event.status, "errorInformation": error},
        "provisioningSteps": [
            {
                "name": "EntryImport",
                "provisioningStepType": "import",
                "status": "success",
                "description": f"Retrieved User '{event.upn}' from Azure Active Directory",
                "details": {},
            },
            {
                "name": "EntryExportAdd" if event.action == "create" else "EntryExportUpdate",
                "provisioningStepType": "export",
                "status": event.status,
                "description": error["reason"] if error else f"User '{event.upn}' was {event.action}d in Cisco Webex",
                "details": {},
            },
        ],
        "servicePrincipal": {"id": sp_id, "displayName": "Cisco Webex"},
        "sourceIdentity": {"id": user_id, "displayName": event.upn, "identityType": "User", "details": {}},
        "sourceSystem": {"id": str(uuid.uuid4()), "displayName": "Azure Active Directory", "details": {}},
        "targetIdentity": {
            "id": "",
            "displayName": "",
            "identityType": "urn:ietf:params:scim:schemas:core:2.0:User",
            "details": {},
        },
        "targetSystem": {"id": str(uuid.uuid4()), "displayName": "Cisco Webex", "details": {}},
        "tenantId": TENANT_ID,
    }


def events_for(state: str) -> list[Event]:
    """What the last day's cycles logged for a job in `state`."""
    fine = [Event(f"user{i}@contoso.com", action="update", minutes_ago=10 + i) for i in range(4)]
    fine.append(Event("new.hire@contoso.com", minutes_ago=15))
    if state == "escrows":
        refused = [
            Event(f"dup{i}@contoso.com", status="failure", error_code="EntryConflict", minutes_ago=12 + i)
            for i in range(7)
        ]
        refused += [
            Event(
                f"contractor{i}@fabrikam.com",
                status="failure",
                error_code="InvalidDomain",
                reason="The domain fabrikam.com is not verified in the Webex organization.",
                minutes_ago=20 + i,
            )
            for i in range(3)
        ]
        refused.append(Event("ghost@contoso.com", action="update", status="failure", error_code="WebexMadeThisUp"))
        return fine + refused + [Event("out.of.scope@contoso.com", action="other", status="skipped")]
    if state == "quarantine":
        return [
            Event(f"user{i}@contoso.com", status="failure", error_code="Unauthorized", minutes_ago=30 + i)
            for i in range(3)
        ]
    if state in ("paused", "notrun"):
        return []
    return fine


_CLAUSE = re.compile(r"\s*(?P<prop>[A-Za-z/]+)\s+(?P<op>eq|gt|lt)\s+(?P<value>'(?:[^']|'')*'|[0-9T:\-.Z]+)\s*")


def _matches(item: dict[str, Any], expression: str) -> bool:
    """`$filter` as the logs take it: clauses joined by `and`, each `property eq|gt|lt value` (a/b for nesting)."""
    for clause in re.split(r"\s+and\s+", expression.strip()) if expression.strip() else []:
        match = _CLAUSE.fullmatch(clause)
        if match is None:
            raise ValueError(f"Invalid filter clause: {clause}")
        value: Any = item
        for part in match["prop"].split("/"):
            value = (value or {}).get(part)
        wanted = match["value"]
        wanted = wanted[1:-1].replace("''", "'") if wanted.startswith("'") else wanted
        op = match["op"]
        if (op == "eq" and value != wanted) or (op == "gt" and not str(value) > wanted):
            return False
        if op == "lt" and not str(value) < wanted:
            return False
    return True


@dataclass
class Health:
    """Provisioning log entries of the tenant; attached to graph_server's state, answering the /auditLogs paths."""

    sync_state: Any = field(repr=False)
    base_url: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    forbid_logs: str | None = None  # a Graph error code to answer 403 with (no AuditLog.Read.All)
    max_page: int = 1000

    def seed(self, state: str, *, sp_id: str, job_id: str, now: dt.datetime | None = None) -> None:
        """Put the job in `state` and log its cycles, dated from `now` (default: this moment; no lock held)."""
        now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
        status, schedule = job_status(state, now)
        with self.sync_state.lock:
            job = self.sync_state.jobs[job_id]
            job["status"] = status
            job["schedule"]["state"] = schedule
            self.events += [summary(e, sp_id=sp_id, job_id=job_id, now=now) for e in events_for(state)]

    def handle(self, method: str, route: str, query: str, body: Any) -> tuple[int, Any] | None:
        if method != "GET" or route != "/auditLogs/provisioning":
            return None
        if self.forbid_logs:
            return 403, {
                "error": {
                    "code": self.forbid_logs,
                    "message": "Insufficient privileges to complete the operation.",
                    "innerError": {"request-id": "req-0001"},
                }
            }
        params = parse_qs(query)
        try:
            with self.sync_state.lock:
                found = [copy.deepcopy(e) for e in self.events if _matches(e, (params.get("$filter") or [""])[0])]
        except ValueError as error:
            return 400, {"error": {"code": "BadRequest", "message": str(error)}}
        size = min(int((params.get("$top") or ["50"])[0]), self.max_page)
        skip = int((params.get("$skiptoken") or ["0"])[0])
        reply: dict[str, Any] = {
            "@odata.context": f"{self.base_url}/$metadata#auditLogs/provisioning",
            "value": found[skip : skip + size],
        }
        if skip + size < len(found):
            kept = "&".join(f"{k}={v[0]}" for k, v in params.items() if k != "$skiptoken")
            reply["@odata.nextLink"] = f"{self.base_url}/auditLogs/provisioning?{kept}&$skiptoken={skip + size}"
        return 200, reply
