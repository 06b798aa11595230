"""Who Entra provisions, decided as Entra decides it (sources: MicrosoftDocs/entra-docs app-provisioning pages).

In order, for each user ("How Application Provisioning works in Microsoft Entra ID"):

1. assignment (scope "Sync only assigned users and groups"): the user is assigned to the app, or is an *immediate*
   member of an assigned group ("The service can only read and provision users that are immediate members of an
   explicitly assigned group": nested groups are not expanded); with scope "all" (SyncAll) every user is in;
2. the role: users assigned only with Default Access are not provisioned (Microsoft's Cisco Webex tutorial); a user
   covered by another assignment with a Webex role is;
3. the account: a soft-deleted user is not provisioned, and "Provisioning a user that is disabled in Microsoft Entra
   ID isn't supported. They must be active";
4. the scoping filter ("Scoping users or groups to be provisioned with scoping filters"): groups are OR'ed, the
   clauses of a group AND'ed; a clause on a null or empty value is false (IS NULL aside), EQUALS / NOT EQUALS /
   Includes compare case-sensitively, REGEX MATCH is .NET's Regex.IsMatch (a match anywhere), the Greater_Than
   family compares integers, and filtering on a multi-valued attribute is not supported.

What the reference leaves open (`&` and `!&`, whose description does not say whether they test substrings or bits; a
clause with several values, which the portal never writes; ENDS_WITH on values differing only in case) is "not
simulated" for the user it touches: with three-valued logic, a group another clause already makes false, or a
filter another group already makes true, still decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .attributes import MULTI_VALUED, attribute_problem
from .functions import dotnet_regex
from .snapshot import SourceUser
from .stack import Principal, SimulationStack
from .values import NotSimulated, text


@dataclass(frozen=True)
class Verdict:
    provision: bool
    reason: str | None = None  # why a user is skipped; "not simulated: …" when it cannot be decided
    not_simulated: bool = False


IN_SCOPE = Verdict(True)


class Scope:
    """The stack's assignments and scoping filter, indexed once, then asked per user."""

    def __init__(self, stack: SimulationStack, users: list[SourceUser]) -> None:
        self.stack = stack
        self.users: dict[str, list[Principal]] = defaultdict(list)  # lower(UPN or id) -> principals
        self.groups: dict[str, list[Principal]] = defaultdict(list)  # lower(name or id) -> principals
        for p in stack.principals:
            (self.users if p.kind == "user" else self.groups)[p.ref.strip().lower()].append(p)
        self.notes: list[str] = []
        self.ambiguous: set[str] = set()
        names: dict[str, set[str]] = defaultdict(set)
        for user in users:
            for ident, name in user.groups:
                if name and ident:
                    names[name.lower()].add(ident.lower())
        for ref in self.groups:
            if len(names.get(ref, ())) > 1:
                self.ambiguous.add(ref)
                self.notes.append(
                    f"group {ref!r} is assigned by name, and {len(names[ref])} groups in the snapshot have that name: "
                    "`pulumi up` cannot pick one (azuread get_group finds several); assign it by object ID"
                )
        self.filter = [self._group(g) for g in stack.scoping_filter]

    # -- assignment -------------------------------------------------------------------------------------------------

    def _covering(self, user: SourceUser) -> tuple[list[Principal], str | None]:
        found = list(self.users.get(user.id.lower(), ()))
        if user.upn:
            found += self.users.get(user.upn.lower(), ())
        for ident, name in user.groups:
            for key in (ident, name):
                if not key:
                    continue
                key = key.lower()
                if key in self.ambiguous:
                    return [], f"member of group {name!r}, assigned by a name several groups share"
                found += self.groups.get(key, ())
        return found, None

    def decide(self, user: SourceUser) -> Verdict:
        if self.stack.scope == "assigned":
            covering, problem = self._covering(user)
            if problem:
                return Verdict(False, f"not assigned: {problem}")
            if not covering:
                return Verdict(False, self._unassigned_reason())
            if all(p.default_access for p in covering):
                return Verdict(
                    False,
                    "Default Access only: assigned with the Default Access role ("
                    + ", ".join(sorted({p.label for p in covering}))
                    + "), and Entra does not provision Default Access users; assign a Webex role",
                )
        if user.deleted:
            return Verdict(False, "deleted: deletedDateTime is set, and Entra does not provision deleted users")
        if user.attrs.get("accountEnabled") is False:
            return Verdict(
                False,
                "disabled: accountEnabled is false, and Entra does not provision a disabled user (it must be active)",
            )
        if self.filter:
            return self._filtered(user.attrs)
        return IN_SCOPE

    def _unassigned_reason(self) -> str:
        pilot = self.stack.pilot
        if pilot is not None:
            return f"not assigned: a pilot rollout assigns only {pilot.ref}"
        return "not assigned: neither the user nor a group they are a direct member of is assigned to the app"

    # -- scoping filter -----------------------------------------------------------------------------------------

    def _group(self, group: Mapping[str, Any]) -> list[tuple[str, Callable[[Mapping[str, Any]], bool | None]]]:
        return [(_describe(c), _clause(c)) for c in group.get("clauses") or []]

    def _filtered(self, attrs: Mapping[str, Any]) -> Verdict:
        failed: list[str] = []
        undecided: list[str] = []
        for number, group in enumerate(self.filter, 1):
            holds, unknown = True, None
            for label, clause in group:
                try:
                    result = clause(attrs)
                except NotSimulated as exc:
                    unknown = unknown or f"filter {number}: {label}: {exc}"
                    continue
                if result is False:
                    failed.append(f"filter {number}: {label} is false{_shown(attrs, label)}")
                    holds = False
                    break
            if holds and unknown is None:
                return IN_SCOPE
            if holds and unknown is not None:
                undecided.append(unknown)
        if undecided:
            return Verdict(False, f"not simulated: the scoping filter's {undecided[0]}", not_simulated=True)
        return Verdict(False, "outside the scoping filter: " + "; ".join(failed))


