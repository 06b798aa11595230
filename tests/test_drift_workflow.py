"""The scheduled drift and health workflow (.github/workflows/drift.yml): it never applies anything, it reads with
the read identity in the `read` environment, and its issue step — run here exactly as written, with a stand-in
`gh` on PATH — keeps one issue per stack: opened or edited while the verdict is not healthy, closed with a comment
once it is, and a check that wrote no report still said."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.test_workflows import ROOT, commands, load

DRIFT = ROOT / ".github" / "workflows" / "drift.yml"
FAKE_GH = """#!{python}
import json, os, sys
args = sys.argv[1:]
entry = {{"args": args}}
if "--body-file" in args:
    entry["body"] = open(args[args.index("--body-file") + 1]).read()
with open(os.environ["GH_LOG"], "a") as log:
    log.write(json.dumps(entry) + "\\n")
if args[:2] == ["issue", "list"]:
    print(os.environ.get("GH_ISSUES", "[]"))
"""


def test_it_runs_on_a_schedule_and_on_demand_and_never_applies() -> None:
    doc = load(DRIFT)
    assert set(doc["on"]) == {"schedule", "workflow_dispatch"} and doc["on"]["schedule"][0]["cron"]
    pulumi = [argv for _, job in doc["jobs"].items() for s in job["steps"] for argv in commands(s.get("run", ""))]
    pulumi = [argv for argv in pulumi if argv and argv[0] == "pulumi"]
    assert pulumi == [
        [
            "pulumi", "preview", "--stack", "$PULUMI_STACK", "--refresh", "--expect-no-changes",
            "--policy-pack", "policies", "--json",
        ]
    ]  # fmt: skip
    actions = [s for job in doc["jobs"].values() for s in job["steps"] if "pulumi/actions" in str(s.get("uses"))]
    assert [a["with"] for a in actions] == [{"pulumi-version": "3.274.1"}]  # installs the CLI, runs no command


def test_the_check_reads_with_the_read_identity_in_the_read_environment() -> None:
    check = load(DRIFT)["jobs"]["check"]
    assert check["environment"] == "read"
    assert check["permissions"] == {"contents": "read", "id-token": "write"}
    assert check["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_READ_CLIENT_ID }}"
    assert check["env"]["ARM_USE_OIDC"] == "true"
    runs = " ".join(s.get("run", "") for s in check["steps"])
    assert 'make status STACK="$STACK" ARGS="--drift drift.json --json status.json --markdown status.md"' in runs
    assert "make venv policy-venv" in runs  # the runtime only, in the job that holds a credential


def _issue_step() -> str:
    (step,) = [s for s in load(DRIFT)["jobs"]["issue"]["steps"] if s.get("name") == "Open, edit or close the issue"]
    return step["run"]


def keep_issue(tmp_path: Path, *, verdict: str | None, issues: list[dict[str, Any]], stack: str = "acme") -> list:
    work = tmp_path / "work"
    work.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH.format(python=sys.executable))
    gh.chmod(0o755)
    if verdict is not None:
        (work / "status.json").write_text(json.dumps({"verdict": verdict}))
        (work / "status.md").write_text(f"<!-- webex-scim-status:{stack} -->\n## Provisioning status: {verdict}\n")
    else:
        (work / "status.err").write_text("error: Microsoft Graph credentials: no sign-in\n")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "STACK": stack,
        "RUN_URL": "https://github.com/o/r/actions/runs/1",
        "GH_LOG": str(tmp_path / "gh.log"),
        "GH_ISSUES": json.dumps(issues),
    }
    done = subprocess.run(["bash", "-c", _issue_step()], cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    log = tmp_path / "gh.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


OTHER = {"number": 7, "body": "<!-- webex-scim-status:other -->\n..."}
OURS = {"number": 12, "body": "<!-- webex-scim-status:acme -->\n## old"}


@pytest.mark.parametrize("verdict", ["attention", "failing"])
def test_a_stack_that_needs_a_look_gets_a_new_issue_with_the_status_report(tmp_path, verdict) -> None:
    calls = keep_issue(tmp_path, verdict=verdict, issues=[OTHER])
    assert [c["args"][:2] for c in calls] == [["issue", "list"], ["issue", "create"]]
    create = calls[1]
    assert create["args"][create["args"].index("--title") + 1] == f"webex-scim: stack acme is {verdict}"
    assert create["body"].startswith("<!-- webex-scim-status:acme -->\n")


def test_its_open_issue_is_edited_not_duplicated(tmp_path) -> None:
    calls = keep_issue(tmp_path, verdict="attention", issues=[OTHER, OURS])
    assert calls[1]["args"][:3] == ["issue", "edit", "12"]
    assert "## Provisioning status: attention" in calls[1]["body"]


def test_a_healthy_stack_closes_its_issue_with_a_comment(tmp_path) -> None:
    calls = keep_issue(tmp_path, verdict="healthy", issues=[OTHER, OURS])
    assert [c["args"][:3] for c in calls[1:]] == [["issue", "comment", "12"], ["issue", "close", "12"]]
    assert "Healthy again" in calls[1]["args"][4] and "actions/runs/1" in calls[1]["args"][4]


def test_a_healthy_stack_without_an_issue_touches_nothing(tmp_path) -> None:
    assert [c["args"][:2] for c in keep_issue(tmp_path, verdict="healthy", issues=[OTHER])] == [["issue", "list"]]


def test_a_check_that_wrote_no_report_is_an_issue_quoting_what_it_said(tmp_path) -> None:
    calls = keep_issue(tmp_path, verdict=None, issues=[])
    create = calls[1]
    assert create["args"][create["args"].index("--title") + 1] == "webex-scim: stack acme is unknown"
    body = create["body"]
    assert body.startswith("<!-- webex-scim-status:acme -->\n## The scheduled check of `acme` wrote no report")
    assert "error: Microsoft Graph credentials: no sign-in" in body and "actions/runs/1" in body
