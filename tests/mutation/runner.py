"""`make mutation`: mutation testing (mutmut) of the modules whose answers users act on, each module against its own
fast in-process tests, with killed / survived per module and every survivor listed.

mutmut expects one configuration per project (`[tool.mutmut]` in pyproject.toml) and a `mutants/` folder beside it.
This project keeps its packages at the repository root and wants a different set of tests per module, so each
module runs in a scratch copy of the work tree of its own, `out/mutation/<module>/`, whose pyproject.toml gets that
module's `[tool.mutmut]`: the real tree and its pyproject.toml are never touched, and the copy stays afterwards for
`mutmut show <mutant>` or `mutmut browse` run inside it. The copy is taken from the work tree (uncommitted edits
included: what `git ls-files --cached --others --exclude-standard` lists), fresh for every run.

Survivors that no test can kill (the mutant computes the same answer) are listed once, each with its reason, in
tests/mutation/equivalents.md; a listed survivor is counted as a survivor all the same (the killed share is the
tool's own count) but is not reported again. Exit code: 0 when every survivor is listed there, 1 when a survivor is
not (or a listed one no longer survives: the list is kept true), 2 for a module this table does not know.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRATCH = ROOT / "out" / "mutation"
EQUIVALENTS = Path(__file__).with_name("equivalents.md")

_POLICY_TESTS = ("tests/test_policy_rules.py", "tests/test_policy_verdicts.py")  # not the pack process: not in reach
# The settings are one job in three modules (loading, the models, the messages): the same tests pin all three.
_SETTINGS_TESTS = (
    "tests/test_settings_errors.py",
    "tests/test_settings_messages.py",
    "tests/test_settings_values.py",
    "tests/test_simulate_settings.py",
    "tests/test_roles.py",
)
_EXPRESSION_TESTS = (
    "tests/test_simulate_expressions.py",
    "tests/test_simulate_functions.py",
    "tests/test_simulate_dates.py",
)

# Each target module and the fast in-process tests that pin it (no subprocess: a mutant lives in this process only).
TARGETS: dict[str, tuple[str, ...]] = {
    "policies/webex_guard/app.py": _POLICY_TESTS,
    "policies/webex_guard/assignments.py": _POLICY_TESTS,
    "policies/webex_guard/mappings.py": _POLICY_TESTS,
    "policies/webex_guard/provisioning.py": _POLICY_TESTS,
    "policies/webex_guard/rule.py": _POLICY_TESTS,
    "policies/webex_guard/catalog.py": _POLICY_TESTS,
    "policies/webex_guard/stack_config.py": _POLICY_TESTS,
    "policies/webex_guard/__init__.py": _POLICY_TESTS,
    "policies/vocabulary.py": _POLICY_TESTS,
    "components/settings.py": _SETTINGS_TESTS,
    "components/settings_models.py": _SETTINGS_TESTS,
    "components/settings_messages.py": _SETTINGS_TESTS,
    "components/mapping_settings.py": ("tests/test_mapping_settings.py",),
    "provisioning_cycle/evaluate.py": _EXPRESSION_TESTS,
    "provisioning_cycle/functions.py": _EXPRESSION_TESTS,
    "provisioning_cycle/datetimes.py": _EXPRESSION_TESTS,
    "provisioning_cycle/diacritics.py": _EXPRESSION_TESTS,
    "provisioning_cycle/values.py": _EXPRESSION_TESTS,
    "provisioning_cycle/scope.py": ("tests/test_simulate_scope.py",),
}

# Tests that run the Pulumi program start gRPC threads, which a plain fork of mutmut's process does not survive (each
# mutant hangs to its time limit): their mutants fork from a server that has imported the tests but run none. The
# others fork from mutmut's process, which is faster and, under load, steadier (a fork server's children can miss
# their wall-clock limit).
FORKSERVER = frozenset(module for module, tests in TARGETS.items() if tests == _SETTINGS_TESTS)

# mutmut's own words for a mutant's fate, as `mutmut results --all true` prints them.
KILLED, SURVIVED, NO_TESTS = "killed", "survived", "no tests"


@dataclass
class Outcome:
    module: str
    counts: dict[str, int]
    statuses: dict[str, str]  # mutant name -> mutmut's status
    seconds: float
    changes: dict[str, str] = field(default_factory=dict)  # unexplained survivor -> its changed line(s)

    @property
    def total(self) -> int:
        return self.counts.get("total", 0)

    @property
    def killed_share(self) -> float:
        return self.counts.get("killed", 0) / self.total if self.total else 0.0

    def not_killed(self) -> list[str]:
        return sorted(name for name, status in self.statuses.items() if status in (SURVIVED, NO_TESTS))


def resolve(argument: str) -> str:
    """A module given as its path, its dotted name or its file name (when only one target has it)."""
    wanted = argument.strip().removesuffix(".py").replace(".", "/").replace("\\", "/")
    matches = [m for m in TARGETS if m.removesuffix(".py") == wanted or m.removesuffix(".py").endswith("/" + wanted)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(Path(m).stem for m in TARGETS)
    problem = "names several targets" if matches else "is not a target"
    raise SystemExit(f"make mutation ARGS='{argument}': {problem}; pick one of: {known} (or leave ARGS empty for all)")


def _tree_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [p for p in listed.split("\0") if p and (ROOT / p).is_file()]


def _mutmut_section(module: str, tests: tuple[str, ...], top_level: set[str]) -> str:
    package = module.split("/", 1)[0]
    also_copy = sorted(top_level - {package, "tests", "pyproject.toml"})
    return (
        "\n[tool.mutmut]\n"
        f"source_paths = {json.dumps([package])}\n"
        f"only_mutate = {json.dumps([module])}\n"
        f"also_copy = {json.dumps(also_copy)}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(list(tests))}\n"
        f'process_isolation = "{"forkserver" if module in FORKSERVER else "fork"}"\n'
    )


# The policy pack runs from its own folder: the CLI puts policies/ first on sys.path and imports `webex_guard`, so its
# modules are `webex_guard.app`, not `policies.webex_guard.app`. mutmut names a mutant after the file's path, less a
# leading `src/`: in the scratch copy the pack's folder is `src/`, and `mutants/policies` points to `mutants/src`, so
# the tests find the pack where they always do and the names agree.
PACK, PACK_AS = "policies/", "src/"


def mutmut_module(module: str) -> str:
    """The module's name as mutmut prefixes its mutants with it (`webex_guard.app`, `provisioning_cycle.scope`)."""
    # A package's __init__.py is the package itself: its mutants are `webex_guard.x_…`.
    return module.removeprefix(PACK).removesuffix(".py").replace("/", ".").removesuffix(".__init__")


