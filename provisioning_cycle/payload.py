"""Mapping rows -> the SCIM 2.0 User resource Entra sends Webex to create a user.

Each row of the job's user mapping (components/mapping_settings.py desired_user_mappings: target, and exactly one
of source, expression, constant; defaultValue; flowType) is compiled once, then run per user:

* a direct mapping reads the engine attribute (snapshot.py names them); a constant is its text; an expression is
  evaluated (evaluate.py);
* `defaultValue` stands in when the source is null (Graph `attributeMapping.defaultValue`);
* a null value is not sent: "If a value isn't present, don't send null values" / Entra does not synchronize nulls
  (Microsoft's SCIM tutorial; the Webex article), so the attribute is absent, as IgnoreFlowIfNullOrEmpty makes it;
* both flow types (Always, ObjectAddOnly) apply on create, which is what a payload here is; what an *update* of a
  user Webex already has carries is less (`update_set`): Microsoft's "Customize attribute mappings" says a mapping
  applied "Only during creation" (ObjectAddOnly) applies on create only, and of the default value "This value is
  only provisioned when a user is created. The 'default value when null' isn't provisioned when updating an
  existing user". So an update carries the Always-flow mappings whose source has a value, and `build` names the
  attributes that are the create's alone.

The resource's shape is Entra's create request in Microsoft's SCIM tutorial (use-scim-to-provision-users-and-groups
.md, "Create User"): `schemas` lists the core and enterprise schemas (the job's target object is the enterprise User,
components/webex_catalog.json userObject) and Webex's own when one of its attributes is sent; `name.givenName`
nests; `emails[type eq "work"].value` becomes `emails: [{"value": …, "type": "work", "primary": true}]`; other
typed multi-valued targets get `{"value", "type"}` entries; extension attributes sit under their schema URN, Webex's
extensionAttributeN as an array of strings (models.MULTI_VALUED_STRINGS: a mapping's one value is a one-element
array, a multi-valued source's values the array); `active` is a Boolean (Entra converts the Switch's "True"/"False").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .attributes import attribute_problem
from .evaluate import Evaluator
from .models import CORE_SCHEMA, ENTERPRISE_SCHEMA, MULTI_VALUED_STRINGS, WEBEX_SCHEMA
from .values import DROPPED, MISSING, NotSimulated, Value, describe, text

BOOLEAN_TARGETS = frozenset({"active"})
_TARGET = re.compile(
    r"^(?:(?P<urn>urn:.+:User):)?(?P<attr>[A-Za-z][A-Za-z0-9]*)"
    r'(?:\[type eq "(?P<type>[^"]+)"\])?(?:\.(?P<sub>[A-Za-z][A-Za-z0-9]*))?$'
)


@dataclass(frozen=True)
class Target:
    name: str  # as the mapping writes it
    urn: str | None
    attr: str
    type: str | None
    sub: str | None

    def put(self, payload: dict[str, Any], value: Any) -> None:
        holder = payload if self.urn is None else payload.setdefault(self.urn, {})
        if self.type is not None:
            entries = holder.setdefault(self.attr, [])
            entry = next((e for e in entries if e.get("type") == self.type), None)
            if entry is None:
                entry = {"type": self.type}
                if self.attr == "emails" and self.type == "work":
                    entry["primary"] = True  # as in Entra's create request
                entries.append(entry)
            entry[self.sub or "value"] = value
        elif self.sub is not None:
            holder.setdefault(self.attr, {})[self.sub] = value
        elif self.urn == ENTERPRISE_SCHEMA and self.attr == "manager":
            holder[self.attr] = {"value": value}  # a reference: RFC 7643's enterprise manager is {"value": id}
        else:
            holder[self.attr] = value

    @property
    def top_level(self) -> bool:
        """A plain top-level attribute (userName, displayName…): set with one dict store, the common case."""
        return self.urn is None and self.type is None and self.sub is None


def target(name: str) -> Target:
    match = _TARGET.match(name)
    if not match:
        raise ValueError(f"{name!r} is not a SCIM attribute path this simulation can place")
    return Target(name, match["urn"], match["attr"], match["type"], match["sub"])


@dataclass(frozen=True)
class Row:
    target: Target
    read: Callable[[Mapping[str, Value]], Value]
    default: str | None
    source: str | None  # the engine attribute of a direct mapping, for messages
    on_update: bool = True  # flowType Always; ObjectAddOnly ("Only during creation") is on create only
    many: bool = False  # Webex holds an array of strings here (extensionAttributeN)


def compile_rows(rows: list[dict[str, Any]], evaluator: Evaluator | None = None) -> list[Row]:
    evaluator = evaluator or Evaluator(attribute_problem)
    compiled: list[Row] = []
    for row in rows:
        where = target(str(row["target"]))
        source, expression, constant = row.get("source"), row.get("expression"), row.get("constant")
        if expression:
            read = evaluator.compile(str(expression))
        elif source:
            read = _direct(str(source))
        else:
            value = constant
            read = lambda attrs, value=value: value  # noqa: E731 (a constant mapping)
        compiled.append(
            Row(
                where,
                read,
                row.get("defaultValue"),
                str(source) if source else None,
                on_update=(row.get("flowType") or "Always") != "ObjectAddOnly",
                many=where.name in MULTI_VALUED_STRINGS,
            )
        )
    return compiled


def _direct(name: str) -> Callable[[Mapping[str, Value]], Value]:
    problem = attribute_problem(name)
    if problem:

        def unknown(attrs: Mapping[str, Value]) -> Value:
            raise NotSimulated(problem)

        return unknown
    return lambda attrs: attrs.get(name)


CREATE_ONLY_NONE: tuple[str, ...] = ()
# One list per distinct value of a multi-valued attribute (a department code, a constant), shared by the payloads
# that hold it: payloads are never changed once built, and 100,000 users would otherwise hold 100,000 lists.
_SHARED_LISTS: dict[tuple[str, ...], list[str]] = {}


def _shared(values: list[str]) -> list[str]:
    key = tuple(values)
    held = _SHARED_LISTS.get(key)
    if held is not None:
        return held
    if len(_SHARED_LISTS) < 4096:
        _SHARED_LISTS[key] = values
    return values


def build(rows: list[Row], attrs: Mapping[str, Value]) -> tuple[dict[str, Any], list[str], tuple[str, ...]]:
    """The create payload for one user, what could not be simulated or converted (per attribute), and the targets
    whose value only a create sends (an ObjectAddOnly mapping, a default value standing in for a null source)."""
    payload: dict[str, Any] = {"schemas": [CORE_SCHEMA, ENTERPRISE_SCHEMA]}
    problems: list[str] = []
    create_only: list[str] = []
    for row in rows:
        name = row.target.name
        try:
            value = row.read(attrs)
        except NotSimulated as exc:
            problems.append(f"{name}: not simulated: {exc}")
            continue
        if value is DROPPED:
            continue
        if value is None or value is MISSING:
            if row.default is None:
                continue
            value = row.default
            create_only.append(name)
        elif not row.on_update:
            create_only.append(name)
        if row.many:
            items = value if isinstance(value, list) else [value]
            if not items:
                continue  # no value: not sent, as a null is not
            try:
                row.target.put(payload, _shared([text(v, name) for v in items]))
            except NotSimulated as exc:
                problems.append(f"{name}: {exc}")
            continue
        if type(value) is str and name not in BOOLEAN_TARGETS:
            if row.target.top_level:
                payload[row.target.attr] = value
            else:
                row.target.put(payload, value)
            continue
        try:
            row.target.put(payload, _convert(name, value))
        except NotSimulated as exc:
            problems.append(f"{name}: {exc}")
    if any(key == WEBEX_SCHEMA for key in payload):
        payload["schemas"].append(WEBEX_SCHEMA)
    return payload, problems, tuple(create_only) if create_only else CREATE_ONLY_NONE


def _convert(name: str, value: Value) -> Any:
    if name in BOOLEAN_TARGETS:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise NotSimulated(f"{describe(value)} is not a Boolean (true/false), which {name} is")
    if isinstance(value, list):
        raise NotSimulated(f"the mapping gives several values ({len(value)}) where {name} takes one")
    return text(value, name)


def flatten(payload: dict[str, Any]) -> dict[str, Any]:
    """A payload's attributes as PATCH paths (`name.familyName`, `emails[type eq "work"].value`, `<urn>:department`)."""
    paths: dict[str, Any] = {}
    _walk(paths, "", payload)
    return paths


