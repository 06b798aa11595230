"""Who Webex gets: assignments (direct members of assigned groups only), Default Access, disabled and deleted users,
the pilot's one user, `scope: all`, and the scoping filter with Entra's operator semantics."""

from __future__ import annotations

import json

import pytest

from tests.simulate_support import by_upn, group, simulate, simulate_full, user

SALES, SUPPORT, NESTED = group("Sales", 1), group("Support", 2), group("Sales EMEA", 3)


def actions(doc):
    return {u["userPrincipalName"]: (u["action"], u["reason"]) for u in doc["users"]}


def test_assigned_directly_or_as_a_direct_member_of_an_assigned_group(tmp_path, capsys):
    users = [
        user(1),  # assigned by UPN, in another case
        user(2, memberOf=[SALES]),  # direct member of the assigned group (by name)
        user(3, memberOf=[NESTED]),  # member of a group nested in Sales: Entra does not expand it
        user(4, memberOf=[SUPPORT]),  # assigned group by object ID
        user(5),
    ]
    code, doc = simulate(
        tmp_path,
        capsys,
        users,
        assignments=[{"user": "USER1@contoso.com"}, {"group": "Sales"}, {"group": SUPPORT["id"]}],
    )
    assert code == 0
    unassigned = "not assigned: neither the user nor a group they are a direct member of is assigned to the app"
    assert actions(doc) == {
        "user1@contoso.com": ("provision", None),
        "user2@contoso.com": ("provision", None),
        "user3@contoso.com": ("skip", unassigned),
        "user4@contoso.com": ("provision", None),
        "user5@contoso.com": ("skip", unassigned),
    }
    assert doc["summary"] == {"provision": 3, "skip": 2, "problems": 0}


@pytest.mark.parametrize("role", ["Default Access", "default_access", "00000000-0000-0000-0000-000000000000"])
def test_a_default_access_role_is_refused_before_anything_is_simulated(tmp_path, capsys, role):
    """Entra does not provision Default Access principals: the stack is refused (exit 2), as the preview refuses it,
    instead of simulating users that could never reach Webex."""
    users = [user(1, memberOf=[SALES]), user(2, memberOf=[SALES, SUPPORT])]
    code, doc, err = simulate_full(
        tmp_path, capsys, users, assignments=[{"group": "Sales", "role": role}, {"group": "Support", "role": "User"}]
    )
    assert code == 2 and doc is None
    assert "webex-scim:assignments[0].role:" in err and "Default Access role" in err and "`role: User`" in err


def test_the_pilot_rollout_provisions_its_one_user(tmp_path, capsys):
    _, doc = simulate(
        tmp_path, capsys, [user(1), user(2)], rollout="pilot", assignments=[{"user": "user2@contoso.com"}]
    )
    assert actions(doc) == {
        "user1@contoso.com": ("skip", "not assigned: a pilot rollout assigns only user2@contoso.com"),
        "user2@contoso.com": ("provision", None),
    }


def test_disabled_and_deleted_users_are_not_provisioned_even_with_scope_all(tmp_path, capsys):
    users = [user(1), user(2, accountEnabled=False), user(3, deletedDateTime="2026-11-01T00:00:00Z")]
    _, doc = simulate(tmp_path, capsys, users, provisioning={"scope": "all"})
    assert actions(doc) == {
        "user1@contoso.com": ("provision", None),
        "user2@contoso.com": (
            "skip",
            "disabled: accountEnabled is false, and Entra does not provision a disabled user (it must be active)",
        ),
        "user3@contoso.com": ("skip", "deleted: deletedDateTime is set, and Entra does not provision deleted users"),
    }


