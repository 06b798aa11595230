"""Each Entra user against the Webex org: one class, with the reason, and what the first cycle sends.

* **conflict**: two Entra users with one userName (Entra's `DuplicateSourceEntries`: neither is sent), several
  Webex users matching one userName (`DuplicateTargetEntries`: the user fails), a Webex match that already carries
  another externalId (linked to another source; the first cycle overwrites it), a work email that is not userName,
  a userName domain outside `webex-scim:verifiedDomains` (checks.py for the last three's rules);
* **near-miss**: no Webex user has the userName, but one holds one of the user's addresses (in its emails, or as its
  userName): Entra creates a second account, or Webex refuses it (one address, one account);
* **match**: one Webex user has the userName (without case, as Webex compares it), with what the first cycle changes
  on it (first_cycle.py, the rule the replay uses); an inactive one is reactivated when the cycle sends `active`;
* **new**: no Webex user of the org has the userName nor an address of the user: Webex creates it, unless the
  address already has a Webex account outside this org (userName is unique across all of Webex);
* **unknown**: the lookup failed (each says why; the read is partial);
* **not provisioned**: the simulation skips the user, with its reason.

Classes are listed largest risk first (ORDER).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .checks import domain_problem, duplicate_source_reason, duplicate_user_names, work_email_problem
from .first_cycle import Operation, operations
from .run import PROVISION, Simulation, UserResult
from .webex_reader import Found
from .webex_users import WebexAccount

CONFLICT, NEAR_MISS, UNKNOWN, MATCH, NEW, NOT_PROVISIONED = (
    "conflict",
    "near-miss",
    "unknown",
    "match",
    "new",
    "not provisioned",
)
ORDER = (CONFLICT, NEAR_MISS, UNKNOWN, MATCH, NEW, NOT_PROVISIONED)
OUTSIDE_THE_ORG = (
    "unless the address already has a Webex account outside this org (userName is unique across all of Webex: a "
    "free or another org's account refuses the create until it is released or claimed)"
)


@dataclass
class Entry:
    id: str
    upn: str | None
    user_name: str | None
    klass: str
    reason: str
    webex_id: str | None = None
    first_cycle: list[dict[str, Any]] = field(default_factory=list)
    inactive: bool = False
    problems: list[str] = field(default_factory=list)  # the simulation's, besides those that make a conflict
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "userPrincipalName": self.upn,
            "userName": self.user_name,
            "class": self.klass,
            "reason": self.reason,
            "webexId": self.webex_id,
            "inactiveInWebex": self.inactive,
            "firstCycle": self.first_cycle,
            "problems": self.problems,
            "warnings": self.warnings,
        }

    @property
    def clean(self) -> bool:
        """A match or a new user with nothing to look at."""
        return self.klass in (MATCH, NEW) and not self.problems


def _who(account: WebexAccount) -> str:
    return f"Webex user {account.id} ({account.user_name})"


def _changes(ops: list[Operation]) -> str:
    if not ops:
        return "the first cycle changes nothing on it"
    shown = "; ".join(op.describe() for op in ops[:6]) + (f"; and {len(ops) - 6} more" if len(ops) > 6 else "")
    return f"the first cycle changes {shown}"


def _matched(user: UserResult, name: str, account: WebexAccount, entry: Entry) -> str:
    ops = operations(user.update() or {}, account.resource)
    entry.webex_id = account.id
    entry.first_cycle = [op.as_json() for op in ops]
    entry.inactive = account.inactive
    said = f"matches {_who(account)}" + (", the same but for case" if account.user_name != name else "")
    if account.inactive:
        reactivated = any(op.path == "active" and op.value is True for op in ops)
        said += f", inactive in Webex ({account.status()}): " + (
            "the first cycle reactivates it"
            if reactivated
            else "Entra's active is already true there, so Webex's own account status decides"
        )
    return f"{said}; {_changes(ops)}"


def _near(name: str, near: list[tuple[str, WebexAccount]]) -> str:
    held = "; ".join(
        f"{_who(a)} holds {address!r}"
        + (" as its userName" if a.user_name.casefold() == address.casefold() else " in its emails")
        for address, a in near[:3]
    )
    return (
        f"no Webex user has userName {name!r}, but {held}: Entra would create a second account, or Webex refuses it "
        "(one address, one account); make userName equal that user's (the UPN, or webex-scim:mappings.userNameSource) "
        "before the first cycle"
    )


def _entry(user: UserResult, answer: Found | None, same: list[UserResult] | None, conflicts: list[str]) -> Entry:
    """One provisioned user's class and reason; `same`: the users sharing its userName (DuplicateSourceEntries)."""
    name = str((user.scim or {}).get("userName") or "")
    entry = Entry(user.id, user.upn, name, NEW, "", warnings=list(user.warnings))
    entry.problems = [p for p in user.problems if p not in conflicts]  # the same rules' words: said once
    found = ""  # what the org holds for it, when a conflict leads the reason
    if same is not None:
        pass  # nothing is sent for it, so nothing is looked up
    elif answer is None or answer.error:
        entry.klass = UNKNOWN
        entry.reason = found = f"not read: {answer.error if answer else 'not looked up'}"
    elif len(answer.matches) > 1:
        ids = ", ".join(a.id for a in answer.matches[:5])
        conflicts.append(
            f"{len(answer.matches)} Webex users match userName {name!r} ({ids}): Entra fails the user "
            "(DuplicateTargetEntries) and sends nothing"
        )
    elif answer.matches:
        (account,) = answer.matches
        ours = (user.scim or {}).get("externalId")
        if account.external_id and isinstance(ours, str) and account.external_id.casefold() != ours.casefold():
            conflicts.append(
                f"{_who(account)} already has externalId {account.external_id!r}, from another source: the first "
                f"cycle overwrites it with {ours!r} and takes the user over"
            )
        entry.klass, entry.reason = MATCH, _matched(user, name, account, entry)
        found = entry.reason
    elif answer.near:
        entry.klass, entry.webex_id = NEAR_MISS, answer.near[0][1].id
        entry.reason = found = _near(name, answer.near)
    else:
        entry.first_cycle = [{"op": "POST", "path": "/Users", "value": user.scim, "was": None}]
        found = f"no Webex user of this org has userName {name!r} or the user's addresses"
        entry.reason = f"{found}: Webex creates it, {OUTSIDE_THE_ORG}"
    if conflicts:
        entry.klass = CONFLICT
        entry.reason = "; ".join(conflicts) + (f" (besides: {found})" if found else "")
    return entry


