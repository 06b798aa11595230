"""The preview gate stops what the stack itself shows to be wrong, before any resource exists: a Default Access role
(the one mistake the Webex article warns about), an attribute no Entra user has, a key one letter off at any level
(policy config included), and says what to check on a Webex for Government stack. Exit 2 with one message naming
the key, what is wrong and the fix; an advisory where only a person can judge."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import yaml

from components.entra_attributes import READABLE
from components.settings import SettingsError, validate
from tests.support import ORG, ROOT, config
from webex_scim.cli import main

ZERO = "00000000-0000-0000-0000-000000000000"


def preview(tmp_path: Path, capsys: pytest.CaptureFixture[str], values: dict, *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "Pulumi.gate.yaml"
    path.write_text(yaml.safe_dump({"config": {f"webex-scim:{k}": v for k, v in values.items()}}))
    code = main(["preview", "--config-file", str(path), "--no-details", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def problems(**changes: object) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        validate({k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in config(**changes).items()})
    return caught.value.problems


@pytest.mark.parametrize("role", ["Default Access", "default access", "DefaultAccess", ZERO])
def test_a_default_access_role_is_refused_before_any_resource_exists(tmp_path, capsys, role) -> None:
    code, out, err = preview(tmp_path, capsys, {**config(), "assignmentRole": role})
    assert code == 2 and out == ""
    assert err.splitlines()[1] == (
        f"  - webex-scim:assignmentRole: {role!r} is the app's Default Access role, and Entra does not provision users "
        "assigned with it: they would never reach Webex; use a Webex role: `pulumi config set assignmentRole User`"
    )


def test_a_default_access_role_on_one_principal_is_refused_too() -> None:
    (problem,) = problems(assignments=[{"user": "pilot.user@contoso.com", "role": "Default Access"}])
    assert problem.startswith("webex-scim:assignments[0].role: 'Default Access' is the app's Default Access role")
    assert problem.endswith("give a Webex role (e.g. `role: User`), or remove `role:`")


def test_an_ordinary_role_passes() -> None:
    assert validate({**config(), "assignmentRole": "User", "assignments": json.dumps([{"user": "a@contoso.com"}])})


@pytest.mark.parametrize(
    ("mappings", "key", "said"),
    [
        (
            {"overrides": [{"target": "title", "expression": 'Join(" ", [company], [department])'}]},
            "webex-scim:mappings.overrides[0].expression",
            "[company]: 'company' is not an Entra user attribute the provisioning engine reads; did you mean "
            "'companyName'?",
        ),
        (
            {"overrides": [{"target": "title", "source": "JobTitle"}]},
            "webex-scim:mappings.overrides[0].source",
            "'JobTitle' is not an Entra user attribute: attribute names are case-sensitive; did you mean 'jobTitle'?",
        ),
        (
            {"scopingFilter": [{"clauses": [{"attribute": "departement", "operator": "EQUALS", "values": ["x"]}]}]},
            "webex-scim:mappings.scopingFilter[0].clauses[0].attribute",
            "'departement' is not an Entra user attribute the provisioning engine reads; did you mean 'department'?",
        ),
    ],
)
def test_an_attribute_no_entra_user_has_is_refused_with_the_one_it_is_a_typo_of(tmp_path, capsys, mappings, key, said):
    code, _, err = preview(tmp_path, capsys, {**config(), "mappings": mappings})
    assert code == 2
    assert f"  - {key}: {said}" in err.splitlines()


def test_what_the_simulation_reads_passes_the_gate() -> None:
    """One table: every attribute the simulation can read, a directory extension and a string that merely looks like
    an attribute reference are accepted."""
    expression = 'Join(" [not an attribute] ", [extension_0123456789abcdef0123456789abcdef_costCenter], [manager])'
    overrides = [{"target": "title", "expression": expression}]
    overrides += [{"target": "nickName", "source": "mailNickname"}]
    assert validate({**config(), "mappings": json.dumps({"overrides": overrides})})
    assert {"companyName", "extensionAttribute1", "objectId", "IsSoftDeleted", "manager"} <= READABLE


@pytest.mark.parametrize(
    ("values", "said"),
    [
        (
            {"provisioning": {"deleteTreshold": 10}},
            "webex-scim:provisioning.deleteTreshold: unknown key under `webex-scim:provisioning` (did you mean "
            "`webex-scim:provisioning.deleteThreshold`?); remove it with `pulumi config rm --path "
            "'provisioning.deleteTreshold'`",
        ),
        (
            {"app": {"HideFromUsers": True}},
            "webex-scim:app.HideFromUsers: unknown key under `webex-scim:app` (did you mean "
            "`webex-scim:app.hideFromUsers`?); remove it with `pulumi config rm --path 'app.HideFromUsers'`",
        ),
        (
            {"mappings": {"overrides": [{"target": "title", "sorce": "jobTitle"}]}},
            "webex-scim:mappings.overrides[0].sorce: unknown key under `webex-scim:mappings.overrides[0]` (did you "
            "mean `webex-scim:mappings.overrides[0].source`?); remove it with `pulumi config rm --path "
            "'mappings.overrides[0].sorce'`",
        ),
    ],
)
def test_an_unknown_nested_key_names_the_key_it_is_a_typo_of(tmp_path, capsys, values, said) -> None:
    code, _, err = preview(tmp_path, capsys, {**config(), **values})
    assert code == 2
    assert f"  - {said}" in err.splitlines()


def test_a_base64_org_id_is_decoded_to_the_uuid_it_holds() -> None:
    api_id = base64.b64encode(f"ciscospark://us/ORGANIZATION/{ORG}".encode()).decode().rstrip("=")
    (problem,) = problems(orgId=api_id)
    assert problem == (
        f"webex-scim:orgId: is the base64 API id of org {ORG} (it decodes to ciscospark://…/ORGANIZATION/{ORG}); "
        f"set the UUID itself: `pulumi config set orgId {ORG}`"
    )


def test_a_tab_in_the_stack_file_is_named_as_a_tab(tmp_path, capsys) -> None:
    path = tmp_path / "Pulumi.tab.yaml"
    path.write_text(f"config:\n  webex-scim:orgId: {ORG}\n  webex-scim:assignments:\n  \t- user: a@contoso.com\n")
    assert main(["preview", "--config-file", str(path)]) == 2
    assert "(line 4, column 3): a tab character, and YAML indents with spaces only" in capsys.readouterr().err


def test_a_government_stack_gets_one_advisory_saying_what_to_check(tmp_path, capsys) -> None:
    values = {**config(offer="government"), "graphBaseUrl": "https://graph.microsoft.us/v1.0"}
    code, out, _ = preview(tmp_path, capsys, values, "--json", "-")
    assert code == 0  # an advisory: a person checks it
    (found,) = [v for v in json.loads(out)["policyViolations"] if v["policy"] == "government-setup"]
    assert found["enforcementLevel"] == "advisory"
    message = found["message"]
    assert message.startswith("Check before the first `pulumi up`: `webex-scim:verifiedDomains` is not set")
    assert "`pulumi config set --path 'verifiedDomains[0]' <domain>`" in message
    assert (
        "calls Microsoft Graph at graph.microsoft.us" in message and "has its Graph at graph.microsoft.com" in message
    )
    fine = {**config(offer="government"), "verifiedDomains": ["contoso.com"]}
    code, out, _ = preview(tmp_path, capsys, fine, "--json", "-")
    assert [v for v in json.loads(out)["policyViolations"] if v["policy"] == "government-setup"] == []


def test_the_dev_stack_passes_the_gate() -> None:
    assert (ROOT / "Pulumi.dev.yaml").is_file()
    assert main(["preview", "--stack", "dev", "--no-policies", "--no-details"]) == 0
