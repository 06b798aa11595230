"""Typed settings of the bootstrap stack: the `webex-scim-bootstrap:*` keys, validated once.

A bad stack file fails here, before any resource is registered, with one line per problem: the full key, what is
wrong, and the `pulumi config` command that fixes it. `SettingsError` is a `pulumi.RunError`, so the CLI prints it
without a traceback, and the offline preview (which looks for `components.settings.SettingsError` in the tree it
runs) exits 2 with it.
"""

from __future__ import annotations

import difflib
import json
import re
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

import pulumi
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from .permissions import permissions

PROJECT = "webex-scim-bootstrap"

# GitHub Actions' OIDC issuer and the audience Entra expects for a federated credential (workload identity
# federation for GitHub: learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust).
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "api://AzureADTokenExchange"

# Least privilege per call, from docs/permissions.md (each row cites Graph's page).
READ_PERMISSIONS = [
    "Application.Read.All",
    "Synchronization.Read.All",
    "User.Read.All",
    "GroupMember.Read.All",
    "AuditLog.Read.All",
    "Directory.Read.All",
]
DEPLOY_PERMISSIONS = ["Application.ReadWrite.OwnedBy", "User.Read.All", "GroupMember.Read.All"]

_REPOSITORY_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
# A federated credential's name takes letters, digits, `-` and `_` (it is `github-<environment>` here), so an
# environment name is held to those too.
_ENVIRONMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_STACK_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}(?:/[A-Za-z0-9_.-]{1,100}){0,2}$")

# What to write, per setting (the last part of its path), in a message's `pulumi config set` command.
_EXAMPLES = {
    "repository": "contoso/webex-scim",
    "displayName": "'webex-scim deploy'",
    "environments": "production",
    "permissions": "User.Read.All",
    "acceptTenantWide": "AppRoleAssignment.ReadWrite.All",
    "webexServicePrincipalObjectId": "<object ID of the Cisco Webex enterprise app>",
    "mainStack": "<org>/webex-scim/<stack>",
}
_MAPPINGS = ("readIdentity", "deployIdentity")


