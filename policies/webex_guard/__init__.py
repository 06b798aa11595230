"""webex-scim-guard: the policy rules for an Entra ID -> Cisco Webex SCIM provisioning stack.

Importing this package only defines rules (no server starts), so tests and the README can use the registry;
policies/__main__.py is the one place that builds the PolicyPack (which then serves forever).
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel

from . import app, assignments, mappings, provisioning
from .rule import ResourceRule, Rule, StackRule, short_type

PACK_NAME = "webex-scim-guard"
PACK_DESCRIPTION = "Guards a Microsoft Entra ID to Cisco Webex SCIM provisioning setup."
# The pack-wide default only matters for a rule without its own level; every rule here sets one.
PACK_ENFORCEMENT_LEVEL = EnforcementLevel.ADVISORY

# The registry, in the order of the portal steps the rules guard.
POLICIES: list[Rule] = [*app.RULES, *assignments.RULES, *provisioning.RULES, *mappings.RULES]

__all__ = [
    "PACK_DESCRIPTION",
    "PACK_ENFORCEMENT_LEVEL",
    "PACK_NAME",
    "POLICIES",
    "ResourceRule",
    "Rule",
    "StackRule",
    "rules_markdown",
]


def _cell(text: str) -> str:
    """Table-safe text: a pipe or a newline would break the Markdown row."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _config_cell(rule: Rule) -> str:
    if rule.config_schema is None or not rule.config_schema.properties:
        return ""
    parts = []
    for name, schema in rule.config_schema.properties.items():
        parts.append(f"`{name}` (default `{schema.get('default')!r}`): {schema['description']}")
    return "<br>".join(_cell(p) for p in parts)


def rules_markdown() -> str:
    """docs/policies.md's rule table: each rule's default level, severity, what it checks, the fix and its config."""
    lines = [
        "| Rule | Default level | Severity | Checks | What and why | Fix (stack config) | Policy config |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in POLICIES:
        level, severity = rule.enforcement_level.value, rule.severity.value  # every rule here declares both
        if isinstance(rule, StackRule):
            scope = ", ".join(short_type(t) for t in rule.applies_to) + " (stack)"
        else:
            scope = short_type(rule.applies_to)
        cells = [f"`{rule.name}`", level, severity, scope, rule.description, rule.remediation_steps]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + f" | {_config_cell(rule)} |")
    return "\n".join(lines) + "\n"
