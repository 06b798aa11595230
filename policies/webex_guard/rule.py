"""The two kinds of rule in this pack, plus the small helpers every rule uses.

A rule is a pulumi_policy policy object with a little more metadata (what it applies to), so the registry can
build the pack and render the README's rule table from the same objects.

Not-applicable: the policy SDK does not know which resource type a resource policy is about, so a rule that
checks one type reports itself *not applicable* (`args.not_applicable(...)`, sent in `AnalyzeResponse.
not_applicable`) for every other resource. The CLI's policy summary counts that as "not applicable" rather than
"passed" (passed = all - disabled - not applicable - failed), so a stack without, say, an AttributeMappings
resource shows the mapping rules as not applicable on every resource instead of silently passing them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

ResourceCheck = Callable[[Mapping[str, Any], ResourceValidationArgs, ReportViolation], None]
StackCheck = Callable[[StackValidationArgs, ReportViolation], None]

TAGS = ["webex", "entra-id", "scim"]


def _metadata(
    name: str,
    description: str,
    enforcement_level: EnforcementLevel,
    severity: Severity,
    remediation_steps: str,
    config_schema: PolicyConfigSchema | None,
) -> dict[str, Any]:
    """What every rule declares, resource or stack alike, as the SDK's policy constructors take it."""
    return {
        "name": name,
        "description": description,
        "enforcement_level": enforcement_level,
        "config_schema": config_schema,
        "severity": severity,
        "tags": TAGS,
        "remediation_steps": remediation_steps,
    }


class ResourceRule(ResourceValidationPolicy):
    """A resource policy about one resource type; not applicable to any other type."""

    applies_to: str
    kind = "resource"

    def __init__(
        self,
        *,
        name: str,
        description: str,
        applies_to: str,
        check: ResourceCheck,
        enforcement_level: EnforcementLevel,
        severity: Severity,
        remediation_steps: str,
        config_schema: PolicyConfigSchema | None = None,
    ) -> None:
        self.applies_to = applies_to

        def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
            if args.resource_type != applies_to:
                args.not_applicable(f"checks {short_type(applies_to)} resources only")
            check(args.props, args, report)

        super().__init__(
            validate=validate,
            **_metadata(name, description, enforcement_level, severity, remediation_steps, config_schema),
        )


class StackRule(StackValidationPolicy):
    """A policy over the whole stack (relations between resources); `applies_to` names the types it reads."""

    applies_to: tuple[str, ...]
    kind = "stack"

    def __init__(
        self,
        *,
        name: str,
        description: str,
        applies_to: tuple[str, ...],
        check: StackCheck,
        enforcement_level: EnforcementLevel,
        severity: Severity,
        remediation_steps: str,
        config_schema: PolicyConfigSchema | None = None,
    ) -> None:
        self.applies_to = applies_to
        super().__init__(
            validate=check,
            **_metadata(name, description, enforcement_level, severity, remediation_steps, config_schema),
        )


Rule = ResourceRule | StackRule


def short_type(type_token: str) -> str:
    """`azuread:index/servicePrincipal:ServicePrincipal` -> `ServicePrincipal` (for messages and the docs)."""
    return type_token.rsplit(":", 1)[-1]


def of_type(resources: Sequence[PolicyResource], type_token: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type == type_token]


def ancestors(resource: PolicyResource) -> Iterator[PolicyResource]:
    parent = resource.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def owning(resource: PolicyResource, type_token: str, candidates: Sequence[PolicyResource]) -> PolicyResource | None:
    """The component of `type_token` this resource belongs to: its ancestor, or the stack's only one."""
    for parent in ancestors(resource):
        if parent.resource_type == type_token:
            return parent
    return candidates[0] if len(candidates) == 1 else None


def known(read: Callable[[], Any]) -> tuple[bool, Any]:
    """(True, value), or (False, None) when the value is unknown during preview.

    Only for rules that compare *known* values across resources (duplicates): there an unknown value is not a
    reason to skip the whole rule. Every other rule lets the SDK's UnknownValueError through, so the CLI's
    "can't run policy ... during preview" advisory appears exactly as it would under `pulumi preview`.
    """
    try:
        return True, read()
    except UnknownValueError:
        return False, None


def credential(props: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """(found, value) of one synchronization secret key; only that key's value is read (never the token's)."""
    for item in props.get("credentials") or []:
        if item.get("key") == key:
            return True, item.get("value")
    return False, None


def quote(value: Any) -> str:
    """A value for a message; long values are cut so one bad input cannot flood the output."""
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