class SettingsError(pulumi.RunError):
    """Bad stack config: every problem, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = [f"invalid stack config ({len(problems)} problem{'s' if len(problems) > 1 else ''}):"]
        super().__init__("\n".join([*lines, *(f"  - {p}" for p in problems)]))


def set_command(path: str, value: str) -> str:
    """The `pulumi config set` command for a key path (nested paths need --path, quoted: brackets are globs)."""
    if "." in path or "[" in path:
        return f"pulumi config set --path '{path}' {value}"
    return f"pulumi config set {path} {value}"


def _known_permission(name: str) -> str:
    if name not in permissions():
        near = difflib.get_close_matches(name, list(permissions()), n=1)
        hint = f"did you mean {near[0]}? " if near else ""
        raise ValueError(
            f"{name!r} is not a Microsoft Graph permission this project grants ({hint}the table is "
            f"bootstrap/policies/graph_permissions.json: {', '.join(sorted(permissions()))})"
        )
    return name


def _environment(name: str) -> str:
    if not _ENVIRONMENT_RE.match(name):
        raise ValueError(
            f"{name!r} is not a GitHub environment name this stack can trust: letters, digits, `-` and `_`, "
            "starting with a letter or digit"
        )
    return name


def _unique(values: list[str]) -> list[str]:
    twice = sorted({v for v in values if values.count(v) > 1})
    if twice:
        raise ValueError(f"lists {', '.join(twice)} twice; keep one")
    return values


Environments = Annotated[list[Annotated[str, AfterValidator(_environment)]], AfterValidator(_unique)]
PermissionNames = Annotated[list[Annotated[str, AfterValidator(_known_permission)]], AfterValidator(_unique)]


class _Model(BaseModel):
    # camelCase keys as in the stack YAML; unknown keys (typos) are errors, not silently ignored.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class IdentitySettings(_Model):
    """One pipeline identity: its app registration's name, the GitHub environments it trusts, what it may do."""

    display_name: str
    environments: Environments
    permissions: PermissionNames
    # Tenant-wide privileged permissions this identity is meant to hold: the policy pack refuses any other.
    accept_tenant_wide: PermissionNames = Field(default_factory=list)

    @field_validator("display_name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("environments")
    @classmethod
    def _some(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must name at least one GitHub environment, or the identity can never sign in")
        return value


class ReadIdentity(IdentitySettings):
    """Pull-request previews, the scheduled drift and health run, the deploy gate, `status`: reads only."""

    display_name: str = "webex-scim read"
    environments: Environments = Field(default_factory=lambda: ["preview", "read"])
    permissions: PermissionNames = Field(default_factory=lambda: list(READ_PERMISSIONS))


class DeployIdentity(IdentitySettings):
    """`pulumi up` (and destroy), only in the protected production environment."""

    display_name: str = "webex-scim deploy"
    environments: Environments = Field(default_factory=lambda: ["production"])
    permissions: PermissionNames = Field(default_factory=lambda: list(DEPLOY_PERMISSIONS))


class Settings(_Model):
    repository: str
    read_identity: ReadIdentity = Field(default_factory=ReadIdentity)
    deploy_identity: DeployIdentity = Field(default_factory=DeployIdentity)
    webex_service_principal_object_id: str | None = None
    main_stack: str | None = None

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if not _REPOSITORY_RE.match(value):
            raise ValueError(f"{value[:120]!r} is not a GitHub repository written as owner/name")
        return value

    @field_validator("webex_service_principal_object_id")
    @classmethod
    def _object_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(uuid.UUID(value.strip()))
        except ValueError:
            raise ValueError(
                f"{value[:40]!r} is not an object ID (a GUID: Enterprise applications > Cisco Webex > Object ID)"
            ) from None

    @field_validator("main_stack")
    @classmethod
    def _stack(cls, value: str | None) -> str | None:
        if value is not None and not _STACK_RE.match(value):
            raise ValueError(f"{value[:120]!r} is not a stack name (<org>/<project>/<stack>, as `pulumi stack ls`)")
        return value

    @property
    def identities(self) -> dict[str, IdentitySettings]:
        return {"read": self.read_identity, "deploy": self.deploy_identity}


# ---------------------------------------------------------------------------------------------------------------
# Messages


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_LISTS = ("environments", "permissions", "acceptTenantWide")


def _fix(path: str) -> str:
    """The `pulumi config set` command that writes a good value at `path` (a list's first item for a list)."""
    leaf = re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]
    if path.endswith(_LISTS):
        path += "[0]"
    example = _EXAMPLES.get(leaf, "<value>")
    if leaf == "displayName":
        example = f"'webex-scim {path.split('Identity', 1)[0]}'"
    return set_command(path, example)


def _remove(path: str) -> str:
    return f"pulumi config rm --path '{path}'" if "." in path or "[" in path else f"pulumi config rm {path}"


def _describe(error: Mapping[str, Any]) -> str:
    path = _path(tuple(error["loc"]))
    key = f"{PROJECT}:{path}"
    kind = error["type"]
    if kind == "missing":
        return f"{key}: required but not set; run `{_fix(path)}`"
    if kind == "extra_forbidden":
        parent = path.rsplit(".", 1)[0] if "." in path else ""
        model = {"": Settings, "readIdentity": ReadIdentity, "deployIdentity": DeployIdentity}.get(parent, Settings)
        known = ", ".join(f.alias or n for n, f in model.model_fields.items())
        return f"{key}: is not a setting of this stack (known here: {known}); remove it: `{_remove(path)}`"
    if kind == "list_type":
        return f"{key}: must be a list (one `- item` per line under it); run `{_fix(path)}`"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{key}: must be a mapping (`displayName: ...` indented under it); run `{_fix(path + '.displayName')}`"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_type":
        message = "must be text"
    return f"{key}: {message}; run `{_fix(path)}`"


def _cross_checks(settings: Settings) -> list[str]:
    """What no single key can tell: an acceptance of a permission the identity is not granted, or of one that is
    not tenant-wide; the Webex app named twice."""
    problems = []
    for role, identity in settings.identities.items():
        for index, name in enumerate(identity.accept_tenant_wide):
            path = f"{role}Identity.acceptTenantWide[{index}]"
            if permissions()[name].tenant_wide is None:
                problems.append(
                    f"{PROJECT}:{path}: {name} is not a tenant-wide privileged permission, so there is nothing to "
                    f"accept; remove it: `{_remove(path)}`"
                )
            elif name not in identity.permissions:
                problems.append(
                    f"{PROJECT}:{path}: accepts {name}, which {role}Identity.permissions does not grant; remove it "
                    f"(`{_remove(path)}`) or grant it in {role}Identity.permissions"
                )
    if settings.webex_service_principal_object_id and settings.main_stack:
        problems.append(
            f"{PROJECT}:mainStack: the Cisco Webex app is already named by webexServicePrincipalObjectId; keep one: "
            "`pulumi config rm mainStack`"
        )
    return problems


# ---------------------------------------------------------------------------------------------------------------
# Loading from pulumi.Config


def _raw_config() -> dict[str, Any]:
    """Every `webex-scim-bootstrap:*` key the engine handed to the program, without its namespace."""
    from pulumi.runtime import config as runtime_config

    # The CLI passes config in PULUMI_CONFIG; the SDK copies it into CONFIG lazily, so read both.
    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{PROJECT}:"
    return {key[len(prefix) :]: value for key, value in merged.items() if key.startswith(prefix)}


def validate(raw: Mapping[str, Any]) -> Settings:
    """Plain config values (object values as the JSON text the CLI passes) into Settings, or one SettingsError
    naming every bad key."""
    problems: list[str] = []
    data: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _MAPPINGS and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                problems.append(_describe({"loc": (key,), "type": "dict_type", "msg": ""}))
                continue
        data[key] = value
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(problems + [_describe(e) for e in exc.errors(include_url=False)]) from None
    problems += _cross_checks(settings)
    if problems:
        raise SettingsError(problems)
    return settings


def load() -> Settings:
    return validate(_raw_config())
