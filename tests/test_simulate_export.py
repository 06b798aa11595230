"""The users export docs/simulation.md gives runs as written, against the loopback Graph (tests/graph_server.py), and
what it writes is a snapshot a group-assigned stack simulates: every page read, each user's groups and
accountEnabled in it. The one substitution is the Graph URL (the test tenant's, on 127.0.0.1), as a user in another
cloud substitutes theirs."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import parse_qs

from components.graph.auth import TEST_TOKEN_ENV
from tests.graph_server import BEARER, GraphTestServer
from tests.simulate_support import stack_file
from tests.support import ROOT
from webex_scim.cli import main

PUBLIC_GRAPH = '"https://graph.microsoft.com/v1.0"'


def documented_export() -> str:
    doc = (ROOT / "docs" / "simulation.md").read_text(encoding="utf-8")
    block = doc.split("<!-- export:start -->", 1)[1].split("<!-- export:end -->", 1)[0]
    (script,) = re.findall(r"```sh\n(.*?)```", block, re.S)
    assert script.count(PUBLIC_GRAPH) == 1
    return script


def test_the_documented_export_runs_as_written_and_simulates_a_group_assigned_stack(tmp_path: Path, capsys) -> None:
    with GraphTestServer() as server:
        d = server.directory
        d.max_page = 2  # every listing pages: the export must follow each nextLink
        sales = d.add_group("Sales")
        for name in ("ann", "ben", "cai"):
            d.add_member(sales, d.add_user(f"{name}@contoso.com"))
        d.users[d.user_by_upn("cai@contoso.com")["id"]]["accountEnabled"] = False
        d.add_user("dee@contoso.com")  # in no group: not assigned
        script = documented_export().replace(PUBLIC_GRAPH, json.dumps(server.base_url))
        # The script runs in the project folder; here a folder of its own (users.json lands there), with the
        # project's .venv and modules as the project folder has them.
        (tmp_path / ".venv").symlink_to(ROOT / ".venv")
        proc = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env={**os.environ, TEST_TOKEN_ENV: BEARER, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        listings = [r for r in server.requests("GET") if r.path == "/v1.0/users"]
    exported = json.loads((tmp_path / "users.json").read_text())
    assert len(listings) == 2  # 4 users, 2 a page
    query = parse_qs(listings[0].query)
    assert query["$expand"] == ["memberOf($select=id,displayName)"]
    assert {"id", "userPrincipalName", "accountEnabled"} <= set(query["$select"][0].split(","))
    assert {u["userPrincipalName"]: [g["displayName"] for g in u["memberOf"]] for u in exported} == {
        "ann@contoso.com": ["Sales"],
        "ben@contoso.com": ["Sales"],
        "cai@contoso.com": ["Sales"],
        "dee@contoso.com": [],
    }

    path = stack_file(tmp_path, assignments=[{"group": "Sales"}])
    code = main(["simulate", "--config-file", str(path), "--users", str(tmp_path / "users.json"), "--json", "-"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {u["userPrincipalName"]: u["action"] for u in doc["users"]} == {
        "ann@contoso.com": "provision",
        "ben@contoso.com": "provision",
        "cai@contoso.com": "skip",  # disabled
        "dee@contoso.com": "skip",  # not assigned
    }
