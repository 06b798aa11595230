"""The simulation's rows of `make bench`: generated directories of 10,000 and 100,000 users through
`python -m webex_scim simulate`, end to end.

Per size, interleaved runs of two child processes on the same snapshot and stack:

* the pipeline (`python -m bench.simulation --once STACK USERS`): snapshot read → scope → mappings → validated
  payloads, timed inside the process around exactly those steps (imports and stack loading before, nothing after);
  users per second = users / that time;
* the command (`python -m webex_scim simulate … --json FILE`): what a user waits for, imports and the JSON document
  written included; its peak memory (wait4's ru_maxrss) is the row's memory figure.

The generated directory is shaped like a real one: a third of the users outside the assigned groups, a tenth
disabled, a nested group, guests, extension attributes, and a stack with overrides, an expression and a scoping filter.
Goals (issue 12): ≥ 20,000 users/s, linear growth, < 400 MB at 100,000 users.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
PY = sys.executable
SIZES = (10_000, 100_000)
GOAL_USERS_PER_S = 20_000
GOAL_RSS_MB = 400
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
WEBEX = "urn:scim:schemas:extension:cisco:webexidentity:2.0:User"
ASSIGNED = {"@odata.type": "#microsoft.graph.group", "id": str(uuid.UUID(int=1)), "displayName": "Webex Users"}
SUPPORT = {"@odata.type": "#microsoft.graph.group", "id": str(uuid.UUID(int=2)), "displayName": "Support"}
NESTED = {"@odata.type": "#microsoft.graph.group", "id": str(uuid.UUID(int=3)), "displayName": "Webex Users EMEA"}
DEPARTMENTS = ("Sales", "Support", "R&D", "Finance", "Interns")


def generated_user(i: int) -> dict[str, Any]:
    guest = i % 97 == 0
    upn = f"user{i}_fabrikam.com#EXT#@contoso.onmicrosoft.com" if guest else f"user{i}@contoso.com"
    groups = [ASSIGNED] if i % 3 else ([SUPPORT] if i % 2 else [NESTED])
    return {
        "id": str(uuid.UUID(int=(0x5EB1 << 112) + i)),
        "userPrincipalName": upn,
        "displayName": f"User {i}",
        "givenName": "User",
        "surname": f"Number {i}",
        "mail": f"user{i}@contoso.com",
        "accountEnabled": i % 10 != 0,
        "jobTitle": "Engineer" if i % 4 else None,
        "department": DEPARTMENTS[i % len(DEPARTMENTS)],
        "companyName": "Contoso",
        "employeeId": str(1_000_000 + i),
        "businessPhones": [f"+1 425 555 {i % 10_000:04d}"],
        "mobilePhone": None,
        "officeLocation": "Building 4",
        "onPremisesExtensionAttributes": {"extensionAttribute1": f"EA{i % 7}", "extensionAttribute2": None},
        "memberOf": groups,
    }


def write_snapshot(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for i in range(n):
            out.write(("," if i else "") + json.dumps(generated_user(i)))
        out.write("]")
    return path


def write_stack(path: Path, config: dict[str, Any]) -> Path:
    """The dev stack rolled out to two groups, with the mapping kinds a real stack uses."""
    stack = dict(config)
    stack["webex-scim:rollout"] = "full"
    stack["webex-scim:assignments"] = [{"group": "Webex Users"}, {"group": SUPPORT["id"]}]
    stack["webex-scim:verifiedDomains"] = ["contoso.com", "fabrikam.com"]
    stack["webex-scim:mappings"] = {
        "overrides": [
            {"target": "title", "source": "jobTitle"},
            {"target": f"{ENTERPRISE}:department", "expression": 'Join(" / ", [department], [companyName])'},
            {"target": f"{ENTERPRISE}:employeeNumber", "source": "employeeId"},
            {"target": 'emails[type eq "work"].value', "source": "mail"},
            {"target": 'phoneNumbers[type eq "work"].value', "source": "telephoneNumber"},
            {"target": f"{WEBEX}:extensionAttribute1", "source": "extensionAttribute1"},
        ],
        "scopingFilter": [{"clauses": [{"attribute": "department", "operator": "NOT_EQUALS", "values": ["Interns"]}]}],
    }
    path.write_text(json.dumps({"config": stack}), encoding="utf-8")
    return path


def once(stack: Path, users: Path) -> dict[str, Any]:
    """One pipeline run in this process: the seconds of read → scope → mappings → validated payloads."""
    from provisioning_cycle import stack as simstack
    from provisioning_cycle.run import attributes_to_keep, simulate
    from provisioning_cycle.snapshot import read_snapshot

    sim_stack = simstack.load(PROJECT_DIR, stack=None, config_file=stack)
    start = time.perf_counter()
    snapshot = read_snapshot(users, keep=attributes_to_keep(sim_stack))  # as the command reads it
    read = time.perf_counter()
    sim = simulate(sim_stack, snapshot)
    done = time.perf_counter()
    return {
        "users": len(sim.users),
        "seconds": done - start,
        "read_s": read - start,
        "simulate_s": done - read,
        "summary": sim.summary(),
        "validated": sim.validated,
    }


@dataclass
class Sample:
    wall: float
    maxrss_mb: float
    stdout: str
    code: int


def _run(argv: list[str]) -> Sample:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    stdout = proc.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    return Sample(time.perf_counter() - start, usage.ru_maxrss / 1024, stdout, os.waitstatus_to_exitcode(status))


@dataclass
class SimulationRow:
    users: int
    pipeline_s: list[float] = field(default_factory=list)
    command_s: list[float] = field(default_factory=list)
    command_rss_mb: list[float] = field(default_factory=list)
    pipeline_rss_mb: list[float] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def rate(self) -> float:
        return self.users / statistics.median(self.pipeline_s)

    def as_json(self) -> dict[str, Any]:
        if self.error:
            return {"what": f"(d) simulation, {self.users:,} users", "error": self.error}
        return {
            "what": f"(d) simulation, {self.users:,} users",
            "runs": len(self.pipeline_s),
            "pipeline_median_s": statistics.median(self.pipeline_s),
            "users_per_s": self.rate,
            "command_median_s": statistics.median(self.command_s),
            "command_users_per_s": self.users / statistics.median(self.command_s),
            "peak_rss_mb": max(self.command_rss_mb),
            "pipeline_peak_rss_mb": max(self.pipeline_rss_mb),
            "summary": self.summary,
            "goal_users_per_s": GOAL_USERS_PER_S,
            "met_rate": self.rate >= GOAL_USERS_PER_S,
            "met_memory": None if self.users < 100_000 else max(self.command_rss_mb) < GOAL_RSS_MB,
        }


def bench(runs: int, config: dict[str, Any], tmp: Path, sizes: tuple[int, ...] = SIZES) -> list[SimulationRow]:
    stack = write_stack(tmp / "Pulumi.simulate.yaml", config)
    rows = []
    for n in sizes:
        users = write_snapshot(tmp / f"users{n}.json", n)
        row = SimulationRow(n)
        pipeline = [PY, "-m", "bench.simulation", "--once", str(stack), str(users)]
        command = [
            PY,
            "-m",
            "webex_scim",
            "simulate",
            "--config-file",
            str(stack),
            "--users",
            str(users),
            "--json",
            str(tmp / f"out{n}.json"),
        ]
        for round_ in range(1 + runs):  # the first round warms the page cache and is not counted
            p, c = _run(pipeline), _run(command)
            if p.code != 0 or c.code not in (0, 1):
                row.error = f"exit {p.code}/{c.code}"
                break
            result = json.loads(p.stdout)
            row.summary = result["summary"]
            if round_ == 0:
                continue
            row.pipeline_s.append(result["seconds"])
            row.pipeline_rss_mb.append(p.maxrss_mb)
            row.command_s.append(c.wall)
            row.command_rss_mb.append(c.maxrss_mb)
        rows.append(row)
    return rows


def lines(rows: list[SimulationRow]) -> list[str]:
    out = ["", "simulation (python -m webex_scim simulate), generated users:"]
    for r in rows:
        j = r.as_json()
        if r.error:
            out.append(f"  {j['what']}: failed ({r.error})")
            continue
        rate = "met" if j["met_rate"] else "missed"
        memory = (
            "" if j["met_memory"] is None else f" (goal < {GOAL_RSS_MB} MB: {'met' if j['met_memory'] else 'missed'})"
        )
        out.append(
            f"  {r.users:>7,} users: pipeline {j['pipeline_median_s']:.2f} s = {j['users_per_s']:,.0f} users/s "
            f"(goal ≥ {GOAL_USERS_PER_S:,}: {rate}); command {j['command_median_s']:.2f} s = "
            f"{j['command_users_per_s']:,.0f} users/s with imports and the JSON written; peak {j['peak_rss_mb']:.0f} MB"
            + memory
        )
    ok = [r for r in rows if not r.error]
    if len(ok) >= 2:
        small, large = ok[0], ok[-1]
        per_small = statistics.median(small.pipeline_s) / small.users * 1e6
        per_large = statistics.median(large.pipeline_s) / large.users * 1e6
        rss = (max(large.command_rss_mb) - max(small.command_rss_mb)) / (large.users - small.users) * 1024
        out.append(
            f"  growth: {per_small:.1f} µs per user at {small.users:,}, {per_large:.1f} µs at {large.users:,} "
            f"({per_large / per_small:.2f}x); peak memory {rss:.2f} KB per added user"
        )
    return out


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "--once":
        from offline import collect_garbage_rarely

        collect_garbage_rarely()  # as `python -m webex_scim` runs every command
        print(json.dumps(once(Path(argv[1]), Path(argv[2]))))
        return 0
    print("usage: python -m bench.simulation --once STACK_FILE USERS_FILE (make bench runs the rows)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