def _describe(clause: Mapping[str, Any]) -> str:
    values = clause.get("values") or []
    shown = "" if not values else " " + (repr(values[0]) if len(values) == 1 else repr(values))
    return f"{clause.get('attribute')} {clause.get('operator')}{shown}"


def _shown(attrs: Mapping[str, Any], label: str) -> str:
    name = label.split(" ", 1)[0]
    value = attrs.get(name)
    return f" ({name} is not set)" if value in (None, "") else f" ({name} is {value!r})"


_INTEGER = ("Greater_Than", "Greater_Than_OR_EQUALS", "Less_Than", "Less_Than_OR_EQUALS")


def _clause(clause: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool | None]:
    name, op = str(clause.get("attribute")), str(clause.get("operator"))
    values = [str(v) for v in clause.get("values") or []]
    problem = attribute_problem(name)

    def check(attrs: Mapping[str, Any]) -> bool | None:
        if problem:
            raise NotSimulated(problem)
        value = attrs.get(name)
        if name in MULTI_VALUED or isinstance(value, list):
            raise NotSimulated(f"{name} is multi-valued, and scoping filters do not support multi-valued attributes")
        if op in ("&", "!&"):
            raise NotSimulated(f"the reference does not make clear what {op} tests (substring or bits)")
        if len(values) > 1:
            raise NotSimulated(
                f"{len(values)} values in one clause (the portal writes one; how several combine is not documented)"
            )
        empty = value is None or value == ""
        if op == "IS_NULL":
            return empty
        if empty:
            return False  # "Scoping filters will return false if the value is null / empty."
        if op == "IS_NOT_NULL":
            return True
        if op in ("IS_TRUE", "IS_FALSE"):
            is_bool = isinstance(value, bool) or str(value).strip().lower() in ("true", "false")
            truth = value if isinstance(value, bool) else str(value).strip().lower() == "true"
            return is_bool and truth == (op == "IS_TRUE")
        actual, wanted = text(value, "a scoping clause"), values[0]
        if op == "EQUALS":
            return actual == wanted
        if op == "NOT_EQUALS":
            return actual != wanted
        if op == "Includes":
            return wanted in actual
        if op == "ENDS_WITH":
            if not actual.endswith(wanted) and actual.casefold().endswith(wanted.casefold()):
                raise NotSimulated(
                    f"ENDS_WITH {wanted!r} on {actual!r}: they differ only in case, and the "
                    "reference does not say whether ENDS_WITH ignores case"
                )
            return actual.endswith(wanted)
        if op in ("REGEX_MATCH", "NOT_REGEX_MATCH"):
            matched = dotnet_regex(wanted).search(actual) is not None
            return matched if op == "REGEX_MATCH" else not matched
        if op in _INTEGER:
            try:
                number, limit = int(actual.strip()), int(wanted)
            except ValueError:
                raise NotSimulated(f"{op} compares integers; {name} is {actual!r}") from None
            return {
                "Greater_Than": number > limit,
                "Greater_Than_OR_EQUALS": number >= limit,
                "Less_Than": number < limit,
                "Less_Than_OR_EQUALS": number <= limit,
            }[op]
        raise NotSimulated(f"the operator {op} is not one the reference describes")

    return check
