"""`preview --all` (make preview-all): every stack of a project in one run, one policy pack, one table; each stack
judged exactly as `preview --stack` judges it, a broken stack a row that says why, the exit code the worst."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.support import ROOT
from webex_scim.cli import main

BAD = "config:\n  webex-scim:orgId: not-a-uuid\n  webex-scim:notificationEmail: webex-admins@contoso.com\n"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """A copy of the project with four stacks: dev, compliant, visible-app (a mandatory violation), broken."""
    project = tmp_path_factory.mktemp("fleet")
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, project / name)
    for folder in ("components", "policies"):
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    for name in ("compliant", "visible-app"):
        shutil.copy(ROOT / "tests" / "stacks" / f"Pulumi.{name}.yaml", project / f"Pulumi.{name}.yaml")
    (project / "Pulumi.broken.yaml").write_text(BAD)
    return project


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "webex_scim", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def every_stack(fleet):
    done = _run("preview", "--all", "--project-dir", str(fleet), "--json", "-")
    return done.returncode, json.loads(done.stdout), done.stderr


def test_every_stack_is_previewed_in_name_order_and_the_exit_code_is_the_worst(every_stack):
    code, doc, _ = every_stack
    assert [(s["stack"], s["exitCode"]) for s in doc["stacks"]] == [
        ("broken", 2),
        ("compliant", 0),
        ("dev", 0),
        ("visible-app", 1),
    ]
    assert code == 2
    assert doc["summary"] == "4 stacks: 2 fine, 1 failing the gate, 1 with bad config"


def test_a_broken_stack_is_a_row_with_its_message_and_the_others_still_run(every_stack):
    _, doc, _ = every_stack
    broken = doc["stacks"][0]
    assert broken["preview"] is None
    assert "webex-scim:orgId" in broken["error"] and "not-a-uuid" in broken["error"]
    assert all(s["preview"] is not None for s in doc["stacks"][1:])


@pytest.mark.parametrize("stack", ["dev", "visible-app"])
def test_each_stack_gets_the_verdicts_and_steps_its_own_preview_gets(fleet, every_stack, stack):
    _, doc, _ = every_stack
    alone = _run("preview", "--stack", stack, "--project-dir", str(fleet), "--json", "-")
    (entry,) = [s for s in doc["stacks"] if s["stack"] == stack]
    assert entry["preview"] == json.loads(alone.stdout)
    assert entry["exitCode"] == alone.returncode


def test_the_terminal_table_names_each_stack_its_verdict_counts_and_the_mandatory_violations(fleet):
    done = _run("preview", "--all", "--project-dir", str(fleet))
    lines = done.stdout.splitlines()
    assert lines[0] == "Previewing every stack of webex-scim, offline (4)"
    rows = {line.split()[0]: line for line in lines if line.startswith("    ") and not line.startswith("        ")}
    assert rows["dev"].split()[1:3] == ["0", "0"]
    assert rows["visible-app"].split()[1:3] == ["1", "0"]
    assert "bad config: invalid stack config (1 problem):" in rows["broken"]
    assert any("webex-scim:orgId" in line for line in lines[lines.index(rows["broken"]) :][:3])
    assert any(line.strip().startswith("mandatory hidden-from-users:") for line in lines)
    assert lines[-1] == "4 stacks: 2 fine, 1 failing the gate, 1 with bad config"
    assert done.returncode == 2


def test_the_markdown_is_one_table_of_the_stacks(fleet, tmp_path):
    md = tmp_path / "all.md"
    _run("preview", "--all", "--project-dir", str(fleet), "--markdown", str(md))
    text = md.read_text()
    assert "| Stack | Mandatory | Advisory | Changes |" in text
    assert "| ⛔ <code>visible-app</code> | 1 | 0 | 16 to create |" in text
    assert "<code>broken</code> | | | bad config:" in text


def test_a_project_without_stack_files_is_told_how_to_make_one(tmp_path, capsys):
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    assert main(["preview", "--all", "--project-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no stack file (Pulumi.<stack>.yaml)" in err and "copy Pulumi.dev.yaml" in err


def test_all_excludes_a_stack_name(capsys):
    assert main(["preview", "--all", "--stack", "dev"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err
