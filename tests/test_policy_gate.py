"""The offline preview gates on the policy pack: stack files that break a mandatory rule exit 1 naming it."""

from __future__ import annotations

import json

import pytest

from tests.support import ROOT
from webex_scim.cli import main

STACKS = ROOT / "tests" / "stacks"


def preview_json(capsys, *args: str) -> tuple[int, dict]:
    code = main(["preview", *args, "--json", "-"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("stack_file", "rule", "config_key"),
    [
        ("Pulumi.visible-app.yaml", "hidden-from-users", "app.hideFromUsers"),
        ("Pulumi.assignment-optional.yaml", "assignment-required", "app.assignmentRequired"),
        ("Pulumi.sync-all.yaml", "scope-assigned-only", "provisioning.scope"),
        ("Pulumi.foreign-tenant-url.yaml", "tenant-url-matches-org", "tenantUrl"),
    ],
)
def test_stack_breaking_a_mandatory_rule_exits_1(capsys, stack_file, rule, config_key):
    code, doc = preview_json(capsys, "--config-file", str(STACKS / stack_file))
    assert code == 1
    mandatory = [v for v in doc["policyViolations"] if v["enforcementLevel"] == "mandatory"]
    assert [v["policy"] for v in mandatory] == [rule]
    assert config_key in mandatory[0]["message"]


def test_compliant_stack_and_dev_stack_pass(capsys):
    for args in (["--config-file", str(STACKS / "Pulumi.compliant.yaml")], ["--stack", "dev"]):
        code, doc = preview_json(capsys, *args)
        assert code == 0
        assert not [v for v in doc["policyViolations"] if v["enforcementLevel"] == "mandatory"]


def test_unknown_values_get_the_clis_preview_diagnostic_not_a_silent_pass(capsys):
    """Kept apart from the violations (not an advisory: no verdict yet), with the level `pulumi up` will give it."""
    _, doc = preview_json(capsys, "--stack", "dev")
    assert [v for v in doc["policyViolations"] if v["policy"] == "no-default-access"] == []
    (later,) = [v for v in doc["checkedAtUp"] if v["policy"] == "no-default-access"]
    assert later["enforcementLevel"] == "mandatory"
    assert "can't run policy 'no-default-access'" in later["message"] and "during preview" in later["message"]


def test_policy_config_can_lower_a_rule_to_advisory(tmp_path, capsys):
    cfg = tmp_path / "policy-config.json"
    cfg.write_text(json.dumps({"scope-assigned-only": "advisory"}))
    code, doc = preview_json(capsys, "--config-file", str(STACKS / "Pulumi.sync-all.yaml"), "--policy-config", str(cfg))
    assert code == 0
    (v,) = [v for v in doc["policyViolations"] if v["policy"] == "scope-assigned-only"]
    assert v["enforcementLevel"] == "advisory"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON"),
        ('{"no-such-rule": "mandatory"}', "no-such-rule"),
        ('{"hidden-from-users": "fatal"}', "fatal"),
    ],
)
def test_bad_policy_config_exits_2(tmp_path, capsys, content, expected):
    cfg = tmp_path / "policy-config.json"
    cfg.write_text(content)
    assert main(["preview", "--stack", "dev", "--policy-config", str(cfg)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and expected in err and str(cfg.name) in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("mappings", "key"),
    [
        ({"userNameSource": "department"}, "webex-scim:mappings.userNameSource"),
        ({"remove": ["userName"]}, "webex-scim:mappings"),
        ({"overrides": [{"target": "favouriteColour", "source": "department"}]}, "webex-scim:mappings.overrides[0]"),
    ],
)
def test_mapping_rules_are_also_caught_earlier_by_settings(tmp_path, capsys, mappings, key):
    """Defence in depth: settings refuse what the mapping rules would flag, naming the key (exit 2)."""
    text = (STACKS / "Pulumi.compliant.yaml").read_text() + "  webex-scim:mappings: " + json.dumps(mappings) + "\n"
    path = tmp_path / "Pulumi.m.yaml"
    path.write_text(text)
    assert main(["preview", "--config-file", str(path)]) == 2
    assert key in capsys.readouterr().err


def test_forcing_held_back_deletions_is_an_advisory_a_reviewer_sees(tmp_path, capsys):
    """`provisioning.forceDeletesRequest` is a setting (exit 0), registered on the JobRestart and flagged."""
    text = (STACKS / "Pulumi.compliant.yaml").read_text() + (
        "  webex-scim:provisioning:\n    forceDeletesRequest: 2026-11-30-after-review\n"
    )
    path = tmp_path / "Pulumi.force.yaml"
    path.write_text(text)
    code, doc = preview_json(capsys, "--config-file", str(path))
    assert code == 0
    (restart,) = [s for s in doc["steps"] if s["type"] == "pulumi-python:dynamic/webex:JobRestart"]
    assert restart["inputs"]["forceDeletesRequest"] == "2026-11-30-after-review"
    (flagged,) = [v for v in doc["policyViolations"] if v["policy"] == "deletions-not-forced"]
    assert flagged["enforcementLevel"] == "advisory" and flagged["urn"] == restart["urn"]
    assert "webex-scim:provisioning.forceDeletesRequest" in flagged["message"]
