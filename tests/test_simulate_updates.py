"""What a cycle sends a user Webex already has (`scimUpdate`) beside what it sends to create one (`scim`), and
Webex's multi-valued extensionAttribute1..15, checked against Webex's own schema (tests/reference)."""

from __future__ import annotations

from provisioning_cycle.models import MULTI_VALUED_STRINGS, PayloadValidator, WebexUser, validate
from tests.simulate_support import CORE, ENTERPRISE, WEBEX, by_upn, simulate, user
from tests.webex_openapi import documented_user, user_schema

CREATE_ONLY = [
    {"target": ENTERPRISE + ":employeeNumber", "source": "employeeId", "flowType": "ObjectAddOnly"},
    {"target": ENTERPRISE + ":department", "source": "department", "defaultValue": "Unknown"},
    {"target": "title", "source": "jobTitle"},
]


def test_create_only_mappings_and_default_values_are_not_in_the_update(tmp_path, capsys):
    people = [
        user(1, employeeId="E1", department="Sales", jobTitle="Engineer"),
        user(2, employeeId="E2"),  # no department: the default stands in, on create only
    ]
    code, doc = simulate(tmp_path, capsys, people, provisioning={"scope": "all"}, mappings={"overrides": CREATE_ONLY})
    assert code == 0
    one, two = by_upn(doc)["user1@contoso.com"], by_upn(doc)["user2@contoso.com"]
    assert one["scim"][ENTERPRISE] == {"employeeNumber": "E1", "department": "Sales"}
    assert two["scim"][ENTERPRISE] == {"employeeNumber": "E2", "department": "Unknown"}
    assert one["scimUpdate"] == {
        "userName": "user1@contoso.com",
        "active": True,
        "displayName": "User 1",
        "name.givenName": "User",
        "name.familyName": "1",
        "externalId": "00000000-0000-4000-8000-000000000001",
        ENTERPRISE + ":department": "Sales",  # Always, and its source has a value
        "title": "Engineer",
        # employeeNumber: ObjectAddOnly ("Only during creation")
    }
    assert ENTERPRISE + ":department" not in two["scimUpdate"]  # the default is the create's alone
    assert ENTERPRISE + ":employeeNumber" not in two["scimUpdate"] and "title" not in two["scimUpdate"]


def test_every_extension_attribute_webex_declares_is_modelled_as_webex_declares_it():
    webex = user_schema()[WEBEX]
    declared = {name for name in webex if name.startswith("extensionAttribute")}
    assert declared == {f"extensionAttribute{n}" for n in range(1, 16)}
    for name in declared:
        assert (webex[name]["type"], webex[name]["multiValued"]) == ("String", True)
        assert WebexUser.model_fields[name.replace("extensionAttribute", "extension_attribute")].annotation == (
            list[str] | None
        )
    assert MULTI_VALUED_STRINGS == {f"{WEBEX}:{name}" for name in declared}


def test_extension_attributes_are_sent_as_arrays_and_any_of_the_fifteen_can_be_mapped(tmp_path, capsys):
    overrides = [
        {"target": WEBEX + ":extensionAttribute1", "source": "extensionAttribute1"},
        {"target": WEBEX + ":extensionAttribute15", "expression": 'Split([extensionAttribute2], ",")'},
        {"target": WEBEX + ":extensionAttribute7", "constant": "from-entra"},
    ]
    alice = user(1, onPremisesExtensionAttributes={"extensionAttribute1": "EA1", "extensionAttribute2": "a,b"})
    code, doc = simulate(tmp_path, capsys, [alice], provisioning={"scope": "all"}, mappings={"overrides": overrides})
    assert code == 0, doc["users"][0]["problems"]
    scim = doc["users"][0]["scim"]
    assert scim["schemas"] == [CORE, ENTERPRISE, WEBEX]
    assert scim[WEBEX] == {
        "extensionAttribute1": ["EA1"],
        "extensionAttribute15": ["a", "b"],  # a multi-valued result is the array
        "extensionAttribute7": ["from-entra"],
    }
    assert doc["users"][0]["scimUpdate"][WEBEX + ":extensionAttribute15"] == ["a", "b"]


def test_webex_s_documented_user_is_valid_for_the_extension_the_simulation_declares():
    # What Webex answers carries more than the simulation declares (accountStatus, manager.example…): scim2-models
    # refuses those as unknown, but no longer the arrays of the attributes it declares.
    user = documented_user()
    problems = validate({**user, "schemas": [CORE, ENTERPRISE, WEBEX]})
    assert not [p for p in problems if "extensionAttribute" in p]
    assert any("accountStatus" in p for p in problems)


