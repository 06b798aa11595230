"""Read-modify-write of a synchronization schema, as pure functions (no HTTP here).

Graph's `PUT …/jobs/{id}/schema` replaces the whole document, so the only safe edit is: take the live document, change
exactly what this project manages, and send everything else back untouched. What we manage:

* in the rule whose object mapping has `sourceObjectName == "User"`: the attribute mappings whose target is in the
  desired table (set) or in `removedTargets` (dropped), and that object mapping's `scope.groups`;
* the `enabled` flag of the Group object mapping (Webex syncs group members, not group objects);
* the target directory's definition of each Webex attribute we map to, added when the User target object does not
  list it yet (the portal's "Edit attribute list for CiscoWebEx"): a mapping to an undefined target attribute is not
  exported. Definitions already there are never changed or removed.

Scoping-filter operators are checked against the job's own list (Graph's `…/schema/filterOperators`) before anything
is written, when the filter changes.

Mappings for other targets (template extras we do not know about), other rules, directories, metadata and unknown
fields are carried over as the very same JSON values. A mapping that already matches is kept as Graph returned it
(parameters, flowBehavior, …), so a re-run finds nothing to change and writes nothing.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components import catalog
from components.graph.schema_rows import (
    Desired,
    describe_row,
    graph_mapping,
    normalize_expression,
    row_from_graph,
    same_row,
)


class SchemaShapeError(ValueError):
    """The live schema lacks what we need to edit (no User object mapping, no Group mapping to enable)."""


class ScopingOperatorError(ValueError):
    """A scoping-filter operator the job does not list among its filterOperators."""


# Webex's SCIM schema makes the Cisco extension's extensionAttribute1..N arrays of strings
# (developer.webex.com SCIM 2 User; the Webex OpenAPI's post-user schema); active is a boolean, the enterprise
# extension's manager a reference to another user; every other Webex target we map is a single string.
_MULTIVALUED_TARGET = re.compile(r":extensionAttribute\d+$")
_BOOLEAN_TARGETS = frozenset({"active"})
_REFERENCE_SUFFIX = ":manager"


def attribute_definition(name: str, object_name: str) -> dict[str, Any]:
    """A Graph attributeDefinition for a Webex target attribute, in the shape Graph returns them."""
    reference = name.endswith(_REFERENCE_SUFFIX)
    return {
        "anchor": False,
        "apiExpressions": [],
        "caseExact": False,
        "defaultValue": None,
        "flowNullValues": False,
        "metadata": [],
        "multivalued": bool(_MULTIVALUED_TARGET.search(name)),
        "mutability": "ReadWrite",
        "name": name,
        "referencedObjects": [{"referencedObjectName": object_name, "referencedProperty": None}] if reference else [],
        "required": False,
        "type": "Boolean" if name in _BOOLEAN_TARGETS else "Reference" if reference else "String",
    }


def user_source_object() -> str:
    return catalog.catalog()["userObject"]["sourceObjectName"]


def group_source_object() -> str:
    return catalog.catalog()["groupObject"]["sourceObjectName"]


@dataclass(frozen=True)
class Location:
    rule_index: int
    user_index: int
    group: tuple[int, int] | None


def locate(document: Mapping[str, Any]) -> Location:
    """Find the User object mapping (and the Group one) in a schema document."""
    rules = document.get("synchronizationRules") or []
    user_source, group_source = user_source_object(), group_source_object()
    users = [
        (ri, oi)
        for ri, rule in enumerate(rules)
        for oi, om in enumerate(rule.get("objectMappings") or [])
        if om.get("sourceObjectName") == user_source
    ]
    if not users:
        names = [str(rule.get("name") or rule.get("id")) for rule in rules]
        raise SchemaShapeError(
            f"the job's schema has no object mapping from {user_source!r} (rules: {', '.join(names) or 'none'}); "
            "is this the Cisco Webex provisioning job?"
        )
    if len(users) > 1:
        target = catalog.catalog()["userObject"]["targetObjectName"]
        preferred = [(ri, oi) for ri, oi in users if rules[ri]["objectMappings"][oi].get("targetObjectName") == target]
        if len(preferred) != 1:
            where = ", ".join(f"synchronizationRules[{ri}].objectMappings[{oi}]" for ri, oi in users)
            raise SchemaShapeError(f"several object mappings from {user_source!r} ({where}); cannot tell which to edit")
        users = preferred
    rule_index, user_index = users[0]
    groups = [
        (ri, oi)
        for ri, rule in enumerate(rules)
        for oi, om in enumerate(rule.get("objectMappings") or [])
        if om.get("sourceObjectName") == group_source
    ]
    same_rule = [g for g in groups if g[0] == rule_index]
    group = (same_rule or groups or [None])[0]
    return Location(rule_index, user_index, group)


def _scope_groups(scope: Any) -> list[dict[str, Any]]:
    if not isinstance(scope, Mapping):
        return []
    return [
        {
            "clauses": [
                {
                    "attribute": clause.get("sourceOperandName"),
                    "operator": clause.get("operatorName"),
                    "values": [str(v) for v in ((clause.get("targetOperand") or {}).get("values") or [])],
                }
                for clause in (group.get("clauses") or [])
            ]
        }
        for group in (scope.get("groups") or [])
    ]


def _graph_scope(live_scope: Any, groups: list[dict[str, Any]]) -> dict[str, Any]:
    scope = (
        copy.deepcopy(dict(live_scope))
        if isinstance(live_scope, Mapping)
        else {"categoryFilterGroups": [], "groups": [], "inputFilterGroups": []}
    )
    scope["groups"] = [
        {
            "clauses": [
                {
                    "operatorName": clause["operator"],
                    "sourceOperandName": clause["attribute"],
                    "targetOperand": {"values": list(clause["values"])},
                }
                for clause in group["clauses"]
            ],
            # The portal insists on a title; Graph keeps whatever we give.
            "name": f"webex-scim scoping filter {index + 1}",
        }
        for index, group in enumerate(groups)
    ]
    return scope


@dataclass
class Plan:
    """The document to PUT (when `changes` is non-empty) and what the result will look like."""

    document: dict[str, Any]
    changes: list[str]
    rule_id: str | None
    applied: list[dict[str, Any]]

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _target_object(
    document: dict[str, Any], rule: Mapping[str, Any], user_mapping: Mapping[str, Any]
) -> dict[str, Any]:
    """The User target object's definition in the rule's target directory (where Webex attributes are listed)."""
    directory_name, object_name = rule.get("targetDirectoryName"), user_mapping.get("targetObjectName")
    directories = [d for d in document.get("directories") or [] if d.get("name") == directory_name]
    objects = [o for d in directories for o in d.get("objects") or [] if o.get("name") == object_name]
    if not objects:
        raise SchemaShapeError(
            f"the job's schema has no {object_name!r} object in a directory named {directory_name!r}, so the Webex "
            "attributes mapped to cannot be checked or defined; is this the Cisco Webex provisioning job?"
        )
    return objects[0]


def _check_operators(groups: list[dict[str, Any]], operators: Callable[[], Sequence[str]]) -> None:
    """Every clause's operator is one the job lists (case-sensitive, as Graph stores operatorName)."""
    allowed = [str(name) for name in operators() if name]
    for gi, group in enumerate(groups):
        for ci, clause in enumerate(group["clauses"]):
            operator = clause["operator"]
            if operator in allowed:
                continue
            spelled = [name for name in allowed if name.lower() == str(operator).lower()]
            hint = f" (Graph spells it {spelled[0]!r})" if spelled else ""
            raise ScopingOperatorError(
                f"webex-scim:mappings.scopingFilter[{gi}].clauses[{ci}].operator: {operator!r} (on "
                f"{clause['attribute']!r}) is not a scoping operator this job supports{hint}; Graph lists: "
                f"{', '.join(allowed) or 'none'}. Nothing was written."
            )


