"""`python -m webex_scim diff`: two revisions in a temporary git repository, both previewed by the diff's one engine.

The repository is a copy of this project (its tracked and untracked-but-not-ignored files) with a history made for
the tests: a revision without the project, one without the test stack files, the base, bases that differ from it in
one way each, and the head. Every real run is made once per module and shared by the assertions.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.replace_on_change import replace_keys
from offline import revision
from offline.compare import changed_secrets, compare, diff_values
from offline.diff import run_diff
from offline.engine import quote_printed
from offline.pack_process import pack_digest
from offline.revision import BaseUnavailable, materialize
from policies.vocabulary import APP_ROLE_ASSIGNMENT
from policies.vocabulary import ATTRIBUTE_MAPPINGS as MAPPINGS_TYPE
from policies.vocabulary import SYNCHRONIZATION_SECRET as SYNC_SECRET
from webex_scim.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
ORG_OLD = "6f1a1d43-2b0e-4a8c-9d5e-0c2b7e9f4a11"
ORG_NEW = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
ALICE = "5d3f2a10-1b2c-4d5e-8f90-a1b2c3d4e5f6"
BOB = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
CAROL = "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a"
BAD_ORG = "a35bfbc6-ccbd-4a17-a488-72gf46c5420c"  # the Webex article's own example, with a `g` in it
CIPHER_OLD = "v1:c2VjcmV0LW9sZA==:AAAAAAAAAAAAAAAAAAAAAAAAbase"
CIPHER_NEW = "v1:c2VjcmV0LW5ldw==:BBBBBBBBBBBBBBBBBBBBBBBBhead"
GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]


def stack(org: str, assignments: list[dict[str, Any]], cipher: str, **extra: Any) -> dict[str, Any]:
    config = {
        "webex-scim:orgId": org,
        "webex-scim:notificationEmail": "webex-admins@contoso.com",
        "webex-scim:tokenExpiresOn": "2099-01-01",
        "webex-scim:rollout": "full",
        "webex-scim:assignments": assignments,
        "webex-scim:provisioning": {"templateId": "ciscowebex", "scope": "assigned", "deleteThreshold": 500},
        "webex-scim:scimToken": {"secure": cipher},
    }
    config.update({f"webex-scim:{k}": v for k, v in extra.items()})
    return {"config": config}


BASE_STACK = stack(
    ORG_OLD,
    [{"user": ALICE, "role": "User"}, {"user": BOB}, {"group": "Sales"}],
    CIPHER_OLD,
)
HEAD_STACK = stack(
    ORG_NEW,  # org ID change: the tenant URL (BaseAddress) changes with it
    [{"user": ALICE, "role": "Admin"}, {"user": BOB}, {"user": CAROL}],  # role change, Sales removed, Carol added
    CIPHER_NEW,  # the token was set again
    mappings={"userNameSource": "mail"},  # userName from mail (seen once the mappings resource is in the program)
)
HEAD_STACK["config"]["webex-scim:provisioning"]["scope"] = "all"  # a mandatory policy violation, new in head
QUIET_STACK = stack(ORG_OLD, [{"user": ALICE}], CIPHER_OLD)
NO_TOKEN_STACK = {"config": {k: v for k, v in QUIET_STACK["config"].items() if k != "webex-scim:scimToken"}}


HEAD_APP_NAME = 'display_name: str = "Cisco Webex"'
BASE_APP_NAME = 'display_name: str = "Cisco Webex (the base\'s default)"'


BASE_PACK_PATCH = """

def _base_only(args, report):  # the base-pack revision's pack says something the head's pack never says
    report("only the base's pack reports this")


