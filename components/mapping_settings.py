"""Typed `webex-scim:mappings` config: which Entra attribute feeds which Webex attribute.

The stack file says only what differs from the Webex defaults (components/webex_catalog.json); this module validates
that against the catalog and produces the complete table the `AttributeMappings` dynamic resource applies.

```yaml
webex-scim:mappings:
  userNameSource: mail
  overrides:
    - {target: title, source: jobTitle}
  remove: [nickName]
  scopingFilter:
    - clauses: [{attribute: department, operator: EQUALS, values: [Sales]}]
  groupObjects: false
```

Every rule raises a pydantic `ValueError` whose text names the offending value and the fix; the settings loader turns
the error location into a key path such as `webex-scim:mappings.overrides[1].expression`.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from components import catalog
from components.entra_attributes import attributes_read, unknown_attribute

# Graph's scoping-filter operator names, spelled exactly as `filterClause.operatorName` wants them (the mixed case of
# the Greater_Than family is Graph's, not a typo). Source: Microsoft Entra "Scoping users or groups to be provisioned
# with scoping filters" and Graph `synchronizationSchema: filterOperators`. Unary operators test the attribute alone.
UNARY_OPERATORS: frozenset[str] = frozenset({"IS_TRUE", "IS_FALSE", "IS_NULL", "IS_NOT_NULL"})
INTEGER_OPERATORS: frozenset[str] = frozenset(
    {"Greater_Than", "Greater_Than_OR_EQUALS", "Less_Than", "Less_Than_OR_EQUALS"}
)
BINARY_OPERATORS: frozenset[str] = frozenset(
    {"EQUALS", "NOT_EQUALS", "REGEX_MATCH", "NOT_REGEX_MATCH", "ENDS_WITH", "Includes", "&", "!&"} | INTEGER_OPERATORS
)
SCOPING_OPERATORS: tuple[str, ...] = tuple(sorted(UNARY_OPERATORS | BINARY_OPERATORS, key=str.lower))

FlowType = Literal["Always", "ObjectAddOnly"]

# An Entra source attribute: `mail`, `extension_<appid>_costCenter`, `IsSoftDeleted`, `manager.mail`-style paths.
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")
_CAMEL = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, str_strip_whitespace=True)


def _closest(value: str, choices: list[str] | tuple[str, ...]) -> str:
    """`; did you mean 'x'?` when a choice is close enough (case-insensitively), else nothing."""
    lowered = {c.lower(): c for c in choices}
    if value.lower() in lowered:
        return f"; did you mean {lowered[value.lower()]!r}?"
    close = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.75)
    return f"; did you mean {lowered[close[0]]!r}?" if close else ""


def _check_source_attribute(value: str) -> str:
    """An Entra attribute a mapping or a scoping filter reads: spelled as an attribute, and one the engine knows."""
    if not _ATTRIBUTE_NAME.match(value):
        raise ValueError(f"{value!r} is not an Entra attribute name (letters, digits, '_', '.', '-')")
    problem = unknown_attribute(value)
    if problem:
        raise ValueError(problem)
    return value


def webex_targets() -> list[str]:
    return catalog.webex_user_attributes()


def _check_target(target: str) -> str:
    known = webex_targets()
    if target not in known:
        raise ValueError(
            f"{target!r} is not a Webex user attribute{_closest(target, known)} "
            f"(known targets are listed in components/webex_catalog.json webexUserAttributes)"
        )
    return target


def check_expression(expression: str) -> str:
    """Reject an empty or structurally broken Entra mapping expression, pointing at the offending character.

    Entra's expression language: functions `Name(arg, ...)`, attribute references `[attr]`, string literals in double
    quotes with `\\"` as the escape. Only the structure is checked here; Graph's parseExpression judges the rest.
    """
    if not expression.strip():
        raise ValueError("expression must not be empty")
    parens: list[int] = []
    bracket_at: int | None = None
    string_at: int | None = None
    escaped = False
    for index, char in enumerate(expression):
        column = index + 1
        if string_at is not None:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                string_at = None
            continue
        if bracket_at is not None:
            if char == "]":
                bracket_at = None
            elif char in '["':
                raise ValueError(
                    f"unbalanced brackets in expression: {char!r} at column {column} inside the attribute reference "
                    f"opened at column {bracket_at}"
                )
            continue
        if char == '"':
            string_at = column
        elif char == "[":
            bracket_at = column
        elif char == "]":
            raise ValueError(f"unbalanced brackets in expression: ']' at column {column} has no matching '['")
        elif char == "(":
            parens.append(column)
        elif char == ")":
            if not parens:
                raise ValueError(f"unbalanced parentheses in expression: ')' at column {column} has no matching '('")
            parens.pop()
    if string_at is not None:
        raise ValueError(f"unbalanced quotes in expression: the string opened at column {string_at} is never closed")
    if bracket_at is not None:
        raise ValueError(f"unbalanced brackets in expression: '[' at column {bracket_at} is never closed")
    if parens:
        raise ValueError(f"unbalanced parentheses in expression: '(' at column {parens[-1]} is never closed")
    return expression


class MappingOverride(BaseModel):
    """One Webex target fed by exactly one of: an Entra attribute, an expression, or a constant."""

    model_config = _CAMEL

    target: str
    source: str | None = None
    expression: str | None = None
    constant: str | None = None
    flow_type: FlowType = Field("Always", alias="flowType")
    default_value: str | None = Field(None, alias="defaultValue")

    @field_validator("target")
    @classmethod
    def _known_target(cls, value: str) -> str:
        return _check_target(value)

    @field_validator("source")
    @classmethod
    def _attribute_name(cls, value: str | None) -> str | None:
        return None if value is None else _check_source_attribute(value)

    @field_validator("expression")
    @classmethod
    def _balanced(cls, value: str | None) -> str | None:
        if value is None:
            return None
        check_expression(value)
        for name in attributes_read(value):  # `[company]` for `[companyName]` would map nothing, silently
            problem = unknown_attribute(name)
            if problem:
                raise ValueError(f"[{name}]: {problem}")
        return value

    @model_validator(mode="after")
    def _exactly_one_source(self) -> MappingOverride:
        given = [name for name in ("source", "expression", "constant") if getattr(self, name) is not None]
        if len(given) != 1:
            got = " and ".join(given) if given else "none"
            raise ValueError(
                f"override for {self.target!r} needs exactly one of source, expression, constant (got {got})"
            )
        if self.constant is not None and self.default_value is not None:
            raise ValueError(f"override for {self.target!r}: defaultValue has no effect with a constant; drop it")
        if self.target == catalog.catalog()["userNameTarget"]:
            raise ValueError(
                f"set the userName source with userNameSource, not an override (it must stay an email-format "
                f"attribute: {', '.join(_email_sources())})"
            )
        return self


class ScopingClause(BaseModel):
    """`attribute operator values`: one condition; clauses of a group are AND'ed."""

    model_config = _CAMEL

    attribute: str
    operator: str
    values: list[str] = Field(default_factory=list)

    @field_validator("attribute")
    @classmethod
    def _attribute_name(cls, value: str) -> str:
        return _check_source_attribute(value)

    @field_validator("operator")
    @classmethod
    def _known_operator(cls, value: str) -> str:
        if value not in SCOPING_OPERATORS:
            raise ValueError(
                f"unknown scoping operator {value!r}{_closest(value, SCOPING_OPERATORS)} "
                f"(Graph operator names: {', '.join(SCOPING_OPERATORS)})"
            )
        return value

    @model_validator(mode="after")
    def _arity(self) -> ScopingClause:
        if self.operator in UNARY_OPERATORS and self.values:
            raise ValueError(f"{self.operator} tests the attribute alone; remove values {self.values!r}")
        if self.operator in BINARY_OPERATORS and not self.values:
            raise ValueError(f"{self.operator} compares against values; give at least one in values")
        if self.operator in INTEGER_OPERATORS:
            bad = [v for v in self.values if not re.fullmatch(r"-?\d+", v)]
            if bad:
                raise ValueError(f"{self.operator} compares integers; {bad!r} are not integers")
        return self


