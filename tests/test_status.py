"""`python -m webex_scim status`: a deployed job's health read from the loopback Graph tenant, as a user runs it.

Every test drives the real command (webex_scim.cli.main) against tests/graph_server.py over HTTP, with the job put
in one of the states Graph documents (tests/graph_health.py) and the stack file tests/status_demo.py writes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from graph_health import Event, summary
from graph_server import BEARER, Fault

from components.graph.auth import StaticTokenCredential
from components.graph.reader import GraphReader
from components.graph.retry import BACKOFF_ENV, MAX_WAIT_ENV
from components.graph.transport import READ_ONLY, GraphTransport
from provisioning_cycle.status_report import DEFAULT_MIN_DAYS_LEFT
from tests.status_demo import TOKEN_ENV, demo
from tests.support import ROOT
from webex_scim.cli import main

USER_PATH = os.environ.get("PATH", "")


@pytest.fixture(autouse=True)
def loopback_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(TOKEN_ENV, BEARER)
    monkeypatch.setenv(BACKOFF_ENV, "0.01")
    monkeypatch.setenv(MAX_WAIT_ENV, "5")
    monkeypatch.setenv("PATH", str(tmp_path / "no-pulumi-here"))  # no Pulumi CLI unless a test puts one there


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["status", *args, "--json", "-"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


def status_of(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, state: str, *args: str, **options: Any
) -> tuple[int, dict[str, Any], str, Any]:
    with demo(state, tmp_path, **options) as d:
        code, doc, err = run(capsys, "--config-file", str(d.stack_file), *args)
        return code, doc, err, d


def rules(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["rule"], r["verdict"]) for r in doc["reasons"]]


def test_a_healthy_job_exits_0_with_graphs_status_as_read(capsys, tmp_path) -> None:
    code, doc, _, d = status_of(capsys, tmp_path, "healthy")
    assert (code, doc["verdict"], doc["reasons"]) == (0, "healthy", [])
    assert doc["jobId"] == d.job_id and doc["servicePrincipalId"] == d.server.sp_id
    status = doc["job"]["status"]
    assert status["code"] == "Active" and status["lastExecution"]["state"] == "Succeeded"
    assert status["synchronizedEntryCountByType"] == [{"key": "User", "value": 118}, {"key": "Group", "value": 0}]
    assert doc["logs"]["read"] and doc["logs"]["events"] == 5
    assert doc["logs"]["byAction"] == {"create": 1, "update": 4} and doc["logs"]["byStatus"] == {"success": 5}
    assert doc["failures"] == [] and doc["token"]["daysLeft"] == 330 and doc["token"]["minDaysLeft"] == 30


def test_a_quarantined_job_is_failing_with_reason_since_and_next_attempt(capsys, tmp_path) -> None:
    code, doc, _, _ = status_of(capsys, tmp_path, "quarantine")
    assert code == 1 and doc["verdict"] == "failing"
    assert rules(doc) == [
        ("quarantine", "failing"),
        ("last-cycle-failed", "failing"),
        ("failures-in-window", "attention"),
    ]
    message = doc["reasons"][0]["message"]
    quarantine = doc["job"]["status"]["quarantine"]
    assert "reason EncounteredQuarantineException" in message
    assert f"since {quarantine['currentBegan']}" in message and f"next attempt {quarantine['nextAttempt']}" in message
    assert "provisioning.restartRequest" in message
    assert doc["failures"][0]["errorCode"] == "Unauthorized" and doc["failures"][0]["count"] == 3


def test_an_escrow_heavy_job_needs_attention_with_failures_by_code(capsys, tmp_path) -> None:
    code, doc, _, _ = status_of(capsys, tmp_path, "escrows")
    assert (code, doc["verdict"]) == (1, "attention")
    assert rules(doc) == [("escrows", "attention"), ("failures-in-window", "attention")]
    assert "escrowed 37 entries" in doc["reasons"][0]["message"] and "pruned" in doc["reasons"][0]["message"]
    by_code = {f["errorCode"]: f for f in doc["failures"]}
    assert [f["errorCode"] for f in doc["failures"]] == ["EntryConflict", "InvalidDomain", "WebexMadeThisUp"]
    conflict = by_code["EntryConflict"]
    assert conflict["count"] == 7 and len(conflict["users"]) == 5 and conflict["moreUsers"] == 2
    assert conflict["inMicrosoftTable"] and "matching attribute" in conflict["fix"]
    assert by_code["InvalidDomain"]["example"] == "The domain fabrikam.com is not verified in the Webex organization."
    unknown = by_code["WebexMadeThisUp"]
    assert not unknown["inMicrosoftTable"] and unknown["meaning"] == "Not in Microsoft's provisioning-logs error table."
    assert doc["logs"]["byStatus"] == {"failure": 11, "skipped": 1, "success": 5}


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("paused", [("not-running", "attention")]),
        ("notrun", []),
        ("failed", [("last-cycle-failed", "failing")]),
    ],
)
def test_every_other_job_state(capsys, tmp_path, state: str, expected: list[tuple[str, str]]) -> None:
    code, doc, _, _ = status_of(capsys, tmp_path, state)
    assert rules(doc) == expected and code == (1 if expected else 0)


def test_a_missing_audit_permission_removes_the_logs_part_not_the_report(capsys, tmp_path) -> None:
    code, doc, err, _ = status_of(capsys, tmp_path, "quarantine", forbid_logs=True)
    assert code == 1 and rules(doc) == [("quarantine", "failing"), ("last-cycle-failed", "failing")]
    assert doc["logs"]["read"] is False and doc["failures"] == [] and "byAction" not in doc["logs"]
    unavailable = doc["logs"]["unavailable"]
    assert "AuditLog.Read.All" in unavailable and "failures by error code" in unavailable
    assert unavailable in doc["notes"] and "Traceback" not in err


@pytest.mark.parametrize(
    ("days", "expected"), [(10, [("token-expiring", "attention")]), (-3, [("token-expired", "failing")])]
)
def test_the_token_days_left(capsys, tmp_path, days: int, expected: list[tuple[str, str]]) -> None:
    code, doc, _, _ = status_of(capsys, tmp_path, "healthy", token_days=days)
    assert doc["token"]["daysLeft"] == days and rules(doc) == expected and code == 1


def test_min_days_left_comes_from_the_policy_config(capsys, tmp_path) -> None:
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"token-expiry": {"minDaysLeft": 400}}))
    code, doc, _, _ = status_of(capsys, tmp_path, "healthy", "--policy-config", str(config))
    assert doc["token"]["minDaysLeft"] == 400 and rules(doc) == [("token-expiring", "attention")] and code == 1


def test_the_default_min_days_left_is_the_policy_packs() -> None:
    from tests.policy_support import policies

    rule = next(p for p in policies() if p.name == "token-expiry")
    assert DEFAULT_MIN_DAYS_LEFT == rule.config_schema["minDaysLeft"]["default"] == 30


def test_status_sends_nothing_but_gets(capsys, tmp_path) -> None:
    with demo("escrows", tmp_path) as d:
        assert run(capsys, "--config-file", str(d.stack_file))[0] == 1
        methods = {r.method for r in d.server.requests()}
        paths = [r.path for r in d.server.requests()]
    assert methods == {"GET"}
    assert any(p.endswith("/auditLogs/provisioning") for p in paths)


def test_test_connection_is_the_one_post_and_uses_the_saved_credentials(capsys, tmp_path, canary: str) -> None:
    with demo("healthy", tmp_path) as d:
        code, doc, _ = run(capsys, "--config-file", str(d.stack_file), "--test-connection")
        posts = d.server.requests("POST")
        assert code == 0 and doc["token"]["testConnection"]["ok"] is True
        assert [(r.path.rsplit("/", 1)[-1], r.json()) for r in posts] == [
            ("validateCredentials", {"useSavedCredentials": True})
        ]
        d.server.save_credentials("https://webexapis.com/identity/scim/x/v2", canary)  # a token Webex refuses
        code, doc, err = run(capsys, "--config-file", str(d.stack_file), "--test-connection")
    assert code == 1 and rules(doc) == [("test-connection-failed", "failing")]
    assert "rejected by Cisco Webex" in doc["reasons"][0]["message"]
    assert canary not in json.dumps(doc) + err


def test_the_reader_is_get_only_by_construction(server) -> None:
    writer = GraphTransport(server.base_url, credential=StaticTokenCredential(BEARER))
    with pytest.raises(ValueError, match="GET-only transport"):
        GraphReader(writer)
    reader_transport = GraphTransport(server.base_url, credential=StaticTokenCredential(BEARER), methods=READ_ONLY)
    with pytest.raises(PermissionError, match="may only send GET"):
        reader_transport.call("startJob", "POST", f"/servicePrincipals/{server.sp_id}/synchronization/jobs/x/start")
    assert server.requests() == []
    assert not any(name in dir(GraphReader) for name in ("call", "post", "start_job", "validate_credentials"))


def test_logs_are_paged_and_a_long_window_stops_short_saying_so(server) -> None:
    import datetime as dt

    job = server.add_job(status="Active")
    now = dt.datetime.now(dt.UTC)
    server.health.events = [
        summary(Event(f"u{i}@contoso.com", minutes_ago=i + 1), sp_id=server.sp_id, job_id=job, now=now)
        for i in range(7)
    ]
    server.health.max_page = 2
    with GraphReader.from_environment(server.base_url) as reader:
        whole = reader.provisioning_logs(server.sp_id, now - dt.timedelta(hours=1))
        cut = reader.provisioning_logs(server.sp_id, now - dt.timedelta(hours=1), max_events=3)
        recent = reader.provisioning_logs(server.sp_id, now - dt.timedelta(seconds=150))
    assert len(whole.events) == 7 and whole.partial is None
    assert len(cut.events) == 4 and "first 4 entries" in str(cut.partial)
    assert len(recent.events) == 2  # the window is a filter Graph applies: u0 and u1 are within 150 s
    query = server.requests(suffix="/auditLogs/provisioning")[0].query
    assert f"servicePrincipal/id%20eq%20%27{server.sp_id}%27%20and%20activityDateTime%20gt%20" in query


def test_retry_after_is_honoured_and_a_long_one_leaves_the_logs_out(capsys, tmp_path) -> None:
    with demo("healthy", tmp_path) as d:
        d.server.inject(Fault(status=429, retry_after="1", path_contains="/auditLogs/", times=1))
        code, doc, err = run(capsys, "--config-file", str(d.stack_file))
        assert code == 0 and doc["logs"]["events"] == 5 and "Retry-After 1s" in err
        d.server.inject(Fault(status=429, retry_after="3600", path_contains="/auditLogs/", times=1))
        code, doc, _ = run(capsys, "--config-file", str(d.stack_file))
    assert code == 0 and doc["logs"]["read"] is False and "Retry-After 3600" in doc["logs"]["unavailable"]


def test_ids_from_the_stack_outputs_when_the_pulumi_cli_is_at_hand(capsys, tmp_path, monkeypatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    with demo("healthy", tmp_path) as d:
        cli = bin_dir / "pulumi"
        outputs = {"servicePrincipalObjectId": d.server.sp_id, "jobId": d.job_id}
        cli.write_text(f"#!/bin/sh\necho '{json.dumps(outputs)}'\n")
        cli.chmod(cli.stat().st_mode | stat.S_IXUSR)
        monkeypatch.setenv("PATH", str(bin_dir))
        code, doc, _ = run(capsys, "--config-file", str(d.stack_file))
        listed = d.server.requests(suffix="/synchronization/jobs")
    assert code == 0 and doc["idsFrom"] == "stack outputs" and doc["jobId"] == d.job_id and listed == []


def test_without_any_id_it_says_which_flag_to_give(capsys, tmp_path) -> None:
    stack = tmp_path / "Pulumi.nothing.yaml"
    stack.write_text((ROOT / "tests" / "stacks" / "Pulumi.compliant.yaml").read_text())
    assert main(["status", "--config-file", str(stack)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--service-principal-id" in err and "Traceback" not in err


def test_several_jobs_stop_with_their_ids(capsys, tmp_path) -> None:
    with demo("healthy", tmp_path) as d:
        other = d.server.add_job(status="Active", template_id="othertemplate")
        code = main(["status", "--config-file", str(d.stack_file)])
        err = capsys.readouterr().err
    assert code == 2 and d.job_id in err and other in err and "--job-id" in err


def test_an_unknown_job_is_one_message(capsys, tmp_path) -> None:
    with demo("healthy", tmp_path) as d:
        code = main(["status", "--config-file", str(d.stack_file), "--job-id", "ciscowebex.nope"])
    err = capsys.readouterr().err
    assert code == 2 and "was not found" in err and "--job-id" in err and "Traceback" not in err


def test_the_markdown_is_an_issue_body_found_by_its_marker(capsys, tmp_path) -> None:
    out = tmp_path / "status.md"
    with demo("escrows", tmp_path) as d:
        assert main(["status", "--config-file", str(d.stack_file), "--markdown", str(out)]) == 1
    text = out.read_text()
    assert text.splitlines()[0] == "<!-- webex-scim-status:loopback-escrows -->"
    assert "## Provisioning status of `loopback-escrows`: **attention**" in text
    assert "- **attention** (`escrows`): the last cycle escrowed 37 entries" in text
    assert "| `EntryConflict` | 7 |" in text
    assert "dup0@contoso.com" in capsys.readouterr().out  # the terminal report too


def test_status_all_reads_every_stack_and_exits_with_the_worst(capsys, tmp_path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    with demo("healthy", project), demo("quarantine", project):
        (project / "Pulumi.broken.yaml").write_text((ROOT / "tests" / "stacks" / "Pulumi.compliant.yaml").read_text())
        code = main(["status", "--all", "--project-dir", str(project), "--json", "-"])
        doc = json.loads(capsys.readouterr().out)
        assert main(["status", "--all", "--project-dir", str(project)]) == 2
        table = capsys.readouterr().out
    assert code == 2 and doc["exitCode"] == 2
    assert [s.get("verdict") or "error" for s in doc["stacks"]] == ["error", "healthy", "failing"]
    assert "--service-principal-id" in doc["stacks"][0]["error"]
    rows = table.splitlines()
    assert rows[0].split() == ["stack", "verdict", "job", "failures", "token", "rules"]
    assert rows[3].split()[:4] == ["loopback-quarantine", "failing", "Quarantine", "3"]


def test_the_documented_demo_runs(tmp_path) -> None:
    """docs/status.md's example, as a user runs it: the demo prints a `make status` line; that line works."""
    # As from a user's shell: not as a sub-make of `make test` (which would print make's own directory lines).
    shell_env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    shell_env["PATH"] = USER_PATH
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.status_demo", "--job-state", "quarantine"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PATH": USER_PATH},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        command = lines[2].strip()
        assert command.startswith(f"{TOKEN_ENV}={BEARER} make status CONFIG=")
        done = subprocess.run(
            ["bash", "-c", f"{command} ARGS='--json -'"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            env=shell_env,
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert done.returncode == 2, done.stderr  # make's own exit for a command that exited 1
    doc, _ = json.JSONDecoder().raw_decode(done.stdout, done.stdout.index("{"))  # after make's echo of the command
    assert doc["verdict"] == "failing" and doc["reasons"][0]["rule"] == "quarantine"


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--hours", "0"], "--hours 0: give a window of more than 0 hours"),
        (["--timeout", "-1"], "--timeout -1: give more than 0 seconds"),
        (["--all", "--job-id", "x"], "--all reads each stack's own ids"),
    ],
)
def test_bad_flags_are_one_message_and_exit_2(capsys, flags: list[str], says: str) -> None:
    args = flags if "--all" in flags else ["--stack", "dev", *flags]
    assert main(["status", *args]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1
