"""Run a child process, time it, and read its peak memory from the kernel (wait4's rusage)."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Sample:
    wall: float  # seconds
    maxrss_mb: float  # peak resident set of the largest process of the run (the child or one it waited for)
    code: int
    stderr: str = ""

    @property
    def ok(self) -> bool:
        """A run that did its whole job: exit 0, or 1 for a mandatory policy violation. A preview that failed also
        exits 1 but says `error: ...` (a policy pack that did not start, a program that raised): timing it would
        time a preview that stopped half-way."""
        if self.code == 0:
            return True
        return self.code == 1 and not any(line.startswith("error:") for line in self.stderr.splitlines())


@dataclass
class Series:
    label: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.samples) and all(s.ok for s in self.samples)

    @property
    def median(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def best(self) -> float:
        return min(s.wall for s in self.samples)

    @property
    def maxrss_mb(self) -> float:
        return max(s.maxrss_mb for s in self.samples)

    def error(self) -> str:
        for s in self.samples:
            if not s.ok:
                lines = [x for x in s.stderr.splitlines() if x.strip()]
                said = next((x for x in lines if x.startswith("error:")), lines[-1] if lines else "")
                return f"exit {s.code}: {said}"
        return ""


def run_once(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return Sample(wall, usage.ru_maxrss / 1024, proc.returncode, text)


def compare(
    runs: int,
    subject: tuple[str, Sequence[str]],
    *floors: tuple[str, Sequence[str]],
    cwd: Path,
    env: dict[str, str] | None = None,
    warmup: int = 1,
) -> list[Series]:
    """Interleaved runs (floors, subject, floors, subject, …) after `warmup` unmeasured rounds, so drift hits all.

    Returns the subject's series first, then each floor's.
    """
    commands = [*floors, subject]
    series = {label: Series(label) for label, _ in commands}
    for _ in range(warmup):
        for _, argv in commands:
            run_once(argv, cwd, env)
    for _ in range(runs):
        for label, argv in commands:
            series[label].samples.append(run_once(argv, cwd, env))
        if not all(s.ok for s in series.values()):
            break
    return [series[subject[0]], *(series[label] for label, _ in floors)]