class ScopingGroup(BaseModel):
    """One scoping filter: all its clauses must hold (AND); several groups are OR'ed."""

    model_config = _CAMEL

    clauses: list[ScopingClause] = Field(min_length=1)


def _email_sources() -> list[str]:
    return catalog.email_format_sources()


def multi_valued_problem(source: str) -> str | None:
    """Why a multi-valued attribute (otherMails, proxyAddresses) cannot feed userName, or None for any other."""
    for name, holds in catalog.multi_valued_email_sources().items():
        if source.lower() == name.lower():
            return (
                f"{name} holds several addresses ({holds}), but Webex userName is one address, the user's primary "
                f"email; use mail (Exchange keeps the primary SMTP address there) or userPrincipalName"
            )
    return None


class MappingSettings(BaseModel):
    """`webex-scim:mappings`: the Webex defaults, adjusted. Every field is optional."""

    model_config = _CAMEL

    user_name_source: str = Field(
        default_factory=lambda: catalog.catalog()["defaultUserNameSource"], alias="userNameSource"
    )
    overrides: list[MappingOverride] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)
    scoping_filter: list[ScopingGroup] = Field(default_factory=list, alias="scopingFilter")
    group_objects: bool = Field(False, alias="groupObjects")

    @field_validator("user_name_source")
    @classmethod
    def _email_format(cls, value: str) -> str:
        allowed = _email_sources()
        multi = multi_valued_problem(value)
        if multi:
            raise ValueError(f"userNameSource {value!r}: {multi}")
        if value not in allowed:
            raise ValueError(
                f"userNameSource {value!r} is not an email-format attribute{_closest(value, allowed)}; Webex userName "
                f"must be the user's primary email, and a source that does not match existing Webex users creates "
                f"them as new users. Allowed: {', '.join(allowed)}"
            )
        return value

    @field_validator("overrides")
    @classmethod
    def _unique_targets(cls, overrides: list[MappingOverride]) -> list[MappingOverride]:
        first: dict[str, int] = {}
        for index, override in enumerate(overrides):
            if override.target in first:
                raise ValueError(
                    f"target {override.target!r} appears twice (overrides[{first[override.target]}] and "
                    f"overrides[{index}]); keep one"
                )
            first[override.target] = index
        return overrides

    @field_validator("remove")
    @classmethod
    def _removable(cls, targets: list[str]) -> list[str]:
        required = set(catalog.catalog()["requiredWebexTargets"])
        seen: set[str] = set()
        for index, target in enumerate(targets):
            _check_target(target)
            if target in required:
                raise ValueError(
                    f"remove[{index}]: {target!r} is required by Webex and cannot be removed "
                    f"(required: {', '.join(sorted(required))})"
                )
            if target in seen:
                raise ValueError(f"remove[{index}]: {target!r} is listed twice")
            seen.add(target)
        return targets

    @model_validator(mode="after")
    def _override_or_remove(self) -> MappingSettings:
        removed = set(self.remove)
        for index, override in enumerate(self.overrides):
            if override.target in removed:
                raise ValueError(
                    f"{override.target!r} is both overridden (overrides[{index}]) and removed; keep one of the two"
                )
        return self


