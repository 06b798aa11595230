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
