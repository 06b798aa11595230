"""A throwaway place to run the real Pulumi CLI against the loopback tenant: no network, no login, no cloud.

One `RealWorkspace` is a temporary folder holding a `PULUMI_HOME` (the azuread test provider installed as
`azuread` v6.11.1 with `pulumi plugin install --file`), a `file://` backend, and a copy of the project (the
program, components and the policy pack; both virtualenvs linked, as `Pulumi.yaml` and `PulumiPolicy.yaml` name
them). Plain CLI commands (`stack init`, `config set --secret`, `stack export`) run as they are typed; commands
that run the program (`preview`, `up`, `refresh`, `destroy`) go through `real_engine.run`, the Automation API's
inline-program path, because the Go module proxy does not serve the Python language host (see README).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools" / "bin"
PULUMI = TOOLS / "pulumi"
PASSPHRASE = "conformance-passphrase"  # a test value: the state holds test secrets only
AZUREAD_VERSION = "6.11.1"
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "components", "policies")


@dataclass
class Outcome:
    """What one CLI command did: exit code, output, and for program runs the engine's steps and policy verdicts."""

    code: int
    stdout: str
    stderr: str
    steps: list[dict[str, Any]]
    policy: list[dict[str, Any]]
    summary: dict[str, int]
    outputs: dict[str, Any]
    warnings: list[str]

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    def ops(self) -> dict[str, str]:
        """Resource name -> op, for the steps that are not the stack itself."""
        return {s["urn"].rsplit("::", 1)[-1]: s["op"] for s in self.steps if s["type"] != "pulumi:pulumi:Stack"}


