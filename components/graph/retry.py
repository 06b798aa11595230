"""The retry budget of a Graph call and what it reports: bounds (`RetryPolicy`), waits (`WaitEvent`), counts
(`GraphStats`, per client and process-wide), `Retry-After` as Graph sends it, and redaction of anything secret.
"""

from __future__ import annotations

import email.utils
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx

MAX_WAIT_ENV = "WEBEX_SCIM_GRAPH_MAX_WAIT"
BACKOFF_ENV = "WEBEX_SCIM_GRAPH_BACKOFF_BASE"
DEADLINE_ENV = "WEBEX_SCIM_GRAPH_DEADLINE"
REDACTED = "[redacted]"

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


def default_on_wait(event: WaitEvent) -> None:
    # Imported lazily: the client is usable (and testable) without a Pulumi engine; without one pulumi.log prints
    # to stderr, which the dynamic-provider host forwards to the engine's log.
    import pulumi

    pulumi.log.info(event.message())


def retry_after(response: httpx.Response) -> float | None:
    """The seconds an answer's `Retry-After` asks for (RFC 9110: a number of seconds or an HTTP date), if any; the
    Graph client and the SCIM client both read it here."""
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


def record_total(kind: str, operation: str) -> None:
    """Count one call, request or wait (`kind`) of `operation` in the process-wide totals."""
    with _TOTALS_LOCK:
        getattr(_TOTALS, kind)[operation] += 1


def record_total_wait(seconds: float) -> None:
    with _TOTALS_LOCK:
        _TOTALS.waited_seconds += seconds
