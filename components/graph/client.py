"""A small synchronous Microsoft Graph client for the synchronization API, with the retries Graph asks for.

What it does on a failed attempt (all bounded by `RetryPolicy`, in attempts and in total seconds waited):

* 429 / 503: wait what `Retry-After` says (exponential backoff when absent), keep honouring it;
* other 5xx and dropped or timed-out connections: exponential backoff;
* 403 / 404 / 409 on a client made for a *fresh* service principal: a few short waits, because a principal created
  seconds ago is not yet visible to every Graph replica (terraform-provider-azuread does the same);
* 401 once: fetch a new token and try again (it may have expired mid-run).

What it never does: follow a redirect (a 3xx is an error naming its Location: Graph does not redirect API calls, a
proxy or a wrong `graphBaseUrl` does), or take a 2xx that should carry JSON and does not (an HTML proxy page) for an
empty answer. Every call has a wall-clock deadline (`RetryPolicy.deadline`, attempts and waits included) and every
request a total deadline for its whole answer (`RetryPolicy.request_deadline`): a server that trickles bytes cannot
hold a call forever, because httpx's own timeouts apply to each read, not to the whole body.

Every wait is counted (`stats`) and reported to `on_wait` (default: `pulumi.log.info`). Errors name the operation,
method, path, status and Graph's error code/message, with the bearer token and any call secret (the Webex token sent
to validateCredentials) replaced by `[redacted]`, whatever the server echoed back.
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from components.graph.auth import TokenSource, credential_from_environment, describe_environment, scope_for
from components.graph.errors import DEFAULT_GRAPH_BASE_URL, GraphError
from policies.vocabulary import BASE_ADDRESS, SECRET_TOKEN

MAX_WAIT_ENV = "WEBEX_SCIM_GRAPH_MAX_WAIT"
BACKOFF_ENV = "WEBEX_SCIM_GRAPH_BACKOFF_BASE"
DEADLINE_ENV = "WEBEX_SCIM_GRAPH_DEADLINE"
REDACTED = "[redacted]"

# A listing longer than this many pages is a server bug or a nextLink loop: a Webex app's templates and jobs fit in
# one page, and a directory's users at 999 a page (the simulation's `--users graph`) in far fewer than this.
MAX_PAGES = 10_000

# Statuses that right after a service principal is created usually mean "not replicated yet", not "forbidden".
REPLICATION_STATUSES: frozenset[int] = frozenset({403, 404, 409})

_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]+=*")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on one logical call. `max_total_wait` caps the seconds slept between attempts; `deadline` caps the
    call's wall-clock time, its attempts' own time included; `request_deadline` caps one HTTP request from sending to
    the last byte of the answer. A call therefore ends within `deadline` plus at most one read timeout (a read that
    started before the deadline is not interrupted). Lower them in tests."""

    max_attempts: int = 8
    max_total_wait: float = 300.0
    deadline: float = 600.0
    request_deadline: float = 120.0
    backoff_base: float = 1.0
    backoff_cap: float = 32.0
    replication_attempts: int = 6
    replication_base: float = 2.0
    replication_cap: float = 20.0

    def backoff(self, attempt: int) -> float:
        return min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempt - 1))

    def replication_backoff(self, retry: int) -> float:
        return min(self.replication_cap, self.replication_base * 2 ** max(0, retry - 1))

    @classmethod
    def from_environment(cls) -> RetryPolicy:
        """Default policy, adjustable where provider methods build their own client (CI, tests):
        `WEBEX_SCIM_GRAPH_MAX_WAIT` caps the seconds waited per call; `WEBEX_SCIM_GRAPH_BACKOFF_BASE` sets the first
        backoff step (seconds) for both exponential and replication backoff; `WEBEX_SCIM_GRAPH_DEADLINE` caps each
        call's (and so each request's) wall-clock seconds. `Retry-After` is always honoured within those bounds."""
        overrides: dict[str, float] = {}
        for name, keys in (
            (MAX_WAIT_ENV, ("max_total_wait",)),
            (BACKOFF_ENV, ("backoff_base", "replication_base")),
            (DEADLINE_ENV, ("deadline",)),
        ):
            raw = os.environ.get(name)
            if not raw:
                continue
            try:
                value = max(0.0, float(raw))
            except ValueError:
                raise ValueError(f"{name}={raw!r} is not a number of seconds") from None
            overrides.update(dict.fromkeys(keys, value))
        if "deadline" in overrides:
            overrides["request_deadline"] = min(cls.request_deadline, overrides["deadline"])
        return cls(**overrides)


