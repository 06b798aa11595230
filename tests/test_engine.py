"""The engine runs a program file the way `runpy.run_path` runs a script, although in its own frame."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from offline import engine, stackfile
from offline.render import display_inputs
from webex_scim.cli import main as cli_main
from webex_scim.errors import EngineError

PROGRAM = """
import sys

import pulumi

pulumi.export("name", __name__)
pulumi.export("file", __file__)
pulumi.export("runpyGlobals", [repr(globals()[k]) for k in ("__cached__", "__loader__", "__package__", "__spec__")])
pulumi.export("isMain", sys.modules["__main__"].__dict__ is globals())
pulumi.export("argv0", sys.argv[0])
"""


def _project(tmp_path: Path, program: str) -> stackfile.StackConfig:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "Pulumi.yaml").write_text("name: probe\nruntime: python\n", encoding="utf-8")
    (tmp_path / "__main__.py").write_text(program, encoding="utf-8")
    (tmp_path / "Pulumi.t.yaml").write_text("config: {}\n", encoding="utf-8")
    return stackfile.load(tmp_path, stack="t")


def test_the_program_sees_the_globals_runpy_gives_a_script(tmp_path: Path) -> None:
    cfg = _project(tmp_path, PROGRAM)
    main_before, argv0_before = sys.modules.get("__main__"), sys.argv[0]

    outputs = display_inputs(engine.run_program(cfg).outputs)

    assert outputs == {
        "name": "__main__",
        "file": str(tmp_path / "__main__.py"),
        "runpyGlobals": ["None", "None", "''", "None"],
        "isMain": True,
        "argv0": str(tmp_path / "__main__.py"),
    }
    assert sys.modules.get("__main__") is main_before and sys.argv[0] == argv0_before  # restored


def test_the_program_does_not_inherit_the_engines_future_imports(tmp_path: Path) -> None:
    # engine.py has `from __future__ import annotations`; a program without it evaluates annotations at once.
    cfg = _project(tmp_path, "def f(x: NotDefinedAnywhere) -> None: ...\n")
    with pytest.raises(EngineError, match="NameError: name 'NotDefinedAnywhere' is not defined"):
        engine.run_program(cfg)


def test_urns_carry_every_ancestor_type_as_the_engine_makes_them():
    # `pulumi preview` qualifies a type with all its ancestors below the stack; the SDK mocks use the parent only.
    from support import BASE, by_name, run

    result = run(BASE)
    assert by_name(result)["service-principal"].urn == (
        "urn:pulumi:test::webex-scim::webex-scim:index:WebexProvisioning$webex-scim:index:WebexEnterpriseApp"
        "$azuread:index/servicePrincipal:ServicePrincipal::service-principal"
    )
    assert by_name(result)["webex"].urn == "urn:pulumi:test::webex-scim::webex-scim:index:WebexProvisioning::webex"


def test_the_engines_collector_setting_raises_the_thresholds_and_freezes_the_heap_at_exit() -> None:
    """`python -m webex_scim` calls it first thing; the freeze comes after every other exit handler (registered
    before it here, so it runs after it), so no cleanup at exit is skipped."""
    import subprocess

    probe = (
        "import atexit, gc\n"
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"
        "from offline import collect_garbage_rarely\n"
        "collect_garbage_rarely()\n"
        "atexit.register(lambda: print('frozen while handlers run:', gc.get_freeze_count() > 0))\n"
        "print('thresholds:', gc.get_threshold())\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [
        "thresholds: (100000, 100, 100)",
        "frozen while handlers run: False",
        "frozen at exit: True",
    ]


EXITS = """
import sys

import pulumi

pulumi.ComponentResource("probe:index:First", "first")
sys.exit({code})
pulumi.ComponentResource("probe:index:Never", "never")
"""
NORMAL = """
import pulumi

pulumi.ComponentResource("probe:index:Only", "only")
"""


def test_a_program_that_calls_sys_exit_0_is_previewed_as_far_as_it_got_and_says_so(tmp_path: Path) -> None:
    """As under the language host, whose SystemExit ends the program's process: the CLI previews what was
    registered until then. The next run in this process sees nothing of it."""
    run = engine.run_program(_project(tmp_path / "exits", EXITS.format(code=0)))
    assert [r.type for r in run.resources] == ["pulumi:pulumi:Stack", "probe:index:First"]
    assert run.warnings[-1].startswith("the program called sys.exit(0) before it finished: only what it registered")

    after = engine.run_program(_project(tmp_path / "normal", NORMAL))
    assert [r.type for r in after.resources] == ["pulumi:pulumi:Stack", "probe:index:Only"]
    assert not any("sys.exit" in w for w in after.warnings)


@pytest.mark.parametrize(("code", "shown"), [(3, "3"), ("'a message'", "'a message'")])
def test_a_program_that_calls_sys_exit_with_a_failure_fails_the_preview(tmp_path: Path, code: Any, shown: str) -> None:
    with pytest.raises(EngineError) as caught:
        engine.run_program(_project(tmp_path, EXITS.format(code=code)))
    assert str(caught.value) == f"the program called sys.exit({shown}), which fails a `pulumi preview`"
    assert caught.value.exit_code == 1


PRINTS = """
import sys

