"""README.md and docs/ stay true: the README opens with the two commands and names every command, every link leads
to a file of this repository, the rule table is the pack's, the settings table names every key, the examples run,
and the layout names every engine module."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

from tests.support import ROOT
from webex_scim.cli import COMMANDS, main

README = (ROOT / "README.md").read_text()
DOCS = {p.name: p.read_text() for p in sorted((ROOT / "docs").glob("*.md"))}
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _rules_doc_module():
    spec = importlib.util.spec_from_file_location("rules_doc", ROOT / "policies" / "rules_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_opens_with_the_two_commands():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make preview", "make test"]


def test_the_readme_names_every_command_as_its_make_target():
    table = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    assert [c for c in COMMANDS if f"`make {c}" not in table] == []


def _links(text: str) -> list[str]:
    return [target for target in LINK.findall(text) if not target.startswith(("http://", "https://", "mailto:"))]


@pytest.mark.parametrize("name", ["README.md", *(f"docs/{n}" for n in DOCS)])
def test_every_link_leads_to_a_file_of_this_repository(name):
    """Users have the repository, not the design folder beside it: a link elsewhere is a dead link for them."""
    path = ROOT / name
    text = path.read_text()
    assert "../shared" not in text
    for target in _links(text):
        file, _, anchor = target.partition("#")
        resolved = (path.parent / file).resolve() if file else path
        assert resolved.is_file() and ROOT in resolved.parents, f"{name}: {target} is not a file of the repository"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", resolved.read_text(), re.M)
            slugs = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
            assert anchor in slugs, f"{name}: {target}: no such heading"


def test_the_link_check_can_fail(tmp_path):
    assert _links("[a](docs/x.md) [b](https://example.com) [c](../shared/DESIGN.md)") == [
        "docs/x.md",
        "../shared/DESIGN.md",
    ]


def test_every_doc_is_linked_from_the_readme_or_another_doc():
    linked = {Path(t.partition("#")[0]).name for text in [README, *DOCS.values()] for t in _links(text)}
    assert sorted(set(DOCS) - linked) == []


def test_rule_table_is_generated_from_the_pack():
    module = _rules_doc_module()
    doc = DOCS["policies.md"]
    assert module.with_rules(doc) == doc, "run: python policies/rules_doc.py"
    for rule in ("hidden-from-users", "tenant-url-matches-org", "username-from-email-attribute", "token-expiry"):
        assert f"| `{rule}` |" in doc


def test_rule_table_check_can_fail():
    module = _rules_doc_module()
    doc = DOCS["policies.md"]
    tampered = doc.replace("| `hidden-from-users` | mandatory", "| `hidden-from-users` | advisory")
    assert module.with_rules(tampered) != tampered


MAPPING_EXAMPLES = [
    b for b in re.findall(r"```yaml\n(.*?)```", DOCS["mappings.md"], re.S) if "webex-scim:mappings:" in b
]


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
    """Each webex-scim key the settings accept appears in docs/settings.md's table (nested ones as `app.x`)."""
    from components.settings import AppSettings, ProvisioningSettings, Settings

    def aliases(model) -> list[str]:
        return [field.alias or name for name, field in model.model_fields.items()]

    keys = [k for k in aliases(Settings) if k not in ("app", "provisioning")] + ["scimToken"]
    keys += [f"app.{k}" for k in aliases(AppSettings)] + [f"provisioning.{k}" for k in aliases(ProvisioningSettings)]
    table = DOCS["settings.md"]
    missing = [k for k in keys if f"`{k}`" not in table]
    assert missing == []


def _layout_block() -> str:
    return DOCS["layout.md"].split("```", 2)[1]


def test_the_layout_names_every_engine_module_and_no_other():
    # The layout is how a newcomer finds a job's module: one added, renamed or folded in must show there.
    layout = _layout_block()
    engine_row = layout[layout.index("\noffline/") : layout.index("\nprovisioning_cycle/")]
    modules = {p.name for p in (ROOT / "offline").glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    named = set(re.findall(r"\b(\w+\.py)\b", engine_row))
    assert len(modules) > 10
    assert sorted(modules - named) == []  # a module the layout does not name
    assert sorted(named - modules) == []  # a name the layout keeps for a module that is gone


def test_the_layout_names_every_top_level_folder():
    layout = _layout_block()
    folders = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != "venv"}
    folders -= {"__pycache__"}
    rows = {line.split("/", 1)[0] for line in layout.splitlines() if line and not line.startswith(" ")}
    assert sorted(folders - rows - {"tools"}) == []


def test_the_readmes_loopback_example_is_the_one_the_match_and_status_pages_run():
    """The README's example is copied from docs/match.md and docs/status.md, whose own tests run them as written."""
    block = README.split("make match-demo", 1)[1].split("```", 1)[0]
    lines = ["make match-demo" + block.splitlines()[0], *block.splitlines()[1:]]
    match_page, status_page = DOCS["match.md"], DOCS["status.md"]
    for line in lines:
        command = line.split("#")[0].strip()
        if command.startswith(("make match", "export")):
            assert command in match_page, command
        elif command:
            assert command in status_page, command


def _identity_permissions(text: str) -> dict[str, list[str]]:
    """identity -> the Graph permissions its row of a `| identity | … |` table names (backticked, in order)."""
    rows = re.findall(r"^\| (read|deploy) \|(.*)\|$", text, flags=re.MULTILINE)
    return {who: re.findall(r"`([A-Z][A-Za-z]+\.[A-Za-z.]+)`", cells) for who, cells in rows}


@pytest.mark.parametrize("doc", ["README.md", "docs/permissions.md"])
def test_the_identities_tables_grant_what_the_bootstrap_grants(doc):
    # Each table names the alternative of the deploy identity (AppRoleAssignment.ReadWrite.All) after what it holds.
    # The bootstrap is its own project (its `components` is not ours): its two lists are read from the source.
    source = ast.parse((ROOT / "bootstrap/components/settings.py").read_text())
    grants = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in source.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "").endswith("_PERMISSIONS")
    }
    found = _identity_permissions((ROOT / doc).read_text())
    assert found["read"] == grants["READ_PERMISSIONS"]
    assert found["deploy"] == [*grants["DEPLOY_PERMISSIONS"], "AppRoleAssignment.ReadWrite.All"]