def prepare(module: str, files: list[str]) -> Path:
    """A fresh copy of the work tree for `module`, its pyproject.toml carrying the module's mutmut configuration."""
    scratch = SCRATCH / module.removesuffix(".py").replace("/", ".")
    shutil.rmtree(scratch, ignore_errors=True)
    in_pack = module.startswith(PACK)
    for name in files:
        target = scratch / (PACK_AS + name.removeprefix(PACK) if in_pack and name.startswith(PACK) else name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    mutated = module
    if in_pack:
        (scratch / "mutants").mkdir()
        (scratch / "mutants" / PACK.rstrip("/")).symlink_to(PACK_AS.rstrip("/"))
        mutated = PACK_AS + module.removeprefix(PACK)
    pyproject = scratch / "pyproject.toml"
    top_level = {p.name for p in scratch.iterdir()} - {"mutants"}
    section = _mutmut_section(mutated, TARGETS[module], top_level)
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + section)
    return scratch


def _mutmut(scratch: Path, *args: str, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    # Bytecode is cached in the scratch copy (never in the tree): a mutated module holds every mutant of it, thousands
    # of lines, and the pack's tests import the pack anew for each evaluation (tests/policy_support.fresh_pack), which
    # without the cache compiles it every time (a pack's mutant ran ten times slower).
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    if log is None:
        return subprocess.run(
            [sys.executable, "-m", "mutmut", *args], cwd=scratch, env=env, capture_output=True, text=True
        )
    with log.open("w", encoding="utf-8") as out:
        return subprocess.run(
            [sys.executable, "-m", "mutmut", *args],
            cwd=scratch,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )


def _changed_lines(scratch: Path, mutant: str) -> str:
    shown = _mutmut(scratch, "show", mutant).stdout.splitlines()
    changed = [
        line[0] + " " + line[1:].strip() for line in shown if line[:1] in "-+" and not line.startswith(("---", "+++"))
    ]
    return "\n".join(changed)


def run_module(module: str, files: list[str]) -> Outcome:
    scratch = prepare(module, files)
    started = time.monotonic()
    log = scratch / "mutmut.log"
    run = _mutmut(scratch, "run", "--max-children", str(min(2, os.cpu_count() or 1)), log=log)
    seconds = time.monotonic() - started
    if run.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RuntimeError(f"mutmut run on {module} failed (exit {run.returncode}); the end of {log}:\n{tail}")
    _mutmut(scratch, "export-cicd-stats")
    counts = json.loads((scratch / "mutants" / "mutmut-cicd-stats.json").read_text(encoding="utf-8"))
    statuses: dict[str, str] = {}
    for line in _mutmut(scratch, "results", "--all", "true").stdout.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            statuses[name] = status
    return Outcome(module, counts, statuses, seconds)


def listed_equivalents() -> dict[str, str]:
    """Mutant name -> reason, from the table in equivalents.md (first cell the name in backticks, last the reason)."""
    found: dict[str, str] = {}
    for line in EQUIVALENTS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\|\s*`([^`]+__mutmut_\d+)`\s*\|.*\|\s*([^|]+?)\s*\|\s*$", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def report(outcomes: list[Outcome], equivalents: dict[str, str]) -> int:
    print()
    print(f"{'module':40} {'mutants':>7} {'killed':>7} {'survived':>8} {'no tests':>8} {'other':>5} {'killed %':>8}")
    for o in outcomes:
        c = o.counts
        other = o.total - c.get("killed", 0) - c.get("survived", 0) - c.get("no_tests", 0)
        print(
            f"{o.module:40} {o.total:7d} {c.get('killed', 0):7d} {c.get('survived', 0):8d} {c.get('no_tests', 0):8d} "
            f"{other:5d} {100 * o.killed_share:7.1f}%"
        )
    attention = False
    for o in outcomes:
        not_killed = o.not_killed()
        unexplained = [name for name in not_killed if name not in equivalents]
        own = mutmut_module(o.module)  # a mutant's name is its module's, a dot, and the mutant (no dot in it)
        stale = sorted(
            n for n in equivalents if n.rsplit(".", 1)[0] == own and o.statuses.get(n) not in (SURVIVED, NO_TESTS)
        )
        listed = len(not_killed) - len(unexplained)
        print(f"\n{o.module}: {len(not_killed)} not killed, {listed} of them listed as equivalent ({o.seconds:.0f} s)")
        for name in unexplained:
            print(f"  {o.statuses[name]}: {name}")
            for line in o.changes.get(name, "").splitlines():
                print(f"      {line}")
        for name in stale:
            print(f"  listed in {EQUIVALENTS.relative_to(ROOT)} but {o.statuses.get(name, 'no longer made')}: {name}")
        attention = attention or bool(unexplained or stale)
    print(f"\nscratch copies (run `mutmut show <mutant>` or `mutmut browse` inside one): {SCRATCH.relative_to(ROOT)}/")
    return 1 if attention else 0


def main(argv: list[str]) -> int:
    try:
        modules = [resolve(a) for a in argv] if argv else list(TARGETS)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    missing = sorted({t for m in modules for t in TARGETS[m] if not (ROOT / t).is_file()})
    if missing:
        print(f"tests/mutation/runner.py: TARGETS names {', '.join(missing)}, not a file here", file=sys.stderr)
        return 2
    try:
        import mutmut  # noqa: F401  (only to say how to get it)
    except ImportError:
        print("mutmut is not installed in this virtualenv: run `make mutation`, which installs it", file=sys.stderr)
        return 2
    files = _tree_files()
    equivalents = listed_equivalents()
    outcomes: list[Outcome] = []
    for module in modules:
        print(f"mutating {module} against {', '.join(TARGETS[module])} …", flush=True)
        try:
            outcome = run_module(module, files)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1
        scratch = SCRATCH / module.removesuffix(".py").replace("/", ".")
        for name in outcome.not_killed():
            if name not in equivalents:
                outcome.changes[name] = _changed_lines(scratch, name)
        print(
            f"  {outcome.total} mutants, {outcome.counts.get('killed', 0)} killed ({100 * outcome.killed_share:.1f} %)"
            f" in {outcome.seconds:.0f} s",
            flush=True,
        )
        outcomes.append(outcome)
    return report(outcomes, equivalents)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