def plan(
    live: Mapping[str, Any],
    desired: Desired,
    parse: Callable[[str], dict[str, Any]] | None = None,
    operators: Callable[[], Sequence[str]] | None = None,
) -> Plan:
    """Compute the complete schema to write. `parse` (Graph parseExpression) is called only for changed expressions;
    `operators` (Graph filterOperators' names) only when the scoping filter changes to a non-empty one."""
    document = copy.deepcopy(dict(live))
    # A response annotation, not part of the resource: never send it back.
    document.pop("@odata.context", None)
    location = locate(document)
    rule = document["synchronizationRules"][location.rule_index]
    user_mapping = rule["objectMappings"][location.user_index]
    changes: list[str] = []

    wanted = {row["target"]: row for row in desired.user_mappings}
    removed = set(desired.removed_targets) - set(wanted)
    seen: set[str] = set()
    mappings: list[dict[str, Any]] = []
    for mapping in user_mapping.get("attributeMappings") or []:
        target = mapping.get("targetAttributeName")
        if target in removed:
            changes.append(f"remove mapping {target}")
            continue
        if target not in wanted:
            mappings.append(mapping)
            continue
        if target in seen:
            # Graph accepts duplicate targets; for a target we manage, one mapping is the truth.
            changes.append(f"drop duplicate mapping {target}")
            continue
        seen.add(target)
        have = row_from_graph(mapping)
        if same_row(wanted[target], have):
            mappings.append(mapping)
        else:
            mappings.append(graph_mapping(wanted[target], mapping, parse))
            changes.append(f"{target}: {describe_row(have)} -> {describe_row(wanted[target])}")
    for row in desired.user_mappings:
        if row["target"] not in seen:
            mappings.append(graph_mapping(row, None, parse))
            changes.append(f"add mapping {row['target']} <- {describe_row(row)}")
    if changes:
        user_mapping["attributeMappings"] = mappings

    if _scope_groups(user_mapping.get("scope")) != desired.scoping_filter:
        if operators is not None and desired.scoping_filter:
            _check_operators(desired.scoping_filter, operators)
        user_mapping["scope"] = _graph_scope(user_mapping.get("scope"), desired.scoping_filter)
        changes.append(f"scoping filter -> {len(desired.scoping_filter)} group(s)")

    if desired.user_mappings:
        target_object = _target_object(document, rule, user_mapping)
        defined = {a.get("name") for a in target_object.get("attributes") or []}
        for row in desired.user_mappings:
            if row["target"] not in defined:
                definition = attribute_definition(row["target"], str(user_mapping.get("targetObjectName")))
                if not isinstance(target_object.get("attributes"), list):
                    target_object["attributes"] = []
                target_object["attributes"].append(definition)
                defined.add(row["target"])
                kind = definition["type"] + (", multivalued" if definition["multivalued"] else "")
                changes.append(f"define Webex attribute {row['target']} ({kind})")

    if location.group is None:
        if desired.group_objects:
            raise SchemaShapeError(
                f"groupObjects is true but the job's schema has no {group_source_object()!r} object mapping to enable"
            )
    else:
        group_rule, group_index = location.group
        group_mapping = document["synchronizationRules"][group_rule]["objectMappings"][group_index]
        if bool(group_mapping.get("enabled")) != desired.group_objects:
            group_mapping["enabled"] = desired.group_objects
            changes.append(f"group object provisioning -> {'enabled' if desired.group_objects else 'disabled'}")

    applied = [row_from_graph(m) for m in (user_mapping.get("attributeMappings") or [])]
    return Plan(document=document, changes=changes, rule_id=rule.get("id"), applied=applied)


