"""`--scim-url URL --scim-token-env NAME`: the provisioning cycle played as Entra's SCIM client plays it.

For each user the simulation provisions, in order (Microsoft's SCIM tutorial, use-scim-to-provision-users-and-groups
.md, and "How Application Provisioning works": the service "queries the target system for a matching user using the
specified matching attributes", creates it when none is found, updates it when one is):

1. `GET /Users?filter=userName eq "<userName>"` (userName is the matching attribute: matchingPriority 1);
2. no match: `POST /Users` with the create payload; one match: `PATCH /Users/{id}` with what the first cycle sends
   a user Webex already has (first_cycle.py: the update set's attributes whose value differs, in Entra's default
   PATCH dialect; none: nothing is sent); several: the user fails, as in Entra's logs.

Two users with one userName (without case) are Entra's `DuplicateSourceEntries`: nothing is sent for either, and
both are reported failed with that reason.

Against any SCIM 2.0 server, through scim_http.py: https, or http on a loopback address only (a bearer token never
crosses a network in clear); 429 and 503 are retried as `Retry-After` says (capped, a few tries), then reported
for that user. The token comes from an environment variable, is sent in the Authorization header only, and is never
printed, written or raised: every message the server's answer shapes has it redacted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from webex_scim.markdown_writer import code, esc

from .checks import DUPLICATE_SOURCE, duplicate_user_names
from .first_cycle import operations
from .run import PROVISION, Simulation, UserResult
from .scim_http import ScimHttp, check_url

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@dataclass
class ReplayOutcome:
    url: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    entries: list[tuple[str, str]] = field(default_factory=list)  # (user, what happened)

    def lines(self) -> list[tuple[str, str]]:
        out = [("", ""), ("bold", f"Replay against {self.url}:")]
        for who, what in self.entries[:50]:
            out.append(("red" if what.startswith("failed") else "", f"    {who}: {what}"))
        if len(self.entries) > 50:
            out.append(("dim", f"    … and {len(self.entries) - 50:,} more"))
        out.append(("bold", "    " + self.counts()))
        return out

    def counts(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, {self.failed} failed"

    def markdown(self) -> str:
        rows = "".join(f"| {code(who)} | {esc(what)} |\n" for who, what in self.entries[:200])
        more = f"\n_… and {len(self.entries) - 200:,} more_\n" if len(self.entries) > 200 else ""
        return (
            f"### Replay against {code(self.url)}\n\n{esc(self.counts())}\n\n<details><summary>Per user</summary>\n\n"
            f"| User | Outcome |\n|---|---|\n{rows}{more}\n</details>\n\n"
        )


class _Replayer:
    def __init__(self, base_url: str, token: str, transport: Any = None) -> None:
        self.scim = ScimHttp(base_url, token, transport=transport)
        self.http = self.scim.http

    def close(self) -> None:
        self.scim.close()

    def _error(self, what: str, response: Any) -> str:
        return "failed: " + self.scim.error(what, response)

    def one(self, user: UserResult) -> tuple[str, str | None]:
        """(outcome, the server's id for the user)."""
        import httpx

        payload = user.scim or {}
        name = payload.get("userName")
        if not isinstance(name, str) or not name:
            return "failed: no userName to match on", None
        value = name.replace("\\", "\\\\").replace('"', '\\"')
        try:
            found = self.http.get("/Users", params={"filter": f'userName eq "{value}"'})
            if found.status_code != 200:
                return self._error("GET /Users?filter", found), None
            resources = found.json().get("Resources") or []
            if not resources:
                created = self.http.post("/Users", json=payload)
                if created.status_code not in (200, 201):
                    return self._error("POST /Users", created), None
                return "created", str(created.json().get("id"))
            if len(resources) > 1:
                return f"failed: {len(resources)} users match userName {name!r}", None
            existing = resources[0]
            ops = [op.patch() for op in operations(user.update() or {}, existing)]
            if not ops:
                return "unchanged", str(existing.get("id"))
            patched = self.http.patch(f"/Users/{existing['id']}", json={"schemas": [PATCH_SCHEMA], "Operations": ops})
            if patched.status_code not in (200, 204):
                return self._error(f"PATCH /Users/{existing['id']}", patched), None
            return "updated (" + ", ".join(op["path"] for op in ops) + ")", str(existing.get("id"))
        except httpx.HTTPError as exc:
            return self.scim.safe(f"failed: {type(exc).__name__} talking to the SCIM server ({exc})"), None
        except ValueError:
            return "failed: the SCIM server answered something that is not JSON", None


def replay(sim: Simulation, base_url: str, token: str, *, transport: Any = None) -> ReplayOutcome:
    check_url(base_url)
    outcome = ReplayOutcome(base_url)
    replayer = _Replayer(base_url, token, transport=transport)
    duplicates = {id(u): len(same) for same in duplicate_user_names(sim.users).values() for u in same}
    try:
        for user in sim.users:
            if user.action != PROVISION or user.scim is None:
                continue
            if id(user) in duplicates:
                what = (
                    f"failed: {DUPLICATE_SOURCE}: {duplicates[id(user)]} users have userName "
                    f"{user.scim.get('userName')!r} (without regard to case), so Entra sends neither"
                )
            else:
                what, _ = replayer.one(user)
            outcome.entries.append((user.upn or user.id, what))
            if what == "created":
                outcome.created += 1
            elif what == "unchanged":
                outcome.unchanged += 1
            elif what.startswith("updated"):
                outcome.updated += 1
            else:
                outcome.failed += 1
    finally:
        replayer.close()
    return outcome
