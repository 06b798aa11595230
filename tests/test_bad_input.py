"""Bad input, as an identity admin types it: every case exits 2 with one line naming the key (or the file, or the
flag), no traceback, nothing on stdout, and the canary token never appears, even when it is in the file.

One table (CASES) runs in-process through `webex_scim.cli.main`; the audit's sixteen inputs that ended in a
traceback and the ones that could hang or eat memory (a FIFO, /dev/zero) run through the real `python -m webex_scim`
with a timeout.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import ROOT
from webex_scim.cli import main

CIPHER = "v1:AAAAAAAAAAAAAAAA:AAAABBBBCCCC"  # the passphrase provider's shape: v1:<base64 nonce>:<base64 ciphertext>
ORG = "6f1a1d43-2b0e-4a8c-9d5e-0c2b7e9f4a11"

# A complete, valid stack (the control test below proves it), the canary in a comment as a careless admin leaves it.
BASE = f"""config:
  webex-scim:orgId: {ORG}
  webex-scim:notificationEmail: webex-admins@contoso.com
  webex-scim:tokenExpiresOn: "2099-01-01"
  webex-scim:assignments:
    - user: pilot.user@contoso.com
  webex-scim:provisioning:
    deleteThreshold: 500
  webex-scim:scimToken:
    secure: {CIPHER}