@dataclass(frozen=True)
class WaitEvent:
    """One wait before a retry."""

    operation: str
    method: str
    path: str
    reason: str
    status: int | None
    delay: float
    attempt: int

    def message(self) -> str:
        return (
            f"Graph {self.operation} ({self.method} {self.path}): {self.reason}; "
            f"retrying in {self.delay:g}s (attempt {self.attempt + 1})"
        )


@dataclass
class GraphStats:
    """Counts per operation name: logical calls, HTTP requests (attempts), and waits."""

    calls: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    waits: Counter[str] = field(default_factory=Counter)
    waited_seconds: float = 0.0

    def merge(self, other: GraphStats) -> None:
        self.calls.update(other.calls)
        self.requests.update(other.requests)
        self.waits.update(other.waits)
        self.waited_seconds += other.waited_seconds


# Process-wide totals, so a test (or a bench) can see what provider methods cost without reaching into them.
_TOTALS = GraphStats()
_TOTALS_LOCK = threading.Lock()


def total_stats() -> GraphStats:
    """A copy of the process-wide counts since the last `reset_total_stats()`."""
    with _TOTALS_LOCK:
        copy = GraphStats()
        copy.merge(_TOTALS)
        return copy


def reset_total_stats() -> None:
    global _TOTALS
    with _TOTALS_LOCK:
        _TOTALS = GraphStats()


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret, and anything shaped like a bearer header or a JWT, with `[redacted]`."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _BEARER.sub(f"Bearer {REDACTED}", text)
    return _JWT.sub(REDACTED, text)


def _default_on_wait(event: WaitEvent) -> None:
    # Imported lazily: the client is usable (and testable) without a Pulumi engine; without one pulumi.log prints
    # to stderr, which the dynamic-provider host forwards to the engine's log.
    import pulumi

    pulumi.log.info(event.message())


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _segment(value: str) -> str:
    if not value or value in {".", ".."}:
        raise ValueError(f"invalid Graph id {value!r}")
    return quote(value, safe="")


# synchronizationJobRestartCriteria.resetScope, from microsoft-graph-docs-contrib api-reference/v1.0/resources/
# synchronization-synchronizationjobrestartcriteria.md: "Leaving this property empty emulates the Restart provisioning
# option in the Azure portal. It is similar to setting the resetScope to include QuarantineState, Watermark, and
# Escrows." We send those three by name (the restart page's own request example), so what Graph is asked to do is
# legible in every request log and does not hang on how the service reads an empty value. Never `Full` (it includes
# ForceDeletes, which pushes through the deletions the accidental-deletion threshold held back) and never
# `ConnectorDataStore` ("DO NOT USE. Contact Microsoft Support"). ForceDeletes is added only on an explicit request.
RESTART_SCOPE = "Watermark, Escrows, QuarantineState"
FORCE_DELETES_SCOPE = f"{RESTART_SCOPE}, ForceDeletes"


class _RequestDeadline(Exception):
    """One request's answer did not arrive in full within its deadline (a slow or trickling server)."""