def _walk(paths: dict[str, Any], prefix: str, value: dict[str, Any]) -> None:
    # A module-level function, not a closure: a recursive closure is a reference cycle, which would keep each
    # payload's paths alive until the (rarely run) cyclic collector frees them.
    for name, item in value.items():
        if name == "schemas":
            continue
        if name.startswith("urn:") and isinstance(item, dict):
            _walk(paths, f"{name}:", item)
        elif isinstance(item, dict):
            for sub, leaf in item.items():
                paths[f"{prefix}{name}.{sub}"] = leaf
        elif isinstance(item, list) and all(isinstance(e, dict) and "type" in e for e in item):
            for entry in item:
                for sub, leaf in entry.items():
                    if sub not in ("type", "primary"):
                        paths[f'{prefix}{name}[type eq "{entry["type"]}"].{sub}'] = leaf
        else:
            paths[f"{prefix}{name}"] = item


def update_set(payload: dict[str, Any], create_only: tuple[str, ...]) -> dict[str, Any]:
    """What an update of a user Webex already has carries, as PATCH paths: the create payload's attributes but those
    only a create sends (a target's own path, or its sub-attributes: `…:manager` is sent as `…:manager.value`)."""
    paths = flatten(payload)
    if create_only:
        for name in create_only:
            paths.pop(name, None)
            prefix = name + "."
            for path in [p for p in paths if p.startswith(prefix)]:
                del paths[path]
    return paths
