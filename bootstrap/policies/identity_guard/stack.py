"""What every rule of this pack reads: the resource types, the Graph permission table, and which pipeline identity
a resource belongs to. Plain data and small helpers; the rules are in grants.py, trust.py and roles.py."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import PolicyResource

# The program's component types (bootstrap/components/: a test keeps them equal) and the azuread types they hold.
IDENTITY = "webex-scim-bootstrap:index:PipelineIdentity"
APP_ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
FEDERATED_CREDENTIAL = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
CUSTOM_ROLE = "azuread:index/customDirectoryRole:CustomDirectoryRole"
ROLE_ASSIGNMENT = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"

NAMESPACE = "webex-scim-bootstrap"  # the stack config namespace messages name keys in
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "api://AzureADTokenExchange"
ASSIGNMENTS_ACTION = "microsoft.directory/servicePrincipals/appRoleAssignedTo/update"
TAGS = ["entra-id", "microsoft-graph", "github-oidc", "least-privilege"]

_TABLE = Path(__file__).resolve().parents[1] / "graph_permissions.json"


@functools.cache
def permissions_by_role_id() -> dict[str, tuple[str, Mapping[str, Any]]]:
    """Microsoft Graph app role id -> (permission name, its row of graph_permissions.json)."""
    rows = json.loads(_TABLE.read_text(encoding="utf-8"))["permissions"]
    return {str(row["id"]).lower(): (name, row) for name, row in rows.items()}


def owning_identity(resource: PolicyResource) -> PolicyResource | None:
    """The PipelineIdentity component this resource was registered under, if any."""
    parent = resource.parent
    while parent is not None:
        if parent.resource_type == IDENTITY:
            return parent
        parent = parent.parent
    return None


def grants(resources: list[PolicyResource]) -> Iterator[tuple[PolicyResource, PolicyResource]]:
    """(app role assignment, its identity) for every Graph permission granted to a pipeline identity."""
    for resource in resources:
        if resource.resource_type == APP_ROLE_ASSIGNMENT:
            identity = owning_identity(resource)
            if identity is not None:
                yield resource, identity


def key(role: str, setting: str) -> str:
    """The stack config key of one identity's setting, as a message names it."""
    return f"{NAMESPACE}:{role}Identity.{setting}"
