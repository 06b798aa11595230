"""The match report's rows of `make bench` (`make bench ARGS=--match` for these alone): 20,000 Entra users against a
loopback Webex org of 20,000 users, through `python -m webex_scim match`, end to end.

The org is tests/webex_org.py's fake of Webex's Users API, served from a thread of this process on 127.0.0.1
(scim2-server parses every user through scim2-models, some 0.4 ms each: it would measure itself, not the report).
18,000 of its users are the Entra users' (every tenth with another displayName, every fiftieth inactive), 2,000 are
no Entra user's; 2,000 Entra users are new to it. The stack provisions every user.

* (e) `match --list-org`, interleaved with `simulate` of the same users and stack: the ratio of their medians (goal
  ≤ 3x), and the requests the listing sent (goal ≤ ceil(20,000 / page) + 2, the page being the 1,000 users the fake
  gives at most, as scim2-server does);
* (f) `match` with one lookup per user (`--concurrency 4`): its time, its requests, and the most requests the org
  saw in flight at once (goal ≤ 4).
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .simulation import PY, Sample, _run

USERS = 20_000
MATCHED = 18_000
PAGE = 1000
CONCURRENCY = 4
GOAL_RATIO = 3.0
TOKEN_ENV = "WEBEX_SCIM_BENCH_TOKEN"
TOKEN = "bench-token-not-a-secret"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
WEBEX = "urn:scim:schemas:extension:cisco:webexidentity:2.0:User"


def entra_user(i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=(0xA7C4 << 112) + i)),
        "userPrincipalName": f"user{i}@contoso.com",
        "displayName": f"User {i}",
        "givenName": "User",
        "surname": f"Number {i}",
        "mail": f"user{i}@contoso.com",
        "accountEnabled": True,
    }


def webex_user(i: int) -> dict[str, Any]:
    name = f"user{i}@contoso.com" if i < MATCHED else f"former{i}@contoso.com"
    return {
        "schemas": [CORE, WEBEX],
        "id": str(uuid.UUID(int=(0x3EB0 << 112) + i)),
        "userName": name,
        "active": i % 50 != 0,
        "displayName": f"User {i}" if i % 10 else f"Old Name {i}",
        "name": {"givenName": "User", "familyName": f"Number {i}"},
        "emails": [{"value": name, "type": "work", "primary": True}],
        WEBEX: {"accountStatus": ["active" if i % 50 else "disabled"]},
    }


def write_inputs(tmp: Path, config: dict[str, Any]) -> tuple[Path, Path, list[dict[str, Any]]]:
    users = tmp / "match-users.json"
    users.write_text(json.dumps([entra_user(i) for i in range(USERS)]), encoding="utf-8")
    stack = dict(config)
    stack["webex-scim:rollout"] = "full"
    stack["webex-scim:provisioning"] = {"scope": "all"}
    stack.pop("webex-scim:assignments", None)
    path = tmp / "Pulumi.match.yaml"
    path.write_text(json.dumps({"config": stack}), encoding="utf-8")
    return path, users, [webex_user(i) for i in range(USERS)]


@dataclass
class MatchRows:
    listing_s: list[float] = field(default_factory=list)
    simulate_s: list[float] = field(default_factory=list)
    listing_requests: int | None = None
    listing_summary: dict[str, Any] = field(default_factory=dict)
    lookups_s: float | None = None
    lookups_requests: int | None = None
    max_in_flight: int | None = None
    peak_rss_mb: float = 0.0
    error: str | None = None

    @property
    def ratio(self) -> float:
        return statistics.median(self.listing_s) / statistics.median(self.simulate_s)

    def as_json(self) -> dict[str, Any]:
        if self.error:
            return {"what": "(e, f) match, 20,000 users", "error": self.error}
        budget = math.ceil(USERS / PAGE) + 2
        return {
            "what": f"(e) match --list-org, {USERS:,} users against {USERS:,} Webex users",
            "runs": len(self.listing_s),
            "median_s": statistics.median(self.listing_s),
            "simulate_median_s": statistics.median(self.simulate_s),
            "ratio": self.ratio,
            "goal_ratio": GOAL_RATIO,
            "met_ratio": self.ratio <= GOAL_RATIO,
            "requests": self.listing_requests,
            "goal_requests": budget,
            "met_requests": self.listing_requests is not None and self.listing_requests <= budget,
            "summary": self.listing_summary,
            "peak_rss_mb": self.peak_rss_mb,
            "lookups": {
                "what": f"(f) match, one lookup per user, --concurrency {CONCURRENCY}",
                "seconds": self.lookups_s,
                "requests": self.lookups_requests,
                "max_in_flight": self.max_in_flight,
                "met_in_flight": self.max_in_flight is not None and self.max_in_flight <= CONCURRENCY,
            },
        }


def _report(sample: Sample, path: Path) -> dict[str, Any] | None:
    if sample.code not in (0, 1) or not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def bench(runs: int, config: dict[str, Any], tmp: Path) -> MatchRows:
    import os

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.webex_org import WebexOrg

    stack, users, org_users = write_inputs(tmp, config)
    rows = MatchRows()
    os.environ[TOKEN_ENV] = TOKEN  # the children read it from the environment, as a user's run does
    out = tmp / "match.json"
    simulate = [PY, "-m", "webex_scim", "simulate", "--config-file", str(stack), "--users", str(users)]
    simulate += ["--json", str(tmp / "simulate.json")]
    with WebexOrg(TOKEN, org_users, max_page=PAGE) as org:
        match = [PY, "-m", "webex_scim", "match", "--config-file", str(stack), "--users", str(users)]
        match += ["--scim-url", org.base_url, "--scim-token-env", TOKEN_ENV, "--json", str(out)]
        for round_ in range(1 + runs):  # the first round warms the page cache and is not counted
            listing, simulated = _run([*match, "--list-org"]), _run(simulate)
            report = _report(listing, out)
            if report is None or simulated.code not in (0, 1):
                rows.error = f"exit {listing.code}/{simulated.code}"
                return rows
            rows.listing_requests = sum(report["requests"].values())
            rows.listing_summary = report["summary"]
            if round_:
                rows.listing_s.append(listing.wall)
                rows.simulate_s.append(simulated.wall)
                rows.peak_rss_mb = max(rows.peak_rss_mb, listing.maxrss_mb)
        org.max_in_flight = 0
        lookups = _run([*match, "--concurrency", str(CONCURRENCY)])
        report = _report(lookups, out)
        if report is None:
            rows.error = f"lookups: exit {lookups.code}"
            return rows
        rows.lookups_s = lookups.wall
        rows.lookups_requests = sum(report["requests"].values())
        rows.max_in_flight = org.max_in_flight
    return rows


def lines(rows: MatchRows) -> list[str]:
    out = ["", f"match (python -m webex_scim match), {USERS:,} users against a loopback org of {USERS:,} Webex users:"]
    j = rows.as_json()
    if rows.error:
        return [*out, f"  failed ({rows.error})"]
    look = j["lookups"]
    s = j["summary"]
    out += [
        f"  --list-org: {j['median_s']:.2f} s, simulate of the same users {j['simulate_median_s']:.2f} s: "
        f"{j['ratio']:.2f}x (goal ≤ {GOAL_RATIO:g}x: {'met' if j['met_ratio'] else 'missed'}); "
        f"{j['requests']} requests (goal ≤ {j['goal_requests']}: {'met' if j['met_requests'] else 'missed'}); "
        f"peak {j['peak_rss_mb']:.0f} MB",
        f"    {s.get('match', 0):,} match ({s.get('matchInactive', 0):,} inactive), {s.get('new', 0):,} new, "
        f"{s.get('webexOnly', 0):,} Webex-only",
        f"  one lookup per user: {look['seconds']:.1f} s, {look['requests']:,} requests, at most "
        f"{look['max_in_flight']} in flight (--concurrency {CONCURRENCY}: "
        f"{'met' if look['met_in_flight'] else 'missed'})",
    ]
    return out
