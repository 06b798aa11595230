"""`status --drift PATH`: a refresh preview's document (`pulumi preview --refresh --json`) joins the status report:
the drifted resources and properties, a `drift` reason (attention) the scheduled workflow opens an issue on, and a
preview that did not finish said as drift unknown. The document's shape is the CLI's preview digest
(pkg/backend/display/json.go: steps of op, urn, diffReasons, replaceReasons, detailedDiff; diagnostics)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.status_demo import demo
from tests.test_status import loopback_env, rules, run  # noqa: F401 (the autouse fixture)
from webex_scim.cli import main

STACK_URN = "urn:pulumi:dev::webex-scim::pulumi:pulumi:Stack::webex-scim-dev"
MAPPINGS_URN = (
    "urn:pulumi:dev::webex-scim::webex-scim:index:WebexProvisioning$webex-scim:index:ProvisioningJob"
    "$pulumi-python:dynamic/webex:AttributeMappings::attribute-mappings"
)
ASSIGNMENT_URN = (
    "urn:pulumi:dev::webex-scim::webex-scim:index:WebexProvisioning$webex-scim:index:Assignments"
    "$azuread:index/appRoleAssignment:AppRoleAssignment::user-pilot.user@contoso.com"
)


def digest(*steps: dict[str, Any], diagnostics: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "config": {},
        "steps": [{"op": "same", "urn": STACK_URN}, *steps],
        "diagnostics": diagnostics or [],
        "duration": 1,
        "changeSummary": {"same": 1},
    }


def drift_file(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "drift.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def status_with_drift(capsys, tmp_path: Path, doc: Any, *extra: str) -> tuple[int, dict[str, Any], str]:
    with demo("healthy", tmp_path) as d:
        return run(capsys, "--config-file", str(d.stack_file), "--drift", str(drift_file(tmp_path, doc)), *extra)


def test_a_refresh_preview_without_changes_keeps_a_healthy_job_healthy(capsys, tmp_path) -> None:
    code, doc, _ = status_with_drift(capsys, tmp_path, digest({"op": "same", "urn": MAPPINGS_URN}))
    assert (code, doc["verdict"], doc["reasons"]) == (0, "healthy", [])
    assert doc["drift"] == {"checked": True, "changes": [], "error": None}


def test_drift_names_each_resource_and_property_and_needs_attention(capsys, tmp_path) -> None:
    drifted = digest(
        {"op": "refresh", "urn": ASSIGNMENT_URN},
        {
            "op": "update",
            "urn": MAPPINGS_URN,
            "diffReasons": ["userMappings"],
            "detailedDiff": {"userMappings[3].source": {"kind": "update", "inputDiff": True}},
        },
        {"op": "update", "urn": MAPPINGS_URN, "diffReasons": ["scopingFilter"]},
    )
    code, doc, _ = status_with_drift(capsys, tmp_path, drifted)
    assert code == 1 and rules(doc) == [("drift", "attention")]
    assert doc["drift"]["changes"] == [
        {
            "urn": MAPPINGS_URN,
            "type": "pulumi-python:dynamic/webex:AttributeMappings",
            "name": "attribute-mappings",
            "op": "update",
            "properties": ["scopingFilter", "userMappings", "userMappings[3].source"],
        }
    ]
    message = doc["reasons"][0]["message"]
    assert message.startswith("1 resource(s) in the tenant differ from the stack")
    assert "attribute-mappings (update): scopingFilter, userMappings, userMappings[3].source" in message


def test_a_preview_that_failed_is_drift_unknown_with_its_error(capsys, tmp_path) -> None:
    failed = {"steps": None, "diagnostics": [{"message": "error: no credentials\nmore", "severity": "error"}]}
    code, doc, _ = status_with_drift(capsys, tmp_path, failed)
    assert code == 1 and rules(doc) == [("drift-unchecked", "attention")]
    assert doc["reasons"][0]["message"] == "drift is unknown: the refresh preview failed: error: no credentials"


def test_a_file_that_is_not_a_preview_document_is_drift_unknown_saying_what_it_begins_with(capsys, tmp_path) -> None:
    code, doc, _ = status_with_drift(capsys, tmp_path, "Previewing update (dev):\n")
    assert code == 1 and doc["drift"]["checked"] is False
    assert (
        "drift.json is not a `pulumi preview --json` document (it begins: 'Previewing update (dev):')"
        in (doc["drift"]["error"])
    )


def test_the_markdown_issue_body_has_a_drift_section(capsys, tmp_path) -> None:
    md = tmp_path / "issue.md"
    drifted = digest({"op": "delete", "urn": ASSIGNMENT_URN})
    status_with_drift(capsys, tmp_path, drifted, "--markdown", str(md))
    text = md.read_text()
    assert "### Drift (a refresh preview of the stack)" in text
    line = "- azuread:index/appRoleAssignment:AppRoleAssignment user-pilot.user<span>@</span>contoso.com (delete): (no"
    assert line in text  # an address in the issue body is text, not a mailto link (as in the PR comment)
    assert "- **attention** (`drift`): 1 resource(s) in the tenant differ from the stack" in text


def test_drift_is_one_stacks_and_a_missing_file_is_one_message(capsys, tmp_path) -> None:
    assert main(["status", "--all", "--drift", str(tmp_path / "drift.json")]) == 2
    assert "--drift is one stack's refresh preview" in capsys.readouterr().err
    with demo("healthy", tmp_path) as d:
        code = main(["status", "--config-file", str(d.stack_file), "--drift", str(tmp_path / "missing.json")])
    assert code == 2
    err = capsys.readouterr().err
    assert "--drift" in err and "missing.json" in err and "Traceback" not in err
