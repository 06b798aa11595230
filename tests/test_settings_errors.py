"""Bad input: exit 2, one message on stderr naming the key and the fix, no traceback, no partial output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components import catalog
from components.settings import MAX_DELETE_THRESHOLD, SettingsError, validate
from components.settings_messages import namespace_problems
from tests.support import BASE, ORG, ROOT, config
from webex_scim.cli import main

ARTICLE_SAMPLE_ORG = "a35bfbc6-ccbd-4a17-a488-72gf46c5420c"


def write_stack(tmp_path: Path, values: dict | str, name: str = "Pulumi.case.yaml") -> Path:
    path = tmp_path / name
    if isinstance(values, str):
        path.write_text(values)
    else:
        path.write_text(yaml.safe_dump({"config": {f"webex-scim:{k}": v for k, v in values.items()}}))
    return path


# (case id, stack config, text every message must contain)
CASES = [
    ("missing orgId", config(orgId=None), ["webex-scim:orgId", "required", "pulumi config set orgId"]),
    ("article sample orgId", config(orgId=ARTICLE_SAMPLE_ORG), ["webex-scim:orgId", "'g' is not hex", "Control Hub"]),
    (
        "base64 api id",
        config(orgId="Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi8x"),
        ["webex-scim:orgId", "not a Webex org ID"],
    ),
    ("unknown offer", config(offer="enterprise"), ["webex-scim:offer", "'enterprise'", "commercial", "government"]),
    (
        "tenantUrl without org",
        config(tenantUrl="https://webexapis.com/identity/scim/other/v2"),
        ["webex-scim:tenantUrl", "does not contain the org ID", ORG],
    ),
    (
        "tenantUrl not https",
        config(tenantUrl=f"http://webexapis.com/identity/scim/{ORG}/v2"),
        ["webex-scim:tenantUrl", "not an https URL"],
    ),
    (
        "bad notification email",
        config(notificationEmail="webex-admins"),
        ["webex-scim:notificationEmail", "not an email"],
    ),
    (
        "missing notification email",
        config(notificationEmail=None),
        ["webex-scim:notificationEmail", "pulumi config set notificationEmail"],
    ),
    ("unknown top-level key", config(orgID=ORG), ["webex-scim:orgID", "unknown key", "pulumi config rm"]),
    ("unknown nested key", config(app={"hideFromUser": True}), ["webex-scim:app.hideFromUser", "unknown key"]),
    ("pilot with zero users", config(assignments=[]), ["webex-scim:rollout", "exactly one user", "found 0 user(s)"]),
    (
        "pilot with two users",
        config(assignments=[{"user": "a@contoso.com"}, {"user": "b@contoso.com"}]),
        ["webex-scim:rollout", "found 2 user(s)", "pulumi config set rollout full"],
    ),
    (
        "pilot with a group",
        config(assignments=[{"group": "Webex Users"}]),
        ["webex-scim:rollout", "0 user(s) and 1 group(s)"],
    ),
    (
        "duplicate assignment",
        config(rollout="full", assignments=[{"user": "a@contoso.com"}, {"user": "A@contoso.com"}]),
        ["webex-scim:assignments[1]", "already assigned by assignments[0]"],
    ),
    (
        "assignment with neither",
        config(rollout="full", assignments=[{"role": "User"}]),
        ["webex-scim:assignments[0]", "exactly one of `user:"],
    ),
    (
        "assignment with both",
        config(rollout="full", assignments=[{"user": "a@contoso.com", "group": "G"}]),
        ["webex-scim:assignments[0]", "both were given"],
    ),
    (
        "negative delete threshold",
        config(provisioning={"deleteThreshold": -1}),
        ["webex-scim:provisioning.deleteThreshold", "negative", "0 to turn the guard off"],
    ),
    ("unknown scope", config(provisioning={"scope": "everyone"}), ["webex-scim:provisioning.scope", "'everyone'"]),
    ("bad expiry date", config(tokenExpiresOn="next year"), ["webex-scim:tokenExpiresOn", "ISO date"]),
    ("unknown rollout", config(rollout="canary"), ["webex-scim:rollout", "'canary'"]),
    ("owner not an object id", config(app={"owners": ["alice@contoso.com"]}), ["webex-scim:app.owners", "object ID"]),
    (
        "template id not a uuid",
        config(app={"templateId": "cisco-webex"}),
        ["webex-scim:app.templateId", "'cisco-webex'", "UUID"],
    ),
    (
        "adopted app id not a uuid",
        config(app={"existingServicePrincipalObjectId": "Cisco Webex"}),
        ["webex-scim:app.existingServicePrincipalObjectId", "UUID"],
    ),
    (
        "graph url not https",
        config(graphBaseUrl="http://graph.microsoft.com/v1.0"),
        ["webex-scim:graphBaseUrl", "not an https URL", "graph.microsoft.us"],
    ),
    ("empty app name", config(app={"displayName": " "}), ["webex-scim:app.displayName", "must not be empty"]),
]


@pytest.mark.parametrize(("values", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_config_exits_2_naming_the_key(tmp_path, capsys, values, expected):
    path = write_stack(tmp_path, values)
    code = main(["preview", "--config-file", str(path), "--no-policies"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""  # nothing half-printed
    assert err.startswith("error: ")
    for text in expected:
        assert text in err
    assert "Traceback" not in err


def test_plain_text_token_is_refused_without_echoing_it(tmp_path, capsys, canary):
    path = write_stack(tmp_path, {**BASE, "scimToken": canary})
    assert main(["preview", "--config-file", str(path), "--no-policies"]) == 2
    out, err = capsys.readouterr()
    assert "webex-scim:scimToken" in err and "plain text" in err
    assert "pulumi config set --secret scimToken" in err
    assert canary not in out + err


@pytest.mark.parametrize("key", ["orgId", "notificationEmail"])
def test_a_token_pasted_into_the_wrong_key_is_not_echoed(tmp_path, capsys, canary, key):
    path = write_stack(tmp_path, {**BASE, key: canary})
    assert main(["preview", "--config-file", str(path), "--no-policies"]) == 2
    out, err = capsys.readouterr()
    assert f"webex-scim:{key}" in err and f"a {len(canary)}-character value" in err
    assert canary not in out + err


def test_a_short_wrong_org_id_is_shown_with_what_is_wrong(tmp_path, capsys):
    # The Webex article's own sample: shown, because it cannot be a secret, with the non-hex letter named.
    path = write_stack(tmp_path, {**BASE, "orgId": "a35bfbc6-ccbd-4a17-a488-72gf46c5420c"})
    assert main(["preview", "--config-file", str(path), "--no-policies"]) == 2
    assert "'a35bfbc6-ccbd-4a17-a488-72gf46c5420c' is not a Webex org ID ('g' is not hex)" in capsys.readouterr().err


def test_stack_file_that_is_not_yaml(tmp_path, capsys):
    path = write_stack(tmp_path, "config:\n  webex-scim:orgId: [unclosed\n")
    assert main(["preview", "--config-file", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "not valid YAML" in err and "line" in err


def test_stack_name_with_no_file(capsys):
    assert main(["preview", "--stack", "nosuchstack"]) == 2
    err = capsys.readouterr().err
    known = ", ".join(sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml")))
    assert known.split(", ").count("dev") == 1  # the example stack, whatever other stacks a user has added
    assert "Pulumi.nosuchstack.yaml" in err and f"known stacks: {known}" in err
    # Offline there is no backend for `pulumi stack init`: the way to a new stack is a copy of the example's file.
    assert "(copy the dev stack's file and edit it: `cp Pulumi.dev.yaml Pulumi.nosuchstack.yaml`)" in err


def test_several_problems_are_one_message(tmp_path, capsys):
    path = write_stack(tmp_path, config(orgId="nope", offer="enterprise"))
    assert main(["preview", "--config-file", str(path), "--no-policies"]) == 2
    err = capsys.readouterr().err
    assert err.count("error: ") == 1
    assert "2 problems" in err and "webex-scim:orgId" in err and "webex-scim:offer" in err


def test_usage_errors_exit_2(capsys):
    assert main(["preview"]) == 2
    assert "--stack" in capsys.readouterr().err


def test_real_process_exit_code_and_no_traceback(tmp_path):
    """The same through `python -m webex_scim`, as make preview runs it."""
    path = write_stack(tmp_path, config(orgId=ARTICLE_SAMPLE_ORG))
    proc = subprocess.run(
        [sys.executable, "-m", "webex_scim", "preview", "--config-file", str(path), "--no-policies"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "webex-scim:orgId" in proc.stderr and "Traceback" not in proc.stderr


# -- what to write: pydantic's type errors rewritten (AUDIT-2026-11 D12) ---------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"provisioning": {"templateId": "ciscowebex", "deleteThreshold": "many"}},
            "webex-scim:provisioning.deleteThreshold: must be a whole number, e.g. "
            "`pulumi config set --path 'provisioning.deleteThreshold' 500`",
        ),
        (
            {"provisioning": {"templateId": "ciscowebex", "deleteThreshold": True}},
            "webex-scim:provisioning.deleteThreshold: must be a whole number, not true",
        ),
        (
            {"app": {"hideFromUsers": "maybe"}},
            "webex-scim:app.hideFromUsers: must be true or false, e.g. "
            "`pulumi config set --path 'app.hideFromUsers' true`",
        ),
        (
            {"mappings": {"groupObjects": "sure"}},
            "webex-scim:mappings.groupObjects: must be true or false, e.g. "
            "`pulumi config set --path 'mappings.groupObjects' false`",
        ),
        (
            {"app": "hello"},
            "webex-scim:app: must be a mapping (`hideFromUsers: true` indented under it), not text; "
            "e.g. `pulumi config set --path 'app.hideFromUsers' true`",
        ),
        (
            {"app": "7"},
            "webex-scim:app: must be a mapping (`hideFromUsers: true` indented under it), not a number; "
            "e.g. `pulumi config set --path 'app.hideFromUsers' true`",
        ),
        (
            {"assignments": "alice@contoso.com", "rollout": "full"},
            "webex-scim:assignments: must be a list (one `- user: alice@contoso.com` per line under it), not text; "
            "e.g. `pulumi config set --path 'assignments[0].user' alice@contoso.com`",
        ),
        (
            {"assignments": ["alice@contoso.com"]},
            "webex-scim:assignments[0]: must be a mapping (`- user: alice@contoso.com` or `- group: Webex Users`), "
            "not text; e.g. `pulumi config set --path 'assignments[0].user' alice@contoso.com`",
        ),
        (
            {"assignments": [{"user": "pilot.user@contoso.com", "role": " "}]},
            "webex-scim:assignments[0].role: is empty; give the app role value (e.g. User), or remove `role:` to "
            "use assignmentRole (or the app's only role)",
        ),
        (
            {"tokenExpiresOn": "2027-13-45"},
            "webex-scim:tokenExpiresOn: '2027-13-45' is not an ISO date (month value is outside expected range of "
            '1-12); write it as YYYY-MM-DD in quotes, e.g. `webex-scim:tokenExpiresOn: "2027-11-26"` '
            "(or `pulumi config set tokenExpiresOn 2027-11-26`)",
        ),
        (
            {"offer": "canary-7Hq2-SCIM-TOKEN-do-not-leak-91f3"},
            "webex-scim:offer: a 39-character value (not shown) is not allowed: use 'commercial' or 'government'; "
            "fix: `pulumi config set offer commercial` (or government)",
        ),
    ],
    ids=[
        "int",
        "int-not-bool",
        "bool",
        "bool-default-false",
        "app-text",
        "app-number",
        "assignments-text",
        "assignment-text",
        "empty-role",
        "impossible-date",
        "long-value-not-echoed",
    ],
)
def test_a_wrong_type_says_what_to_write(change, message):
    with pytest.raises(SettingsError) as err:
        validate(config(**change))
    assert err.value.problems == [message]


def test_the_delete_threshold_has_a_sensible_upper_bound():
    assert validate(config(provisioning={"deleteThreshold": MAX_DELETE_THRESHOLD})).provisioning.delete_threshold == (
        1_000_000
    )
    with pytest.raises(SettingsError) as err:
        validate(config(provisioning={"deleteThreshold": 10**30}))
    (problem,) = err.value.problems
    assert problem.startswith(
        "webex-scim:provisioning.deleteThreshold: 1000000000000000000000000000000 is more than 1,000,000 deletions"
    )
    assert "or 0 to turn the guard off" in problem


def test_a_near_miss_of_the_namespace_names_the_right_one():
    problems, skip = namespace_problems(
        ["webex_scim:orgId", "azuread:tenantId", "pulumi:tags", "webex-scim:orgId", "webex:other", "WEBEX-SCIM:x"]
    )
    assert problems == [
        "webex_scim:orgId: `webex_scim` is not this project's namespace; its keys are `webex-scim:<key>` (the project "
        "name in Pulumi.yaml): rename the key to `webex-scim:orgId`",
        "WEBEX-SCIM:x: `WEBEX-SCIM` is not this project's namespace; its keys are `webex-scim:<key>` (the project "
        "name in Pulumi.yaml): rename the key to `webex-scim:x`",
    ]
    assert skip == set()


@pytest.mark.parametrize(
    ("offer", "url"),
    [
        ("commercial", f"https://webexapis.com/identity/scim/{ORG}/v2"),
        ("commercial", f"https://api.ciscospark.com/v1/scim/{ORG}"),
        ("government", f"https://api-usgov.webex.com/identity/scim/{ORG}/v2"),
        ("commercial", f"https://api.ciscospark.com/v1/scim/{ORG.upper()}/"),
    ],
    ids=["commercial", "legacy", "government", "legacy-upper-case-trailing-slash"],
)
def test_the_three_known_tenant_url_forms_are_accepted(offer, url):
    assert validate(config(offer=offer, tenantUrl=url)).effective_tenant_url == url


def test_every_known_tenant_url_form_is_accepted_by_the_settings():
    """The forms come from the catalog, so a form added there is accepted here without a code change."""
    for offer in catalog.offers():
        for form in catalog.tenant_url_forms(offer):
            url = form.format(orgId=ORG)
            assert validate(config(offer=offer, tenantUrl=url)).effective_tenant_url == url
    assert catalog.tenant_url_for("commercial", ORG) == f"https://webexapis.com/identity/scim/{ORG}/v2"


def test_config_keys_written_outside_config_are_named_as_such(tmp_path, capsys):
    """Keys at the top level are no config at all: "required but not set" for a key plainly in the file misleads."""
    path = tmp_path / "Pulumi.top.yaml"
    path.write_text(f"webex-scim:orgId: {ORG}\nwebex-scim:notificationEmail: a@contoso.com\n", encoding="utf-8")
    assert main(["preview", "--config-file", str(path), "--no-policies"]) == 2
    assert capsys.readouterr().err == (
        f"error: {path}: `webex-scim:orgId` is outside `config:`; stack config keys go under a `config:` line, "
        "indented (as `pulumi config set` writes them)\n"
    )


def test_a_message_that_names_its_fix_gets_no_second_one_and_an_enum_gets_its_command(tmp_path, capsys):
    path = write_stack(
        tmp_path, config(rollout="pilot", assignments=[{"user": "a@contoso.com"}, {"user": "b@contoso.com"}])
    )
    assert main(["preview", "--config-file", str(path), "--no-policies"]) == 2
    err = capsys.readouterr().err
    assert "go wide with `pulumi config set rollout full`" in err and "fix:" not in err

    path = write_stack(tmp_path, config(rollout="Pilot"))
    assert main(["preview", "--config-file", str(path), "--no-policies"]) == 2
    assert capsys.readouterr().err.splitlines()[1] == (
        "  - webex-scim:rollout: 'Pilot' is not allowed: use 'pilot' or 'full'; "
        "fix: `pulumi config set rollout pilot` (or full)"
    )


def test_a_user_that_is_neither_a_upn_nor_an_object_id_is_refused_before_deploy(tmp_path, capsys):
    path = write_stack(tmp_path, config(assignments=[{"user": "pilot user"}]))
    assert main(["preview", "--config-file", str(path), "--no-policies"]) == 2
    assert capsys.readouterr().err.splitlines()[1] == (
        "  - webex-scim:assignments[0].user: 'pilot user' is neither a user principal name (name@domain) nor an "
        "object ID; write the user as Entra shows it, e.g. `- user: alice@contoso.com`"
    )
    for fine in ("alice_fabrikam.com#EXT#@contoso.onmicrosoft.com", "5d1f3a6e-8c42-4b7a-9e0d-2f6b8a1c3e57"):
        path = write_stack(tmp_path, config(assignments=[{"user": fine}]))
        assert main(["preview", "--config-file", str(path), "--no-policies"]) == 0, capsys.readouterr().err


def test_an_unknown_key_names_the_key_it_is_a_typo_of(tmp_path, capsys):
    stack = config()
    stack["notificationEmial"] = stack.pop("notificationEmail")
    path = write_stack(tmp_path, stack)
    assert main(["preview", "--config-file", str(path), "--no-policies"]) == 2
    assert (
        "  - webex-scim:notificationEmial: unknown key (did you mean `webex-scim:notificationEmail`?); remove it with "
        "`pulumi config rm --path 'notificationEmial'`"
    ) in capsys.readouterr().err.splitlines()


def test_a_stack_file_name_given_as_a_stack_gets_the_stack_name_back(capsys):
    assert main(["preview", "--stack", "Pulumi.dev.yaml"]) == 2
    assert capsys.readouterr().err.endswith("(give the stack's name (--stack dev) or --config-file Pulumi.dev.yaml)\n")


def test_a_key_in_a_near_miss_namespace_is_one_problem_not_two(tmp_path, capsys):
    path = write_stack(tmp_path, {"notificationEmail": "a@contoso.com"})
    path.write_text(path.read_text() + f"  webex_scim:orgId: {ORG}\n")
    assert main(["preview", "--config-file", str(path), "--no-policies"]) == 2
    err = capsys.readouterr().err
    assert "invalid stack config (1 problem)" in err and "rename the key to `webex-scim:orgId`" in err
    assert "required but not set" not in err


def test_a_padded_user_is_the_user_without_the_padding():
    from components.settings import Assignment

    padded = Assignment.model_validate({"user": " 5d1f3a6e-8c42-4b7a-9e0d-2f6b8a1c3e57 "})
    assert padded.ref == "5d1f3a6e-8c42-4b7a-9e0d-2f6b8a1c3e57" and padded.is_object_id  # no UPN lookup of " 5d1f…"
