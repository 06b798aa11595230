"""Reading the engine's attributes from a Microsoft Graph snapshot: which Graph property holds each, why one cannot be
read, a guest's UPN as the engine hands it to mappings, and the `$select` that reads what a stack needs.

The table itself, with the sources of each pairing, is the program's: components/entra_attributes.py, which the
settings also check every mapped attribute against (one table, so the gate and the simulation never disagree).
"""

from __future__ import annotations

# The table is the program's (components/entra_attributes.py): the settings check every attribute against it.
from components.entra_attributes import (  # noqa: F401  (re-exported: the simulation's modules read them here)
    BOOLEAN,
    COMPUTED,
    ENGINE_NAME,
    EXTENSION,
    GRAPH_PROPERTY,
    KNOWN,
    MULTI_VALUED,
    NOT_IN_SNAPSHOT,
    RENAMED,
    SAME,
)

_BY_LOWER = {name.lower(): name for name in KNOWN | set(NOT_IN_SNAPSHOT)}


def graph_property(engine_name: str) -> str | None:
    """The Graph user property holding an engine attribute (`telephoneNumber` -> `businessPhones`), if any."""
    if EXTENSION.match(engine_name):
        return engine_name
    return GRAPH_PROPERTY.get(engine_name)


def attribute_problem(name: str) -> str | None:
    """Why an engine attribute cannot be read from a Graph snapshot, or None when it can."""
    if name in KNOWN or EXTENSION.match(name):
        return None
    if name in NOT_IN_SNAPSHOT:
        return f"[{name}]: {NOT_IN_SNAPSHOT[name]}"
    near = _BY_LOWER.get(name.lower())
    if near:
        return f"[{name}]: the engine's attribute is spelled {near} (attribute names are case-sensitive)"
    return f"[{name}]: not an attribute the simulator can read from Microsoft Graph user properties"


def b2b_user_principal_name(upn: str) -> str:
    """`alias_theirdomain#EXT#@yourdomain` -> `alias@theirdomain`, as the engine hands a guest's UPN to mappings."""
    head, marker, _ = upn.partition("#EXT#")
    if not marker or "_" not in head:
        return upn
    alias, _, domain = head.rpartition("_")
    return f"{alias}@{domain}"


def select_for(engine_names: set[str]) -> list[str]:
    """The Graph `$select` list that reads the given engine attributes (plus what scope always needs)."""
    wanted = {"id", "userPrincipalName", "accountEnabled"}
    for name in engine_names:
        prop = graph_property(name)
        if prop:
            wanted.add(prop.split(".", 1)[0])
    return sorted(wanted)