class RealWorkspace:
    """`project` picks the Pulumi project: this one (".") or another folder of the repository with its own
    Pulumi.yaml and pack (the identity bootstrap, "bootstrap"), copied to a folder of that name."""

    def __init__(self, graph_url: str, graph_token: str, *, keep: Path | None = None, project: str = ".") -> None:
        if not PULUMI.exists():
            raise RuntimeError(f"{PULUMI} is missing: run `make pulumi` (needs Go) first")
        self._tmp = tempfile.TemporaryDirectory(prefix="webex-scim-real-") if keep is None else None
        self.dir = Path(self._tmp.name) if self._tmp else keep
        assert self.dir is not None
        self.home = self.dir / "pulumi-home"
        self.state = self.dir / "state"
        self.project = self.dir / ("project" if project == "." else project)
        for d in (self.home, self.state):
            d.mkdir(parents=True, exist_ok=True)
        if project == ".":
            self._copy_project()
        else:
            self._copy_other_project(ROOT / project)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "ARM_", "WEBEX_SCIM_"))},
            "PATH": f"{TOOLS}{os.pathsep}{os.environ.get('PATH', '')}",
            "PULUMI_HOME": str(self.home),
            "PULUMI_BACKEND_URL": f"file://{self.state}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            "WEBEX_SCIM_TEST_GRAPH_URL": graph_url,
            "WEBEX_SCIM_TEST_GRAPH_TOKEN": graph_token,
            "PYTHONUNBUFFERED": "1",
            # What the CLI hands providers from Pulumi.yaml's runtime options (PULUMI_RUNTIME_<OPTION>) when a
            # language host runs the program; the inline path does not, so the dynamic providers' host is told.
            "PULUMI_RUNTIME_VIRTUALENV": str(self._virtualenv()),
        }
        self._install_provider()

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def _copy_project(self) -> None:
        self.project.mkdir(parents=True, exist_ok=True)
        ignore = shutil.ignore_patterns("venv", "__pycache__", "*.pyc")
        for name in PROJECT_FILES:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, self.project / name, ignore=ignore, dirs_exist_ok=True)
            else:
                shutil.copy2(src, self.project / name)
        # The virtualenvs the two YAML files name, as `make` built them.
        (self.project / ".venv").symlink_to(ROOT / ".venv")
        (self.project / "policies" / "venv").symlink_to(ROOT / "policies" / "venv")

    def _copy_other_project(self, source: Path) -> None:
        """Another project of the repository: its folder, and the virtualenvs its Pulumi.yaml and PulumiPolicy.yaml
        name by relative paths (../.venv, ../../policies/venv), linked where those paths lead from the copy."""
        shutil.copytree(source, self.project, ignore=shutil.ignore_patterns("venv", "__pycache__", "*.pyc"))
        (self.dir / ".venv").symlink_to(ROOT / ".venv")
        (self.dir / "policies").mkdir()
        (self.dir / "policies" / "venv").symlink_to(ROOT / "policies" / "venv")

    def _virtualenv(self) -> Path:
        """The program's virtualenv, as its Pulumi.yaml names it (relative to the project folder)."""
        import yaml

        options = (yaml.safe_load((self.project / "Pulumi.yaml").read_text())["runtime"] or {}).get("options") or {}
        return self.project / options.get("virtualenv", ".venv")

    def _install_provider(self) -> None:
        # The test language host (policy packs only) goes on PATH, where the CLI looks for language plugins.
        bin_dir = self.dir / "bin"
        bin_dir.mkdir(exist_ok=True)
        host = bin_dir / "pulumi-language-python"
        host.write_text(
            "#!/bin/sh\n"
            f'PYTHONPATH="{ROOT}/tests:{ROOT}" exec "{sys.executable}" -u '
            f'"{ROOT}/tests/real_engine/language_host.py" "$@"\n'
        )
        host.chmod(0o755)
        self.env["PATH"] = f"{bin_dir}{os.pathsep}{self.env['PATH']}"
        exe = self.dir / "pulumi-resource-azuread"
        exe.write_text(
            "#!/bin/sh\n"
            f'PYTHONPATH="{ROOT}/tests:{ROOT}" exec "{sys.executable}" -u '
            f'"{ROOT}/tests/real_engine/azuread_provider.py" "$@"\n'
        )
        exe.chmod(0o755)
        self.cli("plugin", "install", "resource", "azuread", AZUREAD_VERSION, "--file", str(exe), check=True)

    # -- commands ----------------------------------------------------------------------------------------------

    def cli(self, *args: str, check: bool = False, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(PULUMI), *args, "--non-interactive"] if args[0] not in ("plugin",) else [str(PULUMI), *args],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            input=stdin,
            timeout=600,
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"pulumi {' '.join(args[:3])} failed ({proc.returncode}): {proc.stderr[-2000:]}")
        return proc

    def init_stack(self, stack: str, stack_file: Path | None = None) -> Path:
        """`pulumi stack init` plus the stack's settings copied from a stack file (secure values excepted)."""
        self.cli("stack", "init", stack, check=True)
        target = self.project / f"Pulumi.{stack}.yaml"
        if stack_file is not None:
            import yaml

            wanted = yaml.safe_load(stack_file.read_text()) or {}
            mine = yaml.safe_load(target.read_text()) if target.exists() else {}
            config = {
                k: v for k, v in (wanted.get("config") or {}).items() if not (isinstance(v, dict) and "secure" in v)
            }
            target.write_text(yaml.safe_dump({**(mine or {}), "config": config}, sort_keys=False))
        return target

    def set_config(self, stack: str, key: str, value: Any, *, secret: bool = False) -> None:
        """`pulumi config set [--secret] [--path]`; objects as JSON (the CLI's --path form is per leaf)."""
        text = value if isinstance(value, str) else json.dumps(value)
        args = ["config", "set", "--stack", stack, key]
        if secret:
            args.append("--secret")
        # The value goes through stdin for secrets, so it never appears in a process listing.
        self.cli(*args, *([] if secret else [text]), check=True, stdin=text if secret else None)

    def run(self, op: str, stack: str, *extra: str) -> Outcome:
        """preview | up | refresh | destroy through the Automation API (inline program), in its own process."""
        proc = subprocess.run(
            [sys.executable, "-m", "real_engine.run", op, "--project", str(self.project), "--stack", stack, *extra],
            cwd=ROOT,
            env={**self.env, "PYTHONPATH": f"{ROOT / 'tests'}{os.pathsep}{ROOT}"},
            capture_output=True,
            text=True,
            timeout=900,
        )
        try:
            doc = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            raise RuntimeError(
                f"real_engine.run {op} gave no result (exit {proc.returncode}): {proc.stderr[-3000:]}"
            ) from None
        return Outcome(
            code=proc.returncode,
            stdout=doc["stdout"],
            stderr=doc["stderr"] + proc.stderr,
            steps=doc["steps"],
            policy=doc["policy"],
            summary=doc["summary"],
            outputs=doc["outputs"],
            warnings=doc["warnings"],
        )
