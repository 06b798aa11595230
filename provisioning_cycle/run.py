"""The simulation: every user of a snapshot through scope, mappings and validation, then the checks across users.

Per user: the scope's verdict (scope.py); for a user Entra provisions, the create payload (payload.py), validated by
scim2-models (models.py), and its problems. Then what Webex refuses or Entra fails, per user and across users
(checks.py: userName not an email, in a domain outside `webex-scim:verifiedDomains`, shared by two users without
regard to case, a work email that is not userName, one externalId twice; characters Entra may not filter on, a
warning), and a required Webex attribute (components/webex_catalog.json requiredWebexTargets) missing from the
payload.

About the snapshot as a whole (`notes`): an attribute the mappings or the scoping filter read that no user in it has
(the export probably left it out), a group assigned by a name several groups share, a partial Graph page.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .attributes import COMPUTED, graph_property
from .checks import check_across
from .evaluate import Evaluator
from .expressions import ExpressionSyntaxError, attributes_of, parse
from .models import PayloadValidator
from .payload import build, compile_rows, update_set
from .scope import Scope
from .snapshot import Snapshot, SourceUser
from .stack import SimulationStack

PROVISION, SKIP = "provision", "skip"
# From this many users on, the second half is simulated in a forked child on another core (each user's simulation
# is independent; the checks across users run once all are back). Below it, a fork costs more than it saves.
PARALLEL_FROM = 5_000


@dataclass(slots=True)
class UserResult:
    id: str
    upn: str | None
    action: str
    reason: str | None
    scim: dict[str, Any] | None  # the create payload
    problems: list[str]
    create_only: tuple[str, ...] = ()  # targets only a create sends (payload.build)
    # What may go wrong, not what will (checks.filter_warning); most users have none, so they share one empty tuple.
    warnings: tuple[str, ...] = ()

    def update(self) -> dict[str, Any] | None:
        """What an update of this user, once Webex has them, carries (PATCH path -> value); None when not sent."""
        return None if self.scim is None else update_set(self.scim, self.create_only)

    def as_json(self) -> dict[str, Any]:
        """The user's entry in the Simulation document (shared/DESIGN.md, plus `scimUpdate` and `warnings`)."""
        return {
            "id": self.id,
            "userPrincipalName": self.upn,
            "action": self.action,
            "reason": self.reason,
            "scim": self.scim,
            "scimUpdate": self.update(),
            "problems": self.problems,
            "warnings": self.warnings,
        }


@dataclass
class Simulation:
    project: str
    stack: str
    source: str
    users: list[UserResult]
    notes: list[str] = field(default_factory=list)
    validated: int = 0  # payloads scim2-models validated in full (the others shared a shape's verdict)
    # What makes the whole result unreliable (a group-assigned stack, a snapshot without group membership): said
    # with the notes, and the run needs attention (exit 1) even when no user has a problem.
    attention: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        provision = sum(1 for u in self.users if u.action == PROVISION)
        return {
            "provision": provision,
            "skip": len(self.users) - provision,
            "problems": sum(1 for u in self.users if u.problems),
        }

    def skip_reasons(self) -> Counter[str]:
        """Skipped users per kind of reason (the text before the first colon)."""
        return Counter((u.reason or "").split(":", 1)[0] for u in self.users if u.action == SKIP)


