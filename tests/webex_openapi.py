"""Webex's own description of its SCIM 2 Users API (webex/webex-openapi-specs public-spec/webex-admin.json, the
Users paths and the schemas they reference, as given in ../shared/reference): what the tests check the simulation
and the match report against.

That folder sits beside the checkout on the project's machines and in CI, not in a plain clone, so the tests carry a
copy (tests/reference/) and use the shared one when it is there; tests/test_webex_openapi.py keeps the two identical.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from tests.support import ROOT

SHARED = ROOT.parent / "shared" / "reference" / "webex-scim-users.openapi.json"
COPIED = ROOT / "tests" / "reference" / "webex-scim-users.openapi.json"
USERS = "/identity/scim/{orgId}/v2/Users"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
WEBEX = "urn:scim:schemas:extension:cisco:webexidentity:2.0:User"


@cache
def _spec() -> dict[str, Any]:
    return json.loads((SHARED if SHARED.is_file() else COPIED).read_text(encoding="utf-8"))


def spec() -> dict[str, Any]:
    return copy.deepcopy(_spec())


def documented_user() -> dict[str, Any]:
    """The user Webex documents as its answer to a create (POST …/Users, 201): what a GET returns, Webex's extra
    fields included (accountStatus, extensionAttributeN arrays, meta.organizationId, manager.example…)."""
    return copy.deepcopy(_spec()["paths"][USERS]["post"]["responses"]["201"]["content"]["application/json"]["example"])


def user_schema() -> dict[str, dict[str, Any]]:
    """GET /Schemas/SCIM2/User's documented answer: each schema URN -> {attribute path -> its declaration}, sub-
    attributes as `emails.value`."""
    example = _spec()["paths"]["/Schemas/SCIM2/User"]["get"]["responses"]["200"]["content"]["application/json"]
    out: dict[str, dict[str, Any]] = {}
    for urn, schema in example["example"].items():
        flat: dict[str, Any] = {}

        def walk(attributes: list[dict[str, Any]], prefix: str, flat: dict[str, Any] = flat) -> None:
            for attribute in attributes:
                flat[prefix + attribute["name"]] = attribute
                walk(attribute.get("subAttributes") or [], f"{prefix}{attribute['name']}.")

        walk(schema.get("attributes") or [], "")
        out[urn] = flat
    return out


def search_parameters() -> dict[str, dict[str, Any]]:
    """GET …/Users' documented query parameters, by name."""
    return {p["name"]: p for p in _spec()["paths"][USERS]["get"]["parameters"]}


def search_statuses() -> list[str]:
    """The statuses Webex documents for a search."""
    return sorted(_spec()["paths"][USERS]["get"]["responses"])
