"""Bearer tokens for Microsoft Graph, from the same settings the azuread provider reads, so that this project's Graph
calls run as the same identity, in the same cloud, as the azuread resources.

Dynamic-resource providers are pickled into the stack state, so they hold no credential: each provider method builds
its client from the settings of the process it runs in. Which source wins, per setting (the azuread provider's own
precedence: each of its config keys defaults to an environment variable):

1. the stack's `azuread:*` config (`pulumi config set [--secret] azuread:clientSecret …`). The dynamic-provider host
   is a plugin the engine starts; it does not get PULUMI_CONFIG. It gets the config in the engine's Configure
   request instead: for dynamic providers the engine sends the whole stack config, namespaces kept and secrets
   decrypted (pulumi/pulumi pkg/resource/deploy/target.go GetPackageConfig: "For dynamic providers, we always pass
   the full configuration"), and the host hands it to each provider's `configure()` (pulumi/dynamic/__main__.py).
   Our providers pass the `azuread:*` values to `use_stack_config`, which keeps them in this process's memory only:
   never on the provider object (it is pickled), never in outputs. Where no Configure request came (a program
   process: tests, automation), PULUMI_CONFIG (JSON, `pulumi.runtime.config.get_config_env`) is read instead;
2. the environment variables the provider falls back to (`ARM_*`, GitHub's `ACTIONS_ID_TOKEN_REQUEST_*`).

| setting (`azuread:` key / environment) | |
|---|---|
| `tenantId` / `ARM_TENANT_ID`, `clientId` / `ARM_CLIENT_ID`, `clientIdFilePath` / `ARM_CLIENT_ID_FILE_PATH` | who |
| `environment` / `ARM_ENVIRONMENT` (global, usgovernment(l4), usgovernmentl5/dod, china) | which cloud's login |
| `clientCertificate` (base64) or `clientCertificatePath` (+ `…Password`), `ARM_CLIENT_CERTIFICATE*` | 1 |
| `clientSecret` / `ARM_CLIENT_SECRET`, `clientSecretFilePath` / `ARM_CLIENT_SECRET_FILE_PATH` | 2 |
| `useOidc` / `ARM_USE_OIDC` with `oidcToken` / `oidcTokenFilePath` (`ARM_OIDC_TOKEN[_FILE_PATH]`) | 3 |
| `useOidc` with `oidcRequestUrl` + `oidcRequestToken` (`ARM_OIDC_REQUEST_*`, `ACTIONS_ID_TOKEN_REQUEST_*`) | 4 |
| `useMsi` / `ARM_USE_MSI` | 5 |
| `useCli` / `ARM_USE_CLI` (default true): `az login` | 6 |

The first method whose settings are present is used, in go-azure-sdk's order (sdk/auth/auth.go
NewAuthorizerFromCredentials). One deliberate difference: where the provider silently moves on to the next method
because a chosen one is incomplete (a client secret without a tenant, `useOidc` without a token source), this fails
naming what is missing, so a Graph call never runs as another identity (`az login`) than the one configured.

`WEBEX_SCIM_TEST_GRAPH_TOKEN` comes before all of it: a fixed token, so a test can drive a provider in a clean
subprocess exactly as the provider host would. It is refused for any Graph URL that is not loopback, so a stray
export can never send a made-up token, or anything else, to a real tenant.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlsplit

import httpx

from components.graph.errors import CLOUDS, cloud_for_graph_url

TEST_TOKEN_ENV = "WEBEX_SCIM_TEST_GRAPH_TOKEN"
OIDC_AUDIENCE = "api://AzureADTokenExchange"

# Each azuread provider setting: its stack config key (in the `azuread:` namespace) and the environment variables
# it falls back to, in order (terraform-provider-azuread internal/provider/provider.go, EnvDefaultFunc /
# MultiEnvDefaultFunc; pulumi_azuread config/vars.py for the camelCase names).
SETTINGS: dict[str, tuple[str, ...]] = {
    "tenantId": ("ARM_TENANT_ID",),
    "clientId": ("ARM_CLIENT_ID",),
    "clientIdFilePath": ("ARM_CLIENT_ID_FILE_PATH",),
    "environment": ("ARM_ENVIRONMENT",),
    "clientCertificate": ("ARM_CLIENT_CERTIFICATE",),
    "clientCertificatePath": ("ARM_CLIENT_CERTIFICATE_PATH",),
    "clientCertificatePassword": ("ARM_CLIENT_CERTIFICATE_PASSWORD",),
    "clientSecret": ("ARM_CLIENT_SECRET",),
    "clientSecretFilePath": ("ARM_CLIENT_SECRET_FILE_PATH",),
    "useOidc": ("ARM_USE_OIDC",),
    "oidcToken": ("ARM_OIDC_TOKEN",),
    "oidcTokenFilePath": ("ARM_OIDC_TOKEN_FILE_PATH",),
    "oidcRequestUrl": ("ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"),
    "oidcRequestToken": ("ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    "useMsi": ("ARM_USE_MSI",),
    "useCli": ("ARM_USE_CLI",),
}
CONFIG_NAMESPACE = "azuread"


class Token(NamedTuple):
    """Shape-compatible with azure.core.credentials.AccessToken (token, expires_on as epoch seconds)."""

    token: str
    expires_on: int


class TokenSource(Protocol):
    """Anything with azure-core's `get_token(*scopes)`: azure-identity credentials, StaticTokenCredential."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


