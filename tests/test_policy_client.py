"""offline/policy.py: the Analyzer client. What reaches the pack, how config is checked, how failures read, and
that the pack process never outlives its owner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from policy_support import PROJECT, REPO, STACK, TYPES, resource, secret, shared_pack, webex_stack

from offline.model import RecordedResource
from offline.policy import PACK_DIR, PolicyPack, load_policy_config
from webex_scim.errors import EngineError, UsageError

# -- helpers ------------------------------------------------------------------------------------------------------


def make_pack(tmp_path: Path, main: str, name: str = "scratch-pack") -> Path:
    """A throwaway pack directory, laid out like policies/ (PulumiPolicy.yaml + __main__.py)."""
    pack = tmp_path / name
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (pack / "__main__.py").write_text(textwrap.dedent(main))
    return pack


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def analyze(pack: PolicyPack, resources: list[RecordedResource], config: dict[str, Any] | None = None) -> Any:
    return pack.evaluate(resources, project=PROJECT, stack=STACK, policy_config=config).violations


ECHO_PACK = """
    import json
    from collections.abc import Mapping, Sequence
    from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy

    def plain(value):
        if isinstance(value, Mapping):
            return {k: plain(value[k]) for k in value}
        if isinstance(value, Sequence) and not isinstance(value, str):
            return [plain(v) for v in value]
        return value

    def echo_resource(args, report):
        o = args.opts
        p = args.provider
        report(json.dumps({
            "type": args.resource_type, "name": args.name, "props": plain(args.props),
            "protect": o.protect, "ignoreChanges": list(o.ignore_changes),
            "deleteBeforeReplace": o.delete_before_replace, "parent": o.parent,
            "provider": None if p is None else [p.resource_type, p.urn, p.name],
        }))

    def echo_stack(args, report):
        report(json.dumps({r.urn: {"parent": r.parent.urn if r.parent else None,
                                   "dependencies": [d.urn for d in r.dependencies]} for r in args.resources}))

    PolicyPack("echo", policies=[
        ResourceValidationPolicy(name="echo-resource", description="echo", validate=echo_resource,
                                 enforcement_level=EnforcementLevel.ADVISORY),
        StackValidationPolicy(name="echo-stack", description="echo", validate=echo_stack,
                              enforcement_level=EnforcementLevel.ADVISORY),
    ])
"""


def echoed(violation: Any) -> Any:
    return json.loads(violation.message)  # the report alone: the engine leaves out the description before it


# -- what reaches the pack ------------------------------------------------------------------------------------------


def test_resources_reach_the_pack_as_the_cli_sends_them(tmp_path: Path) -> None:
    provider = resource("pulumi:providers:azuread", "default", {"version": "6.11.1"})
    parent = resource(TYPES["provisioning"], "provisioning", {"orgId": "x"}, custom=False)
    child = resource(
        TYPES["credentials"],
        "credentials",
        {"credentials": [{"key": "SecretToken", "value": secret("t")}], "__provider": "pickled", "n": {"__x": 1}},
        parent=parent,
        options={
            "protect": True,
            "ignoreChanges": ["credentials"],
            "deleteBeforeReplace": None,
            "dependencies": [parent.urn],
        },
    )
    child.provider = f"{provider.urn}::provider-id"
    with PolicyPack(make_pack(tmp_path, ECHO_PACK)) as pack:
        found = analyze(pack, [provider, parent, child])

    by_policy = {(v.policy, v.urn): v for v in found}
    seen = echoed(by_policy[("echo-resource", child.urn)])
    assert seen["props"] == {"credentials": [{"key": "SecretToken", "value": "t"}], "n": {}}  # internal keys dropped
    assert seen["protect"] is True and seen["ignoreChanges"] == ["credentials"]
    assert seen["deleteBeforeReplace"] is None  # not set != false
    assert seen["parent"] == parent.urn
    assert seen["provider"] == ["pulumi:providers:azuread", provider.urn, "default"]

    stack_view = echoed(by_policy[("echo-stack", None)])
    assert stack_view[child.urn] == {"parent": parent.urn, "dependencies": [parent.urn]}
    assert stack_view[parent.urn] == {"parent": None, "dependencies": []}


PROPS_PACK = """
    import json
    from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy

    def per_resource(args, report):
        report(json.dumps(["analyze", args.name, dict(args.props)]))

    def per_stack(args, report):
        report(json.dumps(["stack", {r.name: dict(r.props) for r in args.resources}]))

    PolicyPack("props", policies=[
        ResourceValidationPolicy(name="each", description="each", validate=per_resource,
                                 enforcement_level=EnforcementLevel.ADVISORY),
        StackValidationPolicy(name="stack", description="stack", validate=per_stack,
                              enforcement_level=EnforcementLevel.ADVISORY),
    ])
