"""What the rest of the project needs from the Graph client without importing it (and httpx) at preview time."""

from __future__ import annotations

import os
from typing import NamedTuple
from urllib.parse import urlsplit

DEFAULT_GRAPH_BASE_URL = "https://graph.microsoft.com/v1.0"


class Cloud(NamedTuple):
    graph_url: str
    login_host: str


# The azuread provider's `environment` (ARM_ENVIRONMENT) names -> Microsoft Graph and Entra login hosts, as
# go-azure-sdk defines them (sdk/environments/from_name.go, azure_public.go, azure_gov.go, azure_china.go,
# azure_public_canary.go, vendored in terraform-provider-azuread).
_PUBLIC = Cloud(DEFAULT_GRAPH_BASE_URL, "login.microsoftonline.com")
_US_GOV = Cloud("https://graph.microsoft.us/v1.0", "login.microsoftonline.us")
_US_GOV_L5 = Cloud("https://dod-graph.microsoft.us/v1.0", "login.microsoftonline.us")
_CHINA = Cloud("https://microsoftgraph.chinacloudapi.cn/v1.0", "login.chinacloudapi.cn")
CLOUDS: dict[str, Cloud] = {
    "global": _PUBLIC,
    "public": _PUBLIC,
    "usgovernment": _US_GOV,
    "usgovernmentl4": _US_GOV,
    "usgovernmentl5": _US_GOV_L5,
    "dod": _US_GOV_L5,
    "china": _CHINA,
    "canary": Cloud("https://canary.graph.microsoft.com/v1.0", "login.microsoftonline.com"),
}


def default_graph_base_url(environment: str | None) -> str:
    """The Graph URL of the azuread provider's `environment` (unset: the public cloud); unknown names: public, the
    credential then fails naming the bad value."""
    return CLOUDS.get((environment or "global").strip().lower(), _PUBLIC).graph_url


def graph_url_for(configured: str | None, environment: str | None) -> str:
    """The Graph the program talks to: `webex-scim:graphBaseUrl` when the stack sets it; otherwise Microsoft Graph of
    the cloud the azuread provider uses: its `azuread:environment` config, else `ARM_ENVIRONMENT` (the provider's own
    precedence), else the public cloud. The program, and the simulation reading Graph, both ask here."""
    if configured:
        return configured
    return default_graph_base_url(environment or os.environ.get("ARM_ENVIRONMENT"))


def cloud_for_graph_url(url: str) -> Cloud | None:
    """The cloud whose Graph host `url` is on, if it is one of them."""
    host = urlsplit(url).hostname
    return next((cloud for cloud in CLOUDS.values() if urlsplit(cloud.graph_url).hostname == host), None)


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
