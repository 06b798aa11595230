"""One process, several project trees: a tree's program runs with that tree first on sys.path and as working
directory, importing its own `components` and `policies`, as the language host would run it; afterwards the
process is as it was (offline/engine.py runs every program inside `project_on_path`).

A diff runs the working tree's program and a base revision's in turn, each in a worker thread it may give up on at
its time limit (`give_up`): such a run, if it ever ends, leaves the process state alone.
"""

from __future__ import annotations

import os
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENGINE_TREE = Path(__file__).resolve().parents[1]  # the project tree this engine (offline/) was imported from


@contextmanager
def project_on_path(project_dir: Path) -> Iterator[None]:
    """The program's tree first on sys.path and as working directory, as the language host runs a program.

    A tree other than the engine's own must import its own `components` and `policies`, yet the engine's tree has
    imported some already (offline/ reads components.replace_on_change and policies.vocabulary): those are set aside
    while the tree's program runs, and what that program imported is forgotten after. So runs of several trees in
    one process (a diff's base, or another --project-dir) never share a module."""
    old_cwd, old_path = os.getcwd(), list(sys.path)
    other_tree = project_dir.resolve() != ENGINE_TREE
    engines = _set_aside_modules(ENGINE_TREE) if other_tree else {}
    os.chdir(project_dir)
    sys.path.insert(0, str(project_dir))
    try:
        yield
    finally:
        if not given_up():
            _put_back(project_dir, old_cwd, old_path, engines if other_tree else None)


def _put_back(project_dir: Path, cwd: str, path: list[str], engines: dict[str, types.ModuleType] | None) -> None:
    """The working directory and sys.path as they were; for another tree (`engines`: the engine tree's modules set
    aside), that tree's modules forgotten and the engine's put back."""
    os.chdir(cwd)
    sys.path[:] = path
    if engines is not None:
        _set_aside_modules(project_dir)
        # And what it imported from the engine's tree (a module its own tree lacks, found further down sys.path):
        # the run's copies, which would otherwise sit under the engine's restored packages.
        _set_aside_modules(ENGINE_TREE)
        sys.modules.update(engines)


# The tool's own packages: never a project tree's modules to set aside, though they live in a tree too.
ENGINE_PACKAGES = frozenset({"offline", "webex_scim", "provisioning_cycle"})
GIVEN_UP: list[threading.Thread] = []  # runs given up on, in order (a diff checks whether its own still run)


def give_up(thread: threading.Thread) -> None:
    """The caller stopped waiting for the run in `thread` (a diff's time limit) and put the process state back
    itself: when that program ends, late, its run leaves the working directory, sys.path, modules and stdout as
    they are by then."""
    GIVEN_UP.append(thread)


def given_up() -> bool:
    """Whether the run in this thread was given up on (`give_up`)."""
    return threading.current_thread() in GIVEN_UP


def _set_aside_modules(tree: Path) -> dict[str, types.ModuleType]:
    """Take out of sys.modules what was imported from this project tree (`components`, `policies.vocabulary`,
    ...: any module found through the tree as a sys.path entry), and return it (`project_on_path` puts them back).
    The tool's own packages stay (ENGINE_PACKAGES: they live in a tree too), as do libraries of a virtualenv
    inside the tree (.venv/...: not the module's name).
    """
    roots = {os.path.join(str(p), "") for p in (tree.absolute(), tree.resolve())}
    taken = {}
    for name, module in list(sys.modules.items()):
        top = name.partition(".")[0]
        if top not in ENGINE_PACKAGES and module is not None and _found_in(module, top, roots):
            taken[name] = sys.modules.pop(name)
    return taken


def _found_in(module: types.ModuleType, top: str, roots: set[str]) -> bool:
    """Whether `module` (its file, or a namespace package's folders) was found in one of `roots` under its own
    top-level name (`components/settings.py` for `components.settings`)."""
    try:
        locations = [getattr(module, "__file__", None), *(getattr(module, "__path__", None) or [])]
    except Exception:  # an odd module whose __path__ cannot be listed: not a project's
        return False
    for location in locations:
        if not isinstance(location, str):
            continue
        location = location if os.path.isabs(location) else os.path.abspath(location)
        for root in roots:
            if location.startswith(root) and location[len(root) :].split(os.sep, 1)[0] in (top, f"{top}.py"):
                return True
    return False
