"""The policy pack is self-contained: it runs from its own folder, with its own copy of the catalog it reads, and
shares its words with the program through policies/vocabulary.py."""

from __future__ import annotations

import shutil
from pathlib import Path

from offline.policy import PACK_DIR, PolicyPack
from policies import vocabulary
from tests.policy_support import PROJECT, STACK, evaluate, webex_stack

ROOT = Path(__file__).resolve().parents[1]


def test_the_packs_catalog_is_the_programs_catalog() -> None:
    copy = PACK_DIR / "webex_guard" / "webex_catalog.json"
    assert copy.read_bytes() == (ROOT / "components" / "webex_catalog.json").read_bytes(), (
        "copy components/webex_catalog.json to policies/webex_guard/webex_catalog.json"
    )


def test_the_pack_runs_from_its_own_folder_alone(tmp_path: Path) -> None:
    alone = tmp_path / "somewhere" / "policies"
    shutil.copytree(PACK_DIR, alone, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    stack = webex_stack(sp={"appRoleAssignmentRequired": False})
    with PolicyPack(alone) as pack:
        report = pack.evaluate(stack, project=PROJECT, stack=STACK)
    assert report == evaluate(stack)  # the same verdicts as the pack in this repository
    assert "assignment-required" in {v.policy for v in report.violations}


def test_the_program_registers_the_types_the_pack_and_the_engine_name() -> None:
    from tests.support import BASE, run

    types = {r.type for r in run(BASE).resources}
    shared = {vocabulary.WEBEX_PROVISIONING, vocabulary.ENTERPRISE_APP, vocabulary.ASSIGNMENTS}
    shared |= {vocabulary.PROVISIONING_JOB, vocabulary.ATTRIBUTE_MAPPINGS, vocabulary.SYNCHRONIZATION_SECRET}
    assert shared <= types


def _string_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal in a module, docstrings left out."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_each_shared_word_is_spelled_once_in_the_vocabulary() -> None:
    # Type tokens, the namespace, HideApp, the markers, the token's config key and the secret's keys: a second
    # spelling drifts. components/replace_on_change.py is exempt: a data table keyed by every provider type token,
    # shared or not, copied from the provider's schema.
    from tests.support import ROOT

    words = {value: name for name, value in vars(vocabulary).items() if name.isupper() and isinstance(value, str)}
    assert {"scimToken", "SecretToken", "webex-scim", "HideApp", "[secret]"} <= set(words)
    modules = [
        ROOT / "__main__.py",
        *(ROOT / "components").rglob("*.py"),
        *(ROOT / "offline").rglob("*.py"),
        *(ROOT / "provisioning_cycle").rglob("*.py"),
        *(ROOT / "webex_scim").rglob("*.py"),
    ]
    modules += [p for p in (ROOT / "policies").rglob("*.py") if "venv" not in p.parts]
    exempt = {ROOT / "policies" / "vocabulary.py", ROOT / "components" / "replace_on_change.py"}
    spelled_again = [
        f"{path.relative_to(ROOT)}:{line}: {words[text]}"
        for path in modules
        if path not in exempt
        for line, text in _string_literals(path)
        if text in words
    ]
    assert spelled_again == []
