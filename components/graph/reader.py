"""`GraphReader`: what `python -m webex_scim status` reads from Microsoft Graph, and nothing else: GET only.

Read-only by construction: the reader holds a transport built for GET alone (transport.py refuses any other method
before a byte is sent) and has no method that takes an HTTP verb. The one call of `status` that is not a read, Test
Connection (validateCredentials, with `--test-connection` only), is GraphClient's, made apart from the reader.

Reads (Graph v1.0):
* the service principal's jobs, `GET /servicePrincipals/{id}/synchronization/jobs` (Synchronization.Read.All);
* a job, `GET …/jobs/{jobId}`: its synchronizationStatus and schedule;
* the provisioning logs, `GET /auditLogs/provisioning?$filter=servicePrincipal/id eq '{id}' and activityDateTime gt
  {since}` (AuditLog.Read.All; the list page allows `eq`, `contains`, `gt`, `lt`), paged by `@odata.nextLink`, up to
  `max_events` and a deadline: a read cut short says why (`LogRead.partial`).

Bounded in time: each call within the policy's deadline, `Retry-After` honoured up to its cap (retry.py); the logs'
paging stops at the reader's own deadline.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import quote

from components.graph.auth import credential_from_environment
from components.graph.errors import GraphError
from components.graph.retry import RetryPolicy, WaitEvent
from components.graph.transport import READ_ONLY, GraphTransport, job_path, segment

PROVISIONING_LOGS = "/auditLogs/provisioning"
LOG_PAGE_SIZE = 500
AUDIT_PERMISSION = "AuditLog.Read.All"
SYNC_READ_PERMISSION = "Synchronization.Read.All"


@dataclass
class LogRead:
    """Provisioning log entries as read: all of the window, or `partial` says why not; `error` when none could be."""

    events: list[dict[str, Any]] = field(default_factory=list)
    partial: str | None = None
    error: GraphError | None = None


def graph_time(when: dt.datetime) -> str:
    """An OData DateTimeOffset literal, as Graph's logs filter takes it: `2026-12-06T10:00:00Z`."""
    return when.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


class GraphReader:
    """Reads a provisioning job's health through a GET-only transport."""

    def __init__(self, transport: GraphTransport, *, clock: Callable[[], float] = time.monotonic) -> None:
        if transport.methods != READ_ONLY:
            raise ValueError(f"a GraphReader needs a GET-only transport, not one for {sorted(transport.methods)}")
        self._transport = transport
        self._clock = clock

    @classmethod
    def from_environment(
        cls,
        base_url: str,
        *,
        config: Mapping[str, str] | None = None,
        on_wait: Callable[[WaitEvent], None] | None = None,
        deadline: float = 120.0,
    ) -> GraphReader:
        """A reader signed in as the program's Graph calls are (auth.py), each call ending within `deadline`
        seconds, waits (Retry-After included) capped at half of it."""
        url = base_url.rstrip("/")
        policy = RetryPolicy(deadline=deadline, request_deadline=min(60.0, deadline), max_total_wait=deadline / 2)
        transport = GraphTransport(
            url,
            credential=credential_from_environment(url, config=config),
            retry=policy,
            on_wait=on_wait,
            methods=READ_ONLY,
        )
        return cls(transport)

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._transport.close()

    def list_jobs(self, sp_id: str) -> list[dict[str, Any]]:
        return self._transport.paged("listJobs", f"/servicePrincipals/{segment(sp_id)}/synchronization/jobs")

    def get_job(self, sp_id: str, job_id: str) -> dict[str, Any]:
        return self._transport.call("getJob", "GET", job_path(sp_id, job_id), expect_json=True, replication=())

    def provisioning_logs(
        self, sp_id: str, since: dt.datetime, *, max_events: int = 5000, seconds: float = 120.0
    ) -> LogRead:
        """The service principal's provisioning log entries since `since`, newest pages first as Graph serves them;
        at most `max_events`, and no page started after `seconds`."""
        ends = self._clock() + seconds
        where = f"servicePrincipal/id eq '{sp_id}' and activityDateTime gt {graph_time(since)}"
        path = f"{PROVISIONING_LOGS}?$filter={quote(where, safe='/')}&$top={LOG_PAGE_SIZE}"
        read = LogRead()
        while True:
            try:
                page = self._transport.call("listProvisioningLogs", "GET", path, expect_json=True, replication=())
            except GraphError as error:
                if not read.events:
                    read.error = error
                else:
                    read.partial = f"the logs' read stopped after {len(read.events)} entries: {error}"
                return read
            read.events += list(page.get("value") or [])
            link = page.get("@odata.nextLink")
            if not link:
                return read
            if len(read.events) >= max_events:
                read.partial = f"the first {len(read.events)} entries of the window only (the read stops there)"
                return read
            if self._clock() > ends:
                read.partial = f"the logs' read stopped at its {seconds:g}s deadline after {len(read.events)} entries"
                return read
            path = self._transport.next_path("listProvisioningLogs", path, str(link))
