"""What the rest of the project needs from the Graph client without importing it (and httpx) at preview time."""

from __future__ import annotations

DEFAULT_GRAPH_BASE_URL = "https://graph.microsoft.com/v1.0"


class GraphError(RuntimeError):
    """A Graph call that failed for good. The message is safe to print: secrets are redacted."""

    def __init__(
        self,
        *,
        operation: str,
        method: str,
        path: str,
        status: int | None,
        code: str | None,
        message: str,
        request_id: str | None = None,
        attempts: int = 1,
    ) -> None:
        self.operation = operation
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.graph_message = message
        self.request_id = request_id
        self.attempts = attempts
        where = f"Graph {operation} failed: {method} {path}"
        what = f"HTTP {status}" if status is not None else "no response"
        if code:
            what += f" {code}"
        tail = []
        if request_id:
            tail.append(f"request-id {request_id}")
        if attempts > 1:
            tail.append(f"after {attempts} attempts")
        suffix = f" ({', '.join(tail)})" if tail else ""
        super().__init__(f"{where} -> {what}: {message}{suffix}")
