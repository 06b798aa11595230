"""A synchronization schema's attribute mappings as rows (target, source | expression | constant, flowType,
matchingPriority, defaultValue), and back: what the AttributeMappings resource compares and writes (pure, no HTTP).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ROW_KEYS = ("target", "source", "expression", "constant", "flowType", "matchingPriority", "defaultValue")

_FUNCTION_NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def normalize_expression(expression: str | None) -> str | None:
    """Whitespace outside string literals removed: Graph re-spaces expressions (`, , )`), meaning is unchanged."""
    if expression is None:
        return None
    out: list[str] = []
    in_string = escaped = False
    for char in expression:
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif not char.isspace():
            out.append(char)
    return "".join(out)


def normalize_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A mapping row with every key present; empty strings treated as absent, as Graph does."""
    out = {key: row.get(key) for key in ROW_KEYS}
    out["flowType"] = out["flowType"] or "Always"
    out["defaultValue"] = out["defaultValue"] or None
    return out


def normalize_scoping(groups: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    return [
        {
            "clauses": [
                {
                    "attribute": clause.get("attribute"),
                    "operator": clause.get("operator"),
                    "values": [str(v) for v in (clause.get("values") or [])],
                }
                for clause in (group.get("clauses") or [])
            ]
        }
        for group in (groups or [])
    ]


@dataclass(frozen=True)
class Desired:
    """What the AttributeMappings resource asks for, in its input shape (camelCase rows)."""

    user_mappings: list[dict[str, Any]]
    removed_targets: list[str] = field(default_factory=list)
    scoping_filter: list[dict[str, Any]] = field(default_factory=list)
    group_objects: bool = False

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> Desired:
        return cls(
            user_mappings=[normalize_row(r) for r in (props.get("userMappings") or [])],
            removed_targets=[str(t) for t in (props.get("removedTargets") or [])],
            scoping_filter=normalize_scoping(props.get("scopingFilter")),
            group_objects=bool(props.get("groupObjects") or False),
        )


def row_from_graph(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A Graph attributeMapping as a row: source (Attribute), expression (Function), or constant (Constant)."""
    source = mapping.get("source") or {}
    kind = source.get("type")
    row = normalize_row(
        {
            "target": mapping.get("targetAttributeName"),
            "flowType": mapping.get("flowType"),
            "matchingPriority": mapping.get("matchingPriority") or 0,
            "defaultValue": mapping.get("defaultValue"),
        }
    )
    if kind == "Attribute":
        row["source"] = source.get("name")
    elif kind == "Constant":
        row["constant"] = source.get("name")
    else:
        row["expression"] = source.get("expression")
    return row


def same_source(want: Mapping[str, Any], have: Mapping[str, Any]) -> bool:
    return (
        want["source"] == have["source"]
        and normalize_expression(want["expression"]) == normalize_expression(have["expression"])
        and want["constant"] == have["constant"]
    )


def same_row(want: Mapping[str, Any], have: Mapping[str, Any]) -> bool:
    """Equal on everything we manage; a null matchingPriority in `want` means "not ours, whatever Graph has"."""
    return (
        same_source(want, have)
        and want["flowType"] == have["flowType"]
        and (want["matchingPriority"] is None or want["matchingPriority"] == have["matchingPriority"])
        and (want["defaultValue"] or None) == (have["defaultValue"] or None)
    )


def describe_row(row: Mapping[str, Any]) -> str:
    if row.get("source") is not None:
        text = f"[{row['source']}]"
    elif row.get("constant") is not None:
        text = f"constant {row['constant']!r}"
    else:
        text = str(row.get("expression"))
    extras = []
    if row.get("flowType") and row["flowType"] != "Always":
        extras.append(row["flowType"])
    if row.get("defaultValue"):
        extras.append(f"default {row['defaultValue']!r}")
    return text + (f" ({', '.join(extras)})" if extras else "")


def graph_source(row: Mapping[str, Any], parse: Callable[[str], dict[str, Any]] | None) -> dict[str, Any]:
    """The attributeMappingSource for a row. Expressions go through Graph's parser when `parse` is given."""
    if row.get("source") is not None:
        name = row["source"]
        return {"expression": f"[{name}]", "name": name, "parameters": [], "type": "Attribute"}
    if row.get("constant") is not None:
        value = str(row["constant"])
        quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return {"expression": quoted, "name": value, "parameters": [], "type": "Constant"}
    expression = str(row.get("expression") or "")
    if parse is not None:
        return parse(expression)
    match = _FUNCTION_NAME.match(expression)
    return {"expression": expression, "name": match.group(1) if match else "", "parameters": [], "type": "Function"}


def graph_mapping(
    row: Mapping[str, Any], base: Mapping[str, Any] | None, parse: Callable[[str], dict[str, Any]] | None
) -> dict[str, Any]:
    """Build the Graph attributeMapping for `row`, starting from the live one so fields we do not manage survive."""
    mapping: dict[str, Any] = (
        copy.deepcopy(dict(base))
        if base is not None
        else {
            "defaultValue": None,
            "exportMissingReferences": False,
            "flowBehavior": "FlowWhenChanged",
            "flowType": "Always",
            "matchingPriority": 0,
            "source": None,
            "targetAttributeName": row["target"],
        }
    )
    if base is None or not same_source(row, row_from_graph(base)):
        mapping["source"] = graph_source(row, parse)
    mapping["flowType"] = row.get("flowType") or "Always"
    if row.get("matchingPriority") is not None:
        mapping["matchingPriority"] = row["matchingPriority"]
    mapping["defaultValue"] = row.get("defaultValue") or None
    return mapping