def test_scoping_filter_groups_are_ored_and_their_clauses_anded(tmp_path, capsys):
    users = [
        user(1, department="Sales"),
        user(2, department="Support", accountEnabled=True),
        user(3, department="Support", jobTitle="Lead"),
        user(4, department="sales"),  # EQUALS is case-sensitive
        user(5),  # no department: a clause on a null value is false
    ]
    scoping = [
        {"clauses": [{"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}]},
        {
            "clauses": [
                {"attribute": "department", "operator": "EQUALS", "values": ["Support"]},
                {"attribute": "jobTitle", "operator": "IS_NULL"},
            ]
        },
    ]
    _, doc = simulate(tmp_path, capsys, users, provisioning={"scope": "all"}, mappings={"scopingFilter": scoping})
    got = actions(doc)
    assert got["user1@contoso.com"] == ("provision", None)
    assert got["user2@contoso.com"] == ("provision", None)
    assert got["user3@contoso.com"] == (
        "skip",
        "outside the scoping filter: filter 1: department EQUALS 'Sales' is false (department is 'Support'); "
        "filter 2: jobTitle IS_NULL is false (jobTitle is 'Lead')",
    )
    assert got["user4@contoso.com"][1].startswith("outside the scoping filter: filter 1: department EQUALS 'Sales' is")
    assert got["user5@contoso.com"][1] == (
        "outside the scoping filter: filter 1: department EQUALS 'Sales' is false (department is not set); "
        "filter 2: department EQUALS 'Support' is false (department is not set)"
    )


@pytest.mark.parametrize(
    ("clause", "props", "provisioned"),
    [
        ({"attribute": "userPrincipalName", "operator": "REGEX_MATCH", "values": [".*\\@contoso.com"]}, {}, True),
        ({"attribute": "userPrincipalName", "operator": "NOT_REGEX_MATCH", "values": [".*\\@contoso.com"]}, {}, False),
        (
            {"attribute": "employeeId", "operator": "REGEX_MATCH", "values": ["(1[0-9][0-9][0-9][0-9][0-9][0-9])"]},
            {"employeeId": "1500000"},
            True,
        ),
        (
            {"attribute": "employeeId", "operator": "Greater_Than", "values": ["1000000"]},
            {"employeeId": "1500000"},
            True,
        ),
        (
            {"attribute": "employeeId", "operator": "Less_Than_OR_EQUALS", "values": ["1000000"]},
            {"employeeId": "999"},
            True,
        ),
        ({"attribute": "jobTitle", "operator": "Includes", "values": ["gin"]}, {"jobTitle": "Engineer"}, True),
        ({"attribute": "jobTitle", "operator": "Includes", "values": ["GIN"]}, {"jobTitle": "Engineer"}, False),
        ({"attribute": "jobTitle", "operator": "NOT_EQUALS", "values": ["Intern"]}, {"jobTitle": "Engineer"}, True),
        ({"attribute": "jobTitle", "operator": "NOT_EQUALS", "values": ["Intern"]}, {}, False),  # null: false
        ({"attribute": "jobTitle", "operator": "IS_NOT_NULL"}, {"jobTitle": "Engineer"}, True),
        ({"attribute": "mail", "operator": "ENDS_WITH", "values": ["@contoso.com"]}, {"mail": "a@contoso.com"}, True),
        ({"attribute": "accountEnabled", "operator": "IS_TRUE"}, {}, True),
        ({"attribute": "accountEnabled", "operator": "IS_FALSE"}, {}, False),
        ({"attribute": "telephoneNumber", "operator": "IS_NOT_NULL"}, {"businessPhones": ["+1 555"]}, True),
        (
            {"attribute": "extensionAttribute3", "operator": "EQUALS", "values": ["Webex"]},
            {"onPremisesExtensionAttributes": {"extensionAttribute3": "Webex"}},
            True,
        ),
    ],
)
def test_scoping_operators_as_the_reference_describes_them(tmp_path, capsys, clause, props, provisioned):
    _, doc = simulate(
        tmp_path,
        capsys,
        [user(1, **props)],
        provisioning={"scope": "all"},
        mappings={"scopingFilter": [{"clauses": [clause]}]},
    )
    assert (doc["users"][0]["action"] == "provision") is provisioned, doc["users"][0]["reason"]


def test_what_the_reference_leaves_open_is_reported_not_guessed(tmp_path, capsys):
    users = [user(1, jobTitle="Engineer"), user(2, jobTitle="Intern")]
    scoping = [
        {
            "clauses": [
                {"attribute": "jobTitle", "operator": "EQUALS", "values": ["Engineer"]},
                {"attribute": "department", "operator": "&", "values": ["Sales"]},
            ]
        }
    ]
    code, doc = simulate(tmp_path, capsys, users, provisioning={"scope": "all"}, mappings={"scopingFilter": scoping})
    first, second = doc["users"]
    reason = (
        "not simulated: the scoping filter's filter 1: department & 'Sales': the reference does not make clear what "
        "& tests (substring or bits)"
    )
    assert (first["action"], first["reason"], first["problems"]) == ("skip", reason, [reason])
    # A clause that is false decides whatever the unclear one would say.
    assert second["action"] == "skip" and second["reason"].startswith("outside the scoping filter: filter 1: jobTitle")
    assert second["problems"] == []
    assert code == 1  # a user the simulator cannot evaluate is a problem to look at


def test_a_group_name_several_groups_share(tmp_path, capsys):
    other_sales = group("Sales", 9)
    _, doc, err = simulate_full(
        tmp_path, capsys, [user(1, memberOf=[SALES]), user(2, memberOf=[other_sales])], assignments=[{"group": "Sales"}]
    )
    assert by_upn(doc)["user1@contoso.com"]["reason"] == (
        "not assigned: member of group 'Sales', assigned by a name several groups share"
    )
    # Said once for the snapshot (stderr beside --json -, the terminal and Markdown otherwise), not per user.
    assert (
        "note: group 'sales' is assigned by name, and 2 groups in the snapshot have that name: `pulumi up` cannot pick "
        "one (azuread get_group finds several); assign it by object ID"
    ) in err


def test_a_snapshot_without_group_membership_is_exit_1_with_the_fix_when_groups_are_assigned(tmp_path, capsys):
    """Not "0 of 1" and exit 0: the snapshot cannot say who the group assigns, and the run says so (exit 1)."""
    bare = [{"id": "u1", "userPrincipalName": "a@contoso.com", "accountEnabled": True}]  # az ad user list's shape
    code, doc, err = simulate_full(tmp_path, capsys, bare, assignments=[{"group": "Sales"}, {"user": "x@contoso.com"}])
    assert code == 1 and doc["users"][0]["action"] == "skip"
    assert (
        "note: the stack assigns group(s) Sales, but no user in users.json has memberOf (Graph's group membership), "
        "so no group member can be simulated as assigned; export the users with their groups (`$expand=memberOf`, "
        "docs/simulation.md shows the command; `az ad user list` and the portal's CSV leave it out), or read the "
        "directory with `--users graph`"
    ) in err
    assert err.rstrip().endswith("— not to be trusted: the snapshot has no group membership (see the note)")
    code, _, err = simulate_full(tmp_path, capsys, [{**bare[0], "memberOf": [SALES]}], assignments=[{"group": "Sales"}])
    assert code == 0 and "has memberOf" not in err
    code, _, _ = simulate_full(tmp_path, capsys, bare, assignments=[{"user": "a@contoso.com"}])
    assert code == 0  # users only: membership does not matter


def test_the_portals_download_users_csv_is_read(tmp_path, capsys):
    """The Entra portal's "Download users" file names the object ID objectId, and phones as the engine does."""
    csv = tmp_path / "exportUsers.csv"
    csv.write_text(
        "\ufeffobjectId,userPrincipalName,displayName,givenName,surname,accountEnabled,telephoneNumber\n"
        "00000000-0000-4000-8000-000000000001,user1@contoso.com,User 1,User,1,True,+1 555 0100\n"
        "00000000-0000-4000-8000-000000000002,user2@contoso.com,User 2,User,2,False,\n",
        encoding="utf-8",
    )
    from tests.simulate_support import stack_file
    from webex_scim.cli import main

    path = stack_file(tmp_path, assignments=[{"user": "user1@contoso.com"}, {"user": "user2@contoso.com"}])
    assert main(["simulate", "--config-file", str(path), "--users", str(csv), "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    got = {u["id"]: (u["action"], (u["scim"] or {}).get("externalId")) for u in doc["users"]}
    assert got == {
        "00000000-0000-4000-8000-000000000001": ("provision", "00000000-0000-4000-8000-000000000001"),
        "00000000-0000-4000-8000-000000000002": ("skip", None),  # accountEnabled False, as the portal writes it
    }


def filtered(tmp_path, capsys, scoping, *props):
    """(action, reason) per user `user<n>` (n from 1) under `scope: all` and the scoping filter `scoping`."""
    users = [user(n, **p) for n, p in enumerate(props, 1)]
    _, doc = simulate(tmp_path, capsys, users, provisioning={"scope": "all"}, mappings={"scopingFilter": scoping})
    return [(u["action"], u["reason"]) for u in doc["users"]]


def one(clause):
    return [{"clauses": [clause]}]


def ext1(value):
    return {"onPremisesExtensionAttributes": {"extensionAttribute1": value}}


IN = ("provision", None)
NOT_SIMULATED = "not simulated: the scoping filter's filter 1: "
OUTSIDE = "outside the scoping filter: filter 1: "

# Each operator at its edges, with the reason a user reads: Entra's semantics as scope.py's docstring cites them.
OPERATORS = [
    (
        {"attribute": "department", "operator": "IS_NULL"},
        [{"department": ""}, {}, {"department": "x"}],
        [IN, IN, ("skip", OUTSIDE + "department IS_NULL is false (department is 'x')")],
    ),
    (
        {"attribute": "department", "operator": "IS_NOT_NULL"},
        [{"department": ""}, {"department": "x"}],
        [("skip", OUTSIDE + "department IS_NOT_NULL is false (department is not set)"), IN],
    ),
    (
        {"attribute": "extensionAttribute1", "operator": "IS_TRUE"},
        [ext1(" True "), ext1("false"), ext1("yes")],
        [
            IN,
            ("skip", OUTSIDE + "extensionAttribute1 IS_TRUE is false (extensionAttribute1 is 'false')"),
            ("skip", OUTSIDE + "extensionAttribute1 IS_TRUE is false (extensionAttribute1 is 'yes')"),
        ],
    ),
    (
        {"attribute": "extensionAttribute1", "operator": "IS_FALSE"},
        [ext1(" True "), ext1("FALSE"), ext1("no")],
        [
            ("skip", OUTSIDE + "extensionAttribute1 IS_FALSE is false (extensionAttribute1 is ' True ')"),
            IN,
            ("skip", OUTSIDE + "extensionAttribute1 IS_FALSE is false (extensionAttribute1 is 'no')"),
        ],
    ),
    (
        {"attribute": "accountEnabled", "operator": "IS_FALSE"},
        [{}],
        [("skip", OUTSIDE + "accountEnabled IS_FALSE is false (accountEnabled is True)")],
    ),
    (
        {"attribute": "department", "operator": "EQUALS", "values": ["Sales"]},
        [{"department": "Sales"}, {"department": "Sales "}],
        [IN, ("skip", OUTSIDE + "department EQUALS 'Sales' is false (department is 'Sales ')")],
    ),
    (
        {"attribute": "department", "operator": "NOT_EQUALS", "values": ["Sales"]},
        [{"department": "Sales"}, {"department": "Ops"}],
        [("skip", OUTSIDE + "department NOT_EQUALS 'Sales' is false (department is 'Sales')"), IN],
    ),
    (
        {"attribute": "department", "operator": "Includes", "values": ["ale"]},
        [{"department": "Sales"}, {"department": "Ops"}],
        [IN, ("skip", OUTSIDE + "department Includes 'ale' is false (department is 'Ops')")],
    ),
    (
        {"attribute": "mail", "operator": "ENDS_WITH", "values": ["@contoso.com"]},
        [{"mail": "a@contoso.com"}, {"mail": "a@CONTOSO.com"}, {"mail": "a@contoso.com.evil"}],
        [
            IN,
            (
                "skip",
                NOT_SIMULATED + "mail ENDS_WITH '@contoso.com': ENDS_WITH '@contoso.com' on 'a@CONTOSO.com': they "
                "differ only in case, and the reference does not say whether ENDS_WITH ignores case",
            ),
            ("skip", OUTSIDE + "mail ENDS_WITH '@contoso.com' is false (mail is 'a@contoso.com.evil')"),
        ],
    ),
    (
        {"attribute": "department", "operator": "REGEX_MATCH", "values": ["^S"]},
        [{"department": "Sales"}, {"department": "OpS"}],
        [IN, ("skip", OUTSIDE + "department REGEX_MATCH '^S' is false (department is 'OpS')")],
    ),
    (
        {"attribute": "department", "operator": "NOT_REGEX_MATCH", "values": ["^S"]},
        [{"department": "Sales"}, {"department": "OpS"}],
        [("skip", OUTSIDE + "department NOT_REGEX_MATCH '^S' is false (department is 'Sales')"), IN],
    ),
    (
        {"attribute": "employeeId", "operator": "Greater_Than", "values": ["100"]},
        [{"employeeId": "100"}, {"employeeId": " 101"}, {"employeeId": "x1"}],
        [
            ("skip", OUTSIDE + "employeeId Greater_Than '100' is false (employeeId is '100')"),
            IN,
            (
                "skip",
                NOT_SIMULATED + "employeeId Greater_Than '100': Greater_Than compares integers; employeeId is 'x1'",
            ),
        ],
    ),
    (
        {"attribute": "employeeId", "operator": "Greater_Than_OR_EQUALS", "values": ["100"]},
        [{"employeeId": "100"}, {"employeeId": "99"}],
        [IN, ("skip", OUTSIDE + "employeeId Greater_Than_OR_EQUALS '100' is false (employeeId is '99')")],
    ),
    (
        {"attribute": "employeeId", "operator": "Less_Than", "values": ["100"]},
        [{"employeeId": "100"}, {"employeeId": "99"}],
        [("skip", OUTSIDE + "employeeId Less_Than '100' is false (employeeId is '100')"), IN],
    ),
    (
        {"attribute": "employeeId", "operator": "Less_Than_OR_EQUALS", "values": ["100"]},
        [{"employeeId": "100"}, {"employeeId": "101"}],
        [IN, ("skip", OUTSIDE + "employeeId Less_Than_OR_EQUALS '100' is false (employeeId is '101')")],
    ),
    # What a snapshot cannot decide, said per user
    (
        {"attribute": "manager", "operator": "IS_NOT_NULL"},
        [{}],
        [
            (
                "skip",
                NOT_SIMULATED + "manager IS_NOT_NULL: [manager]: manager is a reference to another user, resolved to "
                "that user's Webex id by the engine",
            )
        ],
    ),
    (
        {"attribute": "proxyAddresses", "operator": "IS_NOT_NULL"},
        [{"proxyAddresses": ["smtp:a@contoso.com"]}, {}],  # set or not: the attribute is multi-valued either way
        [
            (
                "skip",
                NOT_SIMULATED + "proxyAddresses IS_NOT_NULL: proxyAddresses is multi-valued, and scoping filters do "
                "not support multi-valued attributes",
            )
        ]
        * 2,
    ),
    (
        {"attribute": "department", "operator": "EQUALS", "values": ["a", "b"]},
        [{"department": "a"}],
        [
            (
                "skip",
                NOT_SIMULATED + "department EQUALS ['a', 'b']: 2 values in one clause (the portal writes one; how "
                "several combine is not documented)",
            )
        ],
    ),
    (
        {"attribute": "department", "operator": "!&", "values": ["a"]},
        [{"department": "ab"}],
        [
            (
                "skip",
                NOT_SIMULATED + "department !& 'a': the reference does not make clear what !& tests (substring or "
                "bits)",
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("clause", "props", "verdicts"), OPERATORS, ids=[f"{c[0]['attribute']} {c[0]['operator']}" for c in OPERATORS]
)
def test_each_scoping_operator_at_its_edges_with_the_reason_shown(tmp_path, capsys, clause, props, verdicts):
    assert filtered(tmp_path, capsys, one(clause), *props) == verdicts


UNCLEAR = {"attribute": "department", "operator": "&", "values": ["Sales"]}
UNCLEAR_TOO = {"attribute": "jobTitle", "operator": "!&", "values": ["Lead"]}
IN_SALES = {"attribute": "department", "operator": "EQUALS", "values": ["Sales"]}


def test_three_valued_logic_an_unclear_clause_decides_only_when_nothing_else_does(tmp_path, capsys):
    unclear = "filter 1: department & 'Sales': the reference does not make clear what & tests (substring or bits)"
    # Another group that holds decides: the user is in, whatever the unclear clause would say.
    assert filtered(tmp_path, capsys, [{"clauses": [UNCLEAR]}, {"clauses": [IN_SALES]}], {"department": "Sales"}) == [
        IN
    ]
    # No group holds and one is unclear: not simulated, naming the first unclear clause of that group.
    assert filtered(
        tmp_path, capsys, [{"clauses": [UNCLEAR, UNCLEAR_TOO]}, {"clauses": [IN_SALES]}], {"department": "Ops"}
    ) == [("skip", f"not simulated: the scoping filter's {unclear}")]
    # Two unclear groups: the first is named.
    assert filtered(tmp_path, capsys, [{"clauses": [UNCLEAR]}, {"clauses": [UNCLEAR_TOO]}], {}) == [
        ("skip", f"not simulated: the scoping filter's {unclear}")
    ]
    # A clause that is false after an unclear one still makes its group false.
    assert filtered(tmp_path, capsys, [{"clauses": [UNCLEAR, IN_SALES]}], {"department": "Ops"}) == [
        ("skip", "outside the scoping filter: filter 1: department EQUALS 'Sales' is false (department is 'Ops')")
    ]


def test_assignment_by_object_id_and_group_name_ignore_case(tmp_path, capsys):
    users = [user(1), user(2, memberOf=[SALES]), user(3, userPrincipalName=None)]
    _, doc = simulate(
        tmp_path,
        capsys,
        users,
        assignments=[{"user": users[0]["id"].upper()}, {"group": "SALES"}, {"user": users[2]["id"]}],
    )
    assert [u["action"] for u in doc["users"]] == ["provision", "provision", "provision"]


def test_default_access_through_several_assignments_names_each():
    """The settings refuse a Default Access role (above), but a diff's base from before that rule can still assign
    one (diff --users reads each side's preview): the scope names every assignment that gives it."""
    from provisioning_cycle.run import simulate as run_simulation
    from provisioning_cycle.snapshot import from_graph_users
    from provisioning_cycle.stack import Principal, SimulationStack

    stack = SimulationStack(
        project="webex-scim",
        stack="base",
        rows=[{"target": "userName", "source": "userPrincipalName"}],
        scoping_filter=[],
        principals=[Principal("group", "Support", "Default Access"), Principal("group", "Sales", "Default Access")],
    )
    snapshot = from_graph_users("users.json", [user(1, memberOf=[SALES, SUPPORT])], "--users users.json")
    (result,) = run_simulation(stack, snapshot).users
    assert (result.action, result.reason) == (
        "skip",
        "Default Access only: assigned with the Default Access role (group Sales, group Support), and Entra does not "
        "provision Default Access users; assign a Webex role",
    )


def test_a_disabled_or_deleted_user_is_skipped_before_the_scoping_filter(tmp_path, capsys):
    assert filtered(
        tmp_path, capsys, one(IN_SALES), {"department": "Sales", "accountEnabled": False}, {"department": "Sales"}
    ) == [
        ("skip", "disabled: accountEnabled is false, and Entra does not provision a disabled user (it must be active)"),
        IN,
    ]


def test_a_group_shared_by_name_counts_only_when_it_is_assigned_by_that_name(tmp_path, capsys):
    twin = group("Sales", 9)
    users = [user(1, memberOf=[SALES]), user(2, memberOf=[twin]), user(3, memberOf=[SUPPORT])]
    _, doc, err = simulate_full(tmp_path, capsys, users, assignments=[{"group": SALES["id"]}, {"group": "Support"}])
    assert actions(doc) == {
        "user1@contoso.com": ("provision", None),
        "user2@contoso.com": (
            "skip",
            "not assigned: neither the user nor a group they are a direct member of is assigned to the app",
        ),
        "user3@contoso.com": ("provision", None),
    }
    assert "several" not in err and "groups in the snapshot have that name" not in err


def test_groups_known_by_only_an_id_or_only_a_name_and_user_ids_in_any_case(tmp_path, capsys):
    by_name = {"@odata.type": "#microsoft.graph.group", "displayName": "Sales"}  # CSV memberOf may give only names
    by_id = {"@odata.type": "#microsoft.graph.group", "id": "9f000000-0000-4000-8000-0000000000aa"}
    lettered = {**user(3), "id": "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"}
    users = [user(1, memberOf=[by_name]), user(2, memberOf=[by_id]), lettered, user(4, memberOf=[by_name, by_id])]
    _, doc = simulate(
        tmp_path,
        capsys,
        users,
        assignments=[{"group": "Sales"}, {"group": by_id["id"].upper()}, {"user": lettered["id"].upper()}],
    )
    assert [u["action"] for u in doc["users"]] == ["provision"] * 4
