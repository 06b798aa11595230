"""The offline engine says what the real one says: for the dev stack and every stack file the tests use, the same
steps (URN, type, op), the same policy verdicts (rule, enforcement level, resource), the same stack outputs and
program warnings, and the same exit code.

Both documents come from the commands anyone can run: `make real-preview CONFIG=… JSON=…` and
`python -m webex_scim preview --config-file … --json`. What cannot agree is named in the README (inputs only the
tenant knows, the loopback Graph URL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from real_engine.workspace import ROOT

STACKS = [ROOT / "Pulumi.dev.yaml", *sorted((ROOT / "tests" / "stacks").glob("Pulumi.*.yaml"))]


def preview(module: str, stack_file: Path, out: Path) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run(
        [sys.executable, "-m", module, "preview", "--config-file", str(stack_file), "--json", str(out)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'tests'}{os.pathsep}{ROOT}"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.exists(), f"{module} wrote no document (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return proc.returncode, json.loads(out.read_text()), proc.stderr


@pytest.mark.parametrize("stack_file", STACKS, ids=[p.name for p in STACKS])
def test_offline_and_real_previews_agree(stack_file: Path, tmp_path: Path) -> None:
    real_code, real, real_err = preview("real_engine", stack_file, tmp_path / "real.json")
    offline_code, offline, _ = preview("webex_scim", stack_file, tmp_path / "offline.json")
    assert real_code == offline_code, real_err
    assert sorted((s["urn"], s["type"], s["op"]) for s in real["steps"]) == sorted(
        (s["urn"], s["type"], s["op"]) for s in offline["steps"]
    )
    assert sorted((v["policy"], v["enforcementLevel"], v["urn"]) for v in real["policyViolations"]) == sorted(
        (v["policy"], v["enforcementLevel"], v["urn"]) for v in offline["policyViolations"]
    )
    # What only `pulumi up` can judge, per rule and resource (the CLI reports it as advisory, the offline document
    # with the level the rule will have then).
    assert sorted((v["policy"], v["urn"]) for v in real["checkedAtUp"]) == sorted(
        (v["policy"], v["urn"]) for v in offline["checkedAtUp"]
    )
    assert real["changeSummary"] == offline["changeSummary"]
    # The stack's exports, unknowns and secrets alike.
    assert real["outputs"] == offline["outputs"]
    # What the program warns of; the offline preview adds its own notes on the stack file (a token not set yet),
    # which real-preview sets with a test value.
    assert real["warnings"] == [w for w in offline["warnings"] if "is not set in Pulumi." not in w]