"""


def test_the_stack_policies_see_a_components_outputs_and_analyze_its_inputs(tmp_path: Path) -> None:
    """As the engine does (step_generator.go): Analyze gets each resource's inputs, AnalyzeStack its outputs; a
    component that registered no outputs has none. Found by the conformance suite (a bootstrap component whose
    outputs differed from its inputs)."""
    said = resource(TYPES["provisioning"], "said", {"orgId": "input"}, custom=False, outputs={"orgId": "output"})
    silent = resource(TYPES["provisioning"], "silent", {"orgId": "input"}, custom=False)
    silent.outputs = None
    child = resource(TYPES["credentials"], "credentials", {"keys": "k"}, parent=said)
    with PolicyPack(make_pack(tmp_path, PROPS_PACK)) as pack:
        found = [json.loads(v.message) for v in analyze(pack, [said, silent, child])]
    assert ["analyze", "said", {"orgId": "input"}] in found
    assert ["analyze", "silent", {"orgId": "input"}] in found
    (stack,) = [f[1] for f in found if f[0] == "stack"]
    assert stack == {"said": {"orgId": "output"}, "silent": {}, "credentials": {"keys": "k"}}


LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@LINUX_ONLY
def test_the_pack_is_started_like_the_cli_does() -> None:
    pack = shared_pack()
    pack.policies()  # serving: the process has exec'ed (before that, /proc shows the parent's or no command line)
    args = Path(f"/proc/{pack.pid}/cmdline").read_bytes().split(b"\0")
    assert args[1:5] == [b"-m", b"pulumi.policy", b"127.0.0.1:1", str(PACK_DIR).encode()]
    assert Path(f"/proc/{pack.pid}/cwd").resolve() == PACK_DIR
    # The pack runs in its own process group, so the terminal's Ctrl-C reaches us and we stop it.
    assert os.getpgid(pack.pid) == pack.pid


@LINUX_ONLY
def test_the_pack_does_not_inherit_program_config(monkeypatch: pytest.MonkeyPatch, canary: str) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"webex-scim:scimToken": canary}))
    with PolicyPack(PACK_DIR) as pack:
        pack.policies()
        environ = Path(f"/proc/{pack.pid}/environ").read_bytes()
    assert canary.encode() not in environ


# -- policy config ------------------------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy-config.json"
    path.write_text(text)
    return path


def test_policy_config_file_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, '{"all": "advisory", "token-expiry": {"enforcementLevel": "mandatory", "minDaysLeft": 9}}')
    assert load_policy_config(path) == {
        "all": "advisory",
        "token-expiry": {"enforcementLevel": "mandatory", "minDaysLeft": 9},
    }
    assert load_policy_config(write(tmp_path, "  \n")) == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"token-expiry": "mandatory",}', "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"token-expiry": "strict"}', "token-expiry: 'strict' is not an enforcement level"),
        (
            '{"token-expiry": {"enforcementLevel": "warn"}}',
            "token-expiry.enforcementLevel: 'warn' is not an enforcement",
        ),
        ('{"token-expiry": 3}', "token-expiry: 3 must be an enforcement level"),
    ],
)
def test_bad_policy_config_file_is_a_usage_error(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        load_policy_config(path)
    assert str(path) in str(caught.value) and expected in str(caught.value)
    assert caught.value.exit_code == 2


def test_missing_policy_config_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load_policy_config(tmp_path / "nope.json")


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"token-expiri": "mandatory"},
         "'token-expiri' is not a policy of this pack (did you mean 'token-expiry'?); its policies are: "),
        ({"token-expiry": {"minDays": 3}},
         "token-expiry.minDays: not a setting of this policy (did you mean 'minDaysLeft'?; its settings: minDaysLeft)"),
        ({"token-expiry": {"minDaysLeft": "soon"}}, 'token-expiry.minDaysLeft: expected integer, got "soon"'),
        ({"token-expiry": {"minDaysLeft": -1}}, "token-expiry.minDaysLeft: -1 is below the minimum 0"),
        ({"username-from-email-attribute": {"allowedUserNameSources": ["mail", 3]}},
         "username-from-email-attribute.allowedUserNameSources: [1]: expected string, got 3"),
    ],
)  # fmt: skip
def test_policy_config_that_does_not_fit_the_pack_is_a_usage_error(
    tmp_path: Path, config: dict[str, Any], expected: str
) -> None:
    path = write(tmp_path, json.dumps(config))
    with pytest.raises(UsageError) as caught:
        analyze(shared_pack(), webex_stack(), load_policy_config(path))
    assert str(caught.value).startswith(f"{path}: ") and expected in str(caught.value)


# -- failures -------------------------------------------------------------------------------------------------------


def test_pack_that_fails_to_start_reports_its_own_error(tmp_path: Path) -> None:
    pack_dir = make_pack(tmp_path, 'raise RuntimeError("boom from the pack")\n', name="broken")
    with pytest.raises(EngineError) as caught, PolicyPack(pack_dir) as pack:
        pid = pack.pid
        analyze(pack, webex_stack())
    message = str(caught.value)
    assert message.startswith("policy pack 'broken' failed to start (the pack exited with code 1)")
    assert "RuntimeError: boom from the pack" in message
    assert "_InactiveRpcError" not in message and "grpc" not in message.lower()
    assert caught.value.exit_code == 1
    assert wait_gone(pid)


def test_pack_whose_rule_raises_reports_the_rule_error(tmp_path: Path) -> None:
    main = """
        from pulumi_policy import PolicyPack, ResourceValidationPolicy
        def explode(args, report):
            raise ValueError("rule exploded on purpose")
        PolicyPack("exploding", policies=[ResourceValidationPolicy(name="explode", description="x", validate=explode)])
    """
    stack = webex_stack()
    with pytest.raises(EngineError) as caught, PolicyPack(make_pack(tmp_path, main)) as pack:
        pid = pack.pid
        analyze(pack, stack)
    message = str(caught.value)
    assert f"failed while analyzing {stack[0].urn}" in message
    assert "rule exploded on purpose" in message and "_InactiveRpcError" not in message
    assert wait_gone(pid)


def test_pack_that_dies_mid_analysis_is_an_engine_error(tmp_path: Path) -> None:
    main = """
        import os
        from pulumi_policy import PolicyPack, ResourceValidationPolicy
        PolicyPack("dying", policies=[ResourceValidationPolicy(name="die", description="x",
                                                               validate=lambda args, report: os._exit(3))])
    """
    with (
        pytest.raises(EngineError, match=r"the pack exited with code 3"),
        PolicyPack(make_pack(tmp_path, main)) as pack,
    ):
        analyze(pack, webex_stack())


def test_directory_without_a_pack_is_an_engine_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match=r"no PulumiPolicy\.yaml"):
        PolicyPack(tmp_path)


# -- the process never outlives its owner ------------------------------------------------------------------------


def test_close_stops_the_pack_and_its_process_group() -> None:
    pack = PolicyPack(PACK_DIR)
    pack.policies()
    pid = pack.pid
    pack.close()
    pack.close()  # idempotent
    assert not alive(pid)
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    with pytest.raises(EngineError, match="is closed"):
        pack.policies()


def test_an_exception_in_the_with_block_stops_the_pack() -> None:
    with pytest.raises(KeyboardInterrupt), PolicyPack(PACK_DIR) as pack:
        pid = pack.pid
        raise KeyboardInterrupt
    assert wait_gone(pid)


def test_a_signal_in_the_middle_of_kill_still_stops_the_pack_at_once() -> None:
    """What a Ctrl-C handler meets when it interrupts the normal `kill` (CI saw a 2 s exit): `kill`'s bookkeeping
    already done, the group not yet killed, and the Popen's wait lock held. `kill_now` kills anyway, waits for
    nothing."""
    from offline.pack_process import PackProcess

    pack = PackProcess(PACK_DIR)
    pack.wait_for_port(60)
    pack._finalizer.detach()  # `kill` got this far: a second `kill` would now do nothing but wait
    with pack.proc._waitpid_lock:  # ... and the interrupted call was reaping
        started = time.monotonic()
        pack.kill_now()
        took = time.monotonic() - started
        assert wait_gone(pack.pid, timeout=5)
    assert took < 0.1
    pack.kill()


def test_an_unclosed_pack_is_stopped_when_collected() -> None:
    pack = PolicyPack(PACK_DIR)
    pid = pack.pid
    del pack
    assert wait_gone(pid)


OWNER = """
import os, signal, sys
sys.path.insert(0, {repo!r})
from offline.policy import PolicyPack
pack = PolicyPack()
pack.policies()
print(pack.pid, flush=True)
"""


def test_the_pack_dies_with_its_owner() -> None:
    owner = subprocess.run(
        [sys.executable, "-c", OWNER.format(repo=str(REPO)), "exit"], capture_output=True, text=True, timeout=60
    )
    assert owner.returncode == 0, owner.stderr
    assert wait_gone(int(owner.stdout.strip()))


# -- the README's rule table -------------------------------------------------------------------------------------


def test_rules_markdown_lists_every_rule_the_pack_serves() -> None:
    sys.path.insert(0, str(PACK_DIR))
    try:
        import webex_guard
    finally:
        sys.path.remove(str(PACK_DIR))
    table = webex_guard.rules_markdown()
    served = shared_pack().policies()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [p.name for p in served]
    for policy, row in zip(served, rows, strict=True):
        assert f"| {policy.enforcement_level} |" in row and policy.description in row
    assert "`minDaysLeft` (default `30`)" in table
