"""The typed `webex-scim:*` settings, one pydantic model per portal page: what each key accepts, and why a value is
refused (the message names the value and the fix). Loading them from a stack is components/settings.py's job.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from . import catalog
from .graph.errors import DEFAULT_GRAPH_BASE_URL
from .mapping_settings import MappingSettings
from .settings_messages import set_command, shown

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


def _api_id_uuid(text: str) -> str | None:
    """The org UUID a Webex API org id holds (base64 of `ciscospark://us/ORGANIZATION/<uuid>`), or None."""
    try:
        decoded = base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    tail = decoded.rsplit("/", 1)[-1]
    return tail.lower() if decoded.startswith("ciscospark://") and _UUID_RE.match(tail) else None


def check_org_id(value: str) -> str:
    """A Webex org ID is the UUID shown in Control Hub; the base64 API id and the article's sample are refused."""
    text = str(value).strip()
    decoded = _api_id_uuid(text)
    if decoded:
        raise ValueError(
            f"is the base64 API id of org {decoded} (it decodes to ciscospark://…/ORGANIZATION/{decoded}); "
            f"set the UUID itself: `{set_command('orgId', decoded)}`"
        )
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


def default_access_problem(role: str, fix: str) -> str | None:
    """Why `role` names the app's Default Access role (by name or by its all-zero id), or None for any other role.

    Entra does not provision a principal assigned with Default Access (Microsoft's Cisco Webex tutorial), and its
    id is all zeros on every app, so the stack says which role it means long before the tenant resolves the id: the
    preview refuses it here rather than leaving `no-default-access` to find it at `pulumi up`."""
    folded = re.sub(r"[\s_-]+", "", role).lower()
    if folded != "defaultaccess" and role.strip().lower() != catalog.DEFAULT_ACCESS_ROLE_ID:
        return None
    return (
        f"{role.strip()!r} is the app's Default Access role, and Entra does not provision users assigned with it: "
        f"they would never reach Webex; {fix}"
    )


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
        problem = v and default_access_problem(v, "give a Webex role (e.g. `role: User`), or remove `role:`")
        if problem:
            raise ValueError(problem)
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
        problem = v and default_access_problem(v, f"use a Webex role: `{set_command('assignmentRole', 'User')}`")
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("tenant_url", "graph_base_url", mode="before")
    @classmethod
    def _unpadded(cls, v: Any) -> Any:
        # urlsplit reads " https://…" as https, so a padded URL would pass and reach Graph (and BaseAddress) padded.
        return v.strip() if isinstance(v, str) else v

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


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, itself or in a list or an optional (`list[Assignment]` -> Assignment)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def keys_at(loc: tuple[Any, ...]) -> list[str]:
    """The keys the settings accept beside the last part of an error's location (`("provisioning", "x")` -> the
    keys under provisioning), so an unknown key anywhere gets "did you mean" from its own level."""
    model: type[BaseModel] | None = Settings
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        model = _model_of(field.annotation) if field is not None else None
    return [] if model is None else [f.alias or n for n, f in model.model_fields.items()]
