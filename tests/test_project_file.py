"""Pulumi.yaml is valid for the real CLI: it validates against Pulumi's own project schema.

The schema is Pulumi's (sdk/go/common/workspace/project.json, as given in ../shared/reference). That folder sits
beside the checkout on the project's machines and in CI, not in a plain clone, so the tests carry a copy of it
(tests/reference/) and use the shared one when it is there; a test keeps the two identical.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from tests.support import ROOT

SHARED_SCHEMA = ROOT.parent / "shared" / "reference" / "pulumi-project.schema.json"
COPIED_SCHEMA = ROOT / "tests" / "reference" / "pulumi-project.schema.json"
SCHEMA = SHARED_SCHEMA if SHARED_SCHEMA.is_file() else COPIED_SCHEMA


@pytest.mark.skipif(not SHARED_SCHEMA.is_file(), reason="../shared is not beside this checkout (a plain clone)")
def test_the_copied_schema_is_the_shared_one():
    assert COPIED_SCHEMA.read_bytes() == SHARED_SCHEMA.read_bytes()


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


def test_no_declared_config_key_can_block_a_stack_before_the_program_explains():
    """The CLI fails a stack that leaves a declared project key unset unless the declaration has a default (and
    type-checks declared keys, which cannot describe objects): declared keys need a default matching settings."""
    from components.settings import Settings

    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    declared = project.get("config") or {}
    fields = {f.alias or name: f for name, f in Settings.model_fields.items()}
    for key, declaration in declared.items():
        assert isinstance(declaration, dict) and "default" in declaration, key
        assert key in fields, f"{key} is not a webex-scim setting"
        assert declaration["default"] == fields[key].default, key
    assert declared, "declare the defaulted keys, so `pulumi config` shows them"


def test_dev_stack_has_no_token_in_clear():
    stack = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    assert "webex-scim:scimToken" not in stack
