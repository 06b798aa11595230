"""Bearer tokens for Microsoft Graph, from the same environment the azuread provider reads.

Dynamic-resource providers are pickled into the stack state, so they hold no credential: each provider method builds
its client from the environment of the process it runs in (the Pulumi dynamic-provider host inherits `pulumi up`'s
environment). The order mirrors the azuread provider:

| environment | credential |
|---|---|
| `WEBEX_SCIM_TEST_GRAPH_TOKEN` (loopback Graph URLs only) | that fixed token, no azure-identity |
| `ARM_USE_OIDC=true` (or `ARM_OIDC_TOKEN` / `ARM_OIDC_TOKEN_FILE_PATH` without a secret) | ClientAssertionCredential |
| `ARM_CLIENT_SECRET` | ClientSecretCredential |
| `ARM_CLIENT_CERTIFICATE_PATH` (+ `ARM_CLIENT_CERTIFICATE_PASSWORD`) | CertificateCredential |
| `ARM_USE_MSI=true` | ManagedIdentityCredential |
| otherwise | AzureCliCredential (`az login`) |

`ARM_TENANT_ID` and `ARM_CLIENT_ID` go with the first four; `ARM_ENVIRONMENT` (usgovernment, china) picks the
national-cloud login host. The OIDC assertion comes from `ARM_OIDC_TOKEN`, the file at `ARM_OIDC_TOKEN_FILE_PATH`,
or GitHub Actions' request endpoint (`ARM_OIDC_REQUEST_URL`/`_TOKEN`, else `ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN`).

The test token variable exists so a test can drive a provider in a clean subprocess exactly as the provider host
would (environment only). It is refused for any Graph URL that is not loopback, so a stray export can never send
a made-up token, or anything else, to a real tenant.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlsplit

import httpx

TEST_TOKEN_ENV = "WEBEX_SCIM_TEST_GRAPH_TOKEN"
OIDC_AUDIENCE = "api://AzureADTokenExchange"

# ARM_ENVIRONMENT values (azuread's `environment`) -> Entra login host for azure-identity's `authority`.
_AUTHORITY_HOSTS: dict[str, str] = {
    "global": "login.microsoftonline.com",
    "public": "login.microsoftonline.com",
    "usgovernment": "login.microsoftonline.us",
    "usgovernmentl4": "login.microsoftonline.us",
    "usgovernmentl5": "login.microsoftonline.us",
    "china": "login.chinacloudapi.cn",
}


class Token(NamedTuple):
    """Shape-compatible with azure.core.credentials.AccessToken (token, expires_on as epoch seconds)."""

    token: str
    expires_on: int


class TokenSource(Protocol):
    """Anything with azure-core's `get_token(*scopes)`: azure-identity credentials, StaticTokenCredential."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


class CredentialError(RuntimeError):
    """The environment does not describe a usable Graph credential."""


class StaticTokenCredential:
    """A fixed bearer token, for tests and for callers that obtained a token elsewhere.

    It refuses to be pickled, so it can never end up inside a serialized dynamic provider.
    """

    def __init__(self, token: str, expires_on: int = 4_102_444_800) -> None:
        if not token:
            raise ValueError("StaticTokenCredential needs a non-empty token")
        self._token = token
        self._expires_on = expires_on

    def get_token(self, *scopes: str, **kwargs: Any) -> Token:
        return Token(self._token, self._expires_on)

    def __repr__(self) -> str:
        return "StaticTokenCredential(token=[redacted])"

    def __reduce__(self) -> Any:
        raise TypeError("a StaticTokenCredential holds a bearer token and must not be pickled")


def scope_for(graph_base_url: str) -> str:
    """`https://graph.microsoft.com/v1.0` -> `https://graph.microsoft.com/.default` (national clouds alike)."""
    parts = urlsplit(graph_base_url)
    return f"{parts.scheme}://{parts.netloc}/.default"


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _authority(env: Mapping[str, str]) -> dict[str, str]:
    name = (env.get("ARM_ENVIRONMENT") or "").strip().lower()
    if not name:
        return {}
    if name not in _AUTHORITY_HOSTS:
        raise CredentialError(
            f"ARM_ENVIRONMENT={name!r} is not one of {', '.join(sorted(_AUTHORITY_HOSTS))}; "
            "set it as for the azuread provider, or unset it for the public cloud"
        )
    return {"authority": _AUTHORITY_HOSTS[name]}


def _require(env: Mapping[str, str], *names: str, why: str) -> list[str]:
    missing = [n for n in names if not env.get(n)]
    if missing:
        raise CredentialError(f"{why} needs {' and '.join(missing)} in the environment (as for the azuread provider)")
    return [env[n] for n in names]


