"""The Webex/Entra data tables, read as data from the program's own catalog file.

The pack runs in its own process and virtualenv (pulumi + pulumi-policy only), so it must not import the
program's `components` package (that imports pulumi_azuread). It reads the very same JSON file by path instead,
which keeps one table for the program and the pack: nothing here is a copy of it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

# policies/webex_guard/catalog.py -> repository root -> components/webex_catalog.json
CATALOG_PATH = Path(__file__).resolve().parents[2] / "components" / "webex_catalog.json"

# Resource types the rules look at (the program registers these; see components/).
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
APP_ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
SYNCHRONIZATION_SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
PROVISIONING_JOB = "webex-scim:index:ProvisioningJob"
ASSIGNMENTS = "webex-scim:index:Assignments"
ENTERPRISE_APP = "webex-scim:index:WebexEnterpriseApp"
ATTRIBUTE_MAPPINGS = "pulumi-python:dynamic/webex:AttributeMappings"
JOB_RESTART = "pulumi-python:dynamic/webex:JobRestart"


@cache
def catalog() -> dict[str, Any]:
    """The whole table, parsed once per pack process."""
    try:
        return json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    except FileNotFoundError:
        # A pack published on its own (without the repository) has no catalog: say so instead of a KeyError later.
        raise RuntimeError(
            f"webex-scim-guard needs the Webex catalog at {CATALOG_PATH}; run the pack from the webex-scim "
            "repository (pulumi preview --policy-pack policies)"
        ) from None


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
