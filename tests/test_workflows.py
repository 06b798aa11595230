"""The GitHub workflows: valid YAML, commands that exist (make targets, `python -m webex_scim` argv), the policy pack
they name, least-privilege permissions, actions on a node24 major, and a PR workflow that cannot hand the production
SCIM token to the PR's code."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from webex_scim.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ALLOWED_WRITES = {"pull-requests", "id-token", "issues"}  # the PR comment; OIDC to Entra ID; a stack's drift issue

# GitHub removed the node20 runtime for JavaScript actions on 2026-09-16. The first major of each action whose
# action.yml says `runs.using: node24` (read per tag in each action's repository; release notes agree):
NODE24_MAJORS = {
    "actions/checkout": 5,  # v4 node20, v5 node24 ("Updated to the node24 runtime", README of v5)
    "actions/setup-python": 6,  # v5 node20, v6 node24 (v6.0.0 "Upgrade to node 24", actions/setup-python#1164)
    "actions/upload-artifact": 6,  # v5 still node20 ("preliminary support"), v6 node24 (actions/upload-artifact#745)
    "actions/download-artifact": 7,  # v6.0.0 action.yml node20, v7.0.0 node24
    "actions/github-script": 8,  # v7 node20, v8 node24 (actions/github-script#637)
    "pulumi/actions": 7,  # v6.6.1 node20, v7.0.0 node24 (pulumi/actions#1404, #1407)
}


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    if True in doc:  # YAML 1.1 reads the key `on` as a boolean
        doc["on"] = doc.pop(True)
    return doc


def steps(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job_id, step) for job_id, job in doc["jobs"].items() for step in job.get("steps", [])]


def _logical_lines(text: str) -> list[str]:
    """Lines of a shell script, a quoted string that spans lines kept whole (as `python3 -c '...'` does)."""
    lines, pending = [], ""
    for line in text.splitlines():
        pending = f"{pending}\n{line}" if pending else line
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # an open quote: the command goes on on the next line
            continue
        lines.append(pending)
        pending = ""
    return [*lines, pending] if pending else lines


def commands(run: str) -> list[list[str]]:
    """argv of each simple command of a `run:` block (continuations joined, `${{ }}` replaced, split at ; && || |;
    redirections and their files left out)."""
    text = re.sub(r"\$\{\{.*?\}\}", "EXPR", run).replace("\\\n", " ")
    out: list[list[str]] = []
    for line in _logical_lines(text):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        redirect = False
        for token in lexer:
            if token and set(token) <= set(";&|()<>"):
                if set(token) & set("<>"):  # `2> file`, `> file`: not arguments
                    if current and current[-1].isdigit():
                        current.pop()
                    redirect = True
                    continue
                if current:
                    out.append(current)
                current = []
            elif redirect:
                redirect = False
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
        ".venv/bin/python -m webex_scim diff \\\n  --stack dev ${{ x }} > out.json 2> err.txt\n"
        "python3 -c '\nimport sys\nprint(1)\n' x\n"
    )
    assert commands(run) == [
        ["set", "+e"],
        ["make", "preview", "STACK=$STACK"],
        ["echo", "a; b"],
        ["cat"],
        [".venv/bin/python", "-m", "webex_scim", "diff", "--stack", "dev", "EXPR"],
        ["python3", "-c", "\nimport sys\nprint(1)\n", "x"],
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
    if path.name == "preview.yml":
        assert "preview" in used
    if path.name == "deploy.yml":
        assert "preview-all" in used  # the gate: every stack, before any is deployed


# The make targets that run one command of `python -m webex_scim`, and the flags they pass it (Makefile).
MAKE_COMMANDS = {
    "preview": lambda v: ["preview", "--stack", v.get("STACK", "dev")],
    "preview-all": lambda v: ["preview", "--all"],
    "status": lambda v: ["status", "--stack", v.get("STACK", "dev")],
    "diff": lambda v: ["diff", "--stack", v.get("STACK", "dev"), "--base", v.get("BASE", "origin/main")],
}


def invocations(argv: list[str]) -> list[list[str]]:
    """The `python -m webex_scim` argv a command runs: itself, or what a `make <command> ARGS=…` target runs."""
    for i in range(len(argv) - 2):
        if argv[i].endswith(("python", "python3")) and argv[i + 1 : i + 3] == ["-m", "webex_scim"]:
            return [argv[i + 3 :]]
    if argv and argv[0] == "make":
        values = dict(a.split("=", 1) for a in argv[1:] if "=" in a)
        goals = [a for a in argv[1:] if not a.startswith("-") and "=" not in a]
        return [MAKE_COMMANDS[g](values) + shlex.split(values.get("ARGS", "")) for g in goals if g in MAKE_COMMANDS]
    return []


def test_a_make_target_is_parsed_as_the_command_it_runs() -> None:
    argv = ["make", "diff", "STACK=ci", "BASE=origin/x", "ARGS=--markdown diff.md --json diff.json"]
    assert invocations(argv) == [
        ["diff", "--stack", "ci", "--base", "origin/x", "--markdown", "diff.md", "--json", "diff.json"]
    ]
    assert invocations(["make", "preview"]) == [["preview", "--stack", "dev"]]
    assert invocations(["make", "lint"]) == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_offline_invocations_parse(path: Path) -> None:
    parser = build_parser()
    parsed = []
    for _, step in steps(load(path)):
        for argv in commands(step.get("run", "")):
            for command in invocations(argv):
                args = parser.parse_args(command)  # raises (UsageError) if a flag is wrong
                parsed.append(args.command)
                if args.command == "diff":
                    assert args.markdown is not None, "the PR job posts the Markdown report"
    if path.name == "preview.yml":
        assert parsed == ["preview", "diff"]
    if path.name == "drift.yml":
        assert parsed == ["status"]


def test_preview_workflow_runs_the_diff_against_the_base_branch() -> None:
    doc = load(ROOT / ".github" / "workflows" / "preview.yml")
    assert set(doc["on"]) == {"pull_request"}  # never pull_request_target: PR code never meets secrets
    runs = " ".join(step.get("run", "") for _, step in steps(doc))
    assert "make diff" in runs and 'BASE="origin/$BASE_REF"' in runs
    offline = doc["jobs"]["offline"]["steps"]
    checkout = next(s for s in offline if str(s.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    assert "GITHUB_STEP_SUMMARY" in runs


def _matrix_jobs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {job_id: job for job_id, job in doc["jobs"].items() if "strategy" in job}


@pytest.mark.parametrize("name", ["preview.yml", "deploy.yml"])
def test_every_stack_runs_as_a_matrix_from_the_stack_files(name: str) -> None:
    """One stack per Webex org: the per-stack jobs take their matrix from `make stacks` (the stack files), never a
    typed list; one stack's failure does not hide another's report; a bounded number run at once."""
    doc = load(ROOT / ".github" / "workflows" / name)
    jobs = _matrix_jobs(doc)
    assert jobs, "the per-stack jobs run as a matrix"
    for job_id, job in jobs.items():
        strategy = job["strategy"]
        assert strategy["fail-fast"] is False and 1 <= strategy["max-parallel"] <= 8, job_id
        (source,) = re.findall(r"fromJSON\(needs\.(\w+)\.outputs\.stacks\)", strategy["matrix"]["stack"])
        lister = doc["jobs"][source]
        assert source in ([job["needs"]] if isinstance(job["needs"], str) else job["needs"])
        runs = [step.get("run", "") for step in lister["steps"]]
        assert 'make --silent stacks >> "$GITHUB_OUTPUT"' in runs
        assert lister["outputs"]["stacks"] == "${{ steps.list.outputs.stacks }}"


def test_make_stacks_lists_the_stack_files_as_a_matrix(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.acme-prod.yaml", "Pulumi.org.with.dots.yaml", "notes.yaml"):
        (tmp_path / name).write_text("config: {}\n")
    done = subprocess.run(
        ["make", "--silent", "-C", str(ROOT), "stacks"], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert done.stdout == 'stacks=["dev"]\n'  # this repository's own
    listed = subprocess.run(
        [sys.executable, "-m", "webex_scim.stacks", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert listed.stdout == 'stacks=["acme-prod", "dev", "org.with.dots"]\n'


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
        if "issues" in writes:
            runs = " ".join(str(s.get("run", "")) for s in job.get("steps", []))
            assert "gh issue" in runs and "id-token" not in perms, f"{job_id}: issues: write only to keep an issue"
            assert "secrets." not in str(job), f"{job_id}: the job that writes issues holds no secret"


def test_deploy_is_protected_and_uses_oidc() -> None:
    doc = load(ROOT / ".github" / "workflows" / "deploy.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    (up,) = [job for job in doc["jobs"].values() if job.get("environment")]
    assert up["environment"] == "production"
    assert up["permissions"]["id-token"] == "write"
    assert up["env"]["ARM_USE_OIDC"] == "true"
    assert not any("SECRET" in k for k in up["env"] if k.startswith("ARM_")), "no Azure client secret"
    pulumi = [s for s in up["steps"] if str(s.get("uses", "")).startswith("pulumi/actions")]
    # A real `preview --policy-pack` gates `up`: the engine reports a mandatory violation only after writing.
    assert [(s["with"]["command"], s["with"]["policyPacks"]) for s in pulumi] == [
        ("preview", "policies"),
        ("up", "policies"),
    ]
    venv = next(s["run"] for s in up["steps"] if "venv" in str(s.get("run", "")))
    assert "python -m venv .venv " in venv and "policies/venv" in venv  # as Pulumi.yaml and PulumiPolicy.yaml say
    assert doc["concurrency"]["cancel-in-progress"] is False


def test_the_real_preview_builds_the_virtualenvs_pulumi_yaml_names() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    pack = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    program_venv, pack_venv = project["runtime"]["options"]["virtualenv"], pack["runtime"]["options"]["virtualenv"]
    job = load(ROOT / ".github" / "workflows" / "preview.yml")["jobs"]["pulumi"]
    runs = " ".join(str(s.get("run", "")) for s in job["steps"])
    assert f"python -m venv {program_venv} " in runs and f"python -m venv policies/{pack_venv} " in runs


def test_cloud_preview_is_skipped_without_credentials() -> None:
    doc = load(ROOT / ".github" / "workflows" / "preview.yml")
    job = doc["jobs"]["pulumi"]
    check = job["steps"][0]
    assert "ARM_CLIENT_ID" in check["run"] and check["id"] == "creds"
    for step in job["steps"][1:]:
        assert step.get("if") == "steps.creds.outputs.ok == 'true'"
    assert job["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_PREVIEW_CLIENT_ID }}"  # the read-only registration


def _without_comments(path: Path) -> str:
    return "\n".join(
        line.split(" #", 1)[0]
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    )


def test_the_pr_workflow_uses_no_secret() -> None:
    # Nothing a pull request runs can receive a secret: not the Pulumi access token (which reads, and so decrypts,
    # the production stack), not a passphrase. The real preview's only credential is the read-only Entra token.
    text = _without_comments(ROOT / ".github" / "workflows" / "preview.yml")
    assert "secrets." not in text and "PULUMI_ACCESS_TOKEN" not in text


def test_the_real_preview_runs_only_for_this_repositorys_branches_in_the_preview_environment() -> None:
    doc = load(ROOT / ".github" / "workflows" / "preview.yml")
    assert set(doc["on"]) == {"pull_request"}
    offline, real = doc["jobs"]["offline"], doc["jobs"]["pulumi"]
    assert "environment" not in offline and "if" not in offline  # every PR, forks included, gets the offline job
    assert real["if"] == "github.event.pull_request.head.repo.full_name == github.repository"  # never forks
    assert real["environment"] == "preview"  # required reviewers approve before PR code gets the Entra token


def test_the_real_preview_uses_a_throwaway_stack_never_the_production_one() -> None:
    doc = load(ROOT / ".github" / "workflows" / "preview.yml")
    job = doc["jobs"]["pulumi"]
    (pulumi,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith("pulumi/actions")]
    args = pulumi["with"]
    assert args["command"] == "preview"
    assert args["stack-name"] == "${{ env.PREVIEW_STACK }}" and job["env"]["PREVIEW_STACK"] not in ("dev", "")
    assert args["cloud-url"].startswith("file://${{ runner.temp }}")  # local state: no service, no production stack
    assert args["secrets-provider"] == "passphrase" and args["upsert"] is True
    assert yaml.safe_load(args["config-map"]) == {
        "scimToken": {"value": "placeholder-not-a-webex-token", "secret": True}
    }


def test_the_throwaway_stack_keeps_the_settings_and_drops_every_secure_value(tmp_path: Path, canary: str) -> None:
    """The workflow's own script, run on the dev stack with a `secure:` token added: the same settings, no
    ciphertext, and a passphrase that is masked in the log and handed to later steps only."""
    doc = load(ROOT / ".github" / "workflows" / "preview.yml")
    (step,) = [s for s in doc["jobs"]["pulumi"]["steps"] if s.get("name", "").startswith("A throwaway stack")]
    stack = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    settings = dict(stack["config"])
    stack["config"]["webex-scim:scimToken"] = {"secure": f"v1:{canary}"}
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack), encoding="utf-8")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    env = {**os.environ, "STACK": "dev", "PREVIEW_STACK": "pr-preview", "GITHUB_ENV": str(tmp_path / "github_env")}
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    written = (tmp_path / "Pulumi.pr-preview.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(written) == {"config": settings}
    assert canary not in written and "secure" not in written
    (passphrase,) = re.findall(r"^PULUMI_CONFIG_PASSPHRASE=([0-9a-f]{64})$", (tmp_path / "github_env").read_text())
    assert proc.stdout.strip() == f"::add-mask::{passphrase}"


def test_actions_are_pinned_to_a_major_version() -> None:
    for path in WORKFLOWS:
        for _, step in steps(load(path)):
            if "uses" in step:
                assert re.search(r"@v\d+$|@[0-9a-f]{40}$", step["uses"]), f"{path.name}: {step['uses']}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_runs_on_node24(path: Path) -> None:
    used = [str(step["uses"]) for _, step in steps(load(path)) if "uses" in step]
    assert used
    for uses in used:
        action, _, ref = uses.partition("@")
        assert action in NODE24_MAJORS, f"{path.name}: {uses}: check which major of {action} runs on node24 first"
        major = re.fullmatch(r"v(\d+)", ref)
        assert major and int(major.group(1)) >= NODE24_MAJORS[action], f"{path.name}: {uses} runs on node20"
