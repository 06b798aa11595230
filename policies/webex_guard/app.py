"""Portal steps 1-2: the Cisco Webex enterprise app is hidden from users and requires assignment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from . import stack_config as cfg
from .catalog import SERVICE_PRINCIPAL
from .rule import ResourceRule


def _check_hidden(props: Mapping[str, Any], _args: ResourceValidationArgs, report: ReportViolation) -> None:
    tags = props.get("featureTags") or []
    if not any(tag.get("hide") is True for tag in tags):
        report(
            "The Cisco Webex app shows up in users' My Apps portal, where its tile only confuses people (Webex is "
            "signed into from Webex, not from My Apps). " + cfg.fix_set(cfg.HIDE_FROM_USERS, "true")
        )


hidden_from_users = ResourceRule(
    name="hidden-from-users",
    description="The Cisco Webex enterprise app is hidden from My Apps (Visible to users? = No, the HideApp tag).",
    applies_to=SERVICE_PRINCIPAL,
    check=_check_hidden,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps=(
        f"Set `{cfg.key(cfg.HIDE_FROM_USERS)}` to true (the default) so the service principal carries "
        "featureTags [{hide: true}]."
    ),
)


def _check_assignment_required(
    props: Mapping[str, Any], _args: ResourceValidationArgs, report: ReportViolation
) -> None:
    if props.get("appRoleAssignmentRequired") is not True:
        report(
            "Assignment is not required, so any user in the tenant can get a token for the Cisco Webex app, and "
            "the assigned-users scope loses its meaning. " + cfg.fix_set(cfg.ASSIGNMENT_REQUIRED, "true")
        )


assignment_required = ResourceRule(
    name="assignment-required",
    description="The Cisco Webex enterprise app requires assignment (Assignment required? = Yes).",
    applies_to=SERVICE_PRINCIPAL,
    check=_check_assignment_required,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps=(
        f"Set `{cfg.key(cfg.ASSIGNMENT_REQUIRED)}` to true (the default) so the service principal has "
        "appRoleAssignmentRequired = true."
    ),
)

RULES = [hidden_from_users, assignment_required]