def _row(
    target: str,
    *,
    source: str | None = None,
    expression: str | None = None,
    constant: str | None = None,
    flow_type: str = "Always",
    matching_priority: int | None = None,
    default_value: str | None = None,
) -> dict[str, Any]:
    return {
        "target": target,
        "source": source,
        "expression": expression,
        "constant": constant,
        "flowType": flow_type,
        "matchingPriority": matching_priority,
        "defaultValue": default_value,
    }


def desired_user_mappings(m: MappingSettings) -> list[dict[str, Any]]:
    """The complete user attribute table to apply: catalog defaults, then overrides, minus removals.

    Order is stable: default targets in catalog order, then new targets in override order. `matchingPriority` is
    1 on userName (the matching attribute) and null elsewhere, meaning "not a matching attribute; leave Graph's value".
    """
    user_name_target = catalog.catalog()["userNameTarget"]
    rows: dict[str, dict[str, Any]] = {}
    for default in catalog.default_user_mappings():
        target = default["target"]
        rows[target] = _row(
            target,
            source=default.get("source"),
            expression=default.get("expression"),
            constant=default.get("constant"),
            flow_type=default.get("flowType", "Always"),
            matching_priority=default.get("matchingPriority"),
            default_value=default.get("defaultValue"),
        )
    user_name_row = rows.get(user_name_target) or _row(user_name_target)
    rows[user_name_target] = {
        **user_name_row,
        "source": m.user_name_source,
        "expression": None,
        "constant": None,
        "matchingPriority": 1,
    }
    for override in m.overrides:
        rows[override.target] = _row(
            override.target,
            source=override.source,
            expression=override.expression,
            constant=override.constant,
            flow_type=override.flow_type,
            default_value=override.default_value,
        )
    for target in m.remove:
        rows.pop(target, None)
    return list(rows.values())


def scoping_filter_input(m: MappingSettings) -> list[dict[str, Any]]:
    """`scopingFilter` in the shape AttributeMappings takes: [{clauses: [{attribute, operator, values}]}]."""
    return [{"clauses": [clause.model_dump() for clause in group.clauses]} for group in m.scoping_filter]


def attribute_mappings_inputs(m: MappingSettings) -> dict[str, Any]:
    """Every mapping-related AttributeMappings input, camelCase, ready for the resource's props."""
    return {
        "userMappings": desired_user_mappings(m),
        "removedTargets": list(m.remove),
        "scopingFilter": scoping_filter_input(m),
        "groupObjects": m.group_objects,
        "userNameSource": m.user_name_source,
    }