import pulumi

print("checking the stack")
pulumi.ComponentResource("probe:index:Only", "only")
print({{"debug": True}})
sys.stdout.writelines(["and ", "more\\n"])
{fails}
"""


def test_what_a_program_prints_is_kept_off_stdout_and_said_as_a_warning(tmp_path: Path, capsys: Any) -> None:
    """stdout is where `--json -` goes: a program's print() must not land in the middle of the document."""
    project = _project(tmp_path, PRINTS.format(fails=""))
    code = cli_main(["preview", "--config-file", str(project.project_dir / "Pulumi.t.yaml"), "--json", "-",
                     "--no-policies", "--project-dir", str(project.project_dir)])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)  # the whole of stdout is the document
    assert doc["warnings"] == [  # a `probe` project has no SCIM token, so no warning about one
        "the program printed to stdout: \"checking the stack {'debug': True} and more\" "
        "(a program reports through pulumi.log)"
    ]
    print("after the preview")  # stdout is the real one again
    assert capsys.readouterr().out == "after the preview\n"


def test_what_a_failing_program_printed_is_said_with_its_error(tmp_path: Path, capsys: Any) -> None:
    project = _project(tmp_path, PRINTS.format(fails="raise RuntimeError('broken')"))
    with pytest.raises(EngineError) as caught:
        engine.run_program(project)
    assert str(caught.value) == (
        "the program failed: RuntimeError: broken\n"
        "(it printed to stdout before it failed: \"checking the stack {'debug': True} and more\")"
    )
    assert capsys.readouterr() == ("", "")


THREAD_PRINTS = """
import sys
import threading

import pulumi

worker = threading.Thread(target=lambda: print("from a thread of the program"))
worker.start()
worker.join()
try:
    sys.stdout.write(b"bytes\\n")  # a text stream refuses bytes; a program may catch that
    refused = False
except TypeError:
    refused = True
pulumi.export("bytesRefused", refused)
sys.stdout = open(__import__("os").devnull, "w")  # a program quieting a library, and never putting stdout back
"""


def test_prints_from_the_programs_threads_are_kept_and_a_replaced_stdout_is_put_back(
    tmp_path: Path, capsys: Any
) -> None:
    project = _project(tmp_path, THREAD_PRINTS)
    code = cli_main(["preview", "--config-file", str(project.project_dir / "Pulumi.t.yaml"), "--json", "-",
                     "--no-policies", "--project-dir", str(project.project_dir)])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)  # the document, whole: the program's stdout replacement did not swallow it
    assert doc["outputs"]["bytesRefused"] is True
    assert doc["warnings"] == [  # a `probe` project has no SCIM token, so no warning about one
        "the program printed to stdout: 'from a thread of the program' (a program reports through pulumi.log)"
    ]


def test_a_run_that_succeeds_inside_an_except_block_reports_no_failure(tmp_path: Path, capsys: Any) -> None:
    project = _project(tmp_path, PRINTS.format(fails=""))
    try:
        raise KeyError("the caller's own, handled")
    except KeyError:
        run = engine.run_program(project)
    assert run.printed.startswith("checking the stack")
    assert capsys.readouterr().err == ""


def test_a_run_given_up_on_leaves_the_process_state_as_its_caller_put_it(tmp_path: Path) -> None:
    """A diff that gives up on a side at its time limit puts cwd, sys.path and modules back itself and goes on; the
    side's program, ending late, must not then put back its own stale snapshot."""
    import os
    import threading

    from offline import trees

    (tmp_path / "tree").mkdir()
    entered, release = threading.Event(), threading.Event()

    def side() -> None:
        with trees.project_on_path(tmp_path / "tree"):
            entered.set()
            release.wait(10)

    cwd, path, modules = os.getcwd(), list(sys.path), dict(sys.modules)
    thread = threading.Thread(target=side, daemon=True)
    thread.start()
    assert entered.wait(10)
    trees.give_up(thread)
    # What the diff does when it gives up on a side (offline/diff.py _run_side): put everything back itself.
    os.chdir(cwd)
    sys.path[:] = [*path, "/put/back/by/the/caller"]
    sys.modules.update(modules)
    try:
        release.set()
        thread.join(10)
        assert not thread.is_alive()
        assert sys.path[-1] == "/put/back/by/the/caller"  # not the side's snapshot from before the caller's
        assert all(sys.modules.get(name) is module for name, module in modules.items())
    finally:
        sys.path[:] = path