class CredentialError(RuntimeError):
    """The settings do not describe a usable Graph credential."""


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


# -- the stack's azuread config, as this process received it ------------------------------------------------------

_STACK_CONFIG: dict[str, str] | None = None
_STACK_CONFIG_LOCK = threading.Lock()


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def use_stack_config(get: Callable[[str], Any]) -> None:
    """Keep the stack's `azuread:*` settings for this process (called from the providers' `configure`). `get` takes a
    namespaced key (`azuread:clientId`) and returns its value or None, like the Configure request's config."""
    values = {key: _text(get(f"{CONFIG_NAMESPACE}:{key}")) for key in SETTINGS}
    global _STACK_CONFIG
    with _STACK_CONFIG_LOCK:
        _STACK_CONFIG = {key: value for key, value in values.items() if value is not None}


def stack_config() -> dict[str, str]:
    """The `azuread:*` settings: from the Configure request if one came, else from PULUMI_CONFIG, else none."""
    with _STACK_CONFIG_LOCK:
        if _STACK_CONFIG is not None:
            return dict(_STACK_CONFIG)
    from pulumi.runtime.config import get_config_env

    try:
        raw = get_config_env()
    except ValueError:  # PULUMI_CONFIG that is not JSON: the engine never writes one; ignore rather than guess
        raw = {}
    values = {key: _text(raw.get(f"{CONFIG_NAMESPACE}:{key}")) for key in SETTINGS}
    return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class AuthSettings:
    """Each azuread setting's value and where it came from (`azuread:clientId` or `ARM_CLIENT_ID`): names, never
    values, go into messages."""

    values: Mapping[str, str]
    sources: Mapping[str, str]

    @classmethod
    def resolve(cls, env: Mapping[str, str], config: Mapping[str, str]) -> AuthSettings:
        values: dict[str, str] = {}
        sources: dict[str, str] = {}
        for key, names in SETTINGS.items():
            if config.get(key):
                values[key], sources[key] = config[key], f"{CONFIG_NAMESPACE}:{key}"
                continue
            for name in names:
                if env.get(name):
                    values[key], sources[key] = env[name], name
                    break
        return cls(values, sources)

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        return value.strip() if value and value.strip() else None

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.get(key)
        return default if value is None else _truthy(value)

    def name(self, key: str) -> str:
        """Where a setting came from, or both places it may be set."""
        return self.sources.get(key) or f"{CONFIG_NAMESPACE}:{key} / {SETTINGS[key][0]}"

    def digest(self) -> str:
        text = "\0".join(f"{k}={self.values.get(k, '')}" for k in SETTINGS)
        return hashlib.sha256(text.encode()).hexdigest()


def _from_file(settings: AuthSettings, key: str, file_key: str) -> str | None:
    """A value given directly or in a file (both: they must match), as the provider's getClientId/getClientSecret."""
    value = settings.get(key)
    path = settings.get(file_key)
    if not path:
        return value
    try:
        from_file = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CredentialError(f"could not read {settings.name(file_key)} ({exc.strerror or exc})") from None
    if value and value != from_file:
        raise CredentialError(
            f"{settings.name(key)} and the file at {settings.name(file_key)} differ: remove one or make them match"
        )
    return from_file or None


