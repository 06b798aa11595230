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
from typing import Any

from .payload import flatten

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


def held(resource: dict[str, Any]) -> dict[str, Any]:
    """A Webex user's attributes as PATCH paths, core paths lower-cased (SCIM attribute names have no case)."""
    lowered = {k.lower() if not k.startswith("urn:") else k: v for k, v in resource.items()}
    return {path.lower() if not path.startswith("urn:") else path: v for path, v in flatten(lowered).items()}


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
    have = held(resource)
    out: list[Operation] = []
    for path, value in update.items():
        current = have.get(path if path.startswith("urn:") else path.lower())
        if same(path, value, current):
            continue
        out.append(Operation("Add" if current is None else "Replace", path, value, current))
    return out