POLICIES.append(
    StackRule(
        name="base-only",
        description="A rule only the base revision's pack has.",
        applies_to=(),
        check=_base_only,
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=__import__("pulumi_policy").Severity.LOW,
        remediation_steps="none",
    )
)
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def _write(path: Path, doc: Any) -> None:
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """no-project (README only) → no-stack (the project) → base (+ test stacks) → one-off bases → HEAD (the change,
    committed)."""
    repo = tmp_path_factory.mktemp("diff-repo")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split("\0")
    _git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("a repository before the project existed\n", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "no project yet")
    _git(repo, "tag", "no-project")

    for name in listed:
        src = ROOT / name
        if name and src.is_file() and not name.startswith("bench/results/"):
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / name)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "the project, without the test stacks")
    _git(repo, "tag", "no-stack")

    _write(repo / "Pulumi.ci.yaml", BASE_STACK)
    _write(repo / "Pulumi.quiet.yaml", QUIET_STACK)
    _write(repo / "Pulumi.notoken.yaml", QUIET_STACK)  # the head removes its token
    _write(repo / "Pulumi.fixed.yaml", stack(BAD_ORG, [{"user": ALICE}], CIPHER_OLD))  # the head fixes its org ID
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "tag", "base")

    # A base whose components/ differ from the head's (another default): its program must import its own.
    settings = repo / "components" / "settings_models.py"
    original = settings.read_text(encoding="utf-8")
    assert original.count(HEAD_APP_NAME) == 1
    settings.write_text(original.replace(HEAD_APP_NAME, BASE_APP_NAME), encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "a base with other components")
    _git(repo, "tag", "base-components")
    settings.write_text(original, encoding="utf-8")

    # A base whose policy pack differs from ours: its verdicts must come from its own pack, not a shared one.
    registry = repo / "policies" / "webex_guard" / "__init__.py"
    rules = registry.read_text(encoding="utf-8")
    registry.write_text(rules + BASE_PACK_PATCH, encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "a base with its own policy pack")
    _git(repo, "tag", "base-pack")
    registry.write_text(rules, encoding="utf-8")

    # A base whose program prints (its stdout is shared with the preview's JSON document).
    program = repo / "__main__.py"
    source = program.read_text(encoding="utf-8")
    program.write_text('print("hello from the base program")\n' + source, encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "a base that prints")
    _git(repo, "tag", "base-prints")
    program.write_text(source, encoding="utf-8")

    # A base whose program fails, and one whose program never ends.
    program.write_text(f"raise RuntimeError(f'broken base in {{__file__}}')\n{source}", encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "a base that fails")
    _git(repo, "tag", "base-fails")
    program.write_text(f"import threading\nthreading.Event().wait()\n{source}", encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "a base that hangs")
    _git(repo, "tag", "base-hangs")
    stuck = "concurrent.futures.ThreadPoolExecutor(1).submit(threading.Event().wait).result()"
    program.write_text(f"import concurrent.futures, threading\n{stuck}\n{source}", encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "a base that hangs in a thread pool")
    _git(repo, "tag", "base-hangs-in-a-pool")
    program.write_text(source, encoding="utf-8")

    _write(repo / "Pulumi.ci.yaml", HEAD_STACK)
    _write(repo / "Pulumi.notoken.yaml", NO_TOKEN_STACK)
    _write(repo / "Pulumi.fixed.yaml", QUIET_STACK)
    broken = stack(BAD_ORG, [{"user": ALICE}], CIPHER_NEW)
    _write(repo / "Pulumi.broken.yaml", broken)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "head")
    return repo


class Run:
    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.code = proc.returncode
        self.stderr = proc.stderr
        self.text = proc.stdout
        self.doc: dict[str, Any] = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}

    def step(self, name: str) -> dict[str, Any]:
        (found,) = [s for s in self.doc["steps"] if s["name"] == name]
        return found


