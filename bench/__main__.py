"""`python -m bench` (`make bench`): the offline engine against its floors, as ratios, on this machine.

Options: --runs N (small cases, default 7), --runs-large N (5,000 assignments, default 3), --sizes 10,100,1000,5000,
--quick (3 runs, sizes 10,1000), --profile N (cProfile one N-assignment preview and print where the time goes),
--json PATH (results; default bench/results/<UTC time>.json), --simulation (only the simulation's rows: 10,000 and
100,000 generated users through `python -m webex_scim simulate`, bench/simulation.py; --runs-large runs each),
--fleet (only the row of 50 stacks previewed by one `preview --all`, against one preview; --runs-large runs each).
--match (only the match report's rows: 20,000 users against a loopback org of 20,000, bench/match.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import pstats
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from . import match, simulation, stacks
from .measure import Series, compare, run_once

PROJECT_DIR = Path(__file__).resolve().parent.parent
PY = sys.executable
IMPORT_FLOOR = [PY, "-c", "import pulumi, pulumi_azuread, pulumi_policy"]
# The same imports under the engine's one runtime setting (offline.collect_garbage_rarely).
IMPORT_FLOOR_ENGINE_RUNTIME = [
    PY,
    "-c",
    "from offline import collect_garbage_rarely; collect_garbage_rarely(); "
    "import pulumi, pulumi_azuread, pulumi_policy",
]

TARGET_DEV = 1.5  # dev preview ≤ 1.5 x import floor
TARGET_GROWTH = 1.5  # 1,000 and 5,000 assignments ≤ 1.5 x bare-SDK floor
TARGET_DIFF = 1.5  # diff of two revisions ≤ 1.5 x one preview
TARGET_FLEET = 15.0  # 50 stacks previewed in one run ≤ 15 x one preview (imports and the pack's start paid once)
FLEET = 50


@dataclass
class Row:
    what: str
    subject: Series
    floor: Series
    floor_label: str
    target: float | None
    extra: str = ""
    engine_floor: Series | None = None  # the same floor under the engine's runtime settings

    @property
    def ratio(self) -> float | None:
        if not (self.subject.ok and self.floor.ok):
            return None
        return self.subject.median / self.floor.median

    @property
    def engine_ratio(self) -> float | None:
        if self.engine_floor is None or not (self.subject.ok and self.engine_floor.ok):
            return None
        return self.subject.median / self.engine_floor.median

    def as_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "median_s": self.subject.median if self.subject.samples else None,
            "best_s": self.subject.best if self.subject.samples else None,
            "peak_rss_mb": self.subject.maxrss_mb if self.subject.samples else None,
            "floor": self.floor_label,
            "floor_median_s": self.floor.median if self.floor.samples else None,
            "floor_peak_rss_mb": self.floor.maxrss_mb if self.floor.samples else None,
            "ratio": self.ratio,
            "engine_runtime_floor_median_s": self.engine_floor.median if self.engine_floor else None,
            "engine_runtime_ratio": self.engine_ratio,
            "rss_ratio": (self.subject.maxrss_mb / self.floor.maxrss_mb) if self.ratio is not None else None,
            "target": self.target,
            "met": None if self.target is None or self.ratio is None else self.ratio <= self.target,
            "runs": len(self.subject.samples),
            "error": self.subject.error() or self.floor.error() or (None if self.floor.samples else "no floor run"),
            "note": self.extra or None,
        }


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("pulumi", "pulumi-azuread", "pulumi-policy"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        **versions,
    }


def preview_argv(
    *, stack: str | None = None, config_file: Path | None = None, extra: list[str] | None = None
) -> list[str]:
    which = ["--stack", stack] if stack else ["--config-file", str(config_file)]
    return [PY, "-m", "webex_scim", "preview", *which, *(extra or [])]


def _doc(argv: list[str], cwd: Path, out: Path) -> dict[str, Any] | None:
    proc = subprocess.run([*argv, "--json", str(out)], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1) or not out.exists():
        return None
    return json.loads(out.read_text(encoding="utf-8"))


def base_config(tmp: Path, notes: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The dev stack's config, and how to preview the dev stack; patched (and said so) if dev cannot run."""
    config = stacks.dev_config(PROJECT_DIR)
    probe = subprocess.run(
        [*preview_argv(stack="dev", extra=["--no-policies"]), "--json", "-"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode in (0, 1) and probe.stdout.startswith("{"):
        return config, preview_argv(stack="dev")
    error = [x for x in probe.stderr.splitlines() if x.strip()][-1:] or [""]
    patched = stacks.with_template_id(config)
    path = stacks.write_stack(tmp / "Pulumi.dev.yaml", patched)
    notes.append(
        f"Pulumi.dev.yaml does not preview as committed ({error[0]}); measured a copy with provisioning.templateId set"
    )
    return patched, preview_argv(config_file=path)


def compile_project(root: Path = PROJECT_DIR) -> bool:
    """Byte-compile the project's code, as Python caches it on a first run; True if this machine would not."""
    import compileall

    for name in ("webex_scim", "offline", "provisioning_cycle", "components", "policies", "bench"):
        if (root / name).is_dir():
            compileall.compile_dir(root / name, quiet=2, rx=re.compile(r"[/\\](venv|\.venv)([/\\]|$)"))
    return bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))


