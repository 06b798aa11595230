"""What Webex receives: the exact SCIM payloads, the problems Webex would refuse, the document's shape and the
reports, and the mappings being the very ones the AttributeMappings resource writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from offline import engine, render, stackfile
from provisioning_cycle import stack as simstack
from provisioning_cycle.models import PayloadValidator
from provisioning_cycle.run import simulate as run_simulation
from provisioning_cycle.snapshot import Snapshot, from_graph_users
from tests.simulate_support import CORE, ENTERPRISE, WEBEX, simulate, simulate_full, snapshot_file, user
from tests.support import ROOT
from webex_scim.cli import main

PILOT = {
    "id": "5b8e2f10-0000-4000-8000-000000000001",
    "userPrincipalName": "pilot.user@contoso.com",
    "displayName": "Pilot User",
    "givenName": "Pilot",
    "surname": "User",
    "mail": "pilot.user@contoso.com",
    "accountEnabled": True,
}


def test_the_dev_stack_sends_its_pilot_user_exactly_this(tmp_path, capsys):
    path = snapshot_file(tmp_path, [PILOT, user(2, surname=None)])
    assert main(["simulate", "--stack", "dev", "--users", str(path), "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == ["project", "stack", "users", "summary"]
    assert doc["project"] == "webex-scim" and doc["stack"] == "dev"
    assert doc["users"][0] == {
        "id": PILOT["id"],
        "userPrincipalName": "pilot.user@contoso.com",
        "action": "provision",
        "reason": None,
        "scim": {
            "schemas": [CORE, ENTERPRISE],
            "userName": "pilot.user@contoso.com",
            "active": True,
            "displayName": "Pilot User",
            "name": {"givenName": "Pilot", "familyName": "User"},
            "externalId": PILOT["id"],
        },
        # What a cycle sends a pilot Webex already has: every default mapping is Always, every source has a value.
        "scimUpdate": {
            "userName": "pilot.user@contoso.com",
            "active": True,
            "displayName": "Pilot User",
            "name.givenName": "Pilot",
            "name.familyName": "User",
            "externalId": PILOT["id"],
        },
        "problems": [],
        "warnings": [],
    }
    assert doc["users"][1] == {
        "id": "00000000-0000-4000-8000-000000000002",
        "userPrincipalName": "user2@contoso.com",
        "action": "skip",
        "reason": "not assigned: a pilot rollout assigns only pilot.user@contoso.com",
        "scim": None,
        "scimUpdate": None,
        "problems": [],
        "warnings": [],
    }
    assert doc["summary"] == {"provision": 1, "skip": 1, "problems": 0}


OVERRIDES = [
    {"target": "title", "source": "jobTitle"},
    {"target": ENTERPRISE + ":department", "expression": 'Join(" / ", [department], [companyName])'},
    {"target": ENTERPRISE + ":employeeNumber", "source": "employeeId", "defaultValue": "none"},
    {"target": 'emails[type eq "work"].value', "source": "mail"},
    {"target": 'phoneNumbers[type eq "work"].value', "source": "telephoneNumber"},
    {"target": 'phoneNumbers[type eq "mobile"].value', "source": "mobile"},
    {"target": 'addresses[type eq "work"].locality', "source": "physicalDeliveryOfficeName"},
    {"target": WEBEX + ":extensionAttribute1", "source": "extensionAttribute1"},
    {"target": WEBEX + ':sipAddresses[type eq "enterprise"].value', "expression": 'Append("sip:", [mail])'},
    {"target": "userType", "constant": "Employee"},
    {"target": "nickName", "expression": "IgnoreFlowIfNullOrEmpty([mailNickname])"},
    {"target": "preferredLanguage", "source": "preferredLanguage"},
]


def test_every_kind_of_mapping_lands_where_webex_reads_it(tmp_path, capsys):
    alice = user(
        1,
        userPrincipalName="alice@contoso.com",
        mail="alice@contoso.com",
        jobTitle="Engineer",
        department="R&D",
        companyName="Contoso",
        businessPhones=["+1 425 555 0100"],
        mobilePhone="+1 425 555 0101",
        officeLocation="Building 4",
        onPremisesExtensionAttributes={"extensionAttribute1": "EA1"},
        mailNickname="",
    )
    code, doc = simulate(tmp_path, capsys, [alice], provisioning={"scope": "all"}, mappings={"overrides": OVERRIDES})
    assert code == 0
    assert doc["users"][0]["scim"] == {
        "schemas": [CORE, ENTERPRISE, WEBEX],
        "userName": "alice@contoso.com",
        "active": True,
        "displayName": "User 1",
        "name": {"givenName": "User", "familyName": "1"},
        "externalId": "00000000-0000-4000-8000-000000000001",
        "title": "Engineer",
        ENTERPRISE: {"department": "R&D / Contoso", "employeeNumber": "none"},  # employeeId unset: defaultValue
        "emails": [{"type": "work", "primary": True, "value": "alice@contoso.com"}],
        "phoneNumbers": [{"type": "work", "value": "+1 425 555 0100"}, {"type": "mobile", "value": "+1 425 555 0101"}],
        "addresses": [{"type": "work", "locality": "Building 4"}],
        WEBEX: {
            "extensionAttribute1": ["EA1"],  # Webex's extensionAttributeN is an array of strings
            "sipAddresses": [{"type": "enterprise", "value": "sip:alice@contoso.com"}],
        },
        "userType": "Employee",
        # nickName: IgnoreFlowIfNullOrEmpty dropped it; preferredLanguage: its source is null, so it is not sent
    }
    # An update leaves out what only a create sends: employeeNumber's default value stood in for a null employeeId.
    update = doc["users"][0]["scimUpdate"]
    assert ENTERPRISE + ":employeeNumber" not in update
    assert update[ENTERPRISE + ":department"] == "R&D / Contoso"
    assert update[WEBEX + ":extensionAttribute1"] == ["EA1"]
    assert update['emails[type eq "work"].value'] == "alice@contoso.com"


def test_a_mapping_the_simulator_cannot_evaluate_is_reported_and_the_user_kept(tmp_path, capsys):
    overrides = [
        {"target": ENTERPRISE + ":manager", "source": "manager"},
        {"target": "nickName", "expression": "Guid()"},
    ]
    code, doc = simulate(tmp_path, capsys, [user(1)], provisioning={"scope": "all"}, mappings={"overrides": overrides})
    entry = doc["users"][0]
    assert entry["action"] == "provision" and ENTERPRISE not in entry["scim"] and "nickName" not in entry["scim"]
    assert entry["problems"] == [
        f"{ENTERPRISE}:manager: not simulated: [manager]: manager is a reference to another user, resolved to that "
        "user's Webex id by the engine",
        "nickName: not simulated: Guid(): Guid() makes a new random GUID each time: its value cannot be predicted",
    ]
    assert code == 1


DUPLICATE = (
    "duplicate userName {name!r} (also {other}, without regard to case): Entra fails both with DuplicateSourceEntries "
    "(more than one user has the matching attribute) and sends neither; remove the duplicate or change what userName "
    "is mapped from (webex-scim:mappings.userNameSource)"
)
WORK_EMAIL = (
    "work email {mail!r} is not userName {name!r}: Webex requires the primary work email to equal userName and Entra "
    'sends the mapped work email as primary, so Webex may refuse this user; map emails[type eq "work"].value from '
    "userName's source, userPrincipalName, or set webex-scim:mappings.userNameSource to the attribute the work email "
    "comes from"
)


def test_what_webex_would_refuse(tmp_path, capsys):
    users = [
        user(1),
        user(2, userPrincipalName="USER1@contoso.com"),  # the same userName without regard to case
        user(3, userPrincipalName="someone"),  # not an email address
        user(4, userPrincipalName="user4@fabrikam.com"),  # not a verified domain
        user(5, mail="not-an-email"),  # emails[work] fails scim2-models' email validation
        user(6, userPrincipalName="ann.o'neil@contoso.com", mail="ann.oneil@contoso.com"),  # work email ≠ userName
        user(7, mail="USER7@Contoso.com"),  # the same address but for case: fine
    ]
    overrides = [{"target": 'emails[type eq "work"].value', "source": "mail"}]
    code, doc = simulate(
        tmp_path,
        capsys,
        users,
        provisioning={"scope": "all"},
        verifiedDomains=["contoso.com"],
        mappings={"overrides": overrides},
    )
    got = {u["id"][-1]: u["problems"] for u in doc["users"]}
    assert got["1"] == [DUPLICATE.format(name="user1@contoso.com", other="USER1@contoso.com")]
    assert got["2"] == [DUPLICATE.format(name="USER1@contoso.com", other="user1@contoso.com")]
    assert got["3"] == ["userName 'someone' is not an email address: Webex userName is the user's primary email"]
    assert got["4"] == [
        "userName domain 'fabrikam.com' is not a verified domain of the Webex org (webex-scim:verifiedDomains: "
        "contoso.com): Webex refuses to create it"
    ]
    assert got["5"] == [
        "SCIM validation (scim2-models): emails.0.value: value is not a valid email address: An email address must "
        "have an @-sign.",
        WORK_EMAIL.format(mail="not-an-email", name="user5@contoso.com"),
    ]
    assert got["6"] == [WORK_EMAIL.format(mail="ann.oneil@contoso.com", name="ann.o'neil@contoso.com")]
    assert got["7"] == []
    # Microsoft says a matching value with "special characters" fails Entra's filter, and lists none: a warning.
    warnings = {u["id"][-1]: u["warnings"] for u in doc["users"] if u["warnings"]}
    assert warnings == {
        "6": [
            'userName "ann.o\'neil@contoso.com" has characters Entra may fail to filter on ("\'"): Microsoft\'s '
            "known issues say a provisioning attempt fails when a matching attribute holds special characters, "
            "without saying which; this check flags any character but ASCII letters, digits and . _ - + @"
        ]
    }
    assert doc["summary"] == {"provision": 7, "skip": 0, "problems": 6}
    assert code == 1


def test_a_required_webex_attribute_missing_and_a_duplicate_external_id(tmp_path, capsys):
    users = [user(1, mail=None), user(2, mail="a@contoso.com")]
    snapshot = from_graph_users("users.json", [*users, {**users[1], "id": "other"}], "--users users.json")
    base = simstack.load(ROOT, stack="dev", config_file=None)
    base.rows = [
        {"target": "userName", "source": "mail"},
        {"target": "externalId", "source": "mailNickname"},
        {"target": "active", "constant": "True"},
    ]
    base.scope, base.principals = "all", []
    for u in snapshot.users:
        u.attrs["mailNickname"] = "same"
    sim = run_simulation(base, snapshot)
    problems = {u.id: u.problems for u in sim.users}
    assert problems[users[0]["id"]][0] == "userName is missing: its source mail is not set; Webex requires it"
    assert not any("scim2-models" in p for p in problems[users[0]["id"]])  # said once, in our words
    assert problems["other"] == [
        DUPLICATE.format(name="a@contoso.com", other="user2@contoso.com"),
        "duplicate externalId 'same' (also user1@contoso.com, user2@contoso.com): Webex keeps externalId unique, so "
        "only one of these users can be created",
    ]


def test_a_property_the_mappings_need_that_no_user_has_is_said(tmp_path, capsys):
    overrides = [{"target": "title", "source": "jobTitle"}]
    bare = [{"id": "u1", "userPrincipalName": "a@contoso.com"}]  # as `az ad user list` leaves accountEnabled out
    code, doc, err = simulate_full(
        tmp_path, capsys, bare, provisioning={"scope": "all"}, mappings={"overrides": overrides}
    )
    assert code == 0 and doc["users"][0]["action"] == "provision"
    assert (
        "note: accountEnabled (Graph property accountEnabled) is read by the scope (disabled users are not "
        "provisioned), but no user in users.json has it: if the export left it out, export it too (Graph: "
        "$select=…,accountEnabled); until then every user counts as enabled"
    ) in err
    assert (
        "note: jobTitle (Graph property jobTitle) is read by title, but no user in users.json has it: if the export "
        "left it out, export it too (Graph: $select=…,jobTitle)"
    ) in err


def test_terminal_markdown_and_json_files(tmp_path, capsys):
    path = snapshot_file(tmp_path, [PILOT, user(2), {**user(3), "userPrincipalName": "x"}])
    md, js = tmp_path / "sim.md", tmp_path / "sim.json"
    assert main(["simulate", "--stack", "dev", "--users", str(path), "--markdown", str(md), "--json", str(js)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Simulating stack dev with users.json (3 users), offline"
    assert " +  pilot.user@contoso.com  provision as pilot.user@contoso.com" in out
    assert out.splitlines()[-1] == "Webex gets 1 of 3 users; 2 skipped (2 not assigned); 0 with problems"
    text = md.read_text()
    assert text.startswith("<!-- webex-scim-simulate:dev -->\n**webex-scim** <code>dev</code>, simulated with ")
    assert "| not assigned | 2 |" in text and '"userName": "pilot.user@contoso.com"' in text
    assert json.loads(js.read_text())["summary"] == {"provision": 1, "skip": 2, "problems": 0}


def test_an_output_path_that_cannot_be_written_is_refused_before_any_work(tmp_path, capsys):
    path = snapshot_file(tmp_path, [PILOT])
    assert main(["simulate", "--stack", "dev", "--users", str(path), "--json", str(tmp_path / "no" / "x.json")]) == 2
    assert "the folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    "stack_path", ["Pulumi.dev.yaml", *sorted(p.name for p in (ROOT / "tests" / "stacks").glob("*.yaml"))]
)
def test_the_simulation_uses_the_mappings_the_attribute_mappings_resource_writes(stack_path):
    path = ROOT / stack_path if stack_path == "Pulumi.dev.yaml" else ROOT / "tests" / "stacks" / stack_path
    cfg = stackfile.load(ROOT, config_file=path)
    doc = render.document(engine.run_program(cfg), [])
    from_preview = simstack.from_preview(doc)
    from_settings = simstack.load(ROOT, stack=None, config_file=path)
    assert from_settings.rows == from_preview.rows and from_settings.rows
    assert from_settings.scoping_filter == from_preview.scoping_filter
    assert [(p.kind, p.ref) for p in from_settings.principals] == [(p.kind, p.ref) for p in from_preview.principals]
    assert (from_settings.scope, from_settings.rollout) == (from_preview.scope, from_preview.rollout)


def test_one_validation_per_shape_and_every_bad_value_still_caught():
    validator = PayloadValidator()
    good = {"schemas": [CORE, ENTERPRISE], "userName": "a@contoso.com", "emails": [{"type": "work", "value": "a@b.co"}]}
    assert validator.problems(good) == ()
    assert validator.problems({**good, "userName": "b@contoso.com"}) == ()
    assert validator.validated == 1  # a plain string's value does not change scim2-models' verdict
    bad = {**good, "emails": [{"type": "work", "value": "nope"}]}
    assert validator.problems(bad) == (
        "emails.0.value: value is not a valid email address: An email address must have an @-sign.",
    )
    assert validator.problems({k: v for k, v in good.items() if k != "userName"}) == (
        "the resource: Field 'userName' is required but value is missing, null or empty",
    )
    assert validator.validated == 3


def test_a_preview_imports_nothing_of_the_simulation():
    code = (
        "import sys, os; from webex_scim.cli import main; "
        "main(['preview', '--stack', 'dev', '--no-policies', '--json', os.devnull]); "
        "print(sorted(m for m in sys.modules if m.startswith('provisioning_cycle')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_an_empty_snapshot_is_a_simulation_of_nobody(tmp_path, capsys):
    code, doc = simulate(tmp_path, capsys, [])
    assert code == 0 and doc == {
        "project": "webex-scim",
        "stack": "sim",
        "users": [],
        "summary": {"provision": 0, "skip": 0, "problems": 0},
    }


def test_snapshot_type_is_what_run_takes():
    assert isinstance(from_graph_users("x", [], "w"), Snapshot)
    assert Path  # keep the import list honest for readers: Path is used above


def test_a_large_directory_is_simulated_on_two_cores_with_the_same_result(monkeypatch):
    from provisioning_cycle import run as run_module

    people = [user(i, department="Sales" if i % 3 else None, accountEnabled=i % 7 != 0) for i in range(6_000)]
    people.append({**people[10], "id": "duplicate-upn"})  # a check across users sees both halves
    base = simstack.load(ROOT, stack="dev", config_file=None)
    base.scope, base.principals = "all", []

    def simulated():
        return run_simulation(base, from_graph_users("users.json", [dict(p) for p in people], "--users users.json"))

    assert len(people) >= run_module.PARALLEL_FROM
    parallel = simulated()
    monkeypatch.setattr(run_module, "PARALLEL_FROM", 10**9)
    sequential = simulated()
    assert [u.as_json() for u in parallel.users] == [u.as_json() for u in sequential.users]
    assert parallel.summary() == {"provision": 5_143, "skip": 858, "problems": 2}
    # Each process validates the payload shapes it meets in full: the child's count is added, not lost.
    assert parallel.validated >= sequential.validated > 0


def test_a_failing_worker_half_is_said_with_what_to_do(monkeypatch, capfd):
    from provisioning_cycle import run as run_module
    from webex_scim.errors import EngineError

    def each_failing_in_the_child(users):
        if os.getpid() != parent:
            raise RuntimeError("worker broke on purpose")
        return []

    parent = os.getpid()
    with pytest.raises(EngineError, match=r"failed in its worker process \(its error is above\); a snapshot of fewer"):
        run_module._on_two_cores([object(), object()], each_failing_in_the_child, lambda: 0)
    assert "RuntimeError: worker broke on purpose" in capfd.readouterr().err


def test_the_summary_says_webex_may_refuse_users_with_problems(tmp_path, capsys):
    from tests.simulate_support import stack_file

    users = [user(3, userPrincipalName="someone")]  # not an email address: Webex refuses it
    path = stack_file(tmp_path, provisioning={"scope": "all"})
    assert main(["simulate", "--config-file", str(path), "--users", str(snapshot_file(tmp_path, users))]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Webex gets 1 of 1 user; 0 skipped; 1 with problems (Webex may refuse it)"
    )
