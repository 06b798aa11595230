"""Portal steps 1-2: the Cisco Webex enterprise app is hidden from users and requires assignment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity, StackValidationArgs
from vocabulary import HIDE_APP_TAG

from . import stack_config as cfg
from .catalog import ENTERPRISE_APP, SERVICE_PRINCIPAL
from .rule import ResourceRule, StackRule, known, of_type, owning


def _hidden(props: Mapping[str, Any]) -> bool:
    """The HideApp tag, written as raw `tags` (what this project does) or as `featureTags: [{hide: true}]`."""
    feature_tags = props.get("featureTags") or []
    if any(tag.get("hide") is True for tag in feature_tags):
        return True
    return HIDE_APP_TAG in (props.get("tags") or [])


def _check_hidden(args: StackValidationArgs, report: ReportViolation) -> None:
    principals = of_type(args.resources, SERVICE_PRINCIPAL)
    if not principals:
        args.not_applicable("no ServicePrincipal in the stack")
    apps = of_type(args.resources, ENTERPRISE_APP)
    for sp in principals:
        is_known, hidden = known(lambda sp=sp: _hidden(sp.props))
        if not is_known:
            # The tags are the existing ones plus HideApp, read from the tenant: unknown until deploy. The
            # setting they are built from is known, so judge that; with no component, say it cannot run.
            app = owning(sp, ENTERPRISE_APP, apps)
            if app is None or app.props.get("hideFromUsers") is None:
                _hidden(sp.props)  # raises the SDK's "can't run policy ... during preview"
            hidden = app.props.get("hideFromUsers") is True
        if not hidden:
            report(
                "The Cisco Webex app shows up in users' My Apps portal, where its tile only confuses people (Webex "
                "is signed into from Webex, not from My Apps). " + cfg.fix_set(cfg.HIDE_FROM_USERS, "true"),
                sp.urn,
            )


hidden_from_users = StackRule(
    name="hidden-from-users",
    description="The Cisco Webex enterprise app is hidden from My Apps (Visible to users? = No, the HideApp tag).",
    applies_to=(SERVICE_PRINCIPAL, ENTERPRISE_APP),
    check=_check_hidden,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps=(
        f"Set `{cfg.key(cfg.HIDE_FROM_USERS)}` to true (the default) so the service principal carries the HideApp tag."
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