def bench_dev(runs: int, dev_argv: list[str]) -> Row:
    a, b, c = compare(
        runs,
        ("offline preview dev", dev_argv),
        ("import floor", IMPORT_FLOOR),
        ("import floor, engine runtime", IMPORT_FLOOR_ENGINE_RUNTIME),
        cwd=PROJECT_DIR,
    )
    return Row(
        "(a) offline preview, dev stack (+policies)",
        a,
        b,
        "import pulumi, pulumi_azuread, pulumi_policy",
        TARGET_DEV,
        engine_floor=c,
    )


def bench_growth(n: int, runs: int, config: dict[str, Any], tmp: Path) -> Row:
    path = stacks.write_stack(tmp / f"Pulumi.grow{n}.yaml", stacks.full_rollout(config, n))
    argv = preview_argv(config_file=path)
    target = TARGET_GROWTH if n >= 1000 else None
    spec = tmp / f"floor{n}.json"
    recorded = subprocess.run(
        [PY, "-m", "bench.record", str(path), str(spec)], cwd=PROJECT_DIR, capture_output=True, text=True, check=False
    )
    if recorded.returncode != 0:
        failed = Series("preview", [run_once(argv, PROJECT_DIR)])
        return Row(f"(b) {n:,} assignments", failed, Series("floor"), "bare SDK", target, recorded.stderr[-300:])
    total = json.loads(spec.read_text(encoding="utf-8"))["total"]
    floor_argv = [PY, "-m", "bench.floor", str(spec)]
    check = subprocess.run(floor_argv, cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    registered = json.loads(check.stdout).get("registered") if check.returncode == 0 else None
    note = "" if registered == total else f"floor registered {registered} of {total}: {check.stderr[-200:]}"
    engine_floor_argv = [PY, "-m", "bench.floor", "--engine-runtime", str(spec)]
    a, b, c = compare(
        runs,
        (f"preview {n}", argv),
        (f"floor {n}", floor_argv),
        (f"floor {n}, engine runtime", engine_floor_argv),
        cwd=PROJECT_DIR,
    )
    label = f"bare SDK mocks, the same {total} resources and dependencies"
    return Row(f"(b) {n:,} assignments (+policies)", a, b, label, target, note, engine_floor=c)


def bench_diff(runs: int, config: dict[str, Any], tmp: Path) -> Row:
    base = config
    head = dict(config)
    head[stacks.key("notificationEmail")] = "webex-provisioning@contoso.com"
    repo = stacks.diff_repo(PROJECT_DIR, tmp / "diff-repo", "bench", base, head)
    compile_project(repo)  # the copy's working tree, as the project's own (the base is extracted by each run)
    diff_argv = [PY, "-m", "webex_scim", "diff", "--stack", "bench", "--base", "HEAD~1"]
    a, b = compare(runs, ("diff", diff_argv), ("preview", preview_argv(stack="bench")), cwd=repo)
    return Row("(c) diff of two revisions (+policies)", a, b, "one offline preview of the head", TARGET_DIFF)


def bench_fleet(runs: int, config: dict[str, Any], tmp: Path) -> Row:
    copy = tmp / "fleet"
    names = stacks.fleet(PROJECT_DIR, copy, config, FLEET)
    compile_project(copy)
    a, b = compare(
        runs,
        ("preview --all", [PY, "-m", "webex_scim", "preview", "--all"]),
        ("preview", preview_argv(stack=names[0])),
        cwd=copy,
    )
    return Row(f"(e) {FLEET} stacks, preview --all (+policies)", a, b, "one offline preview of one stack", TARGET_FLEET)


def profile(n: int, config: dict[str, Any], tmp: Path, top: int = 30) -> None:
    path = stacks.write_stack(tmp / f"Pulumi.prof{n}.yaml", stacks.full_rollout(config, n))
    out = tmp / f"prof{n}.pstats"
    argv = [PY, "-m", "cProfile", "-o", str(out), "-m", "webex_scim", "preview", "--config-file", str(path)]
    subprocess.run(argv, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, check=False)
    stats = pstats.Stats(str(out))
    print(f"\n== cProfile of one {n:,}-assignment preview: by own time ==")
    stats.sort_stats("tottime").print_stats(top)
    print("\n== by cumulative time (offline/, components/, render) ==")
    stats.sort_stats("cumulative").print_stats(r"offline|components|rich", top)


def show(rows: list[Row], info: dict[str, Any], notes: list[str], growth: list[Row]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 150)
    console.print(
        f"[bold]webex-scim offline engine benchmarks[/] — {info['cpu']}, {info['nproc']} cores "
        f"(affinity {info['affinity']}), Python {info['python']}, pulumi {info['pulumi']}, "
        f"pulumi-azuread {info['pulumi-azuread']}, pulumi-policy {info['pulumi-policy']}"
    )
    table = Table(show_lines=False)
    for col in (
        "measurement",
        "runs",
        "median",
        "floor median",
        "ratio",
        "target",
        "engine-runtime floor",
        "ratio to it",
        "peak RSS",
        "floor RSS",
        "RSS ratio",
    ):
        table.add_column(col, justify="left" if col == "measurement" else "right")
    for r in rows:
        j = r.as_json()
        if j["error"] or j["ratio"] is None:
            table.add_row(r.what, str(j["runs"]), "[red]failed[/]", "", "", "", "", "", "", "", (j["error"] or "")[:80])
            continue
        ratio = j["ratio"]
        verdict = "" if r.target is None else (f"≤{r.target}x " + ("[green]met[/]" if j["met"] else "[red]missed[/]"))
        table.add_row(
            r.what,
            str(j["runs"]),
            f"{j['median_s']:.3f} s",
            f"{j['floor_median_s']:.3f} s",
            f"{ratio:.2f}x",
            verdict,
            "" if r.engine_floor is None else f"{j['engine_runtime_floor_median_s']:.3f} s",
            "" if r.engine_ratio is None else f"{r.engine_ratio:.2f}x",
            f"{j['peak_rss_mb']:.0f} MB",
            f"{j['floor_peak_rss_mb']:.0f} MB",
            f"{j['rss_ratio']:.2f}x",
        )
    console.print(table)
    ok = [g for g in growth if g.ratio is not None]
    by_n = {int(g.what.split()[1].replace(",", "")): g for g in ok}
    if len(by_n) >= 2:
        lo, hi = min(by_n), max(by_n)
        dn = hi - lo
        marginal = (by_n[hi].subject.median - by_n[lo].subject.median) / dn * 1000
        floor_marginal = (by_n[hi].floor.median - by_n[lo].floor.median) / dn * 1000
        mem = (by_n[hi].subject.maxrss_mb - by_n[lo].subject.maxrss_mb) / dn * 1024
        console.print(
            f"marginal cost per assignment ({lo:,} → {hi:,}): preview {marginal:.2f} ms, "
            f"bare SDK {floor_marginal:.2f} ms ({marginal / floor_marginal:.2f}x); "
            f"peak memory {mem:.1f} KB per assignment"
        )
    console.print(
        "engine-runtime floor: the same floor under the engine's own runtime setting (offline.collect_garbage_rarely); "
        "the ratio to it is the engine's overhead alone"
    )
    for n in notes:
        console.print(f"[yellow]note:[/] {n}")
    console.print("peak RSS: of the largest process in the run (wait4 rusage: the child or a process it waited for)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--runs-large", type=int, default=3)
    ap.add_argument("--sizes", default="10,100,1000,5000")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--profile", type=int, metavar="N", help="cProfile an N-assignment preview instead")
    ap.add_argument("--json", dest="json_path", type=Path)
    ap.add_argument("--simulation", action="store_true", help="only the simulation rows (bench/simulation.py)")
    ap.add_argument("--fleet", action="store_true", help=f"only the {FLEET}-stack `preview --all` row")
    ap.add_argument("--match", action="store_true", help="only the match report's rows (bench/match.py)")
    args = ap.parse_args(argv)
    if args.quick:
        args.runs, args.runs_large, args.sizes = 3, 2, "10,1000"
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    info = machine()
    notes: list[str] = []
    if compile_project():
        notes.append(
            "PYTHONDONTWRITEBYTECODE is set here, so Python never caches the project's bytecode: it was compiled "
            "first (as any run without that setting leaves it), so the project's code and the SDKs load alike"
        )
    rows: list[Row] = []
    growth: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="webex-scim-bench-") as tmpdir:
        tmp = Path(tmpdir)
        config, dev_argv = base_config(tmp, notes)
        if args.profile:
            profile(args.profile, config, tmp)
            return 0
        only = args.simulation or args.match or args.fleet  # any of them alone, or together
        if args.fleet:
            rows.append(bench_fleet(args.runs_large, config, tmp))
        if not only:
            rows.append(bench_dev(args.runs, dev_argv))
            for n in sizes:
                growth.append(bench_growth(n, args.runs_large if n >= 5000 else args.runs, config, tmp))
            rows += growth
            rows.append(bench_diff(args.runs, config, tmp))
            rows.append(bench_fleet(args.runs_large, config, tmp))
        simulated = simulation.bench(args.runs_large, config, tmp) if args.simulation or not only else []
        matched = match.bench(args.runs_large, config, tmp) if args.match or not only else None

    if rows:
        show(rows, info, notes, growth)
    if simulated:
        print("\n".join(simulation.lines(simulated)))
    if matched is not None:
        print("\n".join(match.lines(matched)))
    out = args.json_path or PROJECT_DIR / "bench" / "results" / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    results = {"machine": info, "notes": notes, "rows": [r.as_json() for r in rows]}
    results["simulation"] = [r.as_json() for r in simulated]
    results["match"] = None if matched is None else matched.as_json()
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
