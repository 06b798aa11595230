"""The GitHub workflows: valid YAML, commands that exist (make targets, `python -m offline` argv), the policy pack
they name, and least-privilege permissions."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ALLOWED_WRITES = {"pull-requests", "id-token"}  # the PR comment; OIDC to Entra ID


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    if True in doc:  # YAML 1.1 reads the key `on` as a boolean
        doc["on"] = doc.pop(True)
    return doc


def steps(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job_id, step) for job_id, job in doc["jobs"].items() for step in job.get("steps", [])]


def commands(run: str) -> list[list[str]]:
    """argv of each simple command of a `run:` block (continuations joined, `${{ }}` replaced, split at ; && || |)."""
    text = re.sub(r"\$\{\{.*?\}\}", "EXPR", run).replace("\\\n", " ")
    out: list[list[str]] = []
    for line in text.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        for token in lexer:
            if token and set(token) <= set(";&|()<>"):
                if current:
                    out.append(current)
                current = []
            else:
                current.append(token)
        if current:
            out.append(current)
    return out


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", text, re.MULTILINE)}


def test_command_splitting() -> None:
    run = (
        'set +e\nmake preview STACK="$STACK" && echo "a; b" | cat\n'
        ".venv/bin/python -m offline diff \\\n  --stack dev ${{ x }}"
    )
    assert commands(run) == [
        ["set", "+e"],
        ["make", "preview", "STACK=$STACK"],
        ["echo", "a; b"],
        ["cat"],
        [".venv/bin/python", "-m", "offline", "diff", "--stack", "dev", "EXPR"],
    ]


def test_there_are_workflows() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"preview.yml", "deploy.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_yaml_parses_and_has_jobs(path: Path) -> None:
    doc = load(path)
    assert doc["name"] and doc["on"] and doc["jobs"]
    for job in doc["jobs"].values():
        assert job["runs-on"] == "ubuntu-latest"
        assert job.get("timeout-minutes"), "every job has a timeout"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_make_targets_exist(path: Path) -> None:
    targets = makefile_targets()
    used = []
    for _, step in steps(load(path)):
        for argv in commands(step.get("run", "")):
            if argv and argv[0] == "make":
                goals = [a for a in argv[1:] if not a.startswith("-") and "=" not in a]
                used += goals
                assert all(g in targets for g in goals), f"{path.name}: `{argv}` needs a Makefile target"
    if path.name in ("preview.yml", "deploy.yml"):
        assert "preview" in used


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_offline_invocations_parse(path: Path) -> None:
    parser = build_parser()
    parsed = []
    for _, step in steps(load(path)):
        for argv in commands(step.get("run", "")):
            for i in range(len(argv) - 2):
                if argv[i].endswith(("python", "python3")) and argv[i + 1 : i + 3] == ["-m", "offline"]:
                    args = parser.parse_args(argv[i + 3 :])  # raises (UsageError) if a flag is wrong
                    assert args.command in ("preview", "diff")
                    parsed.append(args.command)
                    if args.command == "diff":
                        assert args.markdown is not None, "the PR job posts the Markdown report"
    if path.name == "preview.yml":
        assert parsed == ["diff"]


def test_preview_workflow_runs_the_diff_against_the_base_branch() -> None:
    doc = load(ROOT / ".github" / "workflows" / "preview.yml")
    assert set(doc["on"]) == {"pull_request"}  # never pull_request_target: PR code never meets secrets
    runs = " ".join(step.get("run", "") for _, step in steps(doc))
    assert "-m offline diff" in runs and "origin/$BASE_REF" in runs
    checkout = next(s for _, s in steps(doc) if str(s.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    assert "GITHUB_STEP_SUMMARY" in runs


def test_policy_pack_directories_exist() -> None:
    found = 0
    for path in WORKFLOWS:
        for _, step in steps(load(path)):
            packs = (step.get("with") or {}).get("policyPacks")
            if packs:
                for pack in str(packs).split():
                    assert (ROOT / pack / "PulumiPolicy.yaml").is_file(), f"{path.name}: no policy pack at {pack}"
                    found += 1
    assert found >= 2  # the PR preview and the deployment


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_minimal(path: Path) -> None:
    doc = load(path)
    assert doc["permissions"] == {"contents": "read"}, "workflow default: read the repository, nothing else"
    for job_id, job in doc["jobs"].items():
        perms = job.get("permissions")
        assert isinstance(perms, dict), f"{job_id}: permissions are explicit"
        assert perms.get("contents") == "read"
        writes = {k for k, v in perms.items() if v == "write"}
        assert writes <= ALLOWED_WRITES, f"{job_id}: writes {writes}"
        uses = " ".join(str(s.get("uses", "")) for s in job.get("steps", []))
        if "id-token" in writes:
            assert "pulumi/actions" in uses, f"{job_id}: id-token only where the cloud is reached"
        if "pull-requests" in writes:
            assert "actions/github-script" in uses, f"{job_id}: pull-requests: write only to post the comment"


def test_deploy_is_protected_and_uses_oidc() -> None:
    doc = load(ROOT / ".github" / "workflows" / "deploy.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    (up,) = [job for job in doc["jobs"].values() if job.get("environment")]
    assert up["environment"] == "production"
    assert up["permissions"]["id-token"] == "write"
    assert up["env"]["ARM_USE_OIDC"] == "true"
    assert not any("SECRET" in k for k in up["env"] if k.startswith("ARM_")), "no Azure client secret"
    pulumi = [s for s in up["steps"] if str(s.get("uses", "")).startswith("pulumi/actions")]
    assert pulumi and pulumi[0]["with"]["command"] == "up" and pulumi[0]["with"]["policyPacks"] == "policies"
    assert doc["concurrency"]["cancel-in-progress"] is False


def test_cloud_preview_is_skipped_without_credentials() -> None:
    doc = load(ROOT / ".github" / "workflows" / "preview.yml")
    job = doc["jobs"]["pulumi"]
    check = job["steps"][0]
    assert "PULUMI_ACCESS_TOKEN" in check["run"] and check["id"] == "creds"
    for step in job["steps"][1:]:
        assert step.get("if") == "steps.creds.outputs.ok == 'true'"
    assert "secrets." in job["env"]["PULUMI_ACCESS_TOKEN"]


def test_actions_are_pinned_to_a_major_version() -> None:
    for path in WORKFLOWS:
        for _, step in steps(load(path)):
            if "uses" in step:
                assert re.search(r"@v\d+$|@[0-9a-f]{40}$", step["uses"]), f"{path.name}: {step['uses']}"