def diff(repo: Path, *args: str, marker: str | None = None) -> Run:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if marker:
        env["WEBEX_SCIM_TEST_MARKER"] = marker
    proc = subprocess.run(
        [sys.executable, "-m", "webex_scim", "diff", *args, "--json", "-"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    return Run(proc)


@pytest.fixture(scope="module")
def change(repo: Path) -> Run:
    return diff(repo, "--stack", "ci", "--base", "base")


# ---------------------------------------------------------------------------------------------------------------
# The change: base → head of the `ci` stack, run for real


def test_the_base_ran_and_the_head_has_a_new_mandatory_violation(change: Run) -> None:
    assert change.doc["base"] == {"ref": "base", "ok": True, "error": None}
    assert change.code == 1, change.stderr  # scope: all is mandatory in the pack
    scope = [v for v in change.doc["policyViolations"] if v["policy"] == "scope-assigned-only"]
    assert scope and scope[0]["enforcementLevel"] == "mandatory" and scope[0]["new"] is True
    assert all(
        v["new"] is False
        for v in change.doc["policyViolations"]
        if v["policy"] == "no-default-access" and v["urn"].endswith(f"user-{BOB}")
    )


def test_added_user(change: Run) -> None:
    assert change.step(f"user-{CAROL}")["op"] == "create"
    added = change.doc["assignments"]["added"]
    assert [a["principal"] for a in added] == [f"user:{CAROL}"]


def test_removed_group_loses_access(change: Run) -> None:
    step = change.step("group-sales")
    assert step["op"] == "delete"
    assert step["type"] == APP_ROLE_ASSIGNMENT
    removed = change.doc["assignments"]["removed"]
    assert [(r["kind"], r["ref"]) for r in removed] == [("group", "Sales")]


def test_unchanged_assignment_is_same(change: Run) -> None:
    assert change.step(f"user-{BOB}")["op"] == "same"
    assert "diff" not in change.step(f"user-{BOB}")


def test_role_change_replaces_the_assignment(change: Run) -> None:
    assert "appRoleId" in replace_keys(APP_ROLE_ASSIGNMENT)  # the Terraform schema says so
    step = change.step(f"user-{ALICE}")
    assert step["op"] == "replace"
    assert step["replaceReasons"] == ["appRoleId"]
    assert step["diff"]["appRoleId"]["reason"] == "role User → Admin"
    assert change.doc["assignments"]["changed"][0]["oldRole"] == "User"
    assert change.doc["assignments"]["changed"][0]["newRole"] == "Admin"


def test_org_id_change_updates_the_tenant_url_in_the_credentials(change: Run) -> None:
    step = change.step("credentials")
    assert step["type"] == SYNC_SECRET
    assert step["op"] == "update"  # credentials do not force a new SynchronizationSecret
    assert step["diff"]["credentials[BaseAddress]"] == {
        "old": f"https://webexapis.com/identity/scim/{ORG_OLD}/v2",
        "new": f"https://webexapis.com/identity/scim/{ORG_NEW}/v2",
    }
    assert step["diff"]["credentials[SyncAll]"] == {"old": "false", "new": "true"}
    assert change.doc["outputChanges"]["tenantUrl"]["new"] == f"https://webexapis.com/identity/scim/{ORG_NEW}/v2"


def test_changed_token_is_reported_as_a_changed_secret_never_a_value(change: Run) -> None:
    token = change.step("credentials")["diff"]["credentials[SecretToken]"]
    assert token["old"] == token["new"] == "[secret]"
    assert "scimToken" in token["reason"]
    assert change.doc["secretsChanged"] == ["webex-scim:scimToken"]
    for cipher in (CIPHER_OLD, CIPHER_NEW, "c2VjcmV0"):
        assert cipher not in change.text and cipher not in change.stderr


def test_change_summary_counts_the_ops(change: Run) -> None:
    ops: dict[str, int] = {}
    for s in change.doc["steps"]:
        ops[s["op"]] = ops.get(s["op"], 0) + 1
    assert change.doc["changeSummary"] == ops
    assert ops["create"] >= 1 and ops["delete"] >= 1 and ops["replace"] >= 1


def test_user_name_source_change_in_a_real_run(change: Run) -> None:
    if not any(s["type"] == MAPPINGS_TYPE for s in change.doc["steps"]):
        pytest.skip("the program does not register the AttributeMappings resource yet (synthetic test below)")
    changed = {m["target"]: m for m in change.doc["mappings"]["changed"]}
    assert changed["userName"]["old"] == "userPrincipalName"
    assert changed["userName"]["new"] == "mail"


def test_markdown_written_next_to_json(repo: Path, tmp_path: Path) -> None:
    md = tmp_path / "diff.md"
    proc = subprocess.run(
        [sys.executable, "-m", "webex_scim", "diff", "--stack", "quiet", "--base", "base", "--markdown", str(md)],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    text = md.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "<!-- webex-scim-preview:quiet -->"
    assert "no changes" in text.splitlines()[1]
    assert "Resources: no changes" in proc.stdout


# ---------------------------------------------------------------------------------------------------------------
# Exit codes and failing sides


def test_no_change_exits_0(repo: Path) -> None:
    run = diff(repo, "--stack", "quiet", "--base", "base", "--no-policies")
    assert run.code == 0, run.stderr
    assert set(run.doc["changeSummary"]) == {"same"}
    assert run.doc["assignments"] == {"added": [], "removed": [], "changed": []}


def test_config_file_is_found_at_the_same_path_in_the_base(repo: Path) -> None:
    run = diff(repo, "--config-file", "Pulumi.quiet.yaml", "--base", "base", "--no-policies")
    assert run.code == 0, run.stderr
    assert run.doc["base"]["ok"] is True and run.doc["stack"] == "quiet"
    assert set(run.doc["changeSummary"]) == {"same"}


def test_the_base_runs_with_its_own_components(repo: Path) -> None:
    """One process runs both programs: the base's must import the base's components/, not the head's already
    imported ones (its other default shows up as a change), and the head's own run is unaffected."""
    run = diff(repo, "--stack", "quiet", "--base", "base-components", "--no-policies")
    assert run.code == 0, run.stderr
    changed = {
        (s["name"], path): change
        for s in run.doc["steps"]
        for path, change in (s.get("diff") or {}).items()
        if path == "displayName"
    }
    assert changed, [(s["name"], s["op"]) for s in run.doc["steps"]]
    assert {(c["old"], c["new"]) for c in changed.values()} == {("Cisco Webex (the base's default)", "Cisco Webex")}
    again = diff(repo, "--stack", "quiet", "--base", "base", "--no-policies")  # the head alone: no such change
    assert set(again.doc["changeSummary"]) == {"same"}


def test_a_base_with_another_policy_pack_runs_its_own_pack(repo: Path) -> None:
    run = diff(repo, "--stack", "quiet", "--base", "base-pack")
    assert run.code == 0, run.stderr
    resolved = [(v["policy"], v["message"].splitlines()[-1]) for v in run.doc["resolvedPolicyViolations"]]
    assert resolved == [("base-only", "only the base's pack reports this")]
    assert not any(v["policy"] == "base-only" for v in run.doc["policyViolations"])


def _packs_seen(repo: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[int]]:
    """Run a diff and collect the pids of every policy pack process it started (they live as long as it runs)."""
    marker = f"marker-{time.monotonic_ns()}"
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "WEBEX_SCIM_TEST_MARKER": marker}
    argv = [sys.executable, "-m", "webex_scim", "diff", *args, "--json", "-"]
    proc = subprocess.Popen(argv, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    packs: set[int] = set()
    while proc.poll() is None:
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and marker.encode() in (entry / "environ").read_bytes():
                    if b"pulumi.policy" in (entry / "cmdline").read_bytes():
                        packs.add(int(entry.name))
            except OSError:
                continue
        time.sleep(0.01)
    out, err = proc.communicate()
    return subprocess.CompletedProcess(argv, proc.returncode, out, err), packs


@pytest.mark.parametrize(("ref", "packs"), [("base", 1), ("base-pack", 2)])
def test_the_sides_share_one_pack_process_only_when_their_policies_are_the_same(
    repo: Path, ref: str, packs: int
) -> None:
    """A second pack is a second interpreter on the same cores (`make bench`): the head's serves both sides when
    the base's policies/ are the same files; a base with other rules is judged by its own pack."""
    proc, seen = _packs_seen(repo, "--stack", "quiet", "--base", ref)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["base"]["ok"] is True
    assert len(seen) == packs


def test_a_pack_is_the_same_whatever_its_virtualenv_or_bytecode_and_not_after_a_rule_changes(tmp_path: Path) -> None:
    pack = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", pack, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    before = pack_digest(pack)
    (pack / "venv" / "lib").mkdir(parents=True)
    (pack / "venv" / "lib" / "site.py").write_text("x = 1\n", encoding="utf-8")
    (pack / "webex_guard" / "__pycache__").mkdir()
    (pack / "webex_guard" / "__pycache__" / "rule.cpython-311.pyc").write_bytes(b"bytecode")
    assert pack_digest(pack) == before
    rules = pack / "webex_guard" / "__init__.py"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# another rule\n", encoding="utf-8")
    assert pack_digest(pack) != before


def test_a_pack_that_fails_to_start_fails_the_head_with_the_packs_own_words(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(repo), str(clone))
    (clone / "policies" / "__main__.py").write_text('raise SystemExit("broken on purpose")\n', encoding="utf-8")
    run = diff(clone, "--stack", "quiet", "--base", "base")
    assert run.code == 1
    assert run.doc["head"]["ok"] is False
    assert run.stderr.startswith("error: policy pack 'policies' failed to start (the pack exited with code 1)")
    assert "broken on purpose" in run.stderr and "Traceback" not in run.stderr.split("---")[0]
    assert "broken on purpose" in run.doc["head"]["error"]


def test_a_base_with_the_same_policy_pack_reports_the_same_verdicts(repo: Path) -> None:
    run = diff(repo, "--stack", "quiet", "--base", "base")
    assert run.code == 0, run.stderr
    assert run.doc["resolvedPolicyViolations"] == []
    assert run.doc["policyViolations"] == []
    assert {v["policy"] for v in run.doc["checkedAtUp"]} == {"no-default-access"}  # unknown at preview


def test_an_unexpected_extraction_error_is_the_bases_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_archive(project_dir: Path, ref: str, dest: Path) -> Path:
        raise RuntimeError("tar stream cut short")

    monkeypatch.setattr(revision, "_extract", broken_archive)
    with pytest.raises(BaseUnavailable, match="extracting base failed: RuntimeError: tar stream cut short"):
        materialize(ROOT, "base", tmp_path / "base")


def test_a_base_whose_program_hangs_is_given_up_at_its_time_limit(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """AUDIT D7: a base whose program never ends must not hang the diff: past its time limit, it is that side's
    failure, and the head's report still comes."""
    argv = ["diff", "--stack", "quiet", "--base", "base-hangs", "--no-policies", "--project-dir", str(repo)]
    started = time.monotonic()
    code, doc, message = run_diff(build_parser().parse_args(argv), time_limit=2.0)
    assert time.monotonic() - started < 20
    assert (code, message) == (0, None)
    assert doc["base"] == {
        "ref": "base-hangs",
        "ok": False,
        "error": "the base preview did not finish within 2 s and was abandoned",
    }
    assert doc["headSteps"] and doc["head"] == {"ok": True, "error": None}
    print("after the diff")  # stdout is this process's again
    assert capsys.readouterr().out == "after the diff\n"


def test_a_base_stuck_in_a_thread_pool_does_not_hold_the_diffs_exit(repo: Path) -> None:
    """An abandoned side cannot be stopped, and a thread-pool worker is joined at interpreter exit: the diff ends
    its process itself once the report is out, instead of hanging there."""
    script = (
        "import sys, offline.diff; offline.diff.TIME_LIMIT = 2.0; from webex_scim.cli import main; sys.exit(main())"
    )
    args = ["diff", "--stack", "quiet", "--base", "base-hangs-in-a-pool", "--no-policies", "--json", "-"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=repo, capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["base"]["error"] == "the base preview did not finish within 2 s and was abandoned"
    assert doc["head"] == {"ok": True, "error": None}


def test_a_diff_of_another_project_dir_runs_that_projects_own_components(repo: Path) -> None:
    """This engine's own tree has imported components/ and policies/ already (the engine reads some of them); a
    project given with --project-dir must still run its own, on both sides (its base's other default shows)."""
    argv = ["diff", "--stack", "quiet", "--base", "base-components", "--no-policies", "--project-dir", str(repo)]
    _, doc, message = run_diff(build_parser().parse_args(argv))
    assert message is None
    names = {(c["old"], c["new"]) for s in doc["steps"] for p, c in (s.get("diff") or {}).items() if p == "displayName"}
    assert names == {("Cisco Webex (the base's default)", "Cisco Webex")}
    import components.settings

    assert Path(components.settings.__file__).resolve().is_relative_to(ROOT)  # this tree's modules are back


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (
            "no-stack",
            "stack 'quiet' has no stack file Pulumi.quiet.yaml in no-stack: a stack new in this change has no base",
        ),
        ("no-project", "no-project has no Pulumi.yaml"),
        ("base-fails", "the program failed: RuntimeError: broken base in base-fails:__main__.py"),
    ],
)
def test_a_base_that_fails_is_reported_never_as_everything_new(repo: Path, ref: str, expected: str) -> None:
    run = diff(repo, "--stack", "quiet", "--base", ref, "--no-policies")
    assert run.code == 0, run.stderr  # the head is fine: a broken base does not fail the check
    base = run.doc["base"]
    assert base["ok"] is False and base["ref"] == ref
    assert expected in base["error"]
    assert "webex-scim-diff-" not in base["error"] and "/tmp" not in base["error"]  # no temporary path
    assert run.doc["steps"] == [] and run.doc["changeSummary"] == {}  # no claim that everything is new
    assert run.doc["headSteps"]  # the head's own resources are still there to read


def test_a_base_ref_that_does_not_exist_is_bad_usage_said_before_any_preview(repo: Path) -> None:
    """A typo in --base compares nothing: exit 2 naming the flag, not a green "not compared" in CI."""
    run = diff(repo, "--stack", "quiet", "--base", "orign/main", "--no-policies")
    assert run.code == 2 and run.doc == {}
    assert run.stderr.startswith("error: --base orign/main: no such commit here; give a branch, tag or commit")
    assert "Traceback" not in run.stderr


def test_bad_base_config_is_the_bases_config_error_in_its_own_words(repo: Path) -> None:
    """The base's program raises the base's own SettingsError class: said as a config error, not as a crash."""
    run = diff(repo, "--stack", "fixed", "--base", "base", "--no-policies")
    assert run.code == 0, run.stderr
    error = run.doc["base"]["error"]
    assert run.doc["base"]["ok"] is False and "webex-scim:orgId" in error
    assert "SettingsError" not in error and not error.startswith("the program failed")
    assert "\n" not in error


def test_bad_head_config_exits_2_with_the_heads_message(repo: Path) -> None:
    run = diff(repo, "--stack", "broken", "--base", "base", "--no-policies")
    assert run.code == 2
    assert "webex-scim:orgId" in run.stderr and "Traceback" not in run.stderr
    assert run.doc["head"]["ok"] is False


def test_a_head_that_fails_is_not_compared_and_its_base_not_previewed(repo: Path, tmp_path: Path) -> None:
    """Nothing to compare with: the diff fails at once with the head's message, without a base preview."""
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(repo), str(clone))
    _write(clone / "Pulumi.quiet.yaml", stack(BAD_ORG, [{"user": ALICE}], CIPHER_OLD))  # the base's is fine
    run = diff(clone, "--stack", "quiet", "--base", "base", "--no-policies")
    assert run.code == 2 and "webex-scim:orgId" in run.stderr
    assert run.doc["head"]["ok"] is False and run.doc["steps"] == []
    assert run.doc["base"] == {"ref": "base", "ok": False, "error": "not previewed: this change's preview failed"}


def test_unknown_stack_is_a_usage_error(repo: Path) -> None:
    run = diff(repo, "--stack", "nope", "--base", "base", "--no-policies")
    assert run.code == 2
    assert "stack 'nope' has no stack file" in run.stderr


# ---------------------------------------------------------------------------------------------------------------
# The comparison itself, on synthetic documents


def _doc(*steps: dict[str, Any], violations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "project": "webex-scim",
        "stack": "t",
        "steps": list(steps),
        "outputs": {},
        "policyViolations": violations or [],
        "warnings": [],
        "changeSummary": {},
    }


def _step(name: str, type_: str, inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "op": "create",
        "urn": f"urn:pulumi:t::webex-scim::{type_}::{name}",
        "type": type_,
        "name": name,
        "parent": None,
        "inputs": inputs,
        "protect": False,
        "retainOnDelete": False,
        **extra,
    }


def _mapping(target: str, source: str | None = None, **extra: Any) -> dict[str, Any]:
    row = {
        "target": target,
        "source": source,
        "expression": None,
        "constant": None,
        "flowType": "Always",
        "matchingPriority": 0,
        "defaultValue": None,
    }
    row.update(extra)
    return row


def test_mapping_changes_per_target() -> None:
    old = [
        _mapping("userName", "userPrincipalName", matchingPriority=1),
        _mapping("externalId", "objectId"),
        _mapping("nickName", "mailNickname"),
    ]
    new = [
        _mapping("userName", "mail", matchingPriority=1),
        _mapping("externalId", "objectId"),
        _mapping("title", "jobTitle"),
    ]
    base = _doc(_step("mappings", MAPPINGS_TYPE, {"userMappings": old, "jobId": "[unknown]"}))
    head = _doc(_step("mappings", MAPPINGS_TYPE, {"userMappings": new, "jobId": "[unknown]"}))
    out = compare(base, head)
    assert out["mappings"]["changed"] == [
        {
            "target": "userName",
            "old": "userPrincipalName",
            "new": "mail",
            "list": "userMappings",
            "changes": {"source": {"old": "userPrincipalName", "new": "mail"}},
        }
    ]
    assert [m["target"] for m in out["mappings"]["added"]] == ["title"]
    assert [(m["target"], m["source"]) for m in out["mappings"]["removed"]] == [("nickName", "mailNickname")]
    step = out["steps"][0]
    assert step["op"] == "update"  # mappings are changed in place; only servicePrincipalId/jobId replace
    assert step["diff"]["userMappings[userName].source"] == {"old": "userPrincipalName", "new": "mail"}
    assert step["diff"]["userMappings[title]"]["old"] is None
    assert step["diff"]["userMappings[nickName]"]["new"] is None


def test_unknowns_compare_as_unknown() -> None:
    assert diff_values({"a": "[unknown]"}, {"a": "[unknown]"}) == {}
    assert diff_values({"a": "x"}, {"a": "[unknown]"}) == {"a": {"old": "x", "new": "[unknown]"}}
    assert diff_values({"s": "[secret]"}, {"s": "[secret]"}) == {}


def test_key_value_lists_compare_key_by_key() -> None:
    old = {"credentials": [{"key": "A", "value": "1"}, {"key": "B", "value": "2"}]}
    new = {"credentials": [{"key": "B", "value": "3"}, {"key": "A", "value": "1"}, {"key": "C", "value": "4"}]}
    assert diff_values(old, new) == {
        "credentials[B]": {"old": "2", "new": "3"},
        "credentials[C]": {"old": None, "new": "4"},
    }


def test_principal_change_by_object_id_replaces() -> None:
    base = _doc(_step("user-a", APP_ROLE_ASSIGNMENT, {"appRoleId": "r1", "principalObjectId": "p1"}))
    head = _doc(_step("user-a", APP_ROLE_ASSIGNMENT, {"appRoleId": "r2", "principalObjectId": "p1"}))
    step = compare(base, head)["steps"][0]
    assert step["op"] == "replace" and step["replaceReasons"] == ["appRoleId"]


def test_retain_on_delete_change_is_an_update() -> None:
    base = _doc(_step("sp", "azuread:index/servicePrincipal:ServicePrincipal", {}))
    head = _doc(_step("sp", "azuread:index/servicePrincipal:ServicePrincipal", {}, retainOnDelete=True))
    step = compare(base, head)["steps"][0]
    assert step["op"] == "update"
    assert step["diff"] == {"options.retainOnDelete": {"old": False, "new": True}}


def test_policy_verdicts_new_and_resolved() -> None:
    kept = _step("kept", APP_ROLE_ASSIGNMENT, {})
    gone = _step("gone", APP_ROLE_ASSIGNMENT, {})
    v1 = {"policy": "p1", "enforcementLevel": "advisory", "urn": kept["urn"], "message": "m"}
    v2 = {"policy": "p2", "enforcementLevel": "mandatory", "urn": kept["urn"], "message": "m"}
    v3 = {"policy": "p1", "enforcementLevel": "advisory", "urn": gone["urn"], "message": "m"}
    out = compare(_doc(kept, gone, violations=[v1, v3]), _doc(kept, violations=[v2]))
    assert out["policyViolations"] == [{**v2, "new": True}]
    # Resolved only where the resource is still there: a deleted resource's verdict went with it.
    assert out["resolvedPolicyViolations"] == [v1]


def test_diff_of_this_checkout_against_head_runs_both_sides(tmp_path, capsys):
    """The project itself, with its .venv inside the tree (as `make test` makes it): between the sides the diff sets
    aside the project's modules, never the venv's libraries, whose files live under the tree too."""
    from tests.support import ROOT
    from webex_scim.cli import main as cli_main

    out = tmp_path / "diff.json"
    code = cli_main(["diff", "--stack", "dev", "--base", "HEAD", "--json", str(out), "--project-dir", str(ROOT)])
    capsys.readouterr()
    doc = json.loads(out.read_text())
    assert doc["base"]["ok"] is True, doc["base"]
    assert code == 0


# ---------------------------------------------------------------------------------------------------------------
# Report details (audit D11): case of principals, a removed token, a base that prints, one order for every run


def test_a_case_only_change_of_a_principal_is_one_principal_not_remove_and_add() -> None:
    def doc(ref: str, role: str) -> dict[str, Any]:
        principals = [{"kind": "user", "ref": ref, "role": role}, {"kind": "group", "ref": "Sales", "role": None}]
        return _doc(_step("assignments", "webex-scim:index:Assignments", {"principals": principals}))

    out = compare(doc("bob@contoso.com", "Admin"), doc("BOB@contoso.com", "User"))
    (step,) = out["steps"]
    assert step["op"] == "update"
    assert step["diff"] == {
        "principals[user:BOB@contoso.com].ref": {"old": "bob@contoso.com", "new": "BOB@contoso.com"},
        "principals[user:BOB@contoso.com].role": {"old": "Admin", "new": "User"},
    }
    assert out["assignments"]["added"] == out["assignments"]["removed"] == []
    assert [(p["oldRole"], p["newRole"]) for p in out["assignments"]["changed"]] == [("Admin", "User")]


def _secret_step(credentials: list[dict[str, Any]]) -> dict[str, Any]:
    return _step("credentials", SYNC_SECRET, {"credentials": credentials, "servicePrincipalId": "[unknown]"})


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        (
            "removed",
            {
                "old": "[secret]",
                "new": None,
                "reason": "removed: the stack file no longer sets scimToken "
                "(`pulumi config set --secret scimToken <token>` before `pulumi up`)",
            },
        ),
        (
            "changed",
            {"old": "[secret]", "new": "[secret]", "reason": "the stack file's secure value of scimToken changed"},
        ),
        ("set", {"old": None, "new": "[secret]", "reason": "set: the base's stack file had no scimToken"}),
    ],
)
def test_the_token_line_says_how_the_token_changed(how: str, expected: dict[str, Any]) -> None:
    creds = [{"key": "BaseAddress", "value": "https://x"}, {"key": "SecretToken", "value": "[secret]"}]
    out = compare(_doc(_secret_step(creds)), _doc(_secret_step(creds)), secret_changes={"webex-scim:scimToken": how})
    (step,) = out["steps"]
    assert step["op"] == "update"
    assert step["diff"] == {"credentials[SecretToken]": expected}
    assert out["secretsChanged"] == ["webex-scim:scimToken"]
    assert out["secretsRemoved"] == (["webex-scim:scimToken"] if how == "removed" else [])


