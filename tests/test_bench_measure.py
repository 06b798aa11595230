"""The benchmark times only runs that did their whole job: a preview that failed half-way is no measurement."""

from __future__ import annotations

import sys

from bench.measure import Series, run_once
from tests.support import ROOT


def _series(script: str) -> Series:
    return Series("case", [run_once([sys.executable, "-c", script], ROOT)])


def test_a_clean_run_and_a_mandatory_violation_count() -> None:
    assert _series("pass").ok
    assert _series("import sys; print('mandatory: [hidden-from-users] ...', file=sys.stderr); sys.exit(1)").ok


def test_a_failed_preview_does_not_count_and_says_why() -> None:
    failed = _series("import sys; print('error: policy pack failed to start', file=sys.stderr); sys.exit(1)")
    assert not failed.ok
    assert failed.error() == "exit 1: error: policy pack failed to start"
    assert not _series("import sys; sys.exit(2)").ok
