"""Only code we pinned runs: every Python requirement is locked with its hashes (compiled from the *.in files by
`make lock`) and installed with --require-hashes, by make and so by every workflow; Dependabot keeps the pins and
the action SHAs current. (The actions' own pins are checked in tests/test_workflows.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.test_workflows import WORKFLOWS, commands, load, steps

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {
    ROOT / "requirements-pip.txt": ROOT / "requirements-pip.in",
    ROOT / "requirements.txt": ROOT / "requirements.in",
    ROOT / "requirements-dev.txt": ROOT / "requirements-dev.in",
    ROOT / "requirements-mutation.txt": ROOT / "requirements-mutation.in",
    ROOT / "policies" / "requirements.txt": ROOT / "policies" / "requirements.in",
}
ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def locked(path: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of a pip-compile output file."""
    out: dict[str, tuple[str, int]] = {}
    name = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = ENTRY.match(line)
        if match:
            name = match.group(1).lower().replace("_", "-")
            out[name] = (match.group(2), 0)
        elif name and line.strip().startswith("--hash=sha256:"):
            version, hashes = out[name]
            out[name] = (version, hashes + 1)
        elif line.strip() and not line.startswith((" ", "#")):
            pytest.fail(f"{path.name}: {line!r} is not a locked requirement (pinned, with hashes)")
    return out


def direct(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = ENTRY.match(line.strip())
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


@pytest.mark.parametrize("lock", list(LOCKS), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_requirement_is_pinned_with_its_hashes(lock: Path) -> None:
    text = lock.read_text(encoding="utf-8")
    assert "by the following command:" in text and "--generate-hashes" in text, "written by `make lock`"
    entries = locked(lock)
    assert entries and all(hashes >= 1 for _, hashes in entries.values())


@pytest.mark.parametrize("lock", list(LOCKS), ids=lambda p: str(p.relative_to(ROOT)))
def test_each_direct_pin_is_the_locked_version(lock: Path) -> None:
    """An *.in edited without `make lock` would install something else than it says."""
    entries = locked(lock)
    for name, version in direct(LOCKS[lock]).items():
        assert entries.get(name, ("missing",))[0] == version, f"{name}: run `make lock` after editing {LOCKS[lock]}"


def test_the_program_and_its_pack_run_the_same_sdks() -> None:
    program, pack = locked(ROOT / "requirements.txt"), locked(ROOT / "policies" / "requirements.txt")
    assert {name: program[name][0] for name in pack} == {name: version for name, (version, _) in pack.items()}


def test_mutation_testing_runs_the_tests_with_their_own_versions() -> None:
    # make mutation installs its lock over the development one: a version they share must be the same, or the
    # mutation run would test with other packages than `make test` does (requirements-mutation.in: -c dev).
    dev, mutation = locked(ROOT / "requirements-dev.txt"), locked(ROOT / "requirements-mutation.txt")
    shared = dev.keys() & mutation.keys()
    assert {name: mutation[name][0] for name in shared} == {name: dev[name][0] for name in shared}
    assert "mutmut" in mutation


def test_the_lock_check_can_fail(tmp_path: Path) -> None:
    loose = tmp_path / "requirements.txt"
    loose.write_text("# by the following command:\nhttpx>=0.28\n")
    with pytest.raises(pytest.fail.Exception, match="not a locked requirement"):
        locked(loose)


def test_make_installs_only_with_hashes_and_pip_first() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = re.findall(r"^\t.*-m pip install.*$|^\t.*\$\(PIP_INSTALL\).*$", makefile, re.M)
    assert installs
    assert "PIP_INSTALL := -m pip install --quiet --disable-pip-version-check --require-hashes" in makefile
    hashed = [line for line in installs if "$(PIP_INSTALL)" in line]
    assert all("requirements" in line for line in hashed)
    unhashed = [line for line in installs if "$(PIP_INSTALL)" not in line]
    assert unhashed == ["\t.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check pip-tools==7.6.2"]
    for target in ("$(RUNTIME)", "$(POLICY_STAMP)"):
        recipe = makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]
        first = next(line for line in recipe.splitlines() if "$(PIP_INSTALL)" in line)
        assert first.endswith("-r requirements-pip.txt"), (
            f"{target}: the locked pip first (Python 3.11's refuses extras)"
        )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_install_python_packages_only_through_make(path: Path) -> None:
    for _, step in steps(load(path)):
        for argv in commands(step.get("run", "")):
            assert not (len(argv) > 1 and argv[0].endswith("pip") and argv[1] == "install"), argv
            assert "pip" not in argv[1:3] or "-m" not in argv, f"{path.name}: {argv}: use make venv / policy-venv"


def test_dependabot_keeps_the_actions_and_the_locks_current() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    assert updates["github-actions"]["directory"] == "/"
    assert set(updates["pip"]["directories"]) == {"/", "/policies"}
    assert all(u["cooldown"]["default-days"] >= 7 for u in updates.values())