# the revoked token was {{canary}}; never paste a token into this file
"""
EXPIRY = '  webex-scim:tokenExpiresOn: "2099-01-01"'
THRESHOLD = "    deleteThreshold: 500"
TOKEN = f"  webex-scim:scimToken:\n    secure: {CIPHER}"
ASSIGNMENTS = "  webex-scim:assignments:\n    - user: pilot.user@contoso.com"
BOMB = "\n".join(
    ["  webex-scim:l0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"  webex-scim:l{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
)


@dataclass(frozen=True)
class Case:
    id: str
    expected: str  # on exactly one line of stderr; {tmp} and {stack} are filled in
    add: str = ""  # lines added under `config:` ({canary} filled in)
    replace: tuple[str, str] | None = None  # (old, new) in BASE
    text: str | bytes | None = None  # the whole stack file instead
    argv: tuple[str, ...] = ("preview", "--config-file", "{stack}", "--no-policies")


def yaml_cases() -> list[Case]:
    return [
        Case("unquoted impossible date", "webex-scim:tokenExpiresOn: '2027-13-45' is not an ISO date",
             replace=(EXPIRY, "  webex-scim:tokenExpiresOn: 2027-13-45")),
        Case("unquoted 30 February", "webex-scim:tokenExpiresOn: '2027-02-30' is not an ISO date (day value",
             replace=(EXPIRY, "  webex-scim:tokenExpiresOn: 2027-02-30")),
        Case("date with slashes", "webex-scim:tokenExpiresOn: '2027/11/26' is not an ISO date",
             replace=(EXPIRY, "  webex-scim:tokenExpiresOn: 2027/11/26")),
        Case("US date", "webex-scim:tokenExpiresOn", replace=(EXPIRY, "  webex-scim:tokenExpiresOn: 11/26/2027")),
        Case("date and time", "webex-scim:tokenExpiresOn: '2027-11-26T10:00:00' is not an ISO date",
             replace=(EXPIRY, "  webex-scim:tokenExpiresOn: 2027-11-26T10:00:00")),
        Case("duplicate key appended below", "`webex-scim:orgId` is defined twice (line 2 and line 12)",
             add="  webex-scim:orgId: 11111111-2222-3333-4444-555555555555"),
        Case("same key with and without namespace", "webex-scim:orgId: is set twice, as `webex-scim:orgId` (line 2)",
             add=f"  orgId: {ORG}"),
        Case("duplicate nested key", "`deleteThreshold` is defined twice",
             replace=(THRESHOLD, THRESHOLD + "\n    deleteThreshold: 0")),
        Case("second config section", "`config` is defined twice",
             text=BASE + "config:\n  webex-scim:offer: government\n"),
        Case("duplicate token, canary in clear", "`webex-scim:scimToken` is defined twice",
             add="  webex-scim:scimToken: {canary}"),
        Case("tab indentation", "not valid YAML (line 12", add="\twebex-scim:rollout: full"),
        Case("no space after colon", "not valid YAML (line 13", add="  webex-scim:rollout:full # {canary}\n  x"),
        Case("unclosed quote", "not valid YAML", add='  webex-scim:notificationEmail2: "{canary}'),
        Case("unbalanced bracket", "not valid YAML", add="  webex-scim:assignments2: [{user: a@contoso.com}"),
        Case("self-referencing alias", "webex-scim:loop: refers to itself through a YAML alias",
             add="  webex-scim:loop: &a [x, *a]"),
        Case("self-referencing mapping alias", "webex-scim:app: refers to itself", add="  webex-scim:app: &a {x: *a}"),
        Case("alias bomb", "webex-scim:l3: YAML aliases expand it to 11,111 values", add=BOMB),
        Case("alias of an undefined anchor", "found undefined alias", add="  webex-scim:app: *nowhere"),
        Case("deep flow nesting", "values are nested more than 32 levels deep",
             add="  webex-scim:deep: " + "[" * 20_000 + "]" * 20_000),
        Case("deep block nesting", "webex-scim:deep: values are nested more than 32 levels deep",
             add="  webex-scim:deep:\n" + "".join("    " + " " * i + f"k{i}:\n" for i in range(3_000))
             + "    " + " " * 3_000 + "v: 1"),
        Case("binary tag", "webex-scim:app: holds binary data (!!binary)",
             add="  webex-scim:app: {displayName: !!binary aGVsbG8=}"),
        Case("set tag", "webex-scim:assignments2: holds a set (!!set)", add="  webex-scim:assignments2: !!set {a}"),
        Case("omap tag", "webex-scim:app: holds ordered pairs", add="  webex-scim:app: !!omap [displayName: x]"),
        Case("int tag on text", "line 12: the value tagged !!int cannot be read",
             add="  webex-scim:rollout: !!int full"),
        Case("config is a list", "`config:` must be a mapping", text="config:\n  - webex-scim:orgId: x\n# {canary}\n"),
        Case("file is a list", "a stack file is a YAML mapping", text="- config\n# {canary}\n"),
        Case("NUL byte", "character #x0000 is not allowed", text=BASE.replace("pilot.user", "pilot\0user")),
        Case("binary garbage", "is not UTF-8 text", text=b"\x89PNG\r\n\x1a\n\xff\xfe{canary}\x80\x81"),
        Case("saved as UTF-16 by PowerShell", "is saved as UTF-16 text", text="\ufeff" + BASE),
    ]  # fmt: skip


def secret_cases() -> list[Case]:
    return [
        Case("token pasted under secure", "webex-scim:scimToken: the `secure:` value is not base64",
             replace=(TOKEN, "  webex-scim:scimToken:\n    secure: {canary}")),
        Case("secure is a number", "webex-scim:scimToken: the `secure:` value is a number",
             replace=(TOKEN, "  webex-scim:scimToken:\n    secure: 12345")),
        Case("secure is a mapping", "webex-scim:scimToken: the `secure:` value is a mapping",
             replace=(TOKEN, "  webex-scim:scimToken:\n    secure: {value: x}")),
        Case("secure is empty", "webex-scim:scimToken: the `secure:` value is empty",
             replace=(TOKEN, "  webex-scim:scimToken:\n    secure: ''")),
        Case("secure is null", "webex-scim:scimToken: the `secure:` value is empty",
             replace=(TOKEN, "  webex-scim:scimToken:\n    secure:")),
        Case("secure with one part", "webex-scim:scimToken: the `secure:` value is not base64",
             replace=(TOKEN, "  webex-scim:scimToken:\n    secure: v1:AAAABBBBCCCC")),
        Case("secure with bad padding", "webex-scim:scimToken: the `secure:` value is not base64",
             replace=(TOKEN, "  webex-scim:scimToken:\n    secure: AAAABBBBCCC")),
        Case("token in plain text", "webex-scim:scimToken: is stored in plain text",
             replace=(TOKEN, "  webex-scim:scimToken: {canary}")),
        Case("token under a typo'd key", "webex-scim:scimtoken: unknown key", add="  webex-scim:scimtoken: {canary}"),
        Case("token under the wrong namespace", "webex_scim:scimToken: `webex_scim` is not this project's namespace",
             add="  webex_scim:scimToken: {canary}"),
        Case("token nested under provisioning", "webex-scim:provisioning.scimToken: unknown key",
             replace=(THRESHOLD, THRESHOLD + "\n    scimToken: {canary}")),
    ]  # fmt: skip


def settings_cases() -> list[Case]:
    return [
        Case("absurd delete threshold", "webex-scim:provisioning.deleteThreshold: 1000000000000000000000000000000 is "
             "more than 1,000,000", replace=(THRESHOLD, "    deleteThreshold: 1000000000000000000000000000000")),
        Case("threshold in words", "webex-scim:provisioning.deleteThreshold: must be a whole number, e.g. `pulumi "
             "config set --path 'provisioning.deleteThreshold' 500`", replace=(THRESHOLD, "    deleteThreshold: five")),
        Case("threshold with a comma", "webex-scim:provisioning.deleteThreshold: must be a whole number",
             replace=(THRESHOLD, '    deleteThreshold: "1,000"')),
        Case("threshold with a fraction", "webex-scim:provisioning.deleteThreshold: must be a whole number",
             replace=(THRESHOLD, "    deleteThreshold: 2.5")),
        Case("threshold true", "webex-scim:provisioning.deleteThreshold: must be a whole number, not true",
             replace=(THRESHOLD, "    deleteThreshold: yes")),
        Case("threshold infinite", "webex-scim:provisioning.deleteThreshold: must be a whole number",
             replace=(THRESHOLD, "    deleteThreshold: .inf")),
        Case("negative threshold", "webex-scim:provisioning.deleteThreshold: -5 is negative",
             replace=(THRESHOLD, "    deleteThreshold: -5")),
        Case("boolean in words", "webex-scim:app.hideFromUsers: must be true or false, e.g. `pulumi config set "
             "--path 'app.hideFromUsers' true`", add="  webex-scim:app:\n    hideFromUsers: maybe"),
        Case("boolean as 2", "webex-scim:provisioning.enabled: must be true or false",
             replace=(THRESHOLD, THRESHOLD + "\n    enabled: 2")),
        Case("group objects in words", "webex-scim:mappings.groupObjects: must be true or false",
             add="  webex-scim:mappings:\n    groupObjects: yes please"),
        Case("app is text", "webex-scim:app: must be a mapping (`hideFromUsers: true` indented under it), not text; "
             "e.g. `pulumi config set --path 'app.hideFromUsers' true`", add="  webex-scim:app: hello"),
        Case("app is a list", "webex-scim:app: must be a mapping", add="  webex-scim:app: [hideFromUsers]"),
        Case("app is empty", "webex-scim:app: must be a mapping", add="  webex-scim:app:"),
        Case("provisioning is a number", "webex-scim:provisioning: must be a mapping",
             replace=("  webex-scim:provisioning:\n" + THRESHOLD, "  webex-scim:provisioning: 500")),
        Case("mappings written as text", "webex-scim:mappings: must be a mapping",
             add="  webex-scim:mappings: userNameSource=mail"),
        Case("assignments is one address", "webex-scim:assignments: must be a list",
             replace=(ASSIGNMENTS, "  webex-scim:assignments: pilot.user@contoso.com")),
        Case("assignments is a mapping", "webex-scim:assignments: must be a list",
             replace=(ASSIGNMENTS, "  webex-scim:assignments:\n    user: pilot.user@contoso.com")),
        Case("assignment is a bare address", "webex-scim:assignments[0]: must be a mapping",
             replace=(ASSIGNMENTS, "  webex-scim:assignments:\n    - pilot.user@contoso.com")),
        Case("assignment user is a number", "webex-scim:assignments[0].user: must be text",
             replace=(ASSIGNMENTS, "  webex-scim:assignments:\n    - user: 12345")),
        Case("empty role", "webex-scim:assignments[0].role: is empty",
             replace=(ASSIGNMENTS, ASSIGNMENTS + "\n      role: ''")),
        Case("empty assignment role", "webex-scim:assignmentRole: is empty", add="  webex-scim:assignmentRole: ''"),
        Case("underscore namespace", "webex_scim:orgId: `webex_scim` is not this project's namespace; its keys are "
             "`webex-scim:<key>`", replace=("  webex-scim:orgId:", "  webex_scim:orgId:")),
        Case("namespace without dash", "webexscim:orgId: `webexscim` is not this project's namespace",
             replace=("  webex-scim:orgId:", "  webexscim:orgId:")),
        Case("namespace in capitals", "Webex-Scim:orgId: `Webex-Scim` is not this project's namespace",
             replace=("  webex-scim:orgId:", "  Webex-Scim:orgId:")),
        Case("namespace misspelt", "webex-sicm:orgId: `webex-sicm` is not this project's namespace",
             replace=("  webex-scim:orgId:", "  webex-sicm:orgId:")),
        Case("dot for the colon", "webex-scim.orgId: a config key is `namespace:key`, with a colon",
             replace=("  webex-scim:orgId:", "  webex-scim.orgId:")),
        Case("flat dotted key", "webex-scim:app.hideFromUsers: is one flat key with a dot in its name",
             add="  webex-scim:app.hideFromUsers: false"),
        Case("flat dotted threshold", "webex-scim:provisioning.deleteThreshold: is one flat key",
             add="  webex-scim:provisioning.deleteThreshold: 100"),
        Case("offer capitalised", "webex-scim:offer: 'Commercial' is not allowed",
             add="  webex-scim:offer: Commercial"),
        Case("token pasted as the offer", "webex-scim:offer: a 39-character value (not shown) is not allowed",
             add="  webex-scim:offer: {canary}"),
        Case("rollout typo", "webex-scim:rollout: 'ful' is not allowed", add="  webex-scim:rollout: ful"),
        Case("org ID in braces", "webex-scim:orgId",
             replace=(f"  webex-scim:orgId: {ORG}", f"  webex-scim:orgId: {{{ORG}}}")),
        Case("two notification addresses", "webex-scim:notificationEmail: 'a@contoso.com; b@contoso.com' is not an "
             "email", replace=("webex-admins@contoso.com", "a@contoso.com; b@contoso.com")),
        Case("tenant URL of another org", "webex-scim:tenantUrl:", add="  webex-scim:tenantUrl: "
             "https://webexapis.com/identity/scim/11111111-2222-3333-4444-555555555555/v2"),
        Case("userName from proxyAddresses", "webex-scim:mappings.userNameSource: userNameSource 'proxyAddresses': "
             "proxyAddresses holds several addresses",
             add="  webex-scim:mappings:\n    userNameSource: proxyAddresses"),
        Case("userName from otherMails", "webex-scim:mappings.userNameSource: userNameSource 'otherMails'",
             add="  webex-scim:mappings:\n    userNameSource: otherMails"),
        Case("scoping operator in lower case", "did you mean 'EQUALS'?", add="  webex-scim:mappings:\n"
             "    scopingFilter: [{clauses: [{attribute: department, operator: equals, values: [Sales]}]}]"),
    ]  # fmt: skip


def cli_cases() -> list[Case]:
    preview = ("preview", "--config-file", "{stack}", "--no-policies")
    return [
        Case("stack name with a path", "--stack 'x/../../..' is not a stack name",
             argv=("preview", "--stack", "x/../../..")),
        Case("stack name absolute", "--stack '/etc/passwd' is not a stack name",
             argv=("preview", "--stack", "/etc/passwd")),
        Case("stack name with a space", "--stack 'my stack' is not a stack name",
             argv=("preview", "--stack", "my stack")),
        Case("stack name only dots", "--stack 'acme/..' is not a stack name", argv=("preview", "--stack", "acme/..")),
        Case("empty stack name", "--stack '' is not a stack name", argv=("preview", "--stack", "")),
        Case("diff stack name with a path", "--stack '../x' is not a stack name",
             argv=("diff", "--stack", "../x", "--base", "HEAD")),
        Case("stack file is a directory", "stack file {tmp}: is a directory",
             argv=("preview", "--config-file", "{tmp}")),
        Case("stack file missing", "stack file {tmp}/Pulumi.nope.yaml: no such file",
             argv=("preview", "--config-file", "{tmp}/Pulumi.nope.yaml")),
        Case("stack file under a file", "no such file (a part of the path is a file",
             argv=("preview", "--config-file", "{stack}/x.yaml")),
        Case("stack file is a device", "stack file /dev/null: is a device or socket",
             argv=("preview", "--config-file", "/dev/null")),
        Case("policy config is a directory", "--policy-config {tmp}: is a directory",
             argv=("preview", "--config-file", "{stack}", "--policy-config", "{tmp}")),
        Case("policy config is a device", "--policy-config /dev/null: is a device",
             argv=("preview", "--config-file", "{stack}", "--policy-config", "/dev/null")),
        Case("json into a missing folder", "--json {tmp}/missing/x.json: the folder {tmp}/missing does not exist",
             argv=(*preview, "--json", "{tmp}/missing/x.json")),
        Case("json onto a directory", "--json {tmp}: is a directory; give a file name in it, e.g. {tmp}/preview.json",
             argv=(*preview, "--json", "{tmp}")),
        Case("json into /proc", "--json /proc/x.json: cannot create a file in /proc",
             argv=(*preview, "--json", "/proc/x.json")),
        Case("json under a file", "--json {stack}/x.json: a part of the path is a file",
             argv=(*preview, "--json", "{stack}/x.json")),
        Case("markdown onto a directory", "--markdown {tmp}: is a directory", argv=(*preview, "--markdown", "{tmp}")),
        Case("markdown into a missing folder", "--markdown {tmp}/nope/r.md: the folder",
             argv=(*preview, "--markdown", "{tmp}/nope/r.md")),
        Case("diff json onto a directory", "--json {tmp}: is a directory; give a file name in it, e.g. {tmp}/diff.json",
             argv=("diff", "--stack", "dev", "--base", "HEAD", "--json", "{tmp}")),
        Case("diff markdown into a missing folder", "--markdown {tmp}/nope/d.md: the folder",
             argv=("diff", "--stack", "dev", "--base", "HEAD", "--markdown", "{tmp}/nope/d.md")),
        Case("diff stack file is a device", "stack file /dev/null: is a device",
             argv=("diff", "--config-file", "/dev/null", "--base", "HEAD")),
        Case("diff policy config is a directory", "--policy-config {tmp}: is a directory",
             argv=("diff", "--stack", "dev", "--base", "HEAD", "--policy-config", "{tmp}")),
    ]  # fmt: skip


CASES = yaml_cases() + secret_cases() + settings_cases() + cli_cases()


def _write(case: Case, tmp_path: Path, canary: str) -> Path:
    path = tmp_path / "Pulumi.case.yaml"
    if isinstance(case.text, bytes):
        path.write_bytes(case.text.replace(b"{canary}", canary.encode()))
        return path
    text = BASE if case.text is None else case.text
    if case.replace is not None:
        old, new = case.replace
        assert old in text, f"{case.id}: the edit does not apply"
        text = text.replace(old, new)
    text = (text.rstrip("\n") + "\n" + case.add + "\n") if case.add else text
    text = text.replace("{canary}", canary)
    if text.startswith("\ufeff"):  # as PowerShell 5 writes it
        path.write_bytes(text.encode("utf-16"))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _fill(text: str, tmp_path: Path, stack: Path) -> str:
    return text.replace("{tmp}", str(tmp_path)).replace("{stack}", str(stack))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_exits_2_with_one_line_naming_it(case: Case, tmp_path: Path, capsys, canary: str) -> None:
    stack = _write(case, tmp_path, canary)
    code = main([_fill(arg, tmp_path, stack) for arg in case.argv])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == ""  # nothing half-printed: refused before the preview ran
    expected = _fill(case.expected, tmp_path, stack)
    naming = [line for line in err.splitlines() if expected in line]
    assert len(naming) == 1, f"expected one line with {expected!r} in:\n{err}"
    assert "error: " in err and "Traceback" not in err
    assert canary not in err


def test_every_stack_file_case_carries_the_canary(tmp_path: Path, canary: str) -> None:
    """The canary checks above mean something: the canary is in every stack file they read."""
    for case in CASES:
        data = _write(case, tmp_path, canary).read_bytes()
        assert canary.encode() in data or canary.encode("utf-16-le") in data, case.id


def test_the_base_stack_is_valid(tmp_path: Path, capsys, canary: str) -> None:
    """So that each case above fails for its own reason."""
    stack = _write(Case("base", ""), tmp_path, canary)
    assert main(["preview", "--config-file", str(stack), "--no-policies", "--no-details"]) == 0
    out, err = capsys.readouterr()
    assert canary not in out + err


@pytest.mark.parametrize(
    "text",
    [BASE.replace("\n", "\r\n"), "\ufeff" + BASE, BASE + "  webex-scim:app: &app {hideFromUsers: true}\n"],
    ids=["windows line endings", "UTF-8 byte-order mark", "one harmless anchor"],
)
def test_what_the_pulumi_cli_reads_is_read(text: str, tmp_path: Path, capsys, canary: str) -> None:
    stack = tmp_path / "Pulumi.ok.yaml"
    stack.write_text(text.replace("{canary}", canary), encoding="utf-8", newline="")
    assert main(["preview", "--config-file", str(stack), "--no-policies", "--no-details"]) == 0, capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------------------
# End to end: the real CLI process, on the audit's traceback inputs and on what could hang or eat memory


def _offline(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "webex_scim", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,  # a FIFO or /dev/zero that is read would hang or fill memory: fail instead
    )


def _without_root_read_override() -> tuple[str, ...]:
    """A prefix under which permissions are enforced: root reads a mode-000 file unless it drops CAP_DAC_*."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: mode 000 files are readable")
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--")