def classify(
    sim: Simulation,
    found: dict[int, Found],
    verified: list[str],
    user_name_source: str | None = None,
) -> list[Entry]:
    """One entry per user of the simulation, in its order. `found`: per provisioned user's index in `sim.users`,
    what the org holds for it (absent: not looked up)."""
    duplicates = {id(u): same for same in duplicate_user_names(sim.users).values() for u in same}
    entries: list[Entry] = []
    for index, user in enumerate(sim.users):
        if user.action != PROVISION or user.scim is None:
            entries.append(Entry(user.id, user.upn, None, NOT_PROVISIONED, user.reason or "not provisioned"))
            continue
        same = duplicates.get(id(user))
        conflicts = [duplicate_source_reason(user, same)] if same is not None else []
        name = str(user.scim.get("userName") or "")
        conflicts += [r for r in (work_email_problem(user.scim, user_name_source), domain_problem(name, verified)) if r]
        entries.append(_entry(user, None if same is not None else found.get(index), same, conflicts))
    return entries


def webex_only(accounts: list[WebexAccount], entries: list[Entry]) -> list[WebexAccount]:
    """The listed Webex users no provisioned Entra user's userName reaches (Entra never touches nor deletes them)."""
    reached = {e.user_name.casefold() for e in entries if e.user_name}
    return sorted((a for a in accounts if a.user_name.casefold() not in reached), key=lambda a: a.user_name.casefold())


def summary(entries: list[Entry], only: list[WebexAccount] | None, partial: list[str]) -> dict[str, Any]:
    """Counts per class; `only`: the Webex-only users (None: the org was not listed)."""
    counts = {klass: 0 for klass in ORDER}
    for entry in entries:
        counts[entry.klass] += 1
    return {
        "provisioned": sum(counts[k] for k in ORDER if k != NOT_PROVISIONED),
        "match": counts[MATCH],
        "matchInactive": sum(1 for e in entries if e.klass == MATCH and e.inactive),
        "new": counts[NEW],
        "nearMiss": counts[NEAR_MISS],
        "conflict": counts[CONFLICT],
        "unknown": counts[UNKNOWN],
        "notProvisioned": counts[NOT_PROVISIONED],
        "withProblems": sum(1 for e in entries if e.problems),
        "webexOnly": None if only is None else len(only),
        "partial": bool(partial),
    }