def _oidc_assertion(env: Mapping[str, str]) -> Callable[[], str]:
    """A callable returning a fresh federated token; read lazily because GitHub's tokens are short-lived."""
    token = env.get("ARM_OIDC_TOKEN")
    token_file = env.get("ARM_OIDC_TOKEN_FILE_PATH")
    request_url = env.get("ARM_OIDC_REQUEST_URL") or env.get("ACTIONS_ID_TOKEN_REQUEST_URL")
    request_token = env.get("ARM_OIDC_REQUEST_TOKEN") or env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if token:
        return lambda: token
    if token_file:
        path = Path(token_file)
        return lambda: path.read_text(encoding="utf-8").strip()
    if request_url and request_token:

        def from_github() -> str:
            response = httpx.get(
                request_url,
                params={"audience": OIDC_AUDIENCE},
                headers={"Authorization": f"Bearer {request_token}"},
                timeout=30.0,
            )
            if response.status_code != 200:
                # The request token is a secret: name the endpoint's answer only.
                raise CredentialError(f"GitHub OIDC token request failed with HTTP {response.status_code}")
            return str(response.json()["value"])

        return from_github
    raise CredentialError(
        "OIDC needs ARM_OIDC_TOKEN, ARM_OIDC_TOKEN_FILE_PATH, or the GitHub Actions request variables "
        "(ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN; grant `id-token: write`)"
    )


def describe_environment(env: Mapping[str, str] | None = None) -> str:
    """Which credential `credential_from_environment` would build, for error messages (never values)."""
    env = os.environ if env is None else env
    if env.get(TEST_TOKEN_ENV):
        return f"fixed test token ({TEST_TOKEN_ENV})"
    if _uses_oidc(env):
        return "OIDC federated credential (ARM_USE_OIDC)"
    if env.get("ARM_CLIENT_SECRET"):
        return "client secret (ARM_CLIENT_SECRET)"
    if env.get("ARM_CLIENT_CERTIFICATE_PATH"):
        return "client certificate (ARM_CLIENT_CERTIFICATE_PATH)"
    if _truthy(env.get("ARM_USE_MSI")):
        return "managed identity (ARM_USE_MSI)"
    return "Azure CLI (az login)"


def _uses_oidc(env: Mapping[str, str]) -> bool:
    if _truthy(env.get("ARM_USE_OIDC")):
        return True
    return not env.get("ARM_CLIENT_SECRET") and bool(env.get("ARM_OIDC_TOKEN") or env.get("ARM_OIDC_TOKEN_FILE_PATH"))


_CACHE: dict[str, TokenSource] = {}
_CACHE_LOCK = threading.Lock()

_RELEVANT = (
    TEST_TOKEN_ENV,
    "ARM_TENANT_ID",
    "ARM_CLIENT_ID",
    "ARM_CLIENT_SECRET",
    "ARM_CLIENT_CERTIFICATE_PATH",
    "ARM_CLIENT_CERTIFICATE_PASSWORD",
    "ARM_USE_OIDC",
    "ARM_OIDC_TOKEN",
    "ARM_OIDC_TOKEN_FILE_PATH",
    "ARM_OIDC_REQUEST_URL",
    "ARM_OIDC_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ARM_USE_MSI",
    "ARM_ENVIRONMENT",
)


def credential_from_environment(graph_base_url: str, env: Mapping[str, str] | None = None) -> TokenSource:
    """The credential the environment describes, cached per process.

    Every provider method builds a fresh client; caching the credential object (keyed by a digest of the relevant
    variables, never the values) lets azure-identity reuse its token instead of signing in once per resource.
    """
    env = os.environ if env is None else env
    digest = hashlib.sha256(
        "\0".join([graph_base_url, *(f"{k}={env.get(k, '')}" for k in _RELEVANT)]).encode()
    ).hexdigest()
    with _CACHE_LOCK:
        cached = _CACHE.get(digest)
        if cached is None:
            cached = _build(graph_base_url, env)
            _CACHE[digest] = cached
        return cached


def _build(graph_base_url: str, env: Mapping[str, str]) -> TokenSource:
    test_token = env.get(TEST_TOKEN_ENV)
    if test_token:
        if not is_loopback(graph_base_url):
            raise CredentialError(
                f"{TEST_TOKEN_ENV} is only honoured for a loopback Graph URL (the test server), not "
                f"{urlsplit(graph_base_url).netloc}; unset it"
            )
        return StaticTokenCredential(test_token)

    # azure-identity is imported here so tests and the offline preview never pay for it.
    from azure.identity import (
        AzureCliCredential,
        CertificateCredential,
        ClientAssertionCredential,
        ClientSecretCredential,
        ManagedIdentityCredential,
    )

    authority = _authority(env)
    if _uses_oidc(env):
        tenant, client = _require(env, "ARM_TENANT_ID", "ARM_CLIENT_ID", why="OIDC (ARM_USE_OIDC)")
        return ClientAssertionCredential(tenant, client, _oidc_assertion(env), **authority)
    if env.get("ARM_CLIENT_SECRET"):
        tenant, client = _require(env, "ARM_TENANT_ID", "ARM_CLIENT_ID", why="ARM_CLIENT_SECRET")
        return ClientSecretCredential(tenant, client, env["ARM_CLIENT_SECRET"], **authority)
    if env.get("ARM_CLIENT_CERTIFICATE_PATH"):
        tenant, client = _require(env, "ARM_TENANT_ID", "ARM_CLIENT_ID", why="ARM_CLIENT_CERTIFICATE_PATH")
        return CertificateCredential(
            tenant,
            client,
            env["ARM_CLIENT_CERTIFICATE_PATH"],
            password=env.get("ARM_CLIENT_CERTIFICATE_PASSWORD") or None,
            **authority,
        )
    if _truthy(env.get("ARM_USE_MSI")):
        return ManagedIdentityCredential(client_id=env.get("ARM_CLIENT_ID") or None)
    return AzureCliCredential(tenant_id=env.get("ARM_TENANT_ID") or None)
