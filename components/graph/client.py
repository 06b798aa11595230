"""A small synchronous Microsoft Graph client for the synchronization API, with the retries Graph asks for.

What it does on a failed attempt (all bounded by `RetryPolicy`, in attempts and in total seconds waited):

* 429 / 503: wait what `Retry-After` says (exponential backoff when absent), keep honouring it;
* other 5xx and dropped or timed-out connections: exponential backoff;
* 403 / 404 / 409 on a client made for a *fresh* service principal: a few short waits, because a principal created
  seconds ago is not yet visible to every Graph replica (terraform-provider-azuread does the same);
* 401 once: fetch a new token and try again (it may have expired mid-run).

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
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from components.graph.auth import TokenSource, credential_from_environment, describe_environment, scope_for
from components.graph.errors import DEFAULT_GRAPH_BASE_URL, GraphError

MAX_WAIT_ENV = "WEBEX_SCIM_GRAPH_MAX_WAIT"
BACKOFF_ENV = "WEBEX_SCIM_GRAPH_BACKOFF_BASE"
REDACTED = "[redacted]"

# Statuses that right after a service principal is created usually mean "not replicated yet", not "forbidden".
REPLICATION_STATUSES: frozenset[int] = frozenset({403, 404, 409})

_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]+=*")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying. `max_total_wait` caps the seconds slept per call; lower it in tests."""

    max_attempts: int = 8
    max_total_wait: float = 300.0
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
        backoff step (seconds) for both exponential and replication backoff. `Retry-After` is always honoured."""
        overrides: dict[str, float] = {}
        for name, keys in ((MAX_WAIT_ENV, ("max_total_wait",)), (BACKOFF_ENV, ("backoff_base", "replication_base"))):
            raw = os.environ.get(name)
            if not raw:
                continue
            try:
                value = max(0.0, float(raw))
            except ValueError:
                raise ValueError(f"{name}={raw!r} is not a number of seconds") from None
            overrides.update(dict.fromkeys(keys, value))
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


class GraphClient:
    """Graph synchronization API calls for one service principal's jobs.

    `credential` is any azure-core style token source; `from_environment` picks one the way the azuread provider
    does. `fresh_principal=True` turns on the short replication retries (use it right after creation).
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
        self._http = httpx.Client(
            timeout=timeout if timeout is not None else httpx.Timeout(60.0, connect=10.0),
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
    ) -> GraphClient:
        """A client whose credential and wait budget come from the environment (see components/graph/auth.py)."""
        url = (base_url or DEFAULT_GRAPH_BASE_URL).rstrip("/")
        return cls(
            url,
            credential=credential_from_environment(url),
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

    def list_templates(self, sp_id: str) -> list[dict[str, Any]]:
        body = self.call("listTemplates", "GET", f"/servicePrincipals/{_segment(sp_id)}/synchronization/templates")
        return list((body or {}).get("value") or [])

    def list_jobs(self, sp_id: str) -> list[dict[str, Any]]:
        body = self.call("listJobs", "GET", f"/servicePrincipals/{_segment(sp_id)}/synchronization/jobs")
        return list((body or {}).get("value") or [])

    def get_job(self, sp_id: str, job_id: str) -> dict[str, Any]:
        return self.call("getJob", "GET", self._job(sp_id, job_id)) or {}

    def get_schema(self, sp_id: str, job_id: str) -> dict[str, Any]:
        return self.call("getSchema", "GET", f"{self._job(sp_id, job_id)}/schema") or {}

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
        body = self.call("parseExpression", "POST", path, body={"expression": expression}) or {}
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
                "credentials": [{"key": "BaseAddress", "value": base_address}, {"key": "SecretToken", "value": token}],
            },
            secrets=(token,),
            # A rejected token can come back as 403; only "job not found yet" is worth waiting for.
            replication=frozenset({404}),
        )

    def restart_job(self, sp_id: str, job_id: str, reset_scope: str = "Full") -> None:
        self.call(
            "restartJob", "POST", f"{self._job(sp_id, job_id)}/restart", body={"criteria": {"resetScope": reset_scope}}
        )

    def start_job(self, sp_id: str, job_id: str) -> None:
        """Start (or resume) the job; a quarantined job leaves quarantine. Graph answers 204."""
        self.call("startJob", "POST", f"{self._job(sp_id, job_id)}/start")

    def pause_job(self, sp_id: str, job_id: str) -> None:
        """Pause the job (the portal's Provisioning Status Off); its progress is kept for the next start. 204."""
        self.call("pauseJob", "POST", f"{self._job(sp_id, job_id)}/pause")

    @staticmethod
    def _job(sp_id: str, job_id: str) -> str:
        return f"/servicePrincipals/{_segment(sp_id)}/synchronization/jobs/{_segment(job_id)}"

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
    ) -> Any:
        """One logical call, retried within the policy. Returns the parsed JSON body (None when empty)."""
        self._count("calls", operation)
        redactions = [s for s in secrets if s]
        waited = 0.0
        attempt = 0
        replication_retries = 0
        refreshed = False
        content = json.dumps(body).encode() if body is not None else None
        while True:
            attempt += 1
            self._count("requests", operation)
            try:
                response = self._http.request(
                    method,
                    self.base_url + path,
                    content=content,
                    headers=self._headers(json_body=content is not None),
                )
            except httpx.TransportError as exc:
                # Dropped or timed-out connections: nothing (or something) arrived; every call here is
                # idempotent (GET/PUT/DELETE, and POSTs that only validate, start, pause or restart), so retry.
                reason = f"connection failed ({type(exc).__name__})"
                delay = self.retry.backoff(attempt)
                if not self._may_wait(attempt, waited, delay):
                    raise GraphError(
                        operation=operation,
                        method=method,
                        path=path,
                        status=None,
                        code=type(exc).__name__,
                        message=redact(f"{reason}: {exc}", [*redactions, self._token or ""]),
                        attempts=attempt,
                    ) from None
                waited += self._wait(WaitEvent(operation, method, path, reason, None, delay, attempt))
                continue

            status = response.status_code
            if status < 400:
                return self._json(response)

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
            if delay is None or not self._may_wait(attempt, waited, delay):
                gave_up = reason if delay is not None else None
                raise self._error(operation, method, path, response, attempt, redactions, gave_up=gave_up)
            waited += self._wait(WaitEvent(operation, method, path, reason, status, delay, attempt))

    def _may_wait(self, attempt: int, waited: float, delay: float) -> bool:
        return attempt < self.retry.max_attempts and waited + delay <= self.retry.max_total_wait

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

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return None

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
            message += (
                f" (gave up on {gave_up}: retry budget is {self.retry.max_attempts} attempts and "
                f"{self.retry.max_total_wait:g}s of waiting)"
            )
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