class GraphClient:
    """Graph synchronization API calls for one service principal's jobs.

    `credential` is any azure-core style token source; `from_environment` picks one the way the azuread provider
    does. `fresh_principal=True` turns on the short replication retries (use it right after creation). `timeout` is
    httpx's per-operation timeout (connect, each read, each write); the policy's deadlines bound the whole.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_GRAPH_BASE_URL,
        *,
        credential: TokenSource,
        retry: RetryPolicy | None = None,
        on_wait: Callable[[WaitEvent], None] | None = None,
        fresh_principal: bool = False,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.fresh_principal = fresh_principal
        self.stats = GraphStats()
        self._credential = credential
        self._scope = scope_for(self.base_url)
        self._token: str | None = None
        self._token_expires = 0.0
        self._on_wait = on_wait or _default_on_wait
        self._sleep = sleep
        if timeout is None:
            timeout = httpx.Timeout(60.0, connect=10.0)
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._http = httpx.Client(
            timeout=self._timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "webex-scim-pulumi"},
            follow_redirects=False,
        )

    @classmethod
    def from_environment(
        cls,
        base_url: str | None = None,
        *,
        fresh_principal: bool = False,
        on_wait: Callable[[WaitEvent], None] | None = None,
        config: Mapping[str, str] | None = None,
    ) -> GraphClient:
        """A client whose credential and wait budget come from the environment (see components/graph/auth.py).

        `config`: the azuread provider's stack settings (`environment`, `tenantId`, …) when no engine hands them
        over in PULUMI_CONFIG (the simulation reads them from the stack file)."""
        url = (base_url or DEFAULT_GRAPH_BASE_URL).rstrip("/")
        return cls(
            url,
            credential=credential_from_environment(url, config=config),
            retry=RetryPolicy.from_environment(),
            on_wait=on_wait,
            fresh_principal=fresh_principal,
        )

    def __repr__(self) -> str:
        return f"GraphClient({self.base_url!r})"

    def __reduce__(self) -> Any:
        raise TypeError("a GraphClient holds a bearer token and must not be pickled")

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- the synchronization API ------------------------------------------------------------------------------

    def get_service_principal(self, sp_id: str) -> dict[str, Any]:
        """GET the service principal (with `fresh_principal`, a 404 while it replicates is retried)."""
        return self.call("getServicePrincipal", "GET", f"/servicePrincipals/{_segment(sp_id)}", expect_json=True)

    def list_templates(self, sp_id: str) -> list[dict[str, Any]]:
        return self.paged("listTemplates", f"/servicePrincipals/{_segment(sp_id)}/synchronization/templates")

    def list_jobs(self, sp_id: str) -> list[dict[str, Any]]:
        return self.paged("listJobs", f"/servicePrincipals/{_segment(sp_id)}/synchronization/jobs")

    def get_job(self, sp_id: str, job_id: str) -> dict[str, Any]:
        return self.call("getJob", "GET", self._job(sp_id, job_id), expect_json=True)

    def get_schema(self, sp_id: str, job_id: str) -> dict[str, Any]:
        return self.call("getSchema", "GET", f"{self._job(sp_id, job_id)}/schema", expect_json=True)

    def filter_operators(self, sp_id: str, job_id: str) -> list[dict[str, Any]]:
        """The scoping-filter operators this job's schema supports (filterOperatorSchema: name, arity, …)."""
        return self.paged("filterOperators", f"{self._job(sp_id, job_id)}/schema/filterOperators")

    def put_schema(self, sp_id: str, job_id: str, schema: dict[str, Any]) -> None:
        """One PUT of the complete document: Graph replaces the whole schema with it."""
        self.call("putSchema", "PUT", f"{self._job(sp_id, job_id)}/schema", body=schema)

    def delete_schema(self, sp_id: str, job_id: str) -> bool:
        """Reset the job's schema to the template default. False when the job no longer exists."""
        try:
            self.call("deleteSchema", "DELETE", f"{self._job(sp_id, job_id)}/schema", replication=frozenset())
        except GraphError as error:
            if error.status == 404:
                return False
            raise
        return True

    def parse_expression(self, sp_id: str, job_id: str, expression: str) -> dict[str, Any]:
        """Graph's own parse of a mapping expression: the attributeMappingSource (with parameters) to PUT."""
        path = f"{self._job(sp_id, job_id)}/schema/parseExpression"
        body = self.call("parseExpression", "POST", path, body={"expression": expression}, expect_json=True)
        parsed = body.get("parsedExpression")
        if not body.get("parsingSucceeded") or not isinstance(parsed, dict):
            error = body.get("error") or {}
            detail = error.get("message") if isinstance(error, dict) else str(error)
            raise GraphError(
                operation="parseExpression",
                method="POST",
                path=path,
                status=200,
                code="ParsingFailed",
                message=f"Graph could not parse expression {expression!r}: {detail or 'no detail given'}",
            )
        return parsed

    def validate_credentials(self, sp_id: str, job_id: str, base_address: str, token: str) -> None:
        """Ask Entra to test the tenant URL + Webex token. The token travels in this body only."""
        self.call(
            "validateCredentials",
            "POST",
            f"{self._job(sp_id, job_id)}/validateCredentials",
            body={
                "useSavedCredentials": False,
                "credentials": [{"key": BASE_ADDRESS, "value": base_address}, {"key": SECRET_TOKEN, "value": token}],
            },
            secrets=(token,),
            # A rejected token can come back as 403; only "job not found yet" is worth waiting for.
            replication=frozenset({404}),
        )

    def restart_job(self, sp_id: str, job_id: str, *, force_deletes: bool = False) -> str:
        """The portal's Restart provisioning; with `force_deletes`, also let through the deletions the
        accidental-deletion threshold held back. Returns the resetScope sent. Graph answers 204."""
        scope = FORCE_DELETES_SCOPE if force_deletes else RESTART_SCOPE
        self.call("restartJob", "POST", f"{self._job(sp_id, job_id)}/restart", body={"criteria": {"resetScope": scope}})
        return scope

    def start_job(self, sp_id: str, job_id: str) -> None:
        """Start (or resume) the job; a quarantined job leaves quarantine. Graph answers 204."""
        self.call("startJob", "POST", f"{self._job(sp_id, job_id)}/start")

    def pause_job(self, sp_id: str, job_id: str) -> None:
        """Pause the job (the portal's Provisioning Status Off); its progress is kept for the next start. 204."""
        self.call("pauseJob", "POST", f"{self._job(sp_id, job_id)}/pause")

    def provision_on_demand(
        self, sp_id: str, job_id: str, *, rule_id: str, object_id: str, object_type: str = "User"
    ) -> dict[str, Any]:
        """POST …/provisionOnDemand for one object; Graph's answer (a stringKeyStringValuePair whose `key` and
        `value` are JSON text). Rate limited to 5 requests per 10 s: a 429 waits its Retry-After like any other."""
        return self.call(
            "provisionOnDemand",
            "POST",
            f"{self._job(sp_id, job_id)}/provisionOnDemand",
            body={
                "parameters": [
                    {"ruleId": rule_id, "subjects": [{"objectId": object_id, "objectTypeName": object_type}]}
                ]
            },
            expect_json=True,
        )

    @staticmethod
    def _job(sp_id: str, job_id: str) -> str:
        return f"/servicePrincipals/{_segment(sp_id)}/synchronization/jobs/{_segment(job_id)}"

    def paged(self, operation: str, path: str) -> list[dict[str, Any]]:
        """Every item of a collection, following `@odata.nextLink` (only while it stays under `base_url`)."""
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            body = self.call(operation, "GET", path, expect_json=True)
            items += list(body.get("value") or [])
            link = body.get("@odata.nextLink")
            if not link:
                return items
            if link in seen:
                raise self._plain_error(operation, path, "NextLinkLoop", f"@odata.nextLink repeats itself: {link}")
            seen.add(link)
            path = self._relative(operation, path, str(link))
        raise self._plain_error(operation, path, "TooManyPages", f"more than {MAX_PAGES} pages; refusing to go on")

    def _relative(self, operation: str, path: str, link: str) -> str:
        # The bearer token goes to Graph only: a nextLink to anywhere else is refused, not followed.
        if not link.startswith(self.base_url + "/"):
            raise self._plain_error(
                operation,
                path,
                "ForeignNextLink",
                f"@odata.nextLink {redact(link, [])} is not under {self.base_url}; not followed",
            )
        return link[len(self.base_url) :]

    @staticmethod
    def _plain_error(operation: str, path: str, code: str, message: str) -> GraphError:
        return GraphError(operation=operation, method="GET", path=path, status=200, code=code, message=message)

    # -- transport --------------------------------------------------------------------------------------------

    def call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        secrets: Sequence[str] = (),
        replication: Collection[int] = REPLICATION_STATUSES,
        expect_json: bool = False,
    ) -> Any:
        """One logical call, retried within the policy. Returns the parsed JSON body (None when empty). With
        `expect_json`, a 2xx without a JSON object or array is an error, never an empty answer."""
        self._count("calls", operation)
        redactions = [s for s in secrets if s]
        started = time.monotonic()
        waited = 0.0
        attempt = 0
        replication_retries = 0
        refreshed = False
        content = json.dumps(body).encode() if body is not None else None
        while True:
            attempt += 1
            remaining = self.retry.deadline - (time.monotonic() - started)
            if remaining <= 0:
                raise GraphError(
                    operation=operation,
                    method=method,
                    path=path,
                    status=None,
                    code="Deadline",
                    message=f"the call's deadline of {self.retry.deadline:g}s passed",
                    attempts=attempt - 1,
                )
            self._count("requests", operation)
            try:
                response = self._send(
                    method,
                    self.base_url + path,
                    content,
                    self._headers(json_body=content is not None),
                    min(self.retry.request_deadline, remaining),
                )
            except (httpx.TransportError, _RequestDeadline) as exc:
                # Dropped, timed-out or trickling connections: nothing (or something) arrived; every call here is
                # idempotent in effect (GET/PUT/DELETE, POSTs that validate, start, pause or restart, and a
                # provisionOnDemand that finds nothing left to do), so retry.
                if isinstance(exc, _RequestDeadline):
                    reason = f"answer not complete within {exc.args[0]:g}s (slow or trickling server)"
                    code = "RequestDeadline"
                else:
                    reason = f"connection failed ({type(exc).__name__})"
                    code = type(exc).__name__
                delay = self.retry.backoff(attempt)
                if not self._may_wait(attempt, waited, delay, started):
                    raise GraphError(
                        operation=operation,
                        method=method,
                        path=path,
                        status=None,
                        code=code,
                        message=redact(f"{reason}: {exc}", [*redactions, self._token or ""])
                        + self._budget_text(reason),
                        attempts=attempt,
                    ) from None
                waited += self._wait(WaitEvent(operation, method, path, reason, None, delay, attempt))
                continue

            status = response.status_code
            if 300 <= status < 400:
                # Graph does not redirect API calls; a proxy, a login page or a wrong graphBaseUrl does. Following
                # it would send the bearer token elsewhere, and ignoring it would report a write that never happened.
                location = response.headers.get("Location") or "no Location header"
                raise GraphError(
                    operation=operation,
                    method=method,
                    path=path,
                    status=status,
                    code="Redirect",
                    message=redact(
                        f"Graph answered with a redirect to {location}; API calls are never redirected, so "
                        "nothing was done: check graphBaseUrl and any proxy in between",
                        [*redactions, self._token or ""],
                    ),
                    attempts=attempt,
                )
            if status < 300:
                return self._json(operation, method, path, response, attempt, expect_json)

            delay: float | None = None
            reason = f"HTTP {status}"
            if status == 401 and not refreshed:
                # An expired token mid-run: fetch a new one, no wait needed.
                refreshed = True
                self._token = None
                continue
            if status in (429, 503):
                after = _retry_after(response)
                delay = after if after is not None else self.retry.backoff(attempt)
                reason += f", Retry-After {after:g}s" if after is not None else ", no Retry-After"
            elif status >= 500:
                delay = self.retry.backoff(attempt)
            elif (
                self.fresh_principal and status in replication and replication_retries < self.retry.replication_attempts
            ):
                replication_retries += 1
                delay = self.retry.replication_backoff(replication_retries)
                reason += " right after the service principal was created (replication delay)"
            if delay is None or not self._may_wait(attempt, waited, delay, started):
                gave_up = reason if delay is not None else None
                raise self._error(operation, method, path, response, attempt, redactions, gave_up=gave_up)
            waited += self._wait(WaitEvent(operation, method, path, reason, status, delay, attempt))

    def _send(
        self, method: str, url: str, content: bytes | None, headers: dict[str, str], budget: float
    ) -> httpx.Response:
        """One request whose whole answer (headers and every body byte) must arrive within `budget` seconds.

        httpx's timeouts bound each read, so the body is streamed and the clock checked after every chunk; each
        read's own timeout is cut to the budget, so a silent server is caught by it and a trickling one by the clock.
        """
        cap = max(budget, 0.001)
        timeout = httpx.Timeout(
            connect=min(self._timeout.connect or cap, cap),
            read=min(self._timeout.read or cap, cap),
            write=min(self._timeout.write or cap, cap),
            pool=min(self._timeout.pool or cap, cap),
        )
        ends = time.monotonic() + budget
        request = self._http.build_request(method, url, content=content, headers=headers, timeout=timeout)
        response = self._http.send(request, stream=True)
        try:
            raw = bytearray()
            for chunk in response.iter_raw():
                raw += chunk
                if time.monotonic() > ends:
                    raise _RequestDeadline(budget)
        finally:
            response.close()
        # A complete response from the raw bytes: httpx decodes any Content-Encoding as it reads it back.
        return httpx.Response(response.status_code, headers=response.headers, content=bytes(raw), request=request)

    def _may_wait(self, attempt: int, waited: float, delay: float, started: float) -> bool:
        return (
            attempt < self.retry.max_attempts
            and waited + delay <= self.retry.max_total_wait
            and time.monotonic() - started + delay < self.retry.deadline
        )

    def _budget_text(self, reason: str) -> str:
        return (
            f" (gave up on {reason}: retry budget is {self.retry.max_attempts} attempts, "
            f"{self.retry.max_total_wait:g}s of waiting and a {self.retry.deadline:g}s deadline)"
        )

    def _wait(self, event: WaitEvent) -> float:
        self._count("waits", event.operation)
        self.stats.waited_seconds += event.delay
        with _TOTALS_LOCK:
            _TOTALS.waited_seconds += event.delay
        self._on_wait(event)
        if event.delay > 0:
            self._sleep(event.delay)
        return event.delay

    def _count(self, kind: str, operation: str) -> None:
        getattr(self.stats, kind)[operation] += 1
        with _TOTALS_LOCK:
            getattr(_TOTALS, kind)[operation] += 1

    def _headers(self, *, json_body: bool) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._bearer()}"}
        if json_body:
            headers["Content-Type"] = "application/json"
        return headers

    def _bearer(self) -> str:
        if self._token is None or time.time() > self._token_expires - 120:
            try:
                access = self._credential.get_token(self._scope)
            except Exception as exc:
                # azure-identity messages explain what to fix (az login, missing variables) and carry no token.
                raise GraphError(
                    operation="getToken",
                    method="TOKEN",
                    path=self._scope,
                    status=None,
                    code=type(exc).__name__,
                    message=f"could not get a Graph token with {describe_environment()}: {exc}",
                ) from None
            self._token = access.token
            self._token_expires = float(access.expires_on)
        return self._token

    def _json(
        self, operation: str, method: str, path: str, response: httpx.Response, attempts: int, expect_json: bool
    ) -> Any:
        parsed: Any = None
        if response.content:
            try:
                parsed = response.json()
            except ValueError:
                parsed = None
        if expect_json and not isinstance(parsed, (dict, list)):
            # A proxy's HTML page, or an empty 200, is not an answer: never read it as "nothing there".
            kind = response.headers.get("Content-Type") or "no Content-Type"
            raise GraphError(
                operation=operation,
                method=method,
                path=path,
                status=response.status_code,
                code="UnexpectedResponse",
                message=f"expected a JSON body, got {kind} ({len(response.content)} bytes); "
                "is graphBaseUrl Microsoft Graph, with no proxy page in between?",
                request_id=response.headers.get("request-id") or response.headers.get("client-request-id"),
                attempts=attempts,
            )
        return parsed

    def _error(
        self,
        operation: str,
        method: str,
        path: str,
        response: httpx.Response,
        attempts: int,
        secrets: Sequence[str],
        *,
        gave_up: str | None,
    ) -> GraphError:
        code: str | None = None
        message = response.reason_phrase or "error"
        try:
            error = response.json().get("error") or {}
            code = error.get("code") or None
            message = error.get("message") or message
        except (ValueError, AttributeError):
            text = response.text.strip()
            if text:
                message = text[:500]
        if gave_up:
            message += self._budget_text(gave_up)
        request_id = response.headers.get("request-id") or response.headers.get("client-request-id")
        return GraphError(
            operation=operation,
            method=method,
            path=path,
            status=response.status_code,
            code=redact(code, [*secrets, self._token or ""]) if code else None,
            message=redact(message, [*secrets, self._token or ""]),
            request_id=request_id,
            attempts=attempts,
        )