def test_changed_secrets_tells_removed_set_and_changed_apart(tmp_path: Path) -> None:
    def stack_file(name: str, **secure: str) -> Path:
        path = tmp_path / name
        _write(
            path,
            {"config": {"webex-scim:orgId": ORG_OLD, **{f"webex-scim:{k}": {"secure": v} for k, v in secure.items()}}},
        )
        return path

    base = stack_file("base.yaml", scimToken=CIPHER_OLD, other=CIPHER_OLD, same=CIPHER_OLD)
    head = stack_file("head.yaml", other=CIPHER_NEW, same=CIPHER_OLD, added=CIPHER_NEW)
    assert changed_secrets(base, head, "webex-scim") == {
        "webex-scim:added": "set",
        "webex-scim:other": "changed",
        "webex-scim:scimToken": "removed",
    }


def test_a_token_removed_from_the_head_is_shown_removed_with_the_heads_warning(repo: Path, tmp_path: Path) -> None:
    json_path, md_path = tmp_path / "diff.json", tmp_path / "diff.md"
    argv = ["diff", "--stack", "notoken", "--base", "base", "--no-policies", "--json", str(json_path)]
    proc = subprocess.run(
        [sys.executable, "-m", "webex_scim", *argv, "--markdown", str(md_path)],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(json_path.read_text(encoding="utf-8"))
    (step,) = [s for s in doc["steps"] if s["name"] == "credentials"]
    token = step["diff"]["credentials[SecretToken]"]
    assert (token["old"], token["new"]) == ("[secret]", None) and token["reason"].startswith("removed: ")
    assert doc["secretsRemoved"] == ["webex-scim:scimToken"]
    terminal = proc.stdout.splitlines()
    assert any(
        line.strip().startswith("credentials[SecretToken]: [secret] → (none)  (removed: the stack file no longer")
        for line in terminal
    )
    assert "Warnings:" in terminal
    assert any(
        line.startswith("    warning: webex-scim:scimToken is not set in Pulumi.notoken.yaml") for line in terminal
    )
    markdown = md_path.read_text(encoding="utf-8")
    assert (
        "old: <code>\\[secret\\]</code><br>new: <i>(none)</i><br><sub>removed: the stack file no longer sets scimToken"
    ) in markdown
    assert "changed" not in token["reason"]
    for cipher in (CIPHER_OLD, "c2VjcmV0"):
        assert cipher not in proc.stdout + proc.stderr + markdown + json_path.read_text(encoding="utf-8")


def test_a_base_that_prints_is_still_compared_and_what_it_printed_is_a_warning(repo: Path) -> None:
    run = diff(repo, "--stack", "quiet", "--base", "base-prints", "--no-policies")
    assert run.code == 0, run.stderr
    assert run.doc["base"] == {"ref": "base-prints", "ok": True, "error": None}
    assert set(run.doc["changeSummary"]) == {"same"}  # the same program, less its print
    assert run.doc["warnings"][-1] == (
        "the base revision (base-prints) printed to stdout: 'hello from the base program' "
        "(a program reports through pulumi.log)"
    )


def test_a_head_that_prints_keeps_json_on_stdout_and_what_it_printed_is_a_warning(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(repo), str(clone))
    program = clone / "__main__.py"
    shouted = 'print("not a preview " * 40)\nprint({"printed": "a dict"})\n'
    program.write_text(shouted + program.read_text(encoding="utf-8"), encoding="utf-8")
    run = diff(clone, "--stack", "quiet", "--base", "base", "--no-policies")
    assert run.code == 0, run.stderr
    assert run.doc and run.text.startswith("{")  # stdout is the document alone
    (warning,) = [w for w in run.doc["warnings"] if "printed to stdout" in w]
    assert warning.startswith("this change's program printed to stdout: 'not a preview not a preview")
    assert warning.endswith("… (382 more characters) (a program reports through pulumi.log)")
    assert set(run.doc["changeSummary"]) == {"same"}  # the same program, less its prints


def test_a_long_print_is_quoted_briefly() -> None:
    assert quote_printed("hello\n  world\n") == "'hello world'"
    quoted = quote_printed("not a preview " * 40)
    assert quoted.startswith("'not a preview") and quoted.endswith("… (360 more characters)") and len(quoted) < 230


def test_steps_and_verdicts_come_in_one_order_whatever_order_the_sides_registered() -> None:
    """Synthetic: the same two documents, their steps and verdicts listed in another order."""
    stack_urn = "urn:pulumi:t::webex-scim::pulumi:pulumi:Stack::s"
    parent = _step("assignments", "webex-scim:index:Assignments", {}, parent=stack_urn)
    kids = [_step(f"user-{n}", APP_ROLE_ASSIGNMENT, {"appRoleId": n}, parent=parent["urn"]) for n in ("c", "a", "b")]
    root = _step("s", "pulumi:pulumi:Stack", {}, urn=stack_urn)
    verdicts = [
        {"policy": "p2", "enforcementLevel": "advisory", "urn": kids[0]["urn"], "message": "m"},
        {"policy": "p1", "enforcementLevel": "mandatory", "urn": None, "message": "stack-wide"},
        {"policy": "p1", "enforcementLevel": "advisory", "urn": kids[2]["urn"], "message": "m"},
    ]
    base = _doc(root, parent, *kids[:2], violations=verdicts[:1])
    head_a = _doc(root, parent, kids[2], kids[0], violations=verdicts)
    head_b = _doc(kids[0], kids[2], parent, root, violations=list(reversed(verdicts)))
    out_a, out_b = compare(base, head_a), compare(base, head_b)
    assert [s["name"] for s in out_a["steps"]] == ["s", "assignments", "user-a", "user-b", "user-c"]
    assert [s["op"] for s in out_a["steps"]] == ["same", "same", "delete", "create", "same"]
    # stack-wide first, then by resource in that order (user-b, user-c)
    assert [(v["policy"], v["urn"]) for v in out_a["policyViolations"]] == [
        ("p1", None),
        ("p1", kids[2]["urn"]),
        ("p2", kids[0]["urn"]),
    ]
    assert out_a == out_b
    from offline.markdown import diff_markdown

    ref = {"base": {"ref": "main", "ok": True, "error": None}, "head": {"ok": True, "error": None}}
    assert diff_markdown({**out_a, **ref}) == diff_markdown({**out_b, **ref})


def test_two_identical_diffs_write_byte_identical_markdown(repo: Path, tmp_path: Path) -> None:
    texts = []
    for i in range(3):
        md = tmp_path / f"diff-{i}.md"
        proc = subprocess.run(
            [sys.executable, "-m", "webex_scim", "diff", "--stack", "ci", "--base", "base", "--markdown", str(md)],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 1, proc.stderr  # the new mandatory violation of the `ci` change
        texts.append(md.read_bytes())
    assert texts[0] == texts[1] == texts[2]


def test_the_terminal_report_says_what_is_wrong_and_never_no_changes_when_nothing_was_compared() -> None:
    from offline.compare import head_only
    from offline.render import diff_lines

    app = _step("webex", "azuread:index/servicePrincipal:ServicePrincipal", {"appRoleAssignmentRequired": False})
    verdict = {
        "policy": "assignment-required",
        "enforcementLevel": "mandatory",
        "urn": app["urn"],
        "message": "Assignment is required.\nAnyone in the tenant could sign in. Fix: `pulumi config set ...`",
    }
    doc = {**head_only(_doc(app, violations=[verdict])), "base": {"ref": "nosuchref", "ok": False, "error": "gone"}}
    text = [line for _, line in diff_lines(doc)]
    assert text[-1] == "Resources: not compared (the base did not run); this change has 1 resource"
    at = text.index("mandatory: [assignment-required]  (azuread:index/servicePrincipal:ServicePrincipal: webex)")
    assert text[at + 1 : at + 3] == [
        "    Assignment is required.",
        "    Anyone in the tenant could sign in. Fix: `pulumi config set ...`",
    ]


def test_a_json_object_held_in_a_string_is_compared_key_by_key() -> None:
    def settings(enabled: bool, value: int) -> list[dict[str, str]]:
        doc = {"Enabled": True, "Recipients": "a@contoso.com", "DeleteThresholdEnabled": enabled,
               "DeleteThresholdValue": value}  # fmt: skip
        return [{"key": "SyncNotificationSettings", "value": json.dumps(doc)}]

    assert diff_values({"credentials": settings(True, 500)}, {"credentials": settings(False, 0)}) == {
        "credentials[SyncNotificationSettings].DeleteThresholdEnabled": {"old": True, "new": False},
        "credentials[SyncNotificationSettings].DeleteThresholdValue": {"old": 500, "new": 0},
    }
    assert diff_values("{not json", "{not json either") == {"": {"old": "{not json", "new": "{not json either"}}
    # Equal as JSON, not as text: the provider still gets a new value, so the change shows, whole.
    assert diff_values({"v": '{"a":1}'}, {"v": '{"a": 1}'}) == {"v": {"old": '{"a":1}', "new": '{"a": 1}'}}
