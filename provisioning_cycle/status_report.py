"""A provisioning job's health as `python -m webex_scim status` reports it: what was read, and one verdict with the
rule that decided each reason (pure: no I/O but reading the error table).

| rule | verdict | when |
|---|---|---|
| `quarantine` | failing | synchronizationStatus.code is Quarantine |
| `last-cycle-failed` | failing | the last execution's state is Failed |
| `token-expired` | failing | `tokenExpiresOn` is past |
| `test-connection-failed` | failing | `--test-connection`: Entra's Test Connection with the saved credentials failed |
| `not-running` | attention | the stack says provisioning is on, the job is Paused or NotConfigured |
| `escrows` | attention | the last execution escrowed entries, or escrows were pruned |
| `failures-in-window` | attention | the provisioning logs of the window hold failures |
| `token-expiring` | attention | fewer than `minDaysLeft` days before `tokenExpiresOn` |
| `drift` | attention | `--drift`: the refresh preview found resources the tenant no longer holds as the stack says |
| `drift-unchecked` | attention | `--drift`: the refresh preview did not run to the end, so drift is unknown |

No reason: healthy. Failing wins over attention.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

HEALTHY, ATTENTION, FAILING = "healthy", "attention", "failing"
VERDICTS = (HEALTHY, ATTENTION, FAILING)
# policies/webex_guard/provisioning.py MIN_DAYS_LEFT, the token-expiry rule's default (a test keeps them equal).
DEFAULT_MIN_DAYS_LEFT = 30
USERS_PER_CODE = 5
ERROR_TABLE = Path(__file__).with_name("provisioning_errors.json")


@dataclass(frozen=True)
class Reason:
    rule: str
    verdict: str  # attention | failing
    message: str


@dataclass
class Report:
    """Everything `status` found for one stack; `to_json()` is the `--json` document."""

    project: str
    stack: str
    service_principal_id: str
    job_id: str
    ids_from: str
    read_at: str
    job: dict[str, Any]
    window: dict[str, Any]
    logs: dict[str, Any]
    failures: list[dict[str, Any]]
    token: dict[str, Any]
    reasons: list[Reason] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    drift: dict[str, Any] | None = None  # provisioning_cycle/drift.py, with --drift

    @property
    def verdict(self) -> str:
        found = {r.verdict for r in self.reasons}
        return FAILING if FAILING in found else ATTENTION if ATTENTION in found else HEALTHY

    @property
    def exit_code(self) -> int:
        return 0 if self.verdict == HEALTHY else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "verdict": self.verdict,
            "reasons": [asdict(r) for r in self.reasons],
            "servicePrincipalId": self.service_principal_id,
            "jobId": self.job_id,
            "idsFrom": self.ids_from,
            "readAt": self.read_at,
            "job": self.job,
            "window": self.window,
            "logs": self.logs,
            "failures": self.failures,
            "token": self.token,
            "drift": self.drift,
            "notes": self.notes,
        }


@lru_cache(maxsize=1)
def error_table() -> dict[str, Any]:
    return json.loads(ERROR_TABLE.read_text(encoding="utf-8"))


def _status_info(event: Mapping[str, Any]) -> Mapping[str, Any]:
    info = event.get("provisioningStatusInfo")
    return info if isinstance(info, Mapping) else {}


def _who(event: Mapping[str, Any]) -> str:
    source = event.get("sourceIdentity") if isinstance(event.get("sourceIdentity"), Mapping) else {}
    return str(source.get("displayName") or source.get("id") or event.get("changeId") or "?")


def log_counts(events: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Entries by provisioningAction and by provisioningStatusInfo.status, as Graph spells them."""
    actions = Counter(str(e.get("provisioningAction") or "other") for e in events)
    statuses = Counter(str(_status_info(e).get("status") or "unknown") for e in events)
    return {"byAction": dict(sorted(actions.items())), "byStatus": dict(sorted(statuses.items()))}


