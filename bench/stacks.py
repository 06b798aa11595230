"""Stack files and revisions the benchmarks run against (all written under a temporary directory)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import yaml

PROJECT = "webex-scim"
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false"]


def dev_config(project_dir: Path) -> dict[str, Any]:
    doc = yaml.safe_load((project_dir / "Pulumi.dev.yaml").read_text(encoding="utf-8")) or {}
    return dict(doc.get("config") or {})


def key(name: str) -> str:
    return f"{PROJECT}:{name}"


def user_ids(n: int) -> list[str]:
    return [str(uuid.UUID(int=(0x5EB0 << 112) + i)) for i in range(n)]


def full_rollout(config: dict[str, Any], n: int) -> dict[str, Any]:
    """The dev stack rolled out to `n` users given by object ID (no lookups: the tenant is not there)."""
    out = copy.deepcopy(config)
    out[key("rollout")] = "full"
    out[key("assignments")] = [{"user": u} for u in user_ids(n)]
    return out


def write_stack(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
    return path


def with_template_id(config: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(config)
    prov = dict(out.get(key("provisioning")) or {})
    prov.setdefault("templateId", "ciscowebex")
    out[key("provisioning")] = prov
    return out


def is_custom(type_token: str) -> bool:
    pkg = type_token.split(":", 1)[0]
    return pkg not in (PROJECT, "pulumi") or type_token.startswith("pulumi:providers:")


def floor_spec(doc: dict[str, Any]) -> dict[str, Any]:
    """What bench/floor.py registers: every resource of an offline JSON document but the stack itself."""
    resources = [
        {
            "urn": s["urn"],
            "type": s["type"],
            "name": s["name"],
            "parent": s["parent"],
            "inputs": s["inputs"],
            "custom": is_custom(s["type"]),
        }
        for s in doc["steps"]
        if s["type"] != "pulumi:pulumi:Stack"
    ]
    return {"project": doc["project"], "stack": doc["stack"], "resources": resources}


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _git(repo: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True)


def copy_project(project_dir: Path, dest: Path) -> Path:
    """A copy of the project: its tracked and untracked-but-not-ignored files (no virtualenv, no results)."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=project_dir,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    dest.mkdir(parents=True)
    for name in listed:
        src = project_dir / name
        if name and src.is_file() and not name.startswith("bench/results/"):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def diff_repo(project_dir: Path, dest: Path, stack: str, base: dict[str, Any], head: dict[str, Any]) -> Path:
    """A copy of the project with two commits of one stack file."""
    copy_project(project_dir, dest)
    _git(dest, "init", "-q", "-b", "main")
    write_stack(dest / f"Pulumi.{stack}.yaml", base)
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "base")
    write_stack(dest / f"Pulumi.{stack}.yaml", head)
    _git(dest, "commit", "-q", "-am", "head")
    return dest


def fleet(project_dir: Path, dest: Path, config: dict[str, Any], n: int) -> list[str]:
    """A copy of the project whose stacks are `n` orgs (`org01`…): the dev stack with its own org ID and mailbox each,
    and no other stack file. Returns the stack names."""
    copy_project(project_dir, dest)
    for old in dest.glob("Pulumi.*.yaml"):
        old.unlink()
    names = []
    for i in range(1, n + 1):
        name = f"org{i:02d}"
        org = copy.deepcopy(config)
        org[key("orgId")] = str(uuid.UUID(int=(0x0F1EE7 << 100) + i))
        org[key("notificationEmail")] = f"webex-admins@{name}.example.com"
        write_stack(dest / f"Pulumi.{name}.yaml", org)
        names.append(name)
    return names
