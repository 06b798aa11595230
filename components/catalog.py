"""The Webex/Entra data tables (offers, Webex attributes, default mappings), loaded from one JSON file.

The file is data, not code, so the policy pack (which runs in its own process and virtualenv) reads the very
same table without importing this package.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).with_name("webex_catalog.json")


@cache
def catalog() -> dict[str, Any]:
    """The whole table, parsed once per process."""
    return json.loads(CATALOG_PATH.read_text(encoding="utf-8"))


def offers() -> dict[str, dict[str, Any]]:
    return catalog()["offers"]


def tenant_url_forms(offer: str) -> list[str]:
    """Every tenant URL form known for an offer, `{orgId}` unfilled; the first is the offer's default."""
    return list(offers()[offer]["tenantUrlForms"])


def tenant_url_for(offer: str, org_id: str) -> str:
    """The Webex SCIM base URL Entra's provisioning job talks to, for an offer and org ID."""
    return tenant_url_forms(offer)[0].format(orgId=org_id)


def email_format_sources() -> list[str]:
    """Entra attributes userName may come from: single-valued, holding the primary email."""
    return list(catalog()["emailFormatSources"])


def multi_valued_email_sources() -> dict[str, str]:
    """Entra attributes holding several addresses (never a userName source), each with what it holds."""
    return dict(catalog()["multiValuedEmailSources"])


def webex_user_attributes() -> list[str]:
    return list(catalog()["webexUserAttributes"])


def default_user_mappings() -> list[dict[str, Any]]:
    return [dict(row) for row in catalog()["defaultUserMappings"]]


DEFAULT_ACCESS_ROLE_ID: str = catalog()["defaultAccessRoleId"]