def _environment(settings: AuthSettings) -> str:
    name = (settings.get("environment") or "global").lower()
    if name not in CLOUDS:
        raise CredentialError(
            f"{settings.name('environment')}={name!r} is not one of {', '.join(CLOUDS)}; "
            "set it as for the azuread provider, or unset it for the public cloud"
        )
    return name


def _check_cloud(graph_base_url: str, settings: AuthSettings, environment: str) -> None:
    """A token from one cloud's login is refused by another cloud's Graph: say so before asking for one."""
    if is_loopback(graph_base_url) or not settings.get("environment"):
        return
    cloud = cloud_for_graph_url(graph_base_url)
    if cloud is not None and cloud.login_host != CLOUDS[environment].login_host:
        raise CredentialError(
            f"graphBaseUrl {graph_base_url} is Microsoft Graph for another cloud than {settings.name('environment')}"
            f"={environment!r} ({CLOUDS[environment].graph_url}); unset webex-scim:graphBaseUrl to follow the "
            "environment, or make the two agree"
        )


def _oidc_assertion(settings: AuthSettings) -> Callable[[], str]:
    """A callable returning a fresh federated token; read lazily because GitHub's tokens are short-lived."""
    token = settings.get("oidcToken")
    token_file = settings.get("oidcTokenFilePath")
    request_url = settings.get("oidcRequestUrl")
    request_token = settings.get("oidcRequestToken")
    if token_file:
        path = Path(token_file)

        def from_file() -> str:
            text = path.read_text(encoding="utf-8").strip()
            if token and token != text:
                raise CredentialError(
                    f"{settings.name('oidcToken')} and the file at {settings.name('oidcTokenFilePath')} differ"
                )
            return text

        return from_file
    if token:
        return lambda: token
    if request_url and request_token:

        def from_github() -> str:
            # The request URL already carries its own query (`?api-version=2.0`): add `audience` to it, as GitHub's
            # toolkit and go-azure-sdk's github_oidc_authorizer.go do. httpx's `params=` would replace the query.
            url = httpx.URL(request_url).copy_merge_params({"audience": OIDC_AUDIENCE})
            response = httpx.get(url, headers={"Authorization": f"Bearer {request_token}"}, timeout=30.0)
            if response.status_code != 200:
                # The request token is a secret: name the endpoint's answer only.
                raise CredentialError(f"GitHub OIDC token request failed with HTTP {response.status_code}")
            return str(response.json()["value"])

        return from_github
    raise CredentialError(
        f"OIDC ({settings.name('useOidc')}) needs a token: {settings.name('oidcToken')}, "
        f"{settings.name('oidcTokenFilePath')}, or the GitHub Actions request variables "
        "(ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN; grant `id-token: write`)"
    )


def _method(settings: AuthSettings) -> str:
    """Which credential the settings choose, in go-azure-sdk's order."""
    if settings.get("clientCertificate") or settings.get("clientCertificatePath"):
        return "certificate"
    if settings.get("clientSecret") or settings.get("clientSecretFilePath"):
        return "secret"
    if settings.flag("useOidc"):
        return "oidc"
    if settings.flag("useMsi"):
        return "msi"
    if settings.flag("useCli", default=True):
        return "cli"
    return "none"


_DESCRIPTIONS = {
    "certificate": ("client certificate", "clientCertificatePath"),
    "secret": ("client secret", "clientSecret"),
    "oidc": ("OIDC federated credential", "useOidc"),
    "msi": ("managed identity", "useMsi"),
}


def describe_environment(env: Mapping[str, str] | None = None, config: Mapping[str, str] | None = None) -> str:
    """Which credential `credential_from_environment` would build and from where, for messages (never values)."""
    env = os.environ if env is None else env
    if env.get(TEST_TOKEN_ENV):
        return f"fixed test token ({TEST_TOKEN_ENV})"
    settings = AuthSettings.resolve(env, stack_config() if config is None else config)
    method = _method(settings)
    if method == "cli":
        return "Azure CLI (az login)"
    if method == "none":
        return f"no credential ({settings.name('useCli')} is false and nothing else is set)"
    label, key = _DESCRIPTIONS[method]
    if method == "certificate" and not settings.get(key):
        key = "clientCertificate"
    if method == "secret" and not settings.get(key):
        key = "clientSecretFilePath"
    return f"{label} ({settings.name(key)})"


