"""The deploy identity's right to assign users and groups: a custom role that can do that and nothing else, assigned
at the scope of one object (the Cisco Webex service principal), never tenant-wide."""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from .stack import ASSIGNMENTS_ACTION, CUSTOM_ROLE, NAMESPACE, ROLE_ASSIGNMENT, TAGS

_ONE_OBJECT = re.compile(r"^/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _actions(permissions: Any) -> list[str]:
    return [str(a) for block in permissions or [] for a in (block.get("allowedResourceActions") or [])]


def _check_role(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CUSTOM_ROLE:
        args.not_applicable("checks CustomDirectoryRole resources only")
    actions = _actions(args.props.get("permissions"))
    if actions != [ASSIGNMENTS_ACTION]:
        extra = sorted(set(actions) - {ASSIGNMENTS_ACTION})
        report(
            f"This custom directory role allows {extra or actions or 'nothing'}; the deploy identity's role must "
            f"allow exactly {ASSIGNMENTS_ACTION} (manage user and group assignments), which the program writes."
        )


custom_role_manages_assignments_only = ResourceValidationPolicy(
    name="custom-role-manages-assignments-only",
    description=f"A custom directory role of this stack allows exactly {ASSIGNMENTS_ACTION}.",
    validate=_check_role,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=TAGS,
    remediation_steps="Leave the role as bootstrap/components/scoped_role.py writes it.",
)


def _check_scope(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != ROLE_ASSIGNMENT:
        args.not_applicable("checks DirectoryRoleAssignment resources only")
    scope = str(args.props.get("directoryScopeId") or "")
    if args.props.get("appScopeId") or not _ONE_OBJECT.match(scope):
        where = "the whole tenant" if scope in ("", "/") else repr(scope[:80])
        report(
            f"This directory role assignment reaches {where}, not one object: the deploy identity could then manage "
            f"assignments of every enterprise app. Scope it to the Cisco Webex service principal: "
            f"`pulumi config set webexServicePrincipalObjectId <object ID>` ({NAMESPACE})."
        )


role_assignments_scoped_to_one_app = ResourceValidationPolicy(
    name="role-assignments-scoped-to-one-app",
    description="A directory role assignment of this stack is scoped to one object (/<object ID>), never the tenant.",
    validate=_check_scope,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=TAGS,
    remediation_steps="Set webexServicePrincipalObjectId (or mainStack) to the Cisco Webex service principal.",
)

RULES = [custom_role_manages_assignments_only, role_assignments_scoped_to_one_app]
