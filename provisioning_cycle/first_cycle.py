"""What the first cycle sends a user Webex already has: the one rule the replay and `match` both use.

Entra found the user (`GET /Users?filter=userName eq "…"` answered one user), so it updates it: one PATCH, with an
operation per attribute of the update set (payload.update_set: Always-flow mappings whose source has a value) whose
value differs from what the Webex user holds; nothing at all when none does. Per Microsoft's "Known issues and
resolutions with SCIM 2.0 protocol compliance" (application-provisioning-config-problem-scim-compatibility.md, the
non-gallery `scim` job "without feature flag"), the operation is `Add` for an attribute the user does not have yet
and `Replace` for one whose value changes, one per attribute path (`emails[type eq "work"].value`,
`urn:…:enterprise:2.0:User:department`), a Boolean sent as the text "True" / "False". Microsoft says gallery apps
(Cisco Webex is one) "can skip" that page, and its SCIM tutorial disables a user with a JSON `false`: the dialect of
the Cisco Webex connector itself is not documented.

Values compare as Webex holds them:

* without case for the attributes that name the user and that Webex declares `caseExact: false` (its
  /Schemas/SCIM2/User: userName, emails.value, externalId), so a case-only difference is not an update. Webex
  declares nearly every attribute so, but that governs Webex's own filters and uniqueness; whether Entra ignores a
  case-only change of a display name is not documented, so it still counts as one;
* an attribute Webex holds as an array of strings (extensionAttributeN) as an array, order aside: a single value
  on either side equals a one-element array.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Attribute paths compared without case (lower-cased): Webex declares them caseExact: false, and they name the user.
_CASE_INSENSITIVE = re.compile(r'^(?:username|externalid|emails(?:\[type eq "[^"]*"\])?\.value)$')


@dataclass(frozen=True)
class Operation:
    op: str  # "Add" (Webex has no value) or "Replace"
    path: str
    value: Any
    was: Any = None  # what the Webex user holds now

    def patch(self) -> dict[str, Any]:
        """The operation as Entra's default PATCH dialect writes it (a Boolean as "True" / "False")."""
        value = ("True" if self.value else "False") if isinstance(self.value, bool) else self.value
        return {"op": self.op, "path": self.path, "value": value}

    def as_json(self) -> dict[str, Any]:
        return {"op": self.op, "path": self.path, "value": self.value, "was": self.was}

    def describe(self) -> str:
        if self.op == "Add":
            return f"{self.path} set to {_show(self.value)}"
        return f"{self.path} {_show(self.was)} → {_show(self.value)}"


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    text = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


_PATH = re.compile(
    r'^(?:(?P<urn>urn:.+:User):)?(?P<attr>[A-Za-z][A-Za-z0-9]*)(?:\[type eq "(?P<type>[^"]+)"\])?'
    r"(?:\.(?P<sub>[A-Za-z][A-Za-z0-9$]*))?$"
)


def _get(holder: Any, name: str) -> Any:
    """An attribute of a JSON object, its name without case (RFC 7643 §2.1)."""
    if not isinstance(holder, dict):
        return None
    value = holder.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in holder.items() if k.lower() == lowered), None)


@lru_cache(maxsize=1024)
def _parsed(path: str) -> tuple[str | None, str, str | None, str | None] | None:
    match = _PATH.match(path)
    return (match["urn"], match["attr"], match["type"], match["sub"]) if match else None


def held(resource: dict[str, Any], path: str) -> Any:
    """What a Webex user holds at a PATCH path (`displayName`, `name.givenName`, `emails[type eq "work"].value`,
    `urn:…:enterprise:2.0:User:department`); None when it holds nothing there."""
    parsed = _parsed(path)
    if parsed is None:
        return None
    urn, attr, kind, sub = parsed
    value = _get(resource if urn is None else _get(resource, urn), attr)
    if kind is not None:
        if not isinstance(value, list):
            return None
        entry = next((e for e in value if isinstance(e, dict) and str(e.get("type", "")).lower() == kind.lower()), None)
        return _get(entry, sub or "value")
    return _get(value, sub) if sub is not None else value


def _folded(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def same(path: str, ours: Any, theirs: Any) -> bool:
    """Whether Webex already holds the value an update would send at `path`."""
    if ours == theirs:
        return True
    if theirs is None:
        return False
    if isinstance(ours, list) or isinstance(theirs, list):
        mine = ours if isinstance(ours, list) else [ours]
        held_ = theirs if isinstance(theirs, list) else [theirs]
        return sorted(map(str, mine)) == sorted(map(str, held_))
    if isinstance(ours, bool) or isinstance(theirs, bool):
        return str(ours).lower() == str(theirs).lower()
    if _CASE_INSENSITIVE.match(path.lower()):
        return _folded(ours) == _folded(theirs)
    return False


def operations(update: dict[str, Any], resource: dict[str, Any]) -> list[Operation]:
    """What the first cycle's PATCH of `resource` (a Webex user, as a GET returns it) holds for an update set; an
    empty list: nothing is sent."""
    out: list[Operation] = []
    for path, value in update.items():
        current = held(resource, path)
        if same(path, value, current):
            continue
        out.append(Operation("Add" if current is None else "Replace", path, value, current))
    return out
