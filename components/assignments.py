"""Portal step 3: Users and groups > Add user/group, with a Webex app role (never Default Access)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_azuread as azuread

from policies.vocabulary import ASSIGNMENTS

from .catalog import DEFAULT_ACCESS_ROLE_ID
from .settings import Assignment, DeployTimeError


def pick_role_id(app_roles: Sequence[Mapping[str, Any]] | None, wanted: str | None) -> str:
    """The app role id to assign: the configured role (by value or display name), or the app's only role.

    Users assigned Default Access are not provisioned (Microsoft's Webex tutorial), so the all-zero id is never
    returned. Gallery roles may have no `value` (SAML apps' `msiam_access`), so they are named by display name too.
    Anything ambiguous fails the deployment with the roles the app actually has.
    """
    roles = [
        {"id": str(r["id"]), "names": [n for n in (r.get("value"), r.get("displayName")) if n]}
        for r in (app_roles or [])
        if r.get("id") and r.get("id") != DEFAULT_ACCESS_ROLE_ID and r.get("enabled") is not False
    ]
    listed = ", ".join(sorted(r["names"][0] if r["names"] else r["id"] for r in roles))
    values = listed or "(none besides Default Access)"
    if wanted:
        for role in roles:
            if wanted in role["names"]:
                return role["id"]
        raise DeployTimeError(
            f"webex-scim:assignmentRole: the app has no role {wanted!r}; its roles are: {values}. "
            "Fix: pulumi config set assignmentRole <one of those>"
        )
    if len(roles) == 1:
        return roles[0]["id"]
    raise DeployTimeError(
        f"webex-scim:assignmentRole: not set and the app has {len(roles)} assignable roles ({values}); "
        "choose one: pulumi config set assignmentRole <role value or display name>"
    )


def _principal_object_id(a: Assignment, parent: pulumi.Resource) -> pulumi.Input[str]:
    """An object ID as given, or looked up: users by UPN, groups by display name (the tenant answers at deploy)."""
    if a.is_object_id:
        return a.ref
    invoke_opts = pulumi.InvokeOutputOptions(parent=parent)
    if a.kind == "user":
        return azuread.get_user_output(user_principal_name=a.ref, opts=invoke_opts).object_id
    return azuread.get_group_output(display_name=a.ref, opts=invoke_opts).object_id


def resource_name(a: Assignment) -> str:
    """Stable, readable logical name: the principal as written in config (case-folded)."""
    return f"{a.kind}-{a.ref.lower()}"


class Assignments(pulumi.ComponentResource):
    """One AppRoleAssignment per configured user or group."""

    principal_ids: dict[str, pulumi.Input[str]]

    def __init__(
        self,
        name: str,
        assignments: Sequence[Assignment],
        *,
        rollout: str,
        default_role: str | None,
        service_principal: azuread.ServicePrincipal,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Inputs for the CLI's Analyze, and the same as outputs for its AnalyzeStack (policy: pilot, duplicates).
        facts = {
            "rollout": rollout,
            "principals": [{"kind": a.kind, "ref": a.ref, "role": a.role or default_role} for a in assignments],
        }
        super().__init__(ASSIGNMENTS, name, facts, opts)
        self.principal_ids = {}
        self.assignments: dict[str, azuread.AppRoleAssignment] = {}
        role_ids: dict[str | None, pulumi.Output[str]] = {}  # one lookup per role, not per principal
        for a in assignments:
            wanted = a.role or default_role
            if wanted not in role_ids:
                role_ids[wanted] = service_principal.app_roles.apply(
                    lambda roles, wanted=wanted: pick_role_id([_role_dict(r) for r in roles or []], wanted)
                )
            role_id = role_ids[wanted]
            principal_id = _principal_object_id(a, self)  # a plain string when given: no Output per principal
            key = resource_name(a)
            self.principal_ids[key] = principal_id
            self.assignments[key] = azuread.AppRoleAssignment(
                key,
                app_role_id=role_id,
                principal_object_id=principal_id,
                resource_object_id=service_principal.object_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs(facts)


def _role_dict(role: Any) -> dict[str, Any]:
    """ServicePrincipalAppRole outputs arrive as typed objects or dicts depending on the engine; read either."""
    if isinstance(role, Mapping):
        return dict(role)
    return {
        "id": getattr(role, "id", None),
        "value": getattr(role, "value", None),
        "displayName": getattr(role, "display_name", None),
        "enabled": getattr(role, "enabled", None),
    }
