"""The azuread provider's settings as this process sees them: each one from the stack's `azuread:*` config (the
engine's Configure request, else PULUMI_CONFIG) or else the environment variable the provider falls back to, with
where it came from (names go into messages, values never), and which credential they choose.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Each azuread provider setting: its stack config key (in the `azuread:` namespace) and the environment variables
# it falls back to, in order (terraform-provider-azuread internal/provider/provider.go, EnvDefaultFunc /
# MultiEnvDefaultFunc; pulumi_azuread config/vars.py for the camelCase names).
SETTINGS: dict[str, tuple[str, ...]] = {
    "tenantId": ("ARM_TENANT_ID",),
    "clientId": ("ARM_CLIENT_ID",),
    "clientIdFilePath": ("ARM_CLIENT_ID_FILE_PATH",),
    "environment": ("ARM_ENVIRONMENT",),
    "metadataHost": ("ARM_METADATA_HOSTNAME",),
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


class CredentialError(RuntimeError):
    """The settings do not describe a usable Graph credential."""


def truthy(value: str | None) -> bool:
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
        return default if value is None else truthy(value)

    def name(self, key: str) -> str:
        """Where a setting came from, or both places it may be set."""
        return self.sources.get(key) or f"{CONFIG_NAMESPACE}:{key} / {SETTINGS[key][0]}"

    def digest(self) -> str:
        text = "\0".join(f"{k}={self.values.get(k, '')}" for k in SETTINGS)
        return hashlib.sha256(text.encode()).hexdigest()


def value_or_file(settings: AuthSettings, key: str, file_key: str) -> str | None:
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


def method_of(settings: AuthSettings) -> str:
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
