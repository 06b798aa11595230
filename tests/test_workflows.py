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


def _pulumi_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith("pulumi/actions")]


def test_deploy_gates_with_the_read_identity_and_only_up_runs_as_the_deploy_identity() -> None:
    doc = load(ROOT / ".github" / "workflows" / "deploy.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    jobs = doc["jobs"]
    gate, up = jobs["gate"], jobs["up"]
    assert (gate["environment"], up["environment"]) == ("read", "production")
    assert gate["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_READ_CLIENT_ID }}"
    assert up["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_DEPLOY_CLIENT_ID }}"
    for job in (gate, up):
        assert job["permissions"]["id-token"] == "write" and job["env"]["ARM_USE_OIDC"] == "true"
        assert not any("SECRET" in k for k in job["env"] if k.startswith("ARM_")), "no Azure client secret"
    # A real `preview --policy-pack` gates `up`: the engine reports a mandatory violation only after writing.
    assert [(s["with"]["command"], s["with"]["policyPacks"]) for s in _pulumi_steps(gate)] == [("preview", "policies")]
    assert [(s["with"]["command"], s["with"]["policyPacks"]) for s in _pulumi_steps(up)] == [("up", "policies")]
    assert set(up["needs"]) == {"offline", "gate"}
    # Only `up` holds the deploy identity: no other job of any workflow names it.
    for path in WORKFLOWS:
        for job_id, job in load(path)["jobs"].items():
            if "AZURE_DEPLOY_CLIENT_ID" in str(job):
                assert (path.name, job_id) == ("deploy.yml", "up")
    assert doc["concurrency"]["cancel-in-progress"] is False


def test_every_job_that_reaches_azure_reads_unless_it_deploys() -> None:
    """The read identity for previews, the schedule and the gate; the deploy identity in production alone."""
    seen = set()
    for path in WORKFLOWS:
        for job_id, job in load(path)["jobs"].items():
            client = (job.get("env") or {}).get("ARM_CLIENT_ID")
            if client is None:
                continue
            expected = "DEPLOY" if job.get("environment") == "production" else "READ"
            assert client == f"${{{{ vars.AZURE_{expected}_CLIENT_ID }}}}", f"{path.name} {job_id}"
            seen.add((path.name, job_id, job.get("environment")))
    assert seen == {
        ("preview.yml", "pulumi", "preview"),
        ("deploy.yml", "gate", "read"),
        ("deploy.yml", "up", "production"),
        ("drift.yml", "check", "read"),
    }


def test_the_jobs_that_run_the_real_cli_build_the_virtualenvs_pulumi_yaml_names_from_the_locks() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    pack = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    program_venv, pack_venv = project["runtime"]["options"]["virtualenv"], pack["runtime"]["options"]["virtualenv"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert f"VENV := {program_venv}\n" in makefile and f"-m venv policies/{pack_venv}\n" in makefile
    for path in WORKFLOWS:
        for job_id, job in load(path)["jobs"].items():
            if _pulumi_steps(job):
                runs = [argv for s in job["steps"] for argv in commands(s.get("run", ""))]
                assert ["make", "venv", "policy-venv"] in runs, f"{path.name} {job_id}"


def test_cloud_preview_is_skipped_without_credentials() -> None:
    doc = load(ROOT / ".github" / "workflows" / "preview.yml")
    job = doc["jobs"]["pulumi"]
    check = job["steps"][0]
    assert "ARM_CLIENT_ID" in check["run"] and check["id"] == "creds"
    for step in job["steps"][1:]:
        assert step.get("if") == "steps.creds.outputs.ok == 'true'"
    assert job["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_READ_CLIENT_ID }}"  # the read identity


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


PINNED = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # v(\d+)\.(\d+)\.(\d+)\s*$")


def _uses_lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if re.match(r"^\s*(- )?uses:", line)]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version_beside_it(path: Path) -> None:
    """A tag can be moved to other code; a commit SHA cannot. The version comment is what Dependabot and a reader
    update by."""
    lines = _uses_lines(path)
    assert lines
    for line in lines:
        assert PINNED.match(line), f"{path.name}: {line.strip()}: pin a full commit SHA with `# vX.Y.Z`"


def test_an_action_pinned_twice_is_pinned_to_one_commit() -> None:
    seen: dict[str, tuple[str, str]] = {}
    for path in WORKFLOWS:
        for line in _uses_lines(path):
            action, sha, *version = PINNED.match(line).groups()
            assert seen.setdefault(action, (sha, ".".join(version))) == (sha, ".".join(version)), action


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_runs_on_node24(path: Path) -> None:
    for line in _uses_lines(path):
        action, _, major, *_ = PINNED.match(line).groups()
        assert action in NODE24_MAJORS, f"{path.name}: {action}: check which major of {action} runs on node24 first"
        assert int(major) >= NODE24_MAJORS[action], f"{path.name}: {action} v{major} runs on node20"


def _go_mod_pulumi_version() -> str:
    text = (ROOT / "tools" / "pulumi" / "go.mod").read_text(encoding="utf-8")
    (version,) = re.findall(r"^(?:require)?\s*github\.com/pulumi/pulumi/pkg/v3 v(\S+)$", text, re.M)
    return version


def test_every_workflow_installs_the_pulumi_cli_the_conformance_suite_proves() -> None:
    """pulumi/actions would install whatever CLI is newest; the workflows take the one tools/pulumi/go.mod builds."""
    version = _go_mod_pulumi_version()
    steps_ = [s for path in WORKFLOWS for _, s in steps(load(path)) if "pulumi/actions" in str(s.get("uses"))]
    assert len(steps_) >= 4
    assert {str(s["with"]["pulumi-version"]) for s in steps_} == {version}


def test_the_version_check_reads_go_mod() -> None:
    assert re.fullmatch(r"3\.\d+\.\d+", _go_mod_pulumi_version())
