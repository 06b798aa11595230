"""The Webex/Entra data tables, read as data from the pack's own copy of the program's catalog file.

The pack runs from its own folder, in its own process and virtualenv (pulumi + pulumi-policy only), so it must not
import the program's `components` package (that imports pulumi_azuread) nor read files outside its folder.
webex_catalog.json here is a copy of components/webex_catalog.json, kept equal to it by tests/test_policy_pack.py.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from vocabulary import (  # noqa: F401  (the resource types the rules look at, re-exported for them)
    APP_ROLE_ASSIGNMENT,
    ASSIGNMENTS,
    ATTRIBUTE_MAPPINGS,
    ENTERPRISE_APP,
    JOB_RESTART,
    PROVISIONING_JOB,
    SERVICE_PRINCIPAL,
    SYNCHRONIZATION_SECRET,
)

CATALOG_PATH = Path(__file__).resolve().with_name("webex_catalog.json")


@cache
def catalog() -> dict[str, Any]:
    """The whole table, parsed once per pack process."""
    return json.loads(CATALOG_PATH.read_text(encoding="utf-8"))


def offers() -> dict[str, dict[str, Any]]:
    return catalog()["offers"]


def default_access_role_id() -> str:
    return catalog()["defaultAccessRoleId"]


def webex_user_attributes() -> list[str]:
    return list(catalog()["webexUserAttributes"])


def required_webex_targets() -> list[str]:
    return list(catalog()["requiredWebexTargets"])


def email_format_sources() -> list[str]:
    return list(catalog()["emailFormatSources"])


def multi_valued_email_sources() -> dict[str, str]:
    """Attributes holding several addresses (never a userName source), each with what it holds."""
    return dict(catalog()["multiValuedEmailSources"])


def tenant_url_forms(offer_row: dict[str, Any]) -> list[str]:
    """An offer's known tenant URL forms, `{orgId}` unfilled; the first is its default."""
    return list(offer_row["tenantUrlForms"])


def user_name_target() -> str:
    return catalog()["userNameTarget"]


def external_id_target() -> str:
    return catalog()["externalIdTarget"]


def external_id_source() -> str:
    return catalog()["externalIdSource"]


def default_user_name_source() -> str:
    return catalog()["defaultUserNameSource"]
