"""Portal step 5: attribute mappings (Entra attribute -> Webex attribute), as the AttributeMappings resource holds them.

These are resource rules on the dynamic AttributeMappings type, so a stack without one reports them as not
applicable (see rule.py) instead of passing them silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, ReportViolation, ResourceValidationArgs, Severity

from . import stack_config as cfg
from .catalog import (
    ATTRIBUTE_MAPPINGS,
    default_user_name_source,
    email_format_sources,
    external_id_source,
    external_id_target,
    multi_valued_email_sources,
    required_webex_targets,
    user_name_target,
    webex_user_attributes,
)
from .rule import ResourceRule, quote


def _mappings(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(props.get("userMappings") or [])


def _removed(props: Mapping[str, Any]) -> set[str]:
    # SCIM attribute names are case-insensitive: compare them folded everywhere.
    return {str(t).lower() for t in props.get("removedTargets") or []}


def _find(mappings: Sequence[Mapping[str, Any]], target: str) -> Mapping[str, Any] | None:
    for mapping in mappings:
        if str(mapping.get("target") or "").lower() == target.lower():
            return mapping
    return None


def _describe_source(mapping: Mapping[str, Any]) -> str:
    if mapping.get("source"):
        return f"attribute {quote(mapping.get('source'))}"
    if mapping.get("expression"):
        return f"expression {quote(mapping.get('expression'))}"
    if mapping.get("constant") is not None:
        return f"constant {quote(mapping.get('constant'))}"
    return "nothing"


ALLOWED_USER_NAME_SOURCES: list[str] = []


def _check_user_name(props: Mapping[str, Any], args: ResourceValidationArgs, report: ReportViolation) -> None:
    target = user_name_target()
    default_source = default_user_name_source()
    fix = cfg.fix_set(cfg.USER_NAME_SOURCE, default_source)
    if target.lower() in _removed(props):
        report(
            f"The {target} mapping is removed, but Webex needs userName (the user's email) to create and match "
            f"users. " + cfg.fix_edit(cfg.MAPPING_REMOVE, f"take {target} out of the list")
        )
        return
    mapping = _find(_mappings(props), target)
    if mapping is None:
        report(f"No mapping targets {target}: Webex cannot create or match any user. {fix}")
        return
    # The SDK does not apply schema defaults (the CLI does): the default is applied here too.
    extra = (args.get_config() or {}).get("allowedUserNameSources", ALLOWED_USER_NAME_SOURCES)
    multi = {name.lower(): (name, holds) for name, holds in multi_valued_email_sources().items()}
    allowed = [default_source, *email_format_sources(), *(a for a in extra if str(a).lower() not in multi)]
    source = mapping.get("source")
    if source and str(source).lower() in multi:
        # Never allowed, not even through allowedUserNameSources: one of several addresses is not the primary one.
        name, holds = multi[str(source).lower()]
        report(
            f"{target} is mapped from {name}, which holds several addresses ({holds}); Webex userName is one "
            f"address, the user's primary email, so users would fail to provision or match the wrong Webex user. "
            f"Use mail (Exchange keeps the primary SMTP address there) or userPrincipalName. {fix}"
        )
        return
    if source and str(source).lower() in {a.lower() for a in allowed}:
        return
    report(
        f"{target} is mapped from {_describe_source(mapping)}; Webex expects the user's email address there, "
        f"and a source that does not match today's userName provisions people as new Webex users instead of "
        f"matching the existing ones. Allowed sources: {', '.join(dict.fromkeys(allowed))}. {fix} "
        "(An attribute your tenant fills with email addresses can be allowed with this policy's "
        "`allowedUserNameSources` setting in the policy pack config.)"
    )


username_from_email_attribute = ResourceRule(
    name="username-from-email-attribute",
    description=(
        "Webex userName is mapped from a single-valued email attribute: userPrincipalName or mail "
        "(never otherMails or proxyAddresses, which hold several addresses)."
    ),
    applies_to=ATTRIBUTE_MAPPINGS,
    check=_check_user_name,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps=(
        f"Set `{cfg.key(cfg.USER_NAME_SOURCE)}` to userPrincipalName (the default) or mail; allow another "
        "email-format attribute with this policy's `allowedUserNameSources` config."
    ),
    config_schema=PolicyConfigSchema(
        properties={
            "allowedUserNameSources": {
                "type": "array",
                "items": {"type": "string"},
                "default": ALLOWED_USER_NAME_SOURCES,
                "description": (
                    "More Entra attributes accepted as the userName source (single-valued, holding the primary "
                    "email; otherMails and proxyAddresses are refused even if listed)."
                ),
            }
        }
    ),
)


def _check_external_id(props: Mapping[str, Any], _args: ResourceValidationArgs, report: ReportViolation) -> None:
    target, source = external_id_target(), external_id_source()
    why = f"mapping it from Entra {source} keeps each Webex user linked to its Entra user across renames."
    if target.lower() in _removed(props):
        report(
            f"Webex {target} is removed; {why} " + cfg.fix_edit(cfg.MAPPING_REMOVE, f"take {target} out of the list")
        )
        return
    mapping = _find(_mappings(props), target)
    if mapping is not None and str(mapping.get("source") or "") == source:
        return
    if mapping is None:
        fix = cfg.fix_edit(cfg.MAPPING_OVERRIDES, f"add `{{target: {target}, source: {source}}}`")
        report(f"Webex {target} is not mapped; {why} {fix}")
    else:
        fix = cfg.fix_edit(cfg.MAPPING_OVERRIDES, f"remove the {target} override so the default {source} applies")
        report(f"Webex {target} is mapped from {_describe_source(mapping)}; {why} {fix}")


external_id_from_object_id = ResourceRule(
    name="external-id-from-object-id",
    description="Webex externalId is mapped from Entra objectId.",
    applies_to=ATTRIBUTE_MAPPINGS,
    check=_check_external_id,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    remediation_steps=(
        f"Keep the default objectId -> externalId mapping: no externalId entry in `{cfg.key(cfg.MAPPING_OVERRIDES)}` "
        f"or `{cfg.key(cfg.MAPPING_REMOVE)}`."
    ),
)


def _check_required(props: Mapping[str, Any], _args: ResourceValidationArgs, report: ReportViolation) -> None:
    removed = _removed(props)
    mappings = _mappings(props)
    for target in required_webex_targets():
        if target.lower() in removed:
            report(
                f"Webex needs the {target} mapping, but the stack removes it. "
                + cfg.fix_edit(cfg.MAPPING_REMOVE, f"take {target} out of the list")
            )
        elif _find(mappings, target) is None:
            report(
                f"Webex needs a mapping for {target}, and there is none. "
                + cfg.fix_edit(cfg.MAPPING_OVERRIDES, f"add `{{target: {target}, source: <Entra attribute>}}`")
            )


required_webex_mappings = ResourceRule(
    name="required-webex-mappings",
    description=f"Every mapping Webex needs ({', '.join(required_webex_targets())}) is present and not removed.",
    applies_to=ATTRIBUTE_MAPPINGS,
    check=_check_required,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps=(
        f"Do not remove {', '.join(required_webex_targets())} in `{cfg.key(cfg.MAPPING_REMOVE)}`, and do not "
        "override them away."
    ),
)


def _check_targets(props: Mapping[str, Any], _args: ResourceValidationArgs, report: ReportViolation) -> None:
    known_targets = {a.lower() for a in webex_user_attributes()}
    seen: set[str] = set()
    for mapping in _mappings(props):
        target = str(mapping.get("target") or "")
        folded = target.lower()
        if folded not in known_targets:
            report(
                f"{quote(target)} is not a Webex user attribute; Webex ignores or rejects it. "
                + cfg.fix_edit(
                    cfg.MAPPING_OVERRIDES,
                    f"remove or correct the mapping for {quote(target)} (Webex attributes "
                    "are listed in components/webex_catalog.json)",
                )
            )
        if folded in seen:
            report(
                f"{quote(target)} is mapped more than once; Entra does not refuse that, and which source wins is "
                "undefined. " + cfg.fix_edit(cfg.MAPPING_OVERRIDES, f"keep one mapping for {quote(target)}")
            )
        seen.add(folded)


mapping_targets_are_webex_attributes = ResourceRule(
    name="mapping-targets-are-webex-attributes",
    description="Every mapping target is a Webex user attribute, and none is mapped twice.",
    applies_to=ATTRIBUTE_MAPPINGS,
    check=_check_targets,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps=f"Map only Webex user attributes in `{cfg.key(cfg.MAPPING_OVERRIDES)}`, each once.",
)


def _check_group_objects(props: Mapping[str, Any], _args: ResourceValidationArgs, report: ReportViolation) -> None:
    if props.get("groupObjects") is True:
        report(
            "Group objects are provisioned: besides the users (members of assigned groups are provisioned as users "
            "either way), Entra creates and updates each assigned group, with its members, as a Webex group "
            "(group provisioning, in Microsoft's Cisco Webex connector since February 2023). Keep it only if your "
            "Webex org uses these groups. " + cfg.fix_set(cfg.GROUP_OBJECTS, "false")
        )


no_group_objects = ResourceRule(
    name="no-group-objects",
    description=(
        "Group objects are not provisioned unless wanted: members of assigned groups are provisioned as users "
        "either way; groupObjects also creates the groups in Webex."
    ),
    applies_to=ATTRIBUTE_MAPPINGS,
    check=_check_group_objects,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    remediation_steps=(
        f"Set `{cfg.key(cfg.GROUP_OBJECTS)}` to false (the default) unless the Webex org uses the groups themselves."
    ),
)

RULES = [
    username_from_email_attribute,
    external_id_from_object_id,
    required_webex_mappings,
    mapping_targets_are_webex_attributes,
    no_group_objects,
]