def observe(live: Mapping[str, Any], desired: Desired) -> dict[str, Any]:
    """The live schema in the resource's input shape, so a refresh shows portal edits as changed outputs.

    Rows are reported for the targets we manage; a live expression equal to the desired one up to spacing is
    reported in the desired spelling, so Graph's re-formatting is not mistaken for drift.
    """
    location = locate(live)
    rule = live["synchronizationRules"][location.rule_index]
    user_mapping = rule["objectMappings"][location.user_index]
    live_rows: dict[str, dict[str, Any]] = {}
    for mapping in user_mapping.get("attributeMappings") or []:
        live_rows.setdefault(mapping.get("targetAttributeName"), row_from_graph(mapping))

    rows = []
    for want in desired.user_mappings:
        have = live_rows.get(want["target"])
        if have is None:
            continue
        view = dict(have)
        if want["matchingPriority"] is None:
            view["matchingPriority"] = None
        if want["expression"] is not None and normalize_expression(want["expression"]) == normalize_expression(
            have["expression"]
        ):
            view["expression"] = want["expression"]
        rows.append(view)

    user_name = live_rows.get(catalog.catalog()["userNameTarget"])
    group_objects = False
    if location.group is not None:
        group_rule, group_index = location.group
        group_objects = bool(live["synchronizationRules"][group_rule]["objectMappings"][group_index].get("enabled"))
    return {
        "userMappings": rows,
        "removedTargets": [t for t in desired.removed_targets if t not in live_rows],
        "scopingFilter": _scope_groups(user_mapping.get("scope")),
        "groupObjects": group_objects,
        "userNameSource": (user_name["source"] or user_name["expression"] or user_name["constant"])
        if user_name
        else None,
        "ruleId": rule.get("id"),
        "appliedMappings": [row_from_graph(m) for m in (user_mapping.get("attributeMappings") or [])],
    }