def _dev(tmp_path: Path, old: str, new: str) -> Path:
    text = (ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "Pulumi.audit.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _audit_inputs(tmp_path: Path) -> list[tuple[str, list[str], str]]:
    """The sixteen inputs of AUDIT-2026-11 D2 that ended in a traceback: (id, argv, text naming the culprit)."""
    dev = (ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    binary = tmp_path / "Pulumi.bin.yaml"
    binary.write_bytes(bytes(range(256)) * 16)
    utf16 = tmp_path / "Pulumi.utf16.yaml"
    utf16.write_bytes(dev.encode("utf-16"))
    flow = tmp_path / "Pulumi.flow.yaml"
    flow.write_text(dev + "  webex-scim:deep: " + "[" * 20_000 + "]" * 20_000 + "\n", encoding="utf-8")
    block = tmp_path / "Pulumi.block.yaml"
    block.write_text(dev + "  webex-scim:deep:\n" + "".join("    " + " " * i + f"k{i}:\n" for i in range(3_000))
                     + "    " + " " * 3_000 + "v: 1\n", encoding="utf-8")  # fmt: skip
    loop = tmp_path / "Pulumi.loop.yaml"
    loop.write_text(dev + "  webex-scim:loop: &a [x, *a]\n", encoding="utf-8")
    unreadable = tmp_path / "Pulumi.unreadable.yaml"
    unreadable.write_text(dev, encoding="utf-8")
    unreadable.chmod(0)
    policy = tmp_path / "pc.json"
    policy.write_bytes(b'{"token-expiry": "advisory"}\x80\x81 garbage')
    read_only = tmp_path / "read-only.json"
    read_only.write_text("{}", encoding="utf-8")
    read_only.chmod(stat.S_IRUSR)
    date = lambda new: str(_dev(tmp_path, '"2027-11-01"', new))  # noqa: E731
    return [
        ("unquoted date 2027-13-45", ["preview", "--config-file", date("2027-13-45")], "webex-scim:tokenExpiresOn"),
        ("unquoted date 2027-02-30", ["preview", "--config-file", date("2027-02-30")], "webex-scim:tokenExpiresOn"),
        ("binary garbage", ["preview", "--config-file", str(binary)], f"{binary}: is not UTF-8 text"),
        ("UTF-16 file", ["preview", "--config-file", str(utf16)], f"{utf16}: is saved as UTF-16 text"),
        ("20,000-deep flow list", ["preview", "--config-file", str(flow)],
         f"{flow}, line {dev.count(chr(10)) + 1}: values are nested more than 32"),  # the line after the dev stack's
        ("3,000-deep block mapping", ["preview", "--config-file", str(block)], "webex-scim:deep: values are nested"),
        ("self-referencing alias", ["preview", "--config-file", str(loop)], "webex-scim:loop: refers to itself"),
        ("config file is a directory", ["preview", "--config-file", str(tmp_path)], f"{tmp_path}: is a directory"),
        ("config file mode 000", ["preview", "--config-file", str(unreadable)], "cannot read it (permission denied)"),
        ("config file /dev/zero", ["preview", "--config-file", "/dev/zero"], "/dev/zero: is a device"),
        ("policy config not UTF-8", ["preview", "--stack", "dev", "--policy-config", str(policy)], "is not UTF-8"),
        ("json into a missing folder", ["preview", "--stack", "dev", "--json", "/nonexistent/x.json"],
         "the folder /nonexistent does not exist"),
        ("json into /proc", ["preview", "--stack", "dev", "--json", "/proc/x.json"], "cannot create a file in /proc"),
        ("json onto a directory", ["diff", "--stack", "dev", "--base", "HEAD", "--json", str(tmp_path)],
         f"--json {tmp_path}: is a directory"),
        ("json onto a read-only file", ["preview", "--stack", "dev", "--json", str(read_only)],
         f"--json {read_only}: cannot write to it"),
        ("markdown onto a directory", ["preview", "--stack", "dev", "--markdown", str(tmp_path)],
         f"--markdown {tmp_path}: is a directory"),
    ]  # fmt: skip


AUDIT_IDS = [
    "unquoted date 2027-13-45", "unquoted date 2027-02-30", "binary garbage", "UTF-16 file", "20,000-deep flow list",
    "3,000-deep block mapping", "self-referencing alias", "config file is a directory", "config file mode 000",
    "config file /dev/zero", "policy config not UTF-8", "json into a missing folder", "json into /proc",
    "json onto a directory", "json onto a read-only file", "markdown onto a directory",
]  # fmt: skip


@pytest.mark.parametrize("which", AUDIT_IDS)
def test_the_audits_traceback_inputs_exit_2_from_the_real_cli(which: str, tmp_path: Path) -> None:
    ((_, argv, expected),) = [row for row in _audit_inputs(tmp_path) if row[0] == which]
    needs_permissions = which in ("config file mode 000", "json onto a read-only file")
    proc = _offline(*argv, prefix=_without_root_read_override() if needs_permissions else ())
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""  # refused before the preview ran: no tree, no half-written report
    assert [line for line in proc.stderr.splitlines() if expected in line], proc.stderr
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


def test_a_fifo_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "Pulumi.fifo.yaml"
    os.mkfifo(fifo)
    for argv in (
        ["preview", "--config-file", str(fifo)],
        ["preview", "--stack", "dev", "--policy-config", str(fifo)],
        ["diff", "--config-file", str(fifo), "--base", "HEAD"],
    ):
        proc = _offline(*argv)
        assert proc.returncode == 2, proc.stderr
        assert f"{fifo}: is a FIFO (named pipe), not a regular file" in proc.stderr


def test_an_oversized_stack_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    big = tmp_path / "Pulumi.big.yaml"
    with big.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: 64 MiB of NULs on the page cache only
    proc = _offline("preview", "--config-file", str(big))
    assert proc.returncode == 2
    assert f"{big}: is larger than 8 MiB" in proc.stderr
