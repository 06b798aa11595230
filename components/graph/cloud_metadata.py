"""The cloud a metadata host describes: what the azuread provider does with `azuread:metadataHost` /
`ARM_METADATA_HOSTNAME`, done the same way for this project's own Graph calls.

The provider fetches `https://<host>/metadata/endpoints?api-version=2022-09-01` and takes every endpoint from the
answer, ignoring `environment` (hashicorp/terraform-provider-azuread internal/provider/provider.go:
`environments.FromEndpoint(ctx, "https://"+metadataHost)`; hashicorp/go-azure-sdk sdk/environments/from_endpoint.go
and sdk/internal/metadata/client.go). From that document, Microsoft Graph is `microsoftGraphResourceId` (its token
scope `<id>/.default`) and sign-in is `authentication.loginEndpoint`. A document without either, or a host that does
not answer, is refused with one message naming the setting: never a silent fall back to the public cloud.

Over https only; `http://` is used for a loopback host, as go-azure-sdk's metadata client did for `localhost` and
`127.*`, so tests can serve the document on 127.0.0.1.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from components.graph.auth_settings import CredentialError

METADATA_API_VERSION = "2022-09-01"
FETCH_TIMEOUT = 30.0
MAX_DOCUMENT_BYTES = 1024 * 1024


@dataclass(frozen=True)
class MetadataCloud:
    """Where the metadata host says Microsoft Graph and sign-in are."""

    name: str
    graph_resource: str  # microsoftGraphResourceId, e.g. https://graph.microsoft.com/
    login_host: str  # authentication.loginEndpoint's host[:port], e.g. login.microsoftonline.com

    @property
    def graph_origin(self) -> str:
        parts = urlsplit(self.graph_resource)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def graph_url(self) -> str:
        """The v1.0 Graph URL to set as `webex-scim:graphBaseUrl`."""
        return f"{self.graph_origin}/v1.0"


def _loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name == "localhost" or name.startswith("127.")


def metadata_url(host: str) -> str:
    scheme = "http" if _loopback(host) else "https"
    return f"{scheme}://{host}/metadata/endpoints?api-version={METADATA_API_VERSION}"


_CACHE: dict[str, MetadataCloud] = {}
_LOCK = threading.Lock()


def cloud_from_metadata(host: str, setting: str, *, transport: httpx.BaseTransport | None = None) -> MetadataCloud:
    """The cloud `host` describes (fetched once per process); CredentialError naming `setting` when it cannot tell."""
    host = host.strip().removeprefix("https://").rstrip("/")
    with _LOCK:
        if host in _CACHE:
            return _CACHE[host]
    url = metadata_url(host)

    def refuse(why: str) -> CredentialError:
        return CredentialError(
            f"{setting}={host!r}: {why} ({url}). Set it as for the azuread provider, to the host that serves the "
            "cloud's /metadata/endpoints (e.g. management.azure.com), or unset it for the named `environment`"
        )

    if not host or "/" in host or "@" in host:
        raise refuse("is not a host name")
    try:
        with httpx.Client(transport=transport, timeout=FETCH_TIMEOUT, follow_redirects=False) as client:
            response = client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise refuse(f"the cloud's endpoints could not be read ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise refuse(f"the metadata endpoint answered HTTP {response.status_code}, not the cloud's endpoints")
    if len(response.content) > MAX_DOCUMENT_BYTES:
        raise refuse("the metadata endpoint answered with more than 1 MB")
    try:
        document = response.json()
    except ValueError:
        raise refuse("the metadata endpoint did not answer with JSON") from None
    if isinstance(document, list) and len(document) == 1:  # older api-versions answer a one-element array
        document = document[0]
    if not isinstance(document, dict):
        raise refuse("the metadata document is not a JSON object")
    graph = document.get("microsoftGraphResourceId")
    login = (
        (document.get("authentication") or {}).get("loginEndpoint")
        if isinstance(document.get("authentication"), dict)
        else None
    )
    for key, value in (("microsoftGraphResourceId", graph), ("authentication.loginEndpoint", login)):
        parts = urlsplit(value) if isinstance(value, str) else None
        if parts is None or parts.scheme not in ("https", "http") or not parts.netloc:
            raise refuse(f"the metadata document has no URL in `{key}`, so Microsoft Graph cannot be located")
    cloud = MetadataCloud(
        name=str(document.get("name") or host), graph_resource=str(graph), login_host=urlsplit(str(login)).netloc
    )
    with _LOCK:
        _CACHE[host] = cloud
    return cloud


def check_graph_url(graph_base_url: str, cloud: MetadataCloud, setting: str, host: str) -> None:
    """The program must talk to the Graph the metadata names, or say how to make it."""
    parts = urlsplit(graph_base_url)
    if f"{parts.scheme}://{parts.netloc}" != cloud.graph_origin:
        raise CredentialError(
            f"{setting}={host!r} says Microsoft Graph is at {cloud.graph_origin} (cloud {cloud.name}), but the "
            f"program's Graph calls would go to {graph_base_url}, another Graph than the azuread provider's. Set "
            f"`pulumi config set webex-scim:graphBaseUrl {cloud.graph_url}`"
        )
