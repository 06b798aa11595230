"""Directory snapshots in Graph's own shape: read as a user gets them, named as the engine names them, and a bad one
stopped with one message and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provisioning_cycle.snapshot import read_snapshot
from webex_scim.cli import main
from webex_scim.errors import UsageError

ALICE = {
    "id": "0a1b2c3d-0000-4000-8000-000000000001",
    "userPrincipalName": "alice@contoso.com",
    "displayName": "Alice Liddell",
    "givenName": "Alice",
    "surname": "Liddell",
    "mail": "alice@contoso.com",
    "accountEnabled": True,
    "businessPhones": ["+1 425 555 0100"],
    "mobilePhone": "+1 425 555 0101",
    "faxNumber": "+1 425 555 0102",
    "officeLocation": "Building 4",
    "jobTitle": "Engineer",
    "employeeId": 1042,
    "onPremisesExtensionAttributes": {"extensionAttribute1": "EA1", "extensionAttribute15": None},
    "extension_0123456789abcdef0123456789abcdef_costCenter": "CC-7",
    "proxyAddresses": ["SMTP:alice@contoso.com", "smtp:al@contoso.com"],
    "memberOf": [
        {"@odata.type": "#microsoft.graph.group", "id": "9f000000-0000-4000-8000-000000000001", "displayName": "Sales"},
        {"@odata.type": "#microsoft.graph.directoryRole", "id": "r1", "displayName": "Global Reader"},
    ],
    "signInActivity": {"lastSignInDateTime": "2026-01-01T00:00:00Z"},  # not used: ignored
}


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def test_graph_properties_take_the_engines_names(tmp_path):
    user = read_snapshot(write(tmp_path, "users.json", json.dumps([ALICE]))).users[0]
    assert user.attrs == {
        "objectId": ALICE["id"],
        "userPrincipalName": "alice@contoso.com",
        "originalUserPrincipalName": "alice@contoso.com",
        "displayName": "Alice Liddell",
        "givenName": "Alice",
        "surname": "Liddell",
        "mail": "alice@contoso.com",
        "accountEnabled": True,
        "telephoneNumber": "+1 425 555 0100",
        "mobile": "+1 425 555 0101",
        "facsimileTelephoneNumber": "+1 425 555 0102",
        "physicalDeliveryOfficeName": "Building 4",
        "jobTitle": "Engineer",
        "employeeId": "1042",
        "extensionAttribute1": "EA1",
        "extension_0123456789abcdef0123456789abcdef_costCenter": "CC-7",
        "proxyAddresses": ["SMTP:alice@contoso.com", "smtp:al@contoso.com"],
        "IsSoftDeleted": False,
    }
    assert user.groups == (("9f000000-0000-4000-8000-000000000001", "Sales"),)  # the directory role is no group
    assert user.problems == []


def test_a_graph_explorer_page_and_a_partial_one(tmp_path):
    page = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": [ALICE]}
    assert [u.id for u in read_snapshot(write(tmp_path, "page.json", json.dumps(page))).users] == [ALICE["id"]]
    partial = {**page, "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=X"}
    notes = read_snapshot(write(tmp_path, "partial.json", json.dumps(partial))).notes
    assert len(notes) == 1 and "@odata.nextLink" in notes[0] and "users on later pages" in notes[0]


def test_a_guests_userprincipalname_reaches_mappings_as_the_engine_gives_it(tmp_path):
    guest = {"id": "g1", "userPrincipalName": "bob_fabrikam.com#EXT#@contoso.onmicrosoft.com"}
    attrs = read_snapshot(write(tmp_path, "g.json", json.dumps([guest]))).users[0].attrs
    assert attrs["userPrincipalName"] == "bob@fabrikam.com"
    assert attrs["originalUserPrincipalName"] == "bob_fabrikam.com#EXT#@contoso.onmicrosoft.com"


def test_csv_with_graph_property_names(tmp_path):
    csv = (
        "id,userPrincipalName,accountEnabled,businessPhones,proxyAddresses,"
        "onPremisesExtensionAttributes.extensionAttribute2,memberOf\n"
        "u1,carol@contoso.com,FALSE,+1 555 0100,SMTP:carol@contoso.com;smtp:c@contoso.com,EA2,"
        '"Sales;9f000000-0000-4000-8000-000000000001"\n'
        "\n"
        'u2,dan@contoso.com,true,"[""+1 555 0200""]",,,\n'
    )
    users = read_snapshot(write(tmp_path, "users.csv", csv)).users
    assert [u.id for u in users] == ["u1", "u2"]
    assert users[0].attrs["accountEnabled"] is False
    assert users[0].attrs["telephoneNumber"] == "+1 555 0100"
    assert users[0].attrs["proxyAddresses"] == ["SMTP:carol@contoso.com", "smtp:c@contoso.com"]
    assert users[0].attrs["extensionAttribute2"] == "EA2"
    assert users[0].groups == ((None, "Sales"), ("9f000000-0000-4000-8000-000000000001", None))
    assert users[1].attrs["telephoneNumber"] == "+1 555 0200" and users[1].groups == ()


def test_a_value_of_the_wrong_type_is_the_users_problem_not_a_dropped_user(tmp_path):
    bad = {"id": "u1", "userPrincipalName": "x@contoso.com", "accountEnabled": "maybe", "displayName": ["A"]}
    user = read_snapshot(write(tmp_path, "u.json", json.dumps([bad]))).users[0]
    assert user.problems == [
        "accountEnabled: 'maybe' is not true or false; treated as not set",
        "displayName: list where Graph gives text; ignored",
    ]
    assert "accountEnabled" not in user.attrs


BAD = [
    (
        "not-json.json",
        "{users: []}",
        "is not JSON (Expecting property name enclosed in double quotes at line 1, column 2)",
    ),
    ("csv.json", "id,userPrincipalName\nu1,a@b.com\n", "it looks like CSV: name the file *.csv"),
    ("object.json", '{"users": []}', 'expected a JSON array of users or Graph\'s {"value": [...]} page'),
    ("one.json", json.dumps(ALICE), "holds one user object; put it in a list"),
    ("scalar.json", "[1]", "users[0]: is int, not a user object"),
    ("no-id.json", '[{"userPrincipalName": "a@b.com"}]', "users[0]: has no id"),
    (
        "aad.json",
        '[{"objectId": "x", "userPrincipalName": "a@b.com"}]',
        "Azure AD Graph's shape (Azure CLI before 2.37)",
    ),
    ("dup.json", '[{"id": "A1"}, {"id": "b"}, {"id": "a1"}]', "users[2] has the same id 'a1' as users[0]"),
    ("member.json", '[{"id": "a", "memberOf": "Sales"}]', "users[0].memberOf: expected Graph's list of groups"),
    ("no-id.csv", "userPrincipalName\na@b.com\n", "line 1: no `id` column"),
    ("twice.csv", "id,mail,mail\n", "line 1: column 'mail' appears twice"),
    ("short.csv", "id,mail\nu1\n", "line 2: 1 fields where the header has 2"),
    ("dup.csv", "id\nu1\nU1\n", "line 3 has the same id 'U1' as line 2"),
    ("json-cell.csv", 'id,memberOf\nu1,"[{""id"": }]"\n', "line 2: column memberOf: not JSON"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_snapshot_gets_one_message_and_exit_2(tmp_path, capsys, name, content, message):
    path = write(tmp_path, name, content)
    assert main(["simulate", "--stack", "dev", "--users", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert err.startswith(f"error: --users {path}") and message in err, err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_files_that_are_no_snapshot_are_refused_like_any_user_file(tmp_path, capsys):
    utf16 = write(tmp_path, "users.json", json.dumps([ALICE]).encode("utf-16"))
    assert main(["simulate", "--stack", "dev", "--users", str(utf16)]) == 2
    assert "is saved as UTF-16 text" in capsys.readouterr().err
    assert main(["simulate", "--stack", "dev", "--users", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert main(["simulate", "--stack", "dev", "--users", str(tmp_path / "missing.json")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_read_snapshot_raises_usage_error_for_the_cli_to_report(tmp_path):
    with pytest.raises(UsageError):
        read_snapshot(write(tmp_path, "x.json", "[]x"))


def test_an_empty_snapshot_is_said_to_be_empty(tmp_path):
    from webex_scim.errors import UsageError

    path = tmp_path / "users.json"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        read_snapshot(path)
    assert str(caught.value) == (
        f"--users {path}: is empty; export users with `az ad user list > users.json` or Graph Explorer's GET /users"
    )
