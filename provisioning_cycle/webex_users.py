"""Webex's users as its SCIM 2 API answers them, read tolerantly: the few facts a match needs, the rest kept as is.

Webex's user carries more than RFC 7643 (its OpenAPI, webex/webex-openapi-specs public-spec/webex-admin.json, the
201 answer of "Create a user"): `accountStatus`, `extensionAttributeN` arrays, `meta.organizationId` inside its own
extension, `manager.example`, `sipAddresses[].display`. scim2-models' strict validation refuses that user; with
unknown attributes ignored it accepts it, but at about half a millisecond a user (ten seconds for 20,000), so the
facts are read here straight from the JSON: attribute names without case (RFC 7643 §2.1), a wrong type taken as
absent, never a reason to fail the read. The resource itself is kept for the first-cycle comparison.

A `ListResponse` (RFC 7644 §3.4.2) must be a JSON object with `Resources` (a list) or `totalResults`; anything
else (an HTML login page, a proxy's error) is `NotScim`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .models import WEBEX_SCHEMA

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


class NotScim(ValueError):
    """An answer that is not a SCIM ListResponse."""


def _get(resource: dict[str, Any], name: str) -> Any:
    value = resource.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in resource.items() if k.lower() == lowered), None)


@dataclass(frozen=True, slots=True)
class WebexAccount:
    id: str
    user_name: str
    external_id: str | None
    active: bool | None
    account_status: tuple[str, ...]  # Webex's accountStatus (active, pending, disabled…), when it says
    emails: tuple[str, ...]
    resource: dict[str, Any]

    @property
    def inactive(self) -> bool:
        """Not active in Webex: `active: false`, or an accountStatus without "active" (pending, disabled…)."""
        return self.active is False or (bool(self.account_status) and "active" not in self.account_status)

    def status(self) -> str:
        """How Webex says it: its accountStatus, else `active: false` / `active`."""
        if self.account_status:
            return "accountStatus " + ", ".join(self.account_status)
        return "active: false" if self.active is False else "active"

    def as_json(self) -> dict[str, Any]:
        return {
            "webexId": self.id,
            "userName": self.user_name,
            "active": self.active,
            "accountStatus": list(self.account_status) or None,
        }


def account(resource: Any) -> WebexAccount | None:
    """The facts of one user resource; None when it is not a user (no id or no userName)."""
    if not isinstance(resource, dict):
        return None
    ident, name = _get(resource, "id"), _get(resource, "userName")
    if not isinstance(ident, str | int) or not isinstance(name, str) or not name:
        return None
    external = _get(resource, "externalId")
    active = _get(resource, "active")
    webex = _get(resource, WEBEX_SCHEMA)
    status = _get(webex, "accountStatus") if isinstance(webex, dict) else None
    if isinstance(status, str):
        status = [status]
    emails = _get(resource, "emails")
    return WebexAccount(
        id=str(ident),
        user_name=name,
        external_id=external if isinstance(external, str) and external else None,
        active=active if isinstance(active, bool) else None,
        account_status=tuple(s for s in status if isinstance(s, str)) if isinstance(status, list) else (),
        emails=tuple(
            e["value"] for e in emails if isinstance(e, dict) and isinstance(e.get("value"), str) and e["value"]
        )
        if isinstance(emails, list)
        else (),
        resource=resource,
    )


@dataclass(frozen=True)
class Page:
    total: int | None
    accounts: list[WebexAccount]
    count: int  # resources on the page, users or not


def page(doc: Any) -> Page:
    """A ListResponse's users (NotScim when the answer is not one)."""
    if not isinstance(doc, dict):
        raise NotScim(f"a JSON {type(doc).__name__}, not a SCIM ListResponse")
    resources = _get(doc, "Resources")
    total = _get(doc, "totalResults")
    if resources is None and total is None:
        keys = ", ".join(sorted(map(str, doc))[:5]) or "none"
        raise NotScim(f"a JSON object without Resources or totalResults (keys: {keys}), not a SCIM ListResponse")
    if resources is None:
        resources = []
    if not isinstance(resources, list):
        raise NotScim("Resources is not a list")
    found = [a for a in map(account, resources) if a is not None]
    return Page(total if isinstance(total, int) and not isinstance(total, bool) else None, found, len(resources))
