"""README.md stays true: it opens with the two commands, its rule table is the pack's, its examples run."""

from __future__ import annotations

import importlib.util
import re

import pytest

from offline.cli import main
from tests.support import ROOT

README = (ROOT / "README.md").read_text()


def _readme_rules_module():
    spec = importlib.util.spec_from_file_location("readme_rules", ROOT / "policies" / "readme_rules.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_opens_with_the_two_commands():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make preview", "make test"]


def test_rule_table_is_generated_from_the_pack():
    module = _readme_rules_module()
    assert module.with_rules(README) == README, "run: python policies/readme_rules.py"
    for rule in ("hidden-from-users", "tenant-url-matches-org", "username-from-email-attribute", "token-expiry"):
        assert f"| `{rule}` |" in README


def test_rule_table_check_can_fail():
    module = _readme_rules_module()
    tampered = README.replace("| `hidden-from-users` | mandatory", "| `hidden-from-users` | advisory")
    assert module.with_rules(tampered) != tampered


MAPPING_EXAMPLES = [b for b in re.findall(r"```yaml\n(.*?)```", README, re.S) if "webex-scim:mappings:" in b]


@pytest.mark.parametrize("block", MAPPING_EXAMPLES, ids=[f"example-{i + 1}" for i in range(len(MAPPING_EXAMPLES))])
def test_mapping_examples_preview_cleanly(tmp_path, capsys, block):
    stack = (ROOT / "tests" / "stacks" / "Pulumi.compliant.yaml").read_text() + block
    path = tmp_path / "Pulumi.example.yaml"
    path.write_text(stack)
    assert main(["preview", "--config-file", str(path), "--no-details"]) == 0, capsys.readouterr().err
    assert "attribute-mappings" in capsys.readouterr().out


def test_there_are_two_mapping_examples():
    assert len(MAPPING_EXAMPLES) == 2


def test_every_setting_is_documented():
    """Each webex-scim key the settings accept appears in README's settings table (nested ones as `app.x`)."""
    from components.settings import AppSettings, ProvisioningSettings, Settings

    def aliases(model) -> list[str]:
        return [field.alias or name for name, field in model.model_fields.items()]

    keys = [k for k in aliases(Settings) if k not in ("app", "provisioning")] + ["scimToken"]
    keys += [f"app.{k}" for k in aliases(AppSettings)] + [f"provisioning.{k}" for k in aliases(ProvisioningSettings)]
    table = README.split("## Stack settings", 1)[1].split("\n## ", 1)[0]
    missing = [k for k in keys if f"`{k}`" not in table]
    assert missing == []


def _layout_block() -> str:
    return README.split("## Layout", 1)[1].split("```", 2)[1]


def test_the_layout_names_every_engine_module_and_no_other():
    # The layout is how a newcomer finds a job's module: one added, renamed or folded in must show there.
    layout = _layout_block()
    engine_row = layout[layout.index("\noffline/") : layout.index("\ntests/")]
    modules = {p.name for p in (ROOT / "offline").glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    named = set(re.findall(r"\b(\w+\.py)\b", engine_row))
    assert len(modules) > 10
    assert sorted(modules - named) == []  # a module the layout does not name
    assert sorted(named - modules) == []  # a name the layout keeps for a module that is gone
