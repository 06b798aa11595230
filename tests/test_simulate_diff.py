"""`python -m webex_scim diff … --users PATH`: per change, who starts or stops being provisioned and whose payload
changes, in the diff's JSON and its PR comment. Two revisions in a temporary git repository, each side simulated
with the mappings its own preview shows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.simulate_support import ORG, group, user
from tests.support import ROOT

GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
SALES, SUPPORT = group("Sales", 1), group("Support", 2)


def stack(**settings: Any) -> str:
    config = {"orgId": ORG, "notificationEmail": "webex-admins@contoso.com", "rollout": "full", **settings}
    return json.dumps({"config": {f"webex-scim:{k}": v for k, v in config.items()}})


BASE = stack(assignments=[{"group": "Sales"}, {"user": "alice@contoso.com"}])
HEAD = stack(
    assignments=[{"group": "Sales"}, {"group": "Support"}],
    mappings={"userNameSource": "mail", "overrides": [{"target": "title", "source": "jobTitle"}]},
)
USERS = [
    user(1, userPrincipalName="alice@contoso.com", mail="alice@contoso.com"),  # assigned directly: stops
    user(2, userPrincipalName="bob@contoso.com", mail="robert@contoso.com", jobTitle="Engineer", memberOf=[SALES]),
    user(3, userPrincipalName="carol@contoso.com", mail="carol@contoso.com", memberOf=[SUPPORT]),  # starts
    user(4, userPrincipalName="dan@contoso.com", mail="dan@contoso.com", memberOf=[SALES]),  # unchanged
]


def _git(repo: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("simulate-diff")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split("\0")
    for name in listed:
        src = ROOT / name
        if name and src.is_file() and not name.startswith("bench/results/"):
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / name)
    (repo / "Pulumi.ci.yaml").write_text(BASE)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "tag", "base")
    (repo / "Pulumi.ci.yaml").write_text(HEAD)
    _git(repo, "commit", "-q", "-am", "head")
    (repo / "users.json").write_text(json.dumps(USERS))
    return repo


def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-m", "webex_scim", "diff", "--stack", "ci", "--base", "base", "--no-policies", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def diffed(repo: Path) -> dict[str, Any]:
    proc = run(repo, "--users", "users.json", "--json", "-", "--markdown", str(repo / "comment.md"))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_who_starts_who_stops_whose_payload_changes(diffed):
    users = diffed["users"]
    assert users["snapshot"] == "users.json"
    assert users["base"] == {"provision": 3, "skip": 1, "problems": 0}
    assert users["head"] == {"provision": 3, "skip": 1, "problems": 0}
    assert users["counts"] == {"start": 1, "stop": 1, "changed": 1}
    assert users["start"] == [
        {
            "id": "00000000-0000-4000-8000-000000000003",
            "userPrincipalName": "carol@contoso.com",
            "reason": "not assigned: neither the user nor a group they are a direct member of is assigned to the app",
        }
    ]
    assert users["stop"] == [
        {
            "id": "00000000-0000-4000-8000-000000000001",
            "userPrincipalName": "alice@contoso.com",
            "reason": "not assigned: neither the user nor a group they are a direct member of is assigned to the app",
        }
    ]
    assert users["changed"] == [
        {
            "id": "00000000-0000-4000-8000-000000000002",
            "userPrincipalName": "bob@contoso.com",
            "attributes": {
                "userName": {"old": "bob@contoso.com", "new": "robert@contoso.com"},
                "title": {"old": None, "new": "Engineer"},
            },
        }
    ]


def test_each_change_says_how_many_users_it_moves(diffed):
    access = diffed["assignments"]
    assert [(p["principal"], p["users"]) for p in access["added"]] == [("group:Support", {"start": 1, "stop": 0})]
    assert [(p["principal"], p["users"]) for p in access["removed"]] == [
        ("user:alice@contoso.com", {"start": 0, "stop": 1})
    ]
    mappings = {m["target"]: m["usersChanged"] for kind in ("added", "changed") for m in diffed["mappings"][kind]}
    assert mappings == {"userName": 1, "title": 1}


def test_the_pr_comment_says_it_loudly(diffed, repo):
    text = (repo / "comment.md").read_text()
    assert (
        "> - **1 user stops being provisioned** (deactivated in Webex): <code>alice<span>@</span>contoso.com</code>"
        in text
    )
    assert "### Users (simulated with <code>users.json</code>)" in text
    assert "🟢 1 start being provisioned · 🔴 1 stop · 🟡 1 receive a changed payload" in text
    assert "- group <code>Support</code>: 1 start, 0 stop" in text
    assert "- mapping <code>userName</code>: 1 payloads change" in text
    assert (
        "- 🟡 <code>bob<span>@</span>contoso.com</code>: <code>userName</code> "
        "<code>bob<span>@</span>contoso.com</code> → <code>robert<span>@</span>contoso.com</code>" in text
    )


def test_the_terminal_report(repo):
    proc = run(repo, "--users", "users.json")
    assert proc.returncode == 0, proc.stderr
    assert "Users (simulated with users.json):" in proc.stdout
    assert "1 start being provisioned, 1 stop (deactivated in Webex), 1 receive a changed payload" in proc.stdout
    assert "- alice@contoso.com: stops (not assigned:" in proc.stdout


def test_a_bad_snapshot_stops_the_diff_before_any_preview(repo):
    (repo / "bad.json").write_text('{"value": 3}')
    proc = run(repo, "--users", "bad.json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == (
        'error: --users bad.json: expected a JSON array of users or Graph\'s {"value": [...]} page, found an object '
        "with keys value"
    )


def test_a_side_without_what_the_simulation_reads_claims_no_change(repo: Path) -> None:
    """A base from before the mappings resource existed must not read as "every payload changes": no claim, and why."""
    from provisioning_cycle.diffusers import add_user_changes, markdown_section, read_users

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    preview = subprocess.run(
        [sys.executable, "-m", "webex_scim", "preview", "--stack", "ci", "--no-policies", "--json", "-"],
        cwd=repo, capture_output=True, text=True, env=env, timeout=300, check=True,
    )  # fmt: skip
    head_doc = json.loads(preview.stdout)
    old_base = {**head_doc, "steps": [s for s in head_doc["steps"] if not s["type"].endswith(":AttributeMappings")]}
    snapshot = read_users(repo / "users.json")

    doc: dict[str, Any] = {}
    add_user_changes(doc, snapshot, old_base, head_doc)
    assert doc["users"]["error"] == (
        "the base revision cannot be simulated: its preview has no AttributeMappings resource (the mappings); "
        "no change in who is provisioned is claimed"
    )
    assert "counts" not in doc["users"] and doc["users"]["head"]["provision"] == 3
    assert markdown_section(doc)[1] == [
        "the base revision cannot be simulated: its preview has no AttributeMappings resource (the mappings); "
        "no change in who is provisioned is claimed\n"
    ]

    doc = {}
    add_user_changes(doc, snapshot, head_doc, old_base)
    assert doc["users"]["error"] == (
        "this change cannot be simulated: its preview has no AttributeMappings resource (the mappings)"
    )
