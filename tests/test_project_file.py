"""Pulumi.yaml is valid for the real CLI: it validates against Pulumi's own project schema."""

from __future__ import annotations

import json

import jsonschema
import yaml

from tests.support import ROOT

SCHEMA = ROOT.parent / "shared" / "reference" / "pulumi-project.schema.json"


def test_pulumi_yaml_validates_against_pulumis_schema():
    schema = json.loads(SCHEMA.read_text())
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    jsonschema.validate(project, schema)
    assert project["name"] == "webex-scim"
    assert project["runtime"]["name"] == "python"


def test_the_schema_catches_a_broken_project_file():
    schema = json.loads(SCHEMA.read_text())
    broken = {"name": "webex-scim", "runtime": "python", "config": {"orgId": {"type": "uuid"}}}
    try:
        jsonschema.validate(broken, schema)
    except jsonschema.ValidationError:
        return
    raise AssertionError("an unknown config type must not validate")


def test_token_is_declared_secret_and_every_declared_key_is_a_setting():
    from components.settings import Settings

    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["config"]["scimToken"]["secret"] is True
    fields = {f.alias or name for name, f in Settings.model_fields.items()} | {"scimToken"}
    assert set(project["config"]) <= fields


def test_dev_stack_has_no_token_in_clear():
    stack = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    assert "webex-scim:scimToken" not in stack