def test_payloads_that_differ_only_in_their_extension_values_share_one_validation():
    validator = PayloadValidator()
    base = {"schemas": [CORE, ENTERPRISE, WEBEX], "userName": "a@contoso.com"}
    assert validator.problems({**base, WEBEX: {"extensionAttribute1": ["x"]}}) == ()
    assert validator.problems({**base, WEBEX: {"extensionAttribute1": ["y"]}}) == ()
    assert validator.validated == 1
    assert validator.problems({**base, WEBEX: {"extensionAttribute1": "not-an-array"}}) == (
        f"{WEBEX}.extensionAttribute1: Input should be a valid list",
    )


def test_what_the_first_cycle_changes_on_webex_s_documented_user():
    from provisioning_cycle.first_cycle import operations

    webex_user = documented_user()
    webex_user[WEBEX]["extensionAttribute3"] = "held as one string"  # a single value where Webex declares an array
    update = {
        "userName": "USER1@example.com",  # Webex: user1@example.com, caseExact false
        "active": True,
        "displayName": "Jonathan Joestar",
        "externalId": "EXTERNALIDVALUE",  # Webex: externalIdValue, caseExact false
        'emails[type eq "work"].value': "User1@Example.com",
        "title": "Sales manager",
        WEBEX + ":extensionAttribute1": ["extensionAttribute1_Item2", "extensionAttribute1_Item1"],  # order aside
        WEBEX + ":extensionAttribute3": ["held as one string"],
        WEBEX + ":extensionAttribute4": ["new"],
        ENTERPRISE + ":department": "department 789",
        ENTERPRISE + ":costCenter": "CC-1",
    }
    ops = [op.as_json() for op in operations(update, webex_user)]
    assert ops == [
        {"op": "Replace", "path": "displayName", "value": "Jonathan Joestar", "was": "Mr. Jonathan Jane Joestar, III"},
        {"op": "Add", "path": WEBEX + ":extensionAttribute4", "value": ["new"], "was": None},
        {"op": "Replace", "path": ENTERPRISE + ":costCenter", "value": "CC-1", "was": "costCenter 123"},
    ]
    assert [op.patch() for op in operations({"active": True}, {**webex_user, "active": False})] == [
        {"op": "Replace", "path": "active", "value": "True"}  # Entra's default dialect: a Boolean as text
    ]


def test_the_terminal_says_what_only_a_create_sends(tmp_path, capsys):
    from tests.simulate_support import snapshot_file, stack_file
    from webex_scim.cli import main

    stack = stack_file(tmp_path, provisioning={"scope": "all"}, mappings={"overrides": CREATE_ONLY})
    snap = snapshot_file(tmp_path, [user(1, employeeId="E1", department="Sales"), user(2)])
    assert main(["simulate", "--config-file", str(stack), "--users", str(snap)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2:6] == [
        " +  user1@contoso.com  provision as user1@contoso.com",
        f"      on create only, not on an update: {ENTERPRISE}:employeeNumber",
        " +  user2@contoso.com  provision as user2@contoso.com",
        f"      on create only, not on an update: {ENTERPRISE}:department",
    ]


def test_writing_the_document_leaves_nothing_for_the_cyclic_collector(tmp_path):
    # The engine runs the cyclic collector rarely (offline.collect_garbage_rarely): a reference cycle made per user
    # while the document is written (say, a recursive closure computing scimUpdate) would hold every user's update
    # set until then, 20 MB at 100,000 users, over the simulation's memory goal.
    import gc
    import io

    from provisioning_cycle import render
    from provisioning_cycle import stack as simstack
    from provisioning_cycle.run import simulate as run_simulation
    from provisioning_cycle.snapshot import from_graph_users
    from tests.support import ROOT

    base = simstack.load(ROOT, stack="dev", config_file=None)
    base.scope, base.principals = "all", []
    base.rows = [*base.rows, *CREATE_ONLY, {"target": WEBEX + ":extensionAttribute1", "constant": "x"}]
    people = [user(i, employeeId=str(i), department="Sales") for i in range(200)]
    sim = run_simulation(base, from_graph_users("users.json", people, "--users users.json"))
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds is kept in gc.garbage, to be looked at
    try:
        render.write_json(sim, io.StringIO())
        gc.collect()
        # Only the simulation's own garbage counts: a server thread an earlier test left running may make its own.
        ours = [
            o
            for o in gc.garbage
            if str(getattr(o, "__module__", "")).startswith("provisioning_cycle")
            or (type(o).__name__ == "frame" and "provisioning_cycle" in o.f_code.co_filename)
        ]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert ours == []
