"""`--users graph` and `--check-with-graph` against the loopback Graph tenant (tests/graph_server.py +
tests/graph_directory.py), over real HTTP on 127.0.0.1: Graph v1.0 paths, $select, paging, nested groups, and
parseExpression's evaluation compared with the simulation's."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from components.graph.auth import TEST_TOKEN_ENV
from tests.graph_server import BEARER, GraphTestServer
from tests.simulate_support import ENTERPRISE, stack_file
from webex_scim.cli import main

DEPARTMENT = ENTERPRISE + ":department"
JOIN = 'Join(" / ", [department], [companyName])'


@pytest.fixture
def tenant(monkeypatch):
    monkeypatch.setenv(TEST_TOKEN_ENV, BEARER)
    monkeypatch.setenv("WEBEX_SCIM_GRAPH_BACKOFF_BASE", "0.01")
    with GraphTestServer() as server:
        d = server.directory
        d.max_page = 2  # every listing pages
        alice = d.add_user("alice@contoso.com")
        d.users[alice].update(department="R&D", companyName="Contoso", jobTitle="Engineer")
        sales = d.add_group("Sales")
        for name in ("bob", "dan", "erin"):
            d.add_member(sales, d.add_user(f"{name}@contoso.com"))
        d.users[d.user_by_upn("erin@contoso.com")["id"]]["accountEnabled"] = False
        emea = d.add_group("Sales EMEA")
        d.add_member(sales, emea)
        d.add_member(emea, d.add_user("carol@contoso.com"))  # nested: never provisioned
        d.add_member(sales, alice)  # alice is assigned directly and through Sales
        d.add_user("frank@contoso.com")  # not assigned at all
        yield server


def run(server, tmp_path, capsys, *extra, **settings):
    path = stack_file(
        tmp_path,
        graphBaseUrl=server.base_url,
        assignments=[{"user": "alice@contoso.com"}, {"group": "Sales"}],
        mappings={"overrides": [{"target": DEPARTMENT, "expression": JOIN}, {"target": "title", "source": "jobTitle"}]},
        **settings,
    )
    code = main(["simulate", "--config-file", str(path), "--users", "graph", "--json", "-", *extra])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else None, captured.err


def test_the_assigned_users_are_read_live_with_only_what_the_mappings_need(tenant, tmp_path, capsys):
    code, doc, err = run(tenant, tmp_path, capsys)
    assert code == 0, err
    got = {u["userPrincipalName"]: (u["action"], u["reason"]) for u in doc["users"]}
    assert got == {
        "alice@contoso.com": ("provision", None),
        "bob@contoso.com": ("provision", None),
        "dan@contoso.com": ("provision", None),
        "erin@contoso.com": (
            "skip",
            "disabled: accountEnabled is false, and Entra does not provision a disabled user (it must be active)",
        ),
    }
    alice = next(u for u in doc["users"] if u["userPrincipalName"] == "alice@contoso.com")
    assert alice["scim"]["title"] == "Engineer" and alice["scim"][ENTERPRISE] == {"department": "R&D / Contoso"}
    assert (
        "note: group Sales EMEA is a member of assigned group Sales: Entra does not provision members of nested groups"
    ) in err
    requests = tenant.requests("GET")
    paths = [r.path for r in requests]
    assert "/v1.0/users/alice@contoso.com" in paths
    assert any(p.endswith("/memberOf") for p in paths)
    members = [r for r in requests if r.path.endswith("/members")]
    assert len(members) == 3  # 5 members, 2 a page: Graph's nextLink followed to the end
    selected = parse_qs(members[0].query)["$select"][0].split(",")
    assert selected == sorted(
        [
            "accountEnabled",
            "companyName",
            "department",
            "displayName",
            "givenName",
            "id",
            "jobTitle",
            "surname",
            "userPrincipalName",
        ]
    )
    assert all(r.headers.get("Authorization") == f"Bearer {BEARER}" for r in requests)


def test_scope_all_lists_every_user(tenant, tmp_path, capsys):
    code, doc, _ = run(tenant, tmp_path, capsys, provisioning={"scope": "all"})
    assert code == 0
    assert sorted(u["userPrincipalName"] for u in doc["users"] if u["action"] == "provision") == [
        "alice@contoso.com",
        "bob@contoso.com",
        "carol@contoso.com",
        "dan@contoso.com",
        "frank@contoso.com",
    ]
    assert len(tenant.requests("GET", "/v1.0/users")) == 3  # 6 users, 2 a page


GHOST_GROUP = "0b0e0b0e-0000-4000-8000-00000000dead"


def test_an_assignment_the_directory_does_not_have_is_said(tenant, tmp_path, capsys):
    path = stack_file(
        tmp_path,
        graphBaseUrl=tenant.base_url,
        assignments=[{"user": "ghost@contoso.com"}, {"group": "Nobody"}, {"group": GHOST_GROUP}],
    )
    assert main(["simulate", "--config-file", str(path), "--users", "graph"]) == 0
    out = capsys.readouterr().out
    assert "note: assigned user ghost@contoso.com is not in the directory (Graph answered 404)" in out
    assert "note: assigned group 'Nobody' is not in the directory (no group has that displayName)" in out
    assert f"note: assigned group {GHOST_GROUP} is not in the directory (Graph answered 404)" in out


def test_graph_failures_and_missing_credentials_end_in_one_message(tenant, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(TEST_TOKEN_ENV, "not-the-bearer")
    code, _, err = run(tenant, tmp_path, capsys)
    assert code == 1
    assert err.startswith("error: reading users from Microsoft Graph failed: ") and "401" in err
    assert "not-the-bearer" not in err and len(err.strip().splitlines()) == 1


def with_job(server):
    d = server.directory
    sp = d.add_gallery_app("Cisco Webex")
    server.state.sp_ids.add(sp)
    return sp, server.add_job()


def test_check_with_graph_agrees(tenant, tmp_path, capsys):
    sp, job = with_job(tenant)
    code, doc, err = run(tenant, tmp_path, capsys, "--check-with-graph")
    assert code == 0, err
    assert all(u["problems"] == [] for u in doc["users"])
    calls = tenant.requests("POST", "/schema/parseExpression")
    assert {json.loads(c.body)["expression"] for c in calls} == {
        JOIN,
        'Switch([IsSoftDeleted], , "False", "True", "True", "False")',
    }
    assert len(calls) == 6  # two expressions, three provisioned users each
    alice = next(c for c in calls if json.loads(c.body)["expression"] == JOIN)
    assert json.loads(alice.body) == {
        "expression": JOIN,
        "targetAttributeDefinition": None,
        "testInputObject": {
            "definition": None,
            "properties": [{"key": "companyName", "value": "Contoso"}, {"key": "department", "value": "R&D"}],
        },
    }
    assert calls[0].path == f"/v1.0/servicePrincipals/{sp}/synchronization/jobs/{job}/schema/parseExpression"
    assert "note: Graph's parseExpression evaluated 2 expression(s) for 6 user sample(s): 0 mismatch(es)" in err


def test_check_with_graph_reports_a_disagreement(tenant, tmp_path, capsys):
    with_job(tenant)
    tenant.state.evaluations[JOIN] = ["Sales"]  # Graph answers otherwise than the simulation computes
    code, doc, err = run(tenant, tmp_path, capsys, "--check-with-graph")
    assert code == 1
    alice = next(u for u in doc["users"] if u["userPrincipalName"] == "alice@contoso.com")
    assert alice["problems"] == [
        f"{DEPARTMENT}: Graph's parseExpression gives ['Sales'], the simulation ['R&D / Contoso']: they disagree"
    ]
    assert "3 mismatch(es) with the simulation" in err


def test_check_with_graph_needs_the_stacks_job(tenant, tmp_path, capsys):
    code, _, err = run(tenant, tmp_path, capsys, "--check-with-graph")
    assert code == 2
    assert err.strip() == (
        "error: --check-with-graph: 0 service principals are named 'Cisco Webex'; set "
        "app.existingServicePrincipalObjectId to the Webex app's object ID (or run `pulumi up` first)"
    )


def test_no_sign_in_is_a_set_up_problem_in_one_line(tenant, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(TEST_TOKEN_ENV)
    for name in ("ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_TENANT_ID", "ARM_USE_MSI", "ARM_USE_OIDC"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ARM_USE_CLI", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # Azure CLI sign-in, the default, with no `az` to be found
    code, doc, err = run(tenant, tmp_path, capsys)
    assert code == 2 and doc is None
    assert err.startswith("error: --users graph: cannot sign in to Microsoft Graph (")
    assert err.endswith("run `az login`, or set the azuread provider's ARM_* variables (ARM_TENANT_ID, ARM_CLIENT_ID, "
                        "...) as the program uses them\n")  # fmt: skip
    assert err.count("\n") == 1 and "Traceback" not in err
