"""Typed stack settings: the `webex-scim:*` config keys, validated once, every problem named by its key.

The program never reads `pulumi.Config` anywhere else. A bad stack file fails here, before any resource is
registered, with one message that names each bad key and how to fix it (a `pulumi config` command where one helps).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Collection, Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from policies.vocabulary import TOKEN_CONFIG_KEY

from . import catalog
from .graph.errors import DEFAULT_GRAPH_BASE_URL
from .mapping_settings import MappingSettings
from .settings_messages import (
    OBJECT_SHAPES,
    PROJECT,
    describe,
    key_path,
    meant_for_project,
    namespace_problems,
    set_command,
    shape_problem,
    shown,
)

# Entra's accidental-deletion threshold counts deletions per provisioning cycle. A directory holds 300,000 objects by
# default (Entra service limits; more on request), so a threshold above this guards nothing: it is a typo.
MAX_DELETE_THRESHOLD = 1_000_000

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_object_id(text: str) -> bool:
    """Whether `text` is written as an Entra object ID (a GUID), not a UPN or a display name."""
    return bool(_UUID_RE.match(text))


_EMAIL_RE = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
# A DNS name of two labels or more (letters, digits, hyphens; no leading/trailing hyphen): what Webex verifies.
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class SettingsError(pulumi.RunError):
    """Bad stack config. A RunError, so the real CLI prints the message without a traceback too."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = [f"invalid stack config ({len(problems)} problem{'s' if len(problems) > 1 else ''}):"]
        lines += [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


class DeployTimeError(pulumi.RunError):
    """A value only the tenant knows turned out wrong (e.g. the app has no usable role)."""


def check_org_id(value: str) -> str:
    """A Webex org ID is the UUID shown in Control Hub; the base64 API id and the article's sample are refused."""
    text = str(value).strip()
    if not _UUID_RE.match(text):
        if len(text) > 36:
            # Longer than any UUID: never echoed, it may be a token pasted into the wrong key.
            shown, hint = f"a {len(text)}-character value", ""
        else:
            bad = sorted({c for c in text.replace("-", "") if c.lower() not in "0123456789abcdef"})
            shown = repr(text)
            hint = f" ({', '.join(repr(c) for c in bad)} {'is' if len(bad) == 1 else 'are'} not hex)" if bad else ""
        raise ValueError(
            f"{shown} is not a Webex org ID{hint}: it must be the UUID shown in Control Hub "
            "(Management > Organization Settings > Organization ID), 8-4-4-4-12 hex digits, not the base64 API id"
        )
    return str(uuid.UUID(text))


class _Model(BaseModel):
    # camelCase keys as in the stack YAML; unknown keys (typos) are errors, not silently ignored.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class AppSettings(_Model):
    """Portal: Enterprise applications > New application > Cisco Webex, then Properties."""

    display_name: str = "Cisco Webex"
    template_id: str | None = None
    existing_service_principal_object_id: str | None = None
    hide_from_users: bool = True
    assignment_required: bool = True
    owners: list[str] = Field(default_factory=list)

    @field_validator("display_name")
    @classmethod
    def _display_name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v

    @field_validator("template_id", "existing_service_principal_object_id")
    @classmethod
    def _uuid(cls, v: str | None) -> str | None:
        if v is not None and not _UUID_RE.match(v):
            raise ValueError(f"{v!r} is not an object/template ID (a UUID)")
        return v

    @field_validator("owners")
    @classmethod
    def _owners(cls, v: list[str]) -> list[str]:
        for owner in v:
            if not _UUID_RE.match(owner):
                raise ValueError(f"{owner!r} is not an object ID (a UUID): owners are given by object ID")
        return v


class Assignment(_Model):
    """Portal: Users and groups > Add user/group. Exactly one of user (UPN or object ID) / group (name or ID)."""

    user: str | None = None
    group: str | None = None
    role: str | None = None

    @field_validator("user")
    @classmethod
    def _user(cls, v: str | None) -> str | None:
        # Looked up by UPN or object ID at deploy time (get_user): anything else fails only then, so say it now.
        if v and not is_object_id(v.strip()) and ("@" not in v or any(c.isspace() for c in v.strip())):
            raise ValueError(
                f"{shown(v)} is neither a user principal name (name@domain) nor an object ID; write the user as "
                "Entra shows it, e.g. `- user: alice@contoso.com`"
            )
        return v.strip() if v else v  # ` alice@contoso.com` is alice: a lookup would not find the padded name

    @field_validator("role")
    @classmethod
    def _role(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            # An empty role would silently mean "the default role": say so instead of guessing.
            raise ValueError(
                "is empty; give the app role value (e.g. User), or remove `role:` to use assignmentRole "
                "(or the app's only role)"
            )
        return v

    @model_validator(mode="after")
    def _one_principal(self) -> Assignment:
        given = [k for k in ("user", "group") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                "each assignment needs exactly one of `user: <UPN or object ID>` or `group: <name or object ID>`"
                + (" (both were given)" if len(given) == 2 else "")
            )
        return self

    @property
    def kind(self) -> Literal["user", "group"]:
        return "user" if self.user else "group"

    @property
    def ref(self) -> str:
        return self.user or self.group or ""

    @property
    def is_object_id(self) -> bool:
        return is_object_id(self.ref)


class ProvisioningSettings(_Model):
    """Portal: Provisioning > Provisioning Mode = Automatic, Settings (scope, notification, delete threshold)."""

    enabled: bool = True
    scope: Literal["assigned", "all"] = "assigned"
    delete_threshold: int = 500
    template_id: str | None = None
    restart_request: str | None = None
    # Each new value restarts the job once with ForceDeletes: the deletions the accidental-deletion threshold held
    # back go through (components/graph/resources.py JobRestart). The pack's `deletions-not-forced` flags it.
    force_deletes_request: str | None = None

    @field_validator("delete_threshold", mode="before")
    @classmethod
    def _threshold_is_a_number(cls, v: Any) -> Any:
        if isinstance(v, bool):  # pydantic would take `true` as 1: a one-deletion threshold nobody meant
            raise ValueError(f"must be a whole number, not {'true' if v else 'false'}")
        return v

    @field_validator("delete_threshold")
    @classmethod
    def _threshold(cls, v: int) -> int:
        if v < 0:
            raise ValueError(f"{v} is negative: use a positive number of deletions, or 0 to turn the guard off")
        if v > MAX_DELETE_THRESHOLD:
            raise ValueError(
                f"{v} is more than {MAX_DELETE_THRESHOLD:,} deletions in one cycle, so it would guard nothing; "
                f"use a number up to {MAX_DELETE_THRESHOLD} (default 500), or 0 to turn the guard off"
            )
        return v


def _check_domain(value: str) -> str:
    """One verified domain, lower-cased (Webex and DNS compare domains without case)."""
    domain = value.strip().lower()
    if "@" in domain:
        raise ValueError(f"{shown(value)} is an email address; give its domain ({domain.rsplit('@', 1)[1]})")
    if not _DOMAIN_RE.match(domain):
        raise ValueError(f"{shown(value)} is not a domain name (like contoso.com; no scheme, path or wildcard)")
    return domain


class Settings(_Model):
    """Everything the stack declares, validated. The SCIM token is kept apart as a secret Output."""

    org_id: str
    offer: Literal["commercial", "government"] = "commercial"
    tenant_url: str | None = None
    token_expires_on: dt.date | None = None
    notification_email: str
    app: AppSettings = Field(default_factory=AppSettings)
    assignments: list[Assignment] = Field(default_factory=list)
    assignment_role: str | None = None
    rollout: Literal["pilot", "full"] = "pilot"
    provisioning: ProvisioningSettings = Field(default_factory=ProvisioningSettings)
    mappings: MappingSettings = Field(default_factory=MappingSettings)
    graph_base_url: str = DEFAULT_GRAPH_BASE_URL
    # Domains verified in the Webex org (Control Hub > Organization Settings > Domains). An org that enforces verified
    # domains (most Webex for Government orgs) refuses users in other domains; `python -m webex_scim simulate` reports
    # them. The program itself sends nothing for it. Empty: not checked.
    verified_domains: list[Annotated[str, AfterValidator(_check_domain)]] = Field(default_factory=list)

    @field_validator("verified_domains", mode="before")
    @classmethod
    def _domains_list(cls, v: Any) -> Any:
        if isinstance(v, str):  # Pulumi hands a list value to the program as JSON text
            try:
                return json.loads(v)
            except json.JSONDecodeError:
                raise ValueError(
                    "must be a list of domains, e.g. `pulumi config set --path 'verifiedDomains[0]' contoso.com`"
                ) from None
        return v

    @field_validator("verified_domains")
    @classmethod
    def _domains_once(cls, v: list[str]) -> list[str]:
        for i, domain in enumerate(v):
            if domain in v[:i]:
                raise ValueError(f"{domain!r} is listed twice (verifiedDomains[{v.index(domain)}] and [{i}]); keep one")
        return v

    @field_validator("org_id")
    @classmethod
    def _org_id(cls, v: str) -> str:
        return check_org_id(v)

    @field_validator("assignment_role")
    @classmethod
    def _assignment_role(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("is empty; remove it (`pulumi config rm assignmentRole`) or set an app role value")
        return v

    @field_validator("graph_base_url")
    @classmethod
    def _graph_url(cls, v: str) -> str:
        parts = urlsplit(v)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")  # a local test double of Graph
        if not parts.netloc or not (parts.scheme == "https" or (loopback and parts.scheme == "http")):
            raise ValueError(f"{v!r} is not an https URL (national clouds: https://graph.microsoft.us/v1.0, ...)")
        return v.rstrip("/")

    @field_validator("notification_email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not _EMAIL_RE.match(v.strip()):
            # Echoed only when it looks like an attempt at an address: a token pasted here has no "@".
            shown = repr(v) if "@" in v and len(v) <= 254 else f"a {len(v)}-character value without an @ (not shown)"
            raise ValueError(f"{shown} is not an email address (one address, like webex-admins@contoso.com)")
        return v.strip()

    @model_validator(mode="after")
    def _cross_checks(self) -> Settings:
        if self.tenant_url is not None:
            parts = urlsplit(self.tenant_url)
            if parts.scheme != "https" or not parts.netloc:
                raise ValueError(f"tenantUrl: {self.tenant_url!r} is not an https URL")
            if self.org_id.lower() not in self.tenant_url.lower():
                raise ValueError(
                    f"tenantUrl: {self.tenant_url!r} does not contain the org ID {self.org_id}; "
                    f"the {self.offer} default is {catalog.tenant_url_for(self.offer, self.org_id)}"
                )
        seen: dict[tuple[str, str], int] = {}
        for i, a in enumerate(self.assignments):
            key = (a.kind, a.ref.lower())
            if key in seen:
                raise ValueError(
                    f"assignments[{i}]: {a.kind} {a.ref!r} is already assigned by assignments[{seen[key]}]"
                )
            seen[key] = i
        if self.rollout == "pilot":
            users = [a for a in self.assignments if a.kind == "user"]
            groups = [a for a in self.assignments if a.kind == "group"]
            if groups or len(users) != 1:
                found = f"{len(users)} user(s) and {len(groups)} group(s)"
                raise ValueError(
                    "rollout: a pilot rollout assigns exactly one user (the Webex article's first step), "
                    f"found {found}; "
                    "keep one `- user: <UPN>` in assignments, or go wide with `pulumi config set rollout full`"
                )
        return self

    @property
    def effective_tenant_url(self) -> str:
        return self.tenant_url or catalog.tenant_url_for(self.offer, self.org_id)

    @property
    def pilot_user(self) -> Assignment | None:
        return self.assignments[0] if self.rollout == "pilot" else None


class StackSettings:
    """Validated settings plus the SCIM token as a secret Output (never a plain string in this object)."""

    def __init__(self, settings: Settings, scim_token: pulumi.Output[str]) -> None:
        self.settings = settings
        self.scim_token = scim_token

    def __repr__(self) -> str:  # the token is an Output, but never let a repr tempt anyone
        return f"StackSettings({self.settings!r}, scim_token=[secret])"


# ---------------------------------------------------------------------------------------------------------------
# Loading from pulumi.Config


def _all_config() -> dict[str, Any]:
    """Every config key the engine handed to the program (CLI and mock engine alike), in every namespace."""
    # pulumi.Config can only look up keys by name; to refuse typos we need the whole set of keys.
    from pulumi.runtime import config as runtime_config

    # The CLI's language host passes config in PULUMI_CONFIG; the SDK copies it into CONFIG lazily, so read both.
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def _raw_config(merged: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every `webex-scim:*` key, without its namespace."""
    prefix = f"{PROJECT}:"
    merged = _all_config() if merged is None else merged
    return {full[len(prefix) :]: value for full, value in merged.items() if full.startswith(prefix)}


def _parse(key: str, value: Any) -> Any:
    shape = OBJECT_SHAPES.get(key)
    if shape is not None and isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            # `webex-scim:app: hello`: the CLI hands the program the text; say what the key holds instead.
            raise ValueError(shape_problem(key, shape, value)) from None
        return parsed
    if isinstance(value, str) and key == "rollout":
        return value.strip()
    return value


def validate(raw: dict[str, Any], written_elsewhere: Collection[str] = ()) -> Settings:
    """Validate plain config values (no token) into Settings, or raise one SettingsError naming every bad key.
    A required key in `written_elsewhere` (under a near-miss namespace, said by its own problem) is not also
    reported as not set."""
    problems: list[str] = []
    data: dict[str, Any] = {}
    for key, value in raw.items():
        if key == TOKEN_CONFIG_KEY:
            continue
        try:
            data[key] = _parse(key, value)
        except ValueError as exc:  # reported with the rest; the key keeps its default meanwhile
            problems.append(str(exc))
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        known = [field.alias or name for name, field in Settings.model_fields.items()]
        errors = exc.errors(include_url=False)
        errors = [e for e in errors if not (e["type"] == "missing" and key_path(e["loc"]) in written_elsewhere)]
        problems += [describe(e, known) for e in errors]
        raise SettingsError(problems) from None
    if problems:
        raise SettingsError(problems)
    return settings


def validate_stack_config(merged: Mapping[str, Any]) -> tuple[Settings | None, dict[str, Any], list[str]]:
    """Every config key of a stack, in every namespace (`webex-scim:assignments`, `azuread:environment`, …), checked
    as the program checks them: (the settings or None, the raw `webex-scim:*` values, every problem found).

    Keys in the wrong namespace and bad values are reported together, so one run names all of them; the token is
    not checked here (`load` does: only the program knows whether it is a secret)."""
    problems, misplaced = namespace_problems(list(merged))
    raw = {k: v for k, v in _raw_config(dict(merged)).items() if k not in misplaced}
    try:
        settings: Settings | None = validate(raw, written_elsewhere=meant_for_project(list(merged)))
    except SettingsError as exc:
        problems += exc.problems
        settings = None
    return settings, raw, problems


def load(config: pulumi.Config | None = None) -> StackSettings:
    """Read and validate the stack's config; the token must be set and must be a secret."""
    config = config or pulumi.Config(PROJECT)
    settings, raw, problems = validate_stack_config(_all_config())

    from pulumi.runtime import config as runtime_config

    token_key = f"{PROJECT}:{TOKEN_CONFIG_KEY}"
    token_fix = set_command(TOKEN_CONFIG_KEY, "<token from the Webex admin sign-in>", secret=True)
    if TOKEN_CONFIG_KEY not in raw:
        problems.append(f"{token_key}: required but not set; run `{token_fix}`")
    elif not runtime_config.is_config_secret(token_key):
        # Never echo the value: it is a bearer token that was just committed in clear.
        problems.append(
            f"{token_key}: is stored in plain text in the stack file; make it a secret: "
            f"`pulumi config rm {TOKEN_CONFIG_KEY}` then `{token_fix}` (and revoke the exposed token in Webex)"
        )
    elif not str(raw[TOKEN_CONFIG_KEY]).strip():
        problems.append(f"{token_key}: is empty; run `{token_fix}`")
    if problems or settings is None:
        raise SettingsError(problems)
    return StackSettings(settings, config.require_secret(TOKEN_CONFIG_KEY))