def simulate(
    stack: SimulationStack,
    snapshot: Snapshot,
    *,
    required: tuple[str, ...] | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> Simulation:
    from .attributes import attribute_problem

    scope = Scope(stack, snapshot.users)
    rows = compile_rows(stack.rows, Evaluator(attribute_problem, clock))
    validator = PayloadValidator()
    required = required if required is not None else _required_targets()

    def each(users: list[SourceUser]) -> list[UserResult]:
        results: list[UserResult] = []
        for user in users:
            verdict = scope.decide(user)
            problems = list(user.problems)
            if not verdict.provision:
                if verdict.not_simulated:
                    problems.append(verdict.reason or "not simulated")
                results.append(UserResult(user.id, user.upn, SKIP, verdict.reason, None, problems))
                continue
            payload, payload_problems, create_only = build(rows, user.attrs)
            problems += payload_problems
            missing = [t for t in required if not _has(payload, t)]
            problems += [f"{t} is missing: {_why_missing(stack, t)}; Webex requires it" for t in missing]
            problems += [
                f"SCIM validation (scim2-models): {p}"
                for p in validator.problems(payload)
                if not any(p.startswith(t + ":") or f"Field '{t}' is required" in p for t in missing)
            ]
            results.append(UserResult(user.id, user.upn, PROVISION, None, payload, problems, create_only))
        return results

    users = snapshot.users
    if len(users) >= PARALLEL_FROM and hasattr(os, "fork") and (os.cpu_count() or 1) > 1:
        results, validated = _on_two_cores(users, each, lambda: validator.validated)
    else:
        results, validated = each(users), 0
    check_across(results, stack.verified_domains, user_name_source(stack))
    attention = _missing_membership(stack, snapshot)
    notes = [*snapshot.notes, *scope.notes, *attention, *_absent_properties(stack, snapshot)]
    if not stack.enabled:
        notes.append(
            "provisioning.enabled is false: the job is paused, so nothing is sent until it is switched on; the users "
            "below are what it would send then"
        )
    validated += validator.validated
    return Simulation(stack.project, stack.stack, snapshot.source, results, notes, validated, attention)


def _on_two_cores(
    users: list[SourceUser], each: Callable[[list[SourceUser]], list[UserResult]], validated: Callable[[], int]
) -> tuple[list[UserResult], int]:
    """`each` over the first half here and over the second half in a forked child, which inherits everything (the
    snapshot, the compiled mappings) and sends its results back through a pipe once done. The child's work runs
    while this process does its own; only the transfer is serial. Returns the results in order, and the payloads
    the child's validator validated in full."""
    from webex_scim.errors import EngineError

    middle = len(users) // 2
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its half, pickled to the pipe, then gone without running the parent's cleanup
        code = 1
        try:
            os.close(read_end)
            before = validated()
            part = each(users[middle:])
            rows = [(u.id, u.upn, u.action, u.reason, u.scim, u.problems, u.create_only) for u in part]
            data = pickle.dumps((rows, validated() - before), protocol=5)
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            code = 0
        except BaseException:
            traceback.print_exc()  # os._exit below would otherwise drop it
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        first = each(users[:middle])
        with os.fdopen(read_end, "rb") as incoming:
            data = incoming.read()
    finally:
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not data:
        raise EngineError(
            "the simulation of the second half of the users failed in its worker process (its error is above); "
            f"a snapshot of fewer than {PARALLEL_FROM:,} users is simulated in this process alone"
        )
    rows, child_validated = pickle.loads(data)
    return first + [UserResult(*fields) for fields in rows], child_validated


def _required_targets() -> tuple[str, ...]:
    from components import catalog

    return tuple(catalog.catalog()["requiredWebexTargets"])


def _has(payload: dict[str, Any], name: str) -> bool:
    # The required targets (userName, externalId, active) are top-level attributes.
    return payload.get(name) not in (None, "")


def _why_missing(stack: SimulationStack, name: str) -> str:
    row = next((r for r in stack.rows if r.get("target") == name), None)
    if row is None:
        return "no mapping feeds it"
    if row.get("source"):
        return f"its source {row['source']} is not set"
    return "its mapping gives no value"


def user_name_source(stack: SimulationStack) -> str | None:
    """The attribute userName is mapped from, when it is a direct mapping."""
    row = next((r for r in stack.rows if r.get("target") == "userName"), None)
    return str(row["source"]) if row and row.get("source") else None


def needed_attributes(stack: SimulationStack) -> dict[str, list[str]]:
    """Engine attribute -> what reads it (mapping targets, "the scoping filter")."""
    needed: dict[str, list[str]] = defaultdict(list)
    for row in stack.rows:
        if row.get("source"):
            needed[str(row["source"])].append(str(row["target"]))
        elif row.get("expression"):
            try:
                names = attributes_of(parse(str(row["expression"])))
            except ExpressionSyntaxError:
                continue
            for name in names:
                needed[name].append(str(row["target"]))
    for group in stack.scoping_filter:
        for clause in group.get("clauses") or []:
            needed[str(clause.get("attribute"))].append("the scoping filter")
    return needed


def attributes_to_keep(stack: SimulationStack) -> frozenset[str]:
    """What a simulation of `stack` reads of each user: the attributes its mappings and scoping filter read, and what
    the scope and the report always do."""
    always = {"userPrincipalName", "originalUserPrincipalName", "objectId", "accountEnabled", "IsSoftDeleted"}
    return frozenset(needed_attributes(stack)) | always


def _missing_membership(stack: SimulationStack, snapshot: Snapshot) -> list[str]:
    """A group-assigned stack and a snapshot without group membership: every group member would count as not
    assigned ("0 of N"), which says nothing about the stack. Said as the run's own problem, with the fix."""
    groups = sorted({p.ref for p in stack.principals if p.kind == "group"})
    if stack.scope != "assigned" or not groups or not snapshot.users or snapshot.properties.get("memberOf"):
        return []
    return [
        f"the stack assigns group(s) {', '.join(groups)}, but no user in {snapshot.source} has memberOf (Graph's "
        "group membership), so no group member can be simulated as assigned; export the users with their groups "
        "(`$expand=memberOf`, docs/simulation.md shows the command; `az ad user list` and the portal's CSV leave "
        "it out), or read the directory with `--users graph`"
    ]


def _absent_properties(stack: SimulationStack, snapshot: Snapshot) -> list[str]:
    if not snapshot.users:
        return []
    notes = []
    needed = needed_attributes(stack)
    needed["accountEnabled"].append("the scope (disabled users are not provisioned)")
    for name, readers in sorted(needed.items()):
        prop = graph_property(name)
        if name in COMPUTED or prop is None or snapshot.properties.get(prop):
            continue
        select = prop.split(".")[0]
        notes.append(
            f"{name} (Graph property {prop}) is read by {', '.join(sorted(set(readers)))}, but no user in "
            f"{snapshot.source} has it: if the export left it out, export it too (Graph: $select=…,{select})"
            + ("; until then every user counts as enabled" if name == "accountEnabled" else "")
        )
    return notes