_CACHE: dict[str, TokenSource] = {}
_CACHE_LOCK = threading.Lock()


def credential_from_environment(
    graph_base_url: str, env: Mapping[str, str] | None = None, config: Mapping[str, str] | None = None
) -> TokenSource:
    """The credential the stack config and environment describe, cached per process.

    Every provider method builds a fresh client; caching the credential object (keyed by a digest of the settings,
    never the values) lets azure-identity reuse its token instead of signing in once per resource.
    """
    env = os.environ if env is None else env
    config = stack_config() if config is None else config
    settings = AuthSettings.resolve(env, config)
    digest = hashlib.sha256(
        "\0".join([graph_base_url, f"test={env.get(TEST_TOKEN_ENV, '')}", settings.digest()]).encode()
    ).hexdigest()
    with _CACHE_LOCK:
        cached = _CACHE.get(digest)
        if cached is None:
            cached = _build(graph_base_url, env, settings)
            _CACHE[digest] = cached
        return cached


def _who(settings: AuthSettings, why: str) -> tuple[str, str]:
    """Tenant and client id, the client id possibly from its file; both named when missing."""
    tenant = settings.get("tenantId")
    client = _from_file(settings, "clientId", "clientIdFilePath")
    missing = [settings.name(key) for key, value in (("tenantId", tenant), ("clientId", client)) if not value]
    if missing:
        raise CredentialError(f"{why} needs {' and '.join(missing)} (as for the azuread provider)")
    return str(tenant), str(client)


def _build(graph_base_url: str, env: Mapping[str, str], settings: AuthSettings) -> TokenSource:
    test_token = env.get(TEST_TOKEN_ENV)
    if test_token:
        if not is_loopback(graph_base_url):
            raise CredentialError(
                f"{TEST_TOKEN_ENV} is only honoured for a loopback Graph URL (the test server), not "
                f"{urlsplit(graph_base_url).netloc}; unset it"
            )
        return StaticTokenCredential(test_token)

    environment = _environment(settings)
    _check_cloud(graph_base_url, settings, environment)
    method = _method(settings)
    if method == "none":
        raise CredentialError(
            f"no Graph credential: {settings.name('useCli')} is false and no client certificate, client secret, "
            "OIDC or managed identity is configured (as for the azuread provider)"
        )

    # azure-identity is imported here so tests and the offline preview never pay for it.
    from azure.identity import (
        AzureCliCredential,
        CertificateCredential,
        ClientAssertionCredential,
        ClientSecretCredential,
        ManagedIdentityCredential,
    )

    authority = {"authority": CLOUDS[environment].login_host}
    if method == "certificate":
        tenant, client = _who(settings, "a client certificate")
        password = settings.get("clientCertificatePassword")
        if settings.get("clientCertificate"):
            try:
                data = base64.b64decode(str(settings.get("clientCertificate")), validate=True)
            except ValueError:
                raise CredentialError(f"{settings.name('clientCertificate')} is not base64") from None
            return CertificateCredential(tenant, client, certificate_data=data, password=password, **authority)
        path = str(settings.get("clientCertificatePath"))
        return CertificateCredential(tenant, client, path, password=password, **authority)
    if method == "secret":
        tenant, client = _who(settings, "a client secret")
        secret = _from_file(settings, "clientSecret", "clientSecretFilePath")
        if not secret:
            raise CredentialError(f"the file at {settings.name('clientSecretFilePath')} is empty")
        return ClientSecretCredential(tenant, client, secret, **authority)
    if method == "oidc":
        tenant, client = _who(settings, f"OIDC ({settings.name('useOidc')})")
        return ClientAssertionCredential(tenant, client, _oidc_assertion(settings), **authority)
    if method == "msi":
        return ManagedIdentityCredential(client_id=_from_file(settings, "clientId", "clientIdFilePath"))
    return AzureCliCredential(tenant_id=settings.get("tenantId"))