def failures_by_code(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The failed entries grouped by errorCode, most frequent first: Microsoft's meaning and fix, a few users."""
    table = error_table()
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for event in events:
        info = _status_info(event)
        if info.get("status") != "failure":
            continue
        error = info.get("errorInformation") if isinstance(info.get("errorInformation"), Mapping) else {}
        groups.setdefault(str(error.get("errorCode") or "(no error code)"), []).append(event)
    out = []
    for code, items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        known = table["codes"].get(code)
        entry = known or table["unknown"]
        users = list(dict.fromkeys(_who(e) for e in items))
        first = _status_info(items[0]).get("errorInformation") or {}
        out.append(
            {
                "errorCode": code,
                "count": len(items),
                "meaning": entry["meaning"],
                "fix": entry["fix"],
                "inMicrosoftTable": known is not None,
                "users": users[:USERS_PER_CODE],
                "moreUsers": max(0, len(users) - USERS_PER_CODE),
                "example": first.get("reason") if isinstance(first, Mapping) else None,
            }
        )
    return out


def token_facts(expires_on: dt.date | None, min_days_left: int, today: dt.date) -> dict[str, Any]:
    return {
        "expiresOn": expires_on.isoformat() if expires_on else None,
        "daysLeft": (expires_on - today).days if expires_on else None,
        "minDaysLeft": min_days_left,
        "testConnection": None,
    }


def judge(
    job: Mapping[str, Any],
    failures: Sequence[Mapping[str, Any]],
    token: Mapping[str, Any],
    *,
    enabled: bool,
    drift: Mapping[str, Any] | None = None,
) -> list[Reason]:
    """Every reason the job is not healthy, each with the rule that decided it."""
    status = job.get("status") if isinstance(job.get("status"), Mapping) else {}
    last = status.get("lastExecution") if isinstance(status.get("lastExecution"), Mapping) else {}
    reasons: list[Reason] = []
    code = status.get("code")
    if code == "Quarantine":
        q = status.get("quarantine") if isinstance(status.get("quarantine"), Mapping) else {}
        error = q.get("error") if isinstance(q.get("error"), Mapping) else {}
        detail = ": ".join(str(v).rstrip(".") for v in (error.get("code"), error.get("message")) if v)
        when = "".join(
            f"; {label} {q[key]}"
            for key, label in (("currentBegan", "since"), ("nextAttempt", "next attempt"))
            if q.get(key)
        )
        reasons.append(
            Reason(
                "quarantine",
                FAILING,
                f"the job is in quarantine (reason {q.get('reason') or 'not given'}{when})"
                + (f": {detail}" if detail else "")
                + ". Fix the cause, then release it with a new restart request "
                "(`pulumi config set --path 'provisioning.restartRequest' <new value>`)",
            )
        )
    if last.get("state") == "Failed":
        error = last.get("error") if isinstance(last.get("error"), Mapping) else {}
        detail = ": ".join(str(v) for v in (error.get("code"), error.get("message")) if v) or "no error given"
        reasons.append(
            Reason("last-cycle-failed", FAILING, f"the last cycle (began {last.get('timeBegan')}) failed: {detail}")
        )
    days = token.get("daysLeft")
    if isinstance(days, int) and days < 0:
        reasons.append(
            Reason(
                "token-expired",
                FAILING,
                f"the Webex SCIM token expired on {token['expiresOn']} ({-days} day(s) ago): set a new one "
                "(`pulumi config set --secret scimToken <token>`) and its `tokenExpiresOn`",
            )
        )
    test = token.get("testConnection")
    if isinstance(test, Mapping) and not test.get("ok"):
        reasons.append(
            Reason(
                "test-connection-failed",
                FAILING,
                f"Test Connection with the saved credentials failed: {test.get('message')}",
            )
        )
    if enabled and code in ("Paused", "NotConfigured"):
        reasons.append(
            Reason(
                "not-running",
                ATTENTION,
                f"the stack says provisioning is on, but the job is {code}: `pulumi up` starts it",
            )
        )
    escrowed = last.get("countEscrowed") or 0
    if escrowed or status.get("escrowsPruned"):
        what = (
            f"the last cycle escrowed {escrowed} entr{'y' if escrowed == 1 else 'ies'} (errors Entra retries)"
            if escrowed
            else ""
        )
        pruned = (
            "escrows were pruned during the initial cycle (errors cleared, not fixed)"
            if status.get("escrowsPruned")
            else ""
        )
        reasons.append(Reason("escrows", ATTENTION, "; ".join(p for p in (what, pruned) if p)))
    if failures:
        total = sum(int(f["count"]) for f in failures)
        codes = ", ".join(f"{f['errorCode']} ({f['count']})" for f in failures)
        reasons.append(
            Reason("failures-in-window", ATTENTION, f"{total} failed provisioning event(s) in the window: {codes}")
        )
    if isinstance(days, int) and 0 <= days < int(token.get("minDaysLeft") or 0):
        reasons.append(
            Reason(
                "token-expiring",
                ATTENTION,
                f"the Webex SCIM token expires on {token['expiresOn']}, in {days} day(s) "
                f"(warning from {token['minDaysLeft']}): rotate it now",
            )
        )
    if drift is not None and not drift.get("checked"):
        reasons.append(Reason("drift-unchecked", ATTENTION, f"drift is unknown: {drift.get('error')}"))
    elif drift is not None and drift.get("changes"):
        from .drift import describe

        changes = drift["changes"]
        reasons.append(
            Reason(
                "drift",
                ATTENTION,
                f"{len(changes)} resource(s) in the tenant differ from the stack, and the next `pulumi up` would "
                f"change them back: {'; '.join(describe(c) for c in changes)}. Put a wanted change into the stack's "
                "settings; else let `pulumi up` restore it",
            )
        )
    return reasons
