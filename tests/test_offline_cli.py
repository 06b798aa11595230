"""`python -m webex_scim preview` on the committed dev stack: the tree, the JSON contract, exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.support import ROOT
from webex_scim.cli import main

STEP_KEYS = {"op", "urn", "type", "name", "parent", "inputs", "protect", "retainOnDelete"}


@pytest.fixture(scope="module")
def dev_preview(tmp_path_factory):
    """One real `make preview`-style run of the dev stack, as a new user runs it."""
    path = tmp_path_factory.mktemp("dev") / "preview.json"
    proc = subprocess.run(
        [sys.executable, "-m", "webex_scim", "preview", "--stack", "dev", "--json", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    doc = json.loads(path.read_text()) if path.exists() else None
    return proc, doc


def test_dev_stack_preview_exits_0_and_shows_the_resources(dev_preview):
    proc, _ = dev_preview
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for text in (
        "webex-scim:index:WebexProvisioning",
        "azuread:index/applicationFromTemplate:ApplicationFromTemplate",
        "azuread:index/servicePrincipal:ServicePrincipal",
        "hideFromUsers: true",
        "tags: [unknown]",
        "appRoleAssignmentRequired: true",
        "user-pilot.user@contoso.com",
        "azuread:index/synchronizationSecret:SynchronizationSecret",
        "azuread:index/synchronizationJob:SynchronizationJob",
        "to create",
    ):
        assert text in out, text
    # The policy summary never counts a check that needed unknown values as passed.
    assert re.search(r"webex-scim-guard: 17 rules, 16 passed, 1 unknown at preview\n", out)
    # ...and names it once, with what it waits for, apart from the verdicts.
    assert "      - checked at `pulumi up` (mandatory then): no-default-access on 1 assignment\n" in out
    # The committed dev stack has no token: a loud warning that a real preview needs it.
    assert "pulumi config set --secret scimToken" in out


def test_dev_stack_json_matches_the_contract(dev_preview):
    _, doc = dev_preview
    assert set(doc) == {
        "project",
        "stack",
        "steps",
        "outputs",
        "policyViolations",
        "checkedAtUp",
        "warnings",
        "changeSummary",
    }
    # The dev stack's one verdict only `pulumi up` can give: apart, in the policyViolations entries' shape.
    assert doc["policyViolations"] == []
    assert [(v["policy"], v["enforcementLevel"]) for v in doc["checkedAtUp"]] == [("no-default-access", "mandatory")]
    assert set(doc["checkedAtUp"][0]) == {"policy", "enforcementLevel", "urn", "message"}
    assert (doc["project"], doc["stack"]) == ("webex-scim", "dev")
    urns = {s["urn"] for s in doc["steps"]}
    for step in doc["steps"]:
        assert set(step) == STEP_KEYS
        assert step["op"] == "create"
        assert step["parent"] is None or step["parent"] in urns
        assert isinstance(step["inputs"], dict)
    assert doc["changeSummary"] == {"create": len(doc["steps"])}
    assert any("scimToken" in w for w in doc["warnings"])
    assert all(v["enforcementLevel"] != "mandatory" for v in doc["policyViolations"])
    creds = next(s for s in doc["steps"] if s["name"] == "credentials")["inputs"]["credentials"]
    assert {c["key"]: c["value"] for c in creds}["SecretToken"] == "[secret]"


def test_json_to_stdout_is_only_json(capsys):
    assert main(["preview", "--stack", "dev", "--json", "-", "--no-policies"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["stack"] == "dev"


def test_secure_value_in_stack_file_counts_as_set_and_secret(tmp_path, capsys):
    # The passphrase provider's shape: v1:<base64 nonce>:<base64 ciphertext>.
    token = "  webex-scim:scimToken:\n    secure: v1:AAAAAAAAAAAAAAAA:AAAABBBBCCCC\n"
    text = (ROOT / "Pulumi.dev.yaml").read_text() + token
    path = tmp_path / "Pulumi.withtoken.yaml"
    path.write_text(text)
    assert main(["preview", "--config-file", str(path), "--json", "-", "--no-policies"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["stack"] == "withtoken"
    assert not any("scimToken" in w for w in doc["warnings"])
    creds = next(s for s in doc["steps"] if s["name"] == "credentials")["inputs"]["credentials"]
    assert {c["key"]: c["value"] for c in creds}["SecretToken"] == "[secret]"
    assert "AAAABBBBCCCC" not in json.dumps(doc)


def test_colour_only_for_terminals(dev_preview):
    proc, _ = dev_preview
    assert "\x1b[" not in proc.stdout  # a pipe (CI log, file) gets plain text
    forced = subprocess.run(
        [sys.executable, "-m", "webex_scim", "preview", "--stack", "dev", "--no-policies", "--no-details"],
        cwd=ROOT,
        env={**os.environ, "FORCE_COLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert forced.returncode == 0
    assert "\x1b[1mPreviewing update (dev)" in forced.stdout


def test_output_paths_are_checked_before_the_preview_runs(tmp_path, capsys):
    """A typo in --markdown's folder is refused at once: no tree printed, yesterday's --json left as it was."""
    previous = tmp_path / "preview.json"
    previous.write_text("yesterday's report", encoding="utf-8")
    report = tmp_path / "missing" / "report.md"
    assert main(["preview", "--stack", "dev", "--json", str(previous), "--markdown", str(report)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"error: --markdown {report}: the folder {report.parent} does not exist; create it first "
        f"(mkdir -p {report.parent})\n"
    )
    assert previous.read_text(encoding="utf-8") == "yesterday's report"


def test_a_qualified_stack_name_previews_its_stack_file(capsys):
    """`--stack org/project/name`, as Pulumi Cloud names stacks, reads Pulumi.<name>.yaml."""
    assert main(["preview", "--stack", "acme/webex-scim/dev", "--json", "-", "--no-policies"]) == 0
    assert json.loads(capsys.readouterr().out)["stack"] == "dev"
