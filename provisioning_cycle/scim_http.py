"""The HTTP client the replay and `match` talk to a SCIM server with: the bearer token, bounded retries, a deadline,
and for `match` a guarantee that nothing but GET ever leaves.

* Only https, or http to a loopback address (`check_url`): a bearer token never crosses a network in clear.
* The token is sent in the Authorization header only and never printed, written or raised: `safe` takes it out of
  any text a server's answer shapes.
* 429 and 503 (and for `match` Webex's 423 Locked) are retried, waiting what `Retry-After` says (seconds or an HTTP
  date), capped at `Retries.cap` seconds a wait; without the header, 1, 2, 4… seconds. At most `Retries.attempts`
  tries a request, and never a wait past the deadline: then the last answer is the caller's to report. (Webex
  documents 429 with a `Retry-After` that "should be present", and 423 and 503; its rate limits are unpublished.)
* A deadline (`time.monotonic()` value) bounds every request too: a server that holds an answer is cut off there.
* `read_only=True`: a transport that refuses any method but GET before anything is sent (`NotReadOnly`). `match`
  is read-only by construction, not by care: no code path of it can write to a Webex org.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from components.graph.retry import retry_after  # RFC 9110's Retry-After (seconds or a date), one parser
from webex_scim.errors import UsageError

REDACTED = "[redacted]"
SCIM_JSON = "application/scim+json"


class NotReadOnly(RuntimeError):
    """A request other than GET reached a read-only client: refused before it was sent."""


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, flag: str = "--scim-url") -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(f"{flag} {url!r}: not an http(s) URL of a SCIM 2.0 base (e.g. https://scim.example/v2)")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise UsageError(
            f"{flag} {url}: http sends the bearer token in clear; use https (http is accepted on loopback only)"
        )


@dataclass(frozen=True)
class Retries:
    statuses: frozenset[int] = frozenset({429, 503})
    attempts: int = 4  # tries per request, the first included
    cap: float = 60.0  # the longest wait honoured (a longer Retry-After is cut to this)
    backoff: float = 1.0  # the first wait when the answer says nothing


@dataclass
class Stats:
    """What was sent (per method, retries included) and waited, shared by the client's threads."""

    requests: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    waited: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class _Transport(httpx.BaseTransport):
    def __init__(
        self, inner: httpx.BaseTransport, client: ScimHttp, read_only: bool, retries: Retries, timeout: float
    ) -> None:
        self.inner, self.client, self.read_only, self.retries, self.timeout = inner, client, read_only, retries, timeout

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.read_only and request.method != "GET":
            raise NotReadOnly(f"{request.method} {request.url.path}: this client only reads (GET)")
        attempt = 0
        while True:
            attempt += 1
            left = self.client.seconds_left()
            if left is not None and left <= 0:
                raise httpx.TimeoutException("the deadline passed before the request was sent", request=request)
            wait = self.timeout if left is None else min(self.timeout, left)
            request.extensions["timeout"] = {"connect": wait, "read": wait, "write": wait, "pool": wait}
            with self.client.stats.lock:
                self.client.stats.requests[request.method] += 1
            response = self.inner.handle_request(request)
            if response.status_code not in self.retries.statuses or attempt >= self.retries.attempts:
                return response
            after = retry_after(response)
            delay = min(self.retries.cap, after if after is not None else self.retries.backoff * 2 ** (attempt - 1))
            left = self.client.seconds_left()
            if left is not None and delay >= left:
                return response  # a wait past the deadline: the answer is the caller's to report
            response.read()
            response.close()
            with self.client.stats.lock:
                self.client.stats.retries += 1
                self.client.stats.waited += delay
            if self.client.stopped.wait(delay):
                raise httpx.TimeoutException("stopped while waiting to retry", request=request)

    def close(self) -> None:
        self.inner.close()


class ScimHttp:
    """`with ScimHttp(url, token) as scim: scim.http.get("/Users", params=…)`; `scim.safe(text)` redacts."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        read_only: bool = False,
        retries: Retries | None = None,
        deadline: float | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        connections: int = 10,
    ) -> None:
        self.token = token
        self.deadline = deadline
        self.stats = Stats()
        self.stopped = threading.Event()
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        inner = transport or httpx.HTTPTransport(limits=limits)
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": SCIM_JSON, "Content-Type": SCIM_JSON},
            follow_redirects=False,
            transport=_Transport(inner, self, read_only, retries or Retries(), timeout),
        )

    def seconds_left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def safe(self, text: str) -> str:
        return text.replace(self.token, REDACTED) if self.token else text

    def error(self, what: str, response: httpx.Response) -> str:
        """`what answered 429 (detail)`, from a SCIM error body or the first characters of any other; redacted."""
        try:
            body = response.json()
            detail = (body.get("detail") or body.get("scimType") or "") if isinstance(body, dict) else ""
        except ValueError:
            detail = response.text[:200].strip()
        after = response.headers.get("Retry-After") if response.status_code in (423, 429, 503) else None
        detail = "; ".join(d for d in (detail, f"Retry-After: {after}" if after else "") if d)
        return self.safe(f"{what} answered {response.status_code}" + (f" ({detail})" if detail else ""))

    def close(self) -> None:
        self.stopped.set()
        self.http.close()

    def __enter__(self) -> ScimHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> Any:  # never pickled with its token
        raise TypeError("a SCIM client holds a bearer token and is not pickled")
