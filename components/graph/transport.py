"""One Graph call at a time, with the retries Graph asks for: the transport under `GraphClient` (the synchronization
API, client.py) and `GraphReader` (GET only, reader.py).

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

A transport is built for a set of HTTP methods (`methods`): one built for GET alone refuses any other method before a
byte is sent, which is what makes a reader read-only by construction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Sequence
from typing import Any, Self
from urllib.parse import quote

import httpx

from components.graph.answers import error_answer, json_answer
from components.graph.auth import TokenSource, describe_environment, scope_for
from components.graph.errors import DEFAULT_GRAPH_BASE_URL, GraphError
from components.graph.retry import (
    GraphStats,
    RetryPolicy,
    WaitEvent,
    default_on_wait,
    record_total,
    record_total_wait,
    redact,
    retry_after,
)

# A listing longer than this many pages is a server bug or a nextLink loop: a Webex app's templates and jobs fit in
# one page, and a directory's users at 999 a page (the simulation's `--users graph`) in far fewer than this.
MAX_PAGES = 10_000

# Statuses that right after a service principal is created usually mean "not replicated yet", not "forbidden".
REPLICATION_STATUSES: frozenset[int] = frozenset({403, 404, 409})

ALL_METHODS: frozenset[str] = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
READ_ONLY: frozenset[str] = frozenset({"GET"})


def segment(value: str) -> str:
    """One path segment (an id), quoted; an empty, `.` or `..` id is refused rather than sent."""
    if not value or value in {".", ".."}:
        raise ValueError(f"invalid Graph id {value!r}")
    return quote(value, safe="")


def job_path(sp_id: str, job_id: str) -> str:
    return f"/servicePrincipals/{segment(sp_id)}/synchronization/jobs/{segment(job_id)}"


class _RequestDeadline(Exception):
    """One request's answer did not arrive in full within its deadline (a slow or trickling server)."""


class GraphTransport:
    """Calls to one Graph (`base_url`), signed with `credential` (any azure-core style token source) for
    `<Graph origin>/.default`, and only with the HTTP `methods` it was built for.

    `fresh_principal=True` turns on the short replication retries (use it right after creation). `timeout` is
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
        methods: Collection[str] = ALL_METHODS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.fresh_principal = fresh_principal
        self.stats = GraphStats()
        self._credential = credential
        self.methods = frozenset(methods)
        self._scope = scope_for(self.base_url)
        self._token: str | None = None
        self._token_expires = 0.0
        self._on_wait = on_wait or default_on_wait
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

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"

    def __reduce__(self) -> Any:
        raise TypeError(f"a {type(self).__name__} holds a bearer token and must not be pickled")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

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
            path = self.next_path(operation, path, str(link))
        raise self._plain_error(operation, path, "TooManyPages", f"more than {MAX_PAGES} pages; refusing to go on")

    def next_path(self, operation: str, path: str, link: str) -> str:
        """The path of an `@odata.nextLink` under `base_url`; any other link is refused, never followed."""
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
        `expect_json`, a 2xx without a JSON object or array is an error, never an empty answer. A method this
        transport was not built for raises PermissionError before anything is sent."""
        if method not in self.methods:
            raise PermissionError(
                f"Graph {operation}: {method} {path} refused: this {type(self).__name__} may only send "
                f"{', '.join(sorted(self.methods))}"
            )
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
                return json_answer(operation, method, path, response, attempt, expect_json)

            delay: float | None = None
            reason = f"HTTP {status}"
            if status == 401 and not refreshed:
                # An expired token mid-run: fetch a new one, no wait needed.
                refreshed = True
                self._token = None
                continue
            if status in (429, 503):
                after = retry_after(response)
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
                budget = self._budget_text(reason) if delay is not None else ""
                secrets = [*redactions, self._token or ""]
                raise error_answer(operation, method, path, response, attempt, secrets, budget=budget)
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
        record_total_wait(event.delay)
        self._on_wait(event)
        if event.delay > 0:
            self._sleep(event.delay)
        return event.delay

    def _count(self, kind: str, operation: str) -> None:
        getattr(self.stats, kind)[operation] += 1
        record_total(kind, operation)

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
