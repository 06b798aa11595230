"""`make mutation`'s table stays true: each target module and each of its test files exists, the docs name every
target, the equivalents list names only mutants of a target, and a module the table does not know is refused with one
message (exit 2). The mutation run itself takes minutes and is not part of the suite."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.mutation import runner
from tests.support import ROOT


def test_every_target_and_its_tests_exist():
    for module, tests in runner.TARGETS.items():
        assert (ROOT / module).is_file(), module
        assert tests and all((ROOT / t).is_file() for t in tests), (module, tests)


def test_the_docs_name_every_target():
    doc = (ROOT / "docs" / "mutation.md").read_text(encoding="utf-8")
    assert [m for m in runner.TARGETS if f"`{m}`" not in doc] == []


def test_equivalents_are_mutants_of_a_target_each_with_a_reason():
    listed = runner.listed_equivalents()
    prefixes = tuple(runner.mutmut_module(m) + "." for m in runner.TARGETS)
    assert [name for name in listed if not name.startswith(prefixes)] == []
    assert all(len(reason) >= len("as above") for reason in listed.values())
    rows = [line for line in runner.EQUIVALENTS.read_text(encoding="utf-8").splitlines() if "__mutmut_" in line]
    assert len(rows) == len(listed)  # every row is read: none is lost to a malformed cell


@pytest.mark.parametrize(
    ("argument", "module"),
    [
        ("evaluate", "provisioning_cycle/evaluate.py"),
        ("provisioning_cycle/scope.py", "provisioning_cycle/scope.py"),
        ("provisioning_cycle.functions", "provisioning_cycle/functions.py"),
        ("webex_guard/app", "policies/webex_guard/app.py"),
        ("settings", "components/settings.py"),
    ],
)
def test_a_module_is_named_by_its_path_its_dotted_name_or_its_file_name(argument, module):
    assert runner.resolve(argument) == module


def test_an_unknown_module_is_refused_with_one_message(capsys):
    assert runner.main(["nosuch"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("make mutation ARGS='nosuch': is not a target; pick one of: app, assignments, mappings,")
    assert err.count("\n") == 1


def test_the_pack_is_mutated_under_the_name_it_is_imported_by(tmp_path, monkeypatch):
    # The CLI runs the pack from its own folder (`import webex_guard`): mutmut must name its mutants that way.
    monkeypatch.setattr(runner, "SCRATCH", tmp_path)
    scratch = runner.prepare(
        "policies/webex_guard/app.py", ["policies/webex_guard/app.py", "tests/conftest.py", "pyproject.toml"]
    )
    assert runner.mutmut_module("policies/webex_guard/app.py") == "webex_guard.app"
    assert (scratch / "src" / "webex_guard" / "app.py").is_file()
    assert (scratch / "mutants" / "policies").readlink().as_posix() == "src"
    section = (scratch / "pyproject.toml").read_text(encoding="utf-8").split("[tool.mutmut]", 1)[1]
    assert re.findall(r"^(\w+) = (.*)$", section, re.M)[:3] == [
        ("source_paths", '["src"]'),
        ("only_mutate", '["src/webex_guard/app.py"]'),
        ("also_copy", "[]"),
    ]


def test_every_case_of_the_targets_tests_has_an_id_pytest_finds_again():
    # mutmut hands each mutant's tests back to pytest by id; an id pytest escapes (a backslash, a character outside
    # ASCII) may not be found again, and the mutant is then counted killed by an error: tests/simulate_support.case_id.
    files = sorted({t for tests in runner.TARGETS.values() for t in tests})
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", *files], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    ids = [line for line in listed.splitlines() if "::" in line]
    assert len(ids) > 500
    assert [i for i in ids if "\\" in i or not i.isascii()] == []


def test_a_listed_mutant_that_no_longer_survives_is_said_and_fails_the_run(capsys):
    # The registry's mutants are `webex_guard.x_…`, a prefix of every pack module's: only its own count as its.
    listed = {"webex_guard.x__cell__mutmut_8": "no pipe", "webex_guard.app.x__check__mutmut_1": "another module's"}
    killed = runner.Outcome("policies/webex_guard/__init__.py", {"total": 1, "killed": 1}, {}, 1.0)
    assert runner.report([killed], listed) == 1
    out = capsys.readouterr().out
    assert "but no longer made: webex_guard.x__cell__mutmut_8" in out
    assert "webex_guard.app" not in out
    survives = runner.Outcome(
        "policies/webex_guard/__init__.py",
        {"total": 1, "survived": 1},
        {"webex_guard.x__cell__mutmut_8": runner.SURVIVED},
        1.0,
    )
    assert runner.report([survives], listed) == 0
