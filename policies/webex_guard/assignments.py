"""Portal step 3: users and groups are assigned with a Webex app role, once each; a pilot assigns one user."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from . import stack_config as cfg
from .catalog import APP_ROLE_ASSIGNMENT, ASSIGNMENTS, default_access_role_id
from .rule import ResourceRule, StackRule, known, of_type, quote


def _check_default_access(props: Mapping[str, Any], args: ResourceValidationArgs, report: ReportViolation) -> None:
    if str(props.get("appRoleId") or "").lower() == default_access_role_id():
        report(
            f"Assignment {args.name!r} uses the Default Access role ({default_access_role_id()}); Entra does not "
            "provision users assigned with Default Access, so this principal never reaches Webex. "
            + cfg.fix_set(cfg.ASSIGNMENT_ROLE, "<a Webex app role value>")
            + f" (or give this principal its own role under `{cfg.key(cfg.ASSIGNMENTS)}`: `role: <value>`)."
        )


no_default_access = ResourceRule(
    name="no-default-access",
    description="No user or group is assigned the Default Access role (those users are not provisioned).",
    applies_to=APP_ROLE_ASSIGNMENT,
    check=_check_default_access,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps=(
        f"Set `{cfg.key(cfg.ASSIGNMENT_ROLE)}` (or a per-principal `role` in `{cfg.key(cfg.ASSIGNMENTS)}`) to one "
        "of the app's Webex roles; never the all-zero Default Access id."
    ),
)


def _check_pilot(props: Mapping[str, Any], _args: ResourceValidationArgs, report: ReportViolation) -> None:
    if props.get("rollout") != "pilot":
        return
    principals = list(props.get("principals") or [])
    users = [p for p in principals if p.get("kind") == "user"]
    groups = [p for p in principals if p.get("kind") != "user"]
    if len(users) == 1 and not groups:
        return
    report(
        f"This pilot rollout assigns {len(users)} user(s) and {len(groups)} group(s), but a pilot provisions exactly "
        "one user first (the Webex article's test step). "
        + cfg.fix_edit(cfg.ASSIGNMENTS, "keep a single `- user: <UPN>` entry")
        + f" Or, when the pilot user arrived in Webex, go wide: `{cfg.set_command(cfg.ROLLOUT, 'full')}`."
    )


pilot_single_user = ResourceRule(
    name="pilot-single-user",
    description="A pilot rollout assigns exactly one user, and no group.",
    applies_to=ASSIGNMENTS,
    check=_check_pilot,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    remediation_steps=(
        f"While `{cfg.key(cfg.ROLLOUT)}` is pilot, list one user in `{cfg.key(cfg.ASSIGNMENTS)}`; set "
        f"`{cfg.key(cfg.ROLLOUT)}` to full to assign everyone else."
    ),
)


def _check_duplicates(args: StackValidationArgs, report: ReportViolation) -> None:
    role_assignments = of_type(args.resources, APP_ROLE_ASSIGNMENT)
    components = of_type(args.resources, ASSIGNMENTS)
    if not role_assignments and not components:
        args.not_applicable("no AppRoleAssignment and no Assignments component in the stack")

    # The same principal assigned twice to the app: compare only what is known; an object ID looked up at deploy
    # time (unknown in preview) cannot be compared, which is not a reason to skip the known ones.
    first_urn: dict[tuple[str, str], str] = {}
    for assignment in role_assignments:
        props = assignment.props
        ok_p, principal = known(lambda props=props: props.get("principalObjectId"))
        ok_r, resource = known(lambda props=props: props.get("resourceObjectId"))
        if not (ok_p and ok_r) or not principal or not resource:
            continue
        pair = (str(principal).lower(), str(resource).lower())
        if pair in first_urn:
            report(
                f"Principal {principal} is assigned to the app twice (also by {first_urn[pair]}); Graph refuses the "
                "second assignment. "
                + cfg.fix_edit(
                    cfg.ASSIGNMENTS,
                    "list each user and group once (a user given by UPN and again by object ID is the same principal)",
                ),
                assignment.urn,
            )
        else:
            first_urn[pair] = assignment.urn

    # The same entry twice in the component's principals: the config list itself repeats someone.
    for component in components:
        seen: dict[tuple[str, str], int] = {}
        for index, principal in enumerate(component.props.get("principals") or []):
            entry = (str(principal.get("kind")), str(principal.get("ref") or "").lower())
            if entry in seen:
                report(
                    f"{entry[0].capitalize()} {quote(principal.get('ref'))} is listed twice (entries {seen[entry]} "
                    f"and {index}). " + cfg.fix_edit(cfg.ASSIGNMENTS, f"remove entry [{index}]"),
                    component.urn,
                )
            else:
                seen[entry] = index


no_duplicate_assignments = StackRule(
    name="no-duplicate-assignments",
    description="Each user or group is assigned to the Cisco Webex app once.",
    applies_to=(APP_ROLE_ASSIGNMENT, ASSIGNMENTS),
    check=_check_duplicates,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps=f"List each user and group once in `{cfg.key(cfg.ASSIGNMENTS)}`.",
)

RULES = [no_default_access, pilot_single_user, no_duplicate_assignments]
