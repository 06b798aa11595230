"""Microsoft Graph's application permissions, as the app role ids this program grants: policies/graph_permissions.json.

The table lives in the policy pack's folder because the pack must run from that folder alone and judges grants by
the same ids; the program reads it as data (it never imports the pack).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

TABLE = Path(__file__).resolve().parents[1] / "policies" / "graph_permissions.json"


@dataclass(frozen=True)
class Permission:
    name: str
    app_role_id: str
    access: str  # "read" or "write"
    tenant_wide: str | None  # why it reaches the whole tenant, for a permission the pack refuses unless accepted


@functools.cache
def _document() -> dict:
    return json.loads(TABLE.read_text(encoding="utf-8"))


def microsoft_graph_app_id() -> str:
    """Microsoft Graph's application (client) ID, the same in every tenant: its service principal holds the roles."""
    return str(_document()["microsoftGraphAppId"])


@functools.cache
def permissions() -> dict[str, Permission]:
    """Every permission of the table, by name."""
    return {
        name: Permission(name, str(row["id"]), str(row["access"]), row.get("tenantWide"))
        for name, row in _document()["permissions"].items()
    }
