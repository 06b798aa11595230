"""What each pipeline identity may do in Microsoft Graph: the read identity only reads, and a tenant-wide privileged
permission is granted only when the stack says, per identity, that it is meant (`acceptTenantWide`)."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .stack import TAGS, grants, key, permissions_by_role_id


def _check_read_only(args: StackValidationArgs, report: ReportViolation) -> None:
    found = False
    for grant, identity in grants(args.resources):
        if identity.props.get("role") != "read":
            continue
        found = True
        role_id = str(grant.props.get("appRoleId", "")).lower()
        name, row = permissions_by_role_id().get(role_id, (None, {}))
        if name is None:
            report(
                f"The read identity is granted Microsoft Graph app role {role_id}, which graph_permissions.json does "
                f"not list, so nothing shows it only reads. Grant read permissions from the table in "
                f"{key('read', 'permissions')}.",
                grant.urn,
            )
        elif row.get("access") != "read":
            report(
                f"The read identity is granted {name}, a write permission: the identity that pull requests and the "
                f"schedule sign in as must not be able to change the tenant. Remove {name} from "
                f"{key('read', 'permissions')} (the deploy identity holds what writes).",
                grant.urn,
            )
    if not found:
        args.not_applicable("no Microsoft Graph permission is granted to a read identity")


read_identity_reads_only = StackValidationPolicy(
    name="read-identity-reads-only",
    description="Every Microsoft Graph permission granted to the read identity is a read permission from the table.",
    validate=_check_read_only,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=TAGS,
    remediation_steps=f"Keep only read permissions of graph_permissions.json in {key('read', 'permissions')}.",
)


def _check_tenant_wide(args: StackValidationArgs, report: ReportViolation) -> None:
    found = False
    for grant, identity in grants(args.resources):
        found = True
        name, row = permissions_by_role_id().get(str(grant.props.get("appRoleId", "")).lower(), (None, {}))
        if name is None or not row.get("tenantWide"):
            continue
        role = str(identity.props.get("role"))
        if name not in (identity.props.get("acceptTenantWide") or []):
            report(
                f"The {role} identity is granted {name}, which {row['tenantWide']}. Nothing in the stack says this "
                f"identity is meant to hold it. Remove {name} from {key(role, 'permissions')}, or, if you mean it, "
                f"say so: `pulumi config set --path '{role}Identity.acceptTenantWide[0]' {name}`.",
                grant.urn,
            )
    if not found:
        args.not_applicable("no Microsoft Graph permission is granted to a pipeline identity")


tenant_wide_permissions_accepted = StackValidationPolicy(
    name="tenant-wide-permissions-accepted",
    description=(
        "A tenant-wide privileged Microsoft Graph permission (AppRoleAssignment.ReadWrite.All, "
        "RoleManagement.ReadWrite.Directory, Application.ReadWrite.All, Directory.ReadWrite.All, ...) is granted to "
        "a pipeline identity only when its acceptTenantWide setting names it."
    ),
    validate=_check_tenant_wide,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=TAGS,
    remediation_steps=(
        "Use the least privilege of docs/permissions.md (for user and group assignment, the scoped custom role); "
        "a tenant-wide permission you do mean goes in <role>Identity.acceptTenantWide."
    ),
)

RULES = [read_identity_reads_only, tenant_wide_permissions_accepted]
