"""What a Graph answer means once it has arrived: the JSON document it carries, or the GraphError it is (with
Graph's own error code and message, and nothing secret in it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from components.graph.errors import GraphError
from components.graph.retry import redact


def request_id(response: httpx.Response) -> str | None:
    return response.headers.get("request-id") or response.headers.get("client-request-id")


def json_answer(
    operation: str, method: str, path: str, response: httpx.Response, attempts: int, expect_json: bool
) -> Any:
    """The parsed body of a 2xx answer (None when empty). With `expect_json`, a body that is not a JSON object or
    array is an error: a proxy's HTML page, or an empty 200, is never read as "nothing there"."""
    parsed: Any = None
    if response.content:
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
    if expect_json and not isinstance(parsed, (dict, list)):
        kind = response.headers.get("Content-Type") or "no Content-Type"
        raise GraphError(
            operation=operation,
            method=method,
            path=path,
            status=response.status_code,
            code="UnexpectedResponse",
            message=f"expected a JSON body, got {kind} ({len(response.content)} bytes); "
            "is graphBaseUrl Microsoft Graph, with no proxy page in between?",
            request_id=request_id(response),
            attempts=attempts,
        )
    return parsed


def error_answer(
    operation: str,
    method: str,
    path: str,
    response: httpx.Response,
    attempts: int,
    secrets: Sequence[str],
    *,
    budget: str = "",
) -> GraphError:
    """The GraphError a failed answer is: Graph's `error.code` and `error.message` (else the body's first 500
    characters), `budget` (why no retry is left) appended, every secret and bearer-shaped text redacted."""
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
    return GraphError(
        operation=operation,
        method=method,
        path=path,
        status=response.status_code,
        code=redact(code, secrets) if code else None,
        message=redact(message + budget, secrets),
        request_id=request_id(response),
        attempts=attempts,
    )
