"""A Webex org as its SCIM 2 API shows it to a reader, on 127.0.0.1: a small, fast WSGI fake for what scim2-server
cannot hold or serve fast enough.

scim2-server is the tests' real SCIM server (scim_peer.py), but it refuses two users whose userName differs only in
case (409 uniqueness), so it cannot show Entra's DuplicateTargetEntries, and it parses every user through
scim2-models, too slow to serve 20,000 users to a benchmark fairly. This fake holds users as raw JSON (Webex's
documented user, with accountStatus and its arrays, is served as Webex writes it) and answers what `match` reads,
as Webex documents it (tests/reference, "Search users"): `GET /v2/Users` with `filter` = `userName eq`, `emails.value
eq` or `id eq` (attribute names and values without case, as Webex declares them caseExact: false), or no filter for
every user, `sortBy` id or userName, `startIndex` (1-based) and `count` (capped at `max_page`), answered as a
ListResponse in `application/json`. Anything else is 400 invalidFilter; another method is 405; a request without the
bearer token is 401. It counts the requests in flight at once (`max_in_flight`).

`python -m tests.webex_org --org FILE [--port 8765] [--token demo-token]` serves a JSON list of users until Ctrl-C
(`make match-demo` serves docs/match-demo/webex-org.json: the example of docs/match.md).
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from tests.loopback import LoopbackServer
from tests.scim_faults import Faults

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
_FILTER = re.compile(r'^\s*(userName|emails\.value|id)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)


class _Server(ThreadingHTTPServer, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def _error(start_response: Callable[..., Any], status: int, detail: str, scim_type: str | None = None) -> list[bytes]:
    body = {"schemas": [ERROR], "status": str(status), "detail": detail, "scimType": scim_type}
    data = json.dumps({k: v for k, v in body.items() if v is not None}).encode()
    start_response(f"{status} Error", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class WebexOrg(LoopbackServer):
    """`with WebexOrg(token, users) as org:` then `org.base_url` (…/v2), `org.max_in_flight`."""

    def __init__(
        self,
        token: str,
        users: list[dict[str, Any]],
        *,
        faults: Faults | None = None,
        max_page: int = 1000,
        latency: float = 0.0,
        port: int = 0,
    ) -> None:
        self.token = token
        self.users = sorted(users, key=lambda u: str(u["id"]))
        self.max_page = max_page
        self.latency = latency
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self.by_name: dict[str, list[dict[str, Any]]] = {}
        self.by_email: dict[str, list[dict[str, Any]]] = {}
        self.by_id = {str(u["id"]).casefold(): [u] for u in self.users}
        for user in self.users:
            self.by_name.setdefault(str(user["userName"]).casefold(), []).append(user)
            for email in user.get("emails") or []:
                self.by_email.setdefault(str(email.get("value", "")).casefold(), []).append(user)
        app = faults.wrap(self._app) if faults is not None else self._app
        server = make_server("127.0.0.1", port, app, server_class=_Server, handler_class=_Quiet)
        super().__init__(server, "webex-org")

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v2"

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            return self._answer(environ, start_response)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.token}":
            return _error(start_response, 401, "The request requires a valid access token.")
        if environ.get("PATH_INFO") != "/v2/Users":
            return _error(start_response, 404, "Resource not found.")
        if environ["REQUEST_METHOD"] != "GET":
            return _error(start_response, 405, f"{environ['REQUEST_METHOD']} is not allowed here.")
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        found = self.users
        if query.get("filter"):
            match = _FILTER.match(query["filter"])
            if not match:
                return _error(start_response, 400, f"Unsupported filter: {query['filter']}", "invalidFilter")
            attribute, value = match[1].lower(), re.sub(r"\\(.)", r"\1", match[2]).casefold()
            table = {"username": self.by_name, "emails.value": self.by_email, "id": self.by_id}[attribute]
            found = table.get(value, [])
        if query.get("sortBy", "id").lower() == "username":
            found = sorted(found, key=lambda u: str(u["userName"]).casefold())
        try:
            start = max(1, int(query.get("startIndex", "1")))
            count = max(0, min(self.max_page, int(query.get("count", "100"))))
        except ValueError:
            return _error(start_response, 400, "startIndex and count are integers.", "invalidValue")
        resources = found[start - 1 : start - 1 + count]
        doc = {
            "schemas": [LIST_RESPONSE],
            "totalResults": len(found),
            "itemsPerPage": len(resources),
            "startIndex": start,
            "Resources": resources,
        }
        data = json.dumps(doc).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.webex_org", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--org", type=Path, required=True, help="a JSON list of Webex users, as Webex returns them")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default="demo-token", help="the bearer token it accepts (default demo-token)")
    args = parser.parse_args()
    users = json.loads(args.org.read_text(encoding="utf-8"))
    with WebexOrg(args.token, users, port=args.port) as org:
        print(f"A Webex org of {len(users)} users on {org.base_url} (token: {args.token}); Ctrl-C stops it", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
