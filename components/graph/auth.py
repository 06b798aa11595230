"""Bearer tokens for Microsoft Graph, from the same settings the azuread provider reads, so that this project's Graph
calls run as the same identity, in the same cloud, as the azuread resources (the settings themselves: auth_settings.py;
OIDC's federated token: oidc.py).

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
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlsplit

from components.graph.auth_settings import (
    AuthSettings,
    CredentialError,
    method_of,
    stack_config,
    value_or_file,
)
from components.graph.cloud_metadata import check_graph_url, cloud_from_metadata
from components.graph.errors import CLOUDS, cloud_for_graph_url
from components.graph.oidc import oidc_assertion

TEST_TOKEN_ENV = "WEBEX_SCIM_TEST_GRAPH_TOKEN"


class Token(NamedTuple):
    """Shape-compatible with azure.core.credentials.AccessToken (token, expires_on as epoch seconds)."""

    token: str
    expires_on: int


class TokenSource(Protocol):
    """Anything with azure-core's `get_token(*scopes)`: azure-identity credentials, StaticTokenCredential."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


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


def login_host(graph_base_url: str, settings: AuthSettings) -> str:
    """Where to sign in, as the azuread provider decides it: from the metadata host's document when `metadataHost`
    is set (the provider then ignores `environment`; cloud_metadata.py), else from the named `environment`. Either
    way a Graph URL of another cloud than the provider's is refused, naming the setting and the fix."""
    host = settings.get("metadataHost")
    if host:
        cloud = cloud_from_metadata(host, settings.name("metadataHost"))
        check_graph_url(graph_base_url, cloud, settings.name("metadataHost"), host)
        return cloud.login_host
    environment = _environment(settings)
    _check_cloud(graph_base_url, settings, environment)
    return CLOUDS[environment].login_host


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
    method = method_of(settings)
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
    client = value_or_file(settings, "clientId", "clientIdFilePath")
    missing = [settings.name(key) for key, value in (("tenantId", tenant), ("clientId", client)) if not value]
    if missing:
        raise CredentialError(f"{why} needs {' and '.join(missing)} (as for the azuread provider)")
    return str(tenant), str(client)


def _build(graph_base_url: str, env: Mapping[str, str], settings: AuthSettings) -> TokenSource:
    authority = {"authority": login_host(graph_base_url, settings)}
    test_token = env.get(TEST_TOKEN_ENV)
    if test_token:
        if not is_loopback(graph_base_url):
            raise CredentialError(
                f"{TEST_TOKEN_ENV} is only honoured for a loopback Graph URL (the test server), not "
                f"{urlsplit(graph_base_url).netloc}; unset it"
            )
        return StaticTokenCredential(test_token)

    method = method_of(settings)
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
        secret = value_or_file(settings, "clientSecret", "clientSecretFilePath")
        if not secret:
            raise CredentialError(f"the file at {settings.name('clientSecretFilePath')} is empty")
        return ClientSecretCredential(tenant, client, secret, **authority)
    if method == "oidc":
        tenant, client = _who(settings, f"OIDC ({settings.name('useOidc')})")
        return ClientAssertionCredential(tenant, client, oidc_assertion(settings), **authority)
    if method == "msi":
        return ManagedIdentityCredential(client_id=value_or_file(settings, "clientId", "clientIdFilePath"))
    return AzureCliCredential(tenant_id=settings.get("tenantId"))
