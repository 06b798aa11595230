"""A fault-injecting WSGI wrapper for the SCIM test servers (scim_peer.py, webex_org.py): answers a request with a
chosen status, headers and body instead of the server, holds an answer back, or rewrites the server's own; and
records every request that arrives (method, path, query, when), so a test sees what reached the server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

Environ = dict[str, Any]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    at: float  # time.monotonic() on arrival
    authorization: str | None


@dataclass
class Fault:
    when: Callable[[Request], bool]
    status: int = 0  # 0: the server answers (after `delay`, through `rewrite`)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # a dict (sent as JSON), bytes or str
    times: int = 1  # how many matching requests it takes; -1: every one
    delay: float = 0.0  # seconds held before answering
    rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # edits the server's JSON answer


class Faults:
    def __init__(self) -> None:
        self.rules: list[Fault] = []
        self.requests: list[Request] = []
        self._lock = threading.Lock()

    def add(self, when: Callable[[Request], bool], **kwargs: Any) -> Fault:
        fault = Fault(when, **kwargs)
        self.rules.append(fault)
        return fault

    def _take(self, request: Request) -> Fault | None:
        with self._lock:
            for rule in self.rules:
                if rule.times != 0 and rule.when(request):
                    rule.times -= 1 if rule.times > 0 else 0
                    return rule
        return None

    def wrap(self, app: Callable[..., Any]) -> Callable[..., Any]:
        def faulty(environ: Environ, start_response: Callable[..., Any]) -> Any:
            query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            request = Request(
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO", ""),
                query,
                time.monotonic(),
                environ.get("HTTP_AUTHORIZATION"),
            )
            with self._lock:
                self.requests.append(request)
            rule = self._take(request)
            if rule is None:
                return app(environ, start_response)
            if rule.delay:
                time.sleep(rule.delay)
            if rule.status:
                body = rule.body
                if isinstance(body, dict):
                    body = json.dumps(body).encode()
                elif isinstance(body, str):
                    body = body.encode()
                body = body or b""
                headers = {"Content-Type": "application/scim+json", **rule.headers}
                start_response(f"{rule.status} Fault", [*headers.items(), ("Content-Length", str(len(body)))])
                return [body]
            if rule.rewrite is None:
                return app(environ, start_response)
            captured: dict[str, Any] = {}

            def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
                captured["status"], captured["headers"] = status, headers

            raw = b"".join(app(environ, keep))
            body = json.dumps(rule.rewrite(json.loads(raw))).encode()
            headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
            start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
            return [body]

        return faulty

    def methods(self) -> list[str]:
        return [r.method for r in self.requests]


def on(method: str = "GET", path: str | None = None, **query: str) -> Callable[[Request], bool]:
    """A request matcher: this method, this path (or any), and these query parameters containing these texts."""

    def match(request: Request) -> bool:
        return (
            request.method == method
            and (path is None or request.path.endswith(path))
            and all(text in request.query.get(name, "") for name, text in query.items())
        )

    return match
