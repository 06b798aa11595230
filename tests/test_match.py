"""`match`: each Entra user against a Webex org on loopback, read-only. The org is scim2-server (a real SCIM 2.0
server) seeded as a Webex org, and tests/webex_org.py where scim2-server cannot hold the case (two Webex users whose
userName differs only in case) or Webex's own JSON (its documented user)."""

from __future__ import annotations

import pytest

from provisioning_cycle.scim_http import NotReadOnly, ScimHttp
from tests.match_support import (
    ENTRA,
    FRANK,
    TOKEN_ENV,
    WEBEX_ORG,
    WEBEX_TWINS,
    classes,
    entra,
    run_match,
    seed_peer,
)
from tests.scim_faults import Faults
from tests.scim_peer import ScimPeer
from tests.webex_openapi import documented_user
from tests.webex_org import WebexOrg

EXPECTED = {
    "pilot.user@contoso.com": "match",
    "Bob.Smith@Contoso.com": "match",
    "carol.white@contoso.com": "match",
    "dave.jones@contoso.com": "near-miss",
    "erin.lee@contoso.com": "conflict",
    "ERIN.LEE@contoso.com": "conflict",
    "grace.hall@contoso.com": "conflict",
    "heidi.moss@contoso.com": "new",
    "ivan.petrov@contoso.com": "conflict",
    "judy.chan@fabrikam.com": "conflict",
    "kim.park@contoso.com": "not provisioned",
}


@pytest.fixture
def token(monkeypatch, canary):
    monkeypatch.setenv(TOKEN_ENV, canary)
    return canary


@pytest.mark.parametrize("listing", [[], ["--list-org"]], ids=["lookups", "list-org"])
def test_every_class_against_scim2_server_seeded_as_a_webex_org(tmp_path, capsys, token, listing):
    faults = Faults()
    with ScimPeer(token, faults) as peer:
        ids = seed_peer(peer, token, WEBEX_ORG)
        faults.requests.clear()
        code, out, err, doc, md = run_match(tmp_path, capsys, peer.base_url, *listing)
    assert code == 1, err
    assert classes(doc) == EXPECTED
    users = {u["userPrincipalName"]: u for u in doc["users"]}
    pilot = users["pilot.user@contoso.com"]
    assert pilot["webexId"] == ids["w-pilot"] and pilot["userName"] == "pilot.user@contoso.com"
    assert pilot["firstCycle"] == [
        {"op": "Replace", "path": "displayName", "value": "Pilot User", "was": "Pilot Old"},
        {"op": "Add", "path": "externalId", "value": "00000000-0000-4000-8000-000000000001", "was": None},
    ]
    bob = users["Bob.Smith@Contoso.com"]
    assert bob["firstCycle"] == [] and "the same but for case; the first cycle changes nothing on it" in bob["reason"]
    carol = users["carol.white@contoso.com"]
    assert (
        carol["inactiveInWebex"] is True
        and "inactive in Webex (active: false): the first cycle reactivates it" in (carol["reason"])
    )
    assert {"op": "Replace", "path": "active", "value": True, "was": False} in carol["firstCycle"]
    dave = users["dave.jones@contoso.com"]
    assert dave["webexId"] == ids["w-dave"]
    assert (
        f"Webex user {ids['w-dave']} (d.jones@contoso.com) holds 'dave.jones@contoso.com' in its emails"
        in (dave["reason"])
    )
    assert "DuplicateSourceEntries" in users["erin.lee@contoso.com"]["reason"]
    assert users["erin.lee@contoso.com"]["firstCycle"] == [] and users["erin.lee@contoso.com"]["webexId"] is None
    assert "already has externalId 'ad-sync-7731', from another source" in users["grace.hall@contoso.com"]["reason"]
    assert "work email 'ivan.p@contoso.com' is not userName" in users["ivan.petrov@contoso.com"]["reason"]
    assert "not a verified domain" in users["judy.chan@fabrikam.com"]["reason"]
    heidi = users["heidi.moss@contoso.com"]
    assert heidi["reason"].endswith(
        "Webex creates it, unless the address already has a Webex account outside this org (userName is unique "
        "across all of Webex: a free or another org's account refuses the create until it is released or claimed)"
    )
    assert heidi["firstCycle"][0]["op"] == "POST" and heidi["firstCycle"][0]["value"]["userName"] == (
        "heidi.moss@contoso.com"
    )
    assert users["kim.park@contoso.com"]["reason"].startswith("disabled:")
    assert doc["summary"] == {
        "provisioned": 10,
        "match": 3,
        "matchInactive": 1,
        "new": 1,
        "nearMiss": 1,
        "conflict": 5,
        "unknown": 0,
        "notProvisioned": 1,
        "withProblems": 0,
        "webexOnly": 2 if listing else None,
        "partial": False,
    }
    # Read-only: nothing but GET reached the server, and the report counts what was sent.
    assert set(faults.methods()) == {"GET"}
    assert doc["requests"] == {"GET": len(faults.requests)}
    if listing:
        assert len(faults.requests) == 2  # the probe and one page
        assert [a["userName"] for a in doc["webexOnly"]] == ["d.jones@contoso.com", "old.contractor@contoso.com"]
    else:
        assert doc["webexOnly"] is None
        # Entra's lookup for each user it sends (not the two duplicates), a probe, and near-miss lookups for the
        # three users nothing matched (dave, ivan with a second address, judy, heidi): emails.value and userName.
        filters = [r.query.get("filter", "") for r in faults.requests]
        assert 'userName eq "pilot.user@contoso.com"' in filters and 'emails.value eq "dave.jones@contoso.com"' in (
            filters
        )
        assert not [f for f in filters if "erin" in f.lower() or "externalid" in f.lower()]
    # The terminal, grouped by class, largest risk first, and the Markdown for a PR.
    heads = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert heads[1:6] == [
        "Conflicts: Entra fails these users, Webex may refuse them, or a Webex user is taken over (5)",
        "Near misses: a Webex user already has the address under another userName (1)",
        "Matches: existing Webex users the first cycle updates (3)",
        "New: Webex creates these users (1)",
        "Not provisioned (the simulation's reasons) (1)",
    ]
    assert out.splitlines()[-1] == (
        "10 users Entra would send: 3 match existing Webex users by userName (1 inactive), 1 new, 1 near miss, "
        "5 conflicts" + ("; 2 Webex users no Entra user reaches" if listing else "")
    )
    assert md.startswith("<!-- webex-scim-match:sim -->\n**webex-scim** <code>sim</code>, matched with")
    assert "### Conflicts: Entra fails these users, Webex may refuse them, or a Webex user is taken over (5)" in md
    for text in (out, err, md, str(doc)):
        assert token not in text


def test_several_webex_users_with_one_username_and_webex_s_own_json(tmp_path, capsys, token):
    documented = documented_user()  # Webex's documented user: accountStatus, arrays, meta.organizationId…
    people = [FRANK, entra(13, "user1@example.com", displayName="Jonathan Joestar", mail="user1@example.com")]
    with WebexOrg(token, [*WEBEX_TWINS, documented]) as org:
        for listing in ([], ["--list-org"]):
            code, _out, err, doc, _ = run_match(
                tmp_path, capsys, org.base_url, *listing, people=people, verifiedDomains=None, mappings=None
            )
            assert code == 1, err
            frank, jonathan = doc["users"]
            assert frank["class"] == "conflict" and frank["reason"] == (
                "2 Webex users match userName 'frank.ross@contoso.com' (w-frank-1, w-frank-2): Entra fails the user "
                "(DuplicateTargetEntries) and sends nothing"
            )
            # Webex's documented user is read as Webex writes it, and the first cycle computed against it.
            assert jonathan["class"] == "conflict" and jonathan["webexId"] == documented["id"]
            assert "already has externalId 'externalIdValue', from another source" in jonathan["reason"]
            assert {op["path"] for op in jonathan["firstCycle"]} == {
                "displayName",
                "name.givenName",
                "name.familyName",
                "externalId",
            }


def test_a_clean_org_exits_0(tmp_path, capsys, token):
    people = [entra(1, "pilot.user@contoso.com", displayName="Pilot Old"), entra(8, "heidi.moss@contoso.com")]
    with WebexOrg(token, WEBEX_ORG) as org:
        code, out, _err, doc, _ = run_match(tmp_path, capsys, org.base_url, people=people)
    assert code == 0, out
    assert classes(doc) == {"pilot.user@contoso.com": "match", "heidi.moss@contoso.com": "new"}


def test_the_read_only_client_refuses_every_other_method_before_sending(token):
    faults = Faults()
    with ScimPeer(token, faults) as peer, ScimHttp(peer.base_url, token, read_only=True) as scim:
        for method in ("POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
            with pytest.raises(NotReadOnly, match=f"{method} /v2/Users: this client only reads"):
                scim.http.request(method, "/Users", json={"schemas": []})
        assert scim.http.get("/Users").status_code == 200
    assert faults.methods() == ["GET"]
    assert scim.stats.requests == {"GET": 1}


def test_the_token_never_leaves_even_when_the_server_echoes_it(tmp_path, capsys, token):
    faults = Faults()
    faults.add(lambda r: True, status=401, body={"detail": "bad token"}, times=-1)
    with WebexOrg(token, WEBEX_ORG, faults=faults) as org:
        faults.rules[0].body = {"detail": f"bad credentials: Bearer {token}"}
        code, out, err, doc, _md = run_match(tmp_path, capsys, org.base_url)
    assert code == 2 and doc is None
    assert "answered 401 (bad credentials: Bearer [redacted])" in err
    assert token not in out + err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--scim-token-env NAME is required: the environment variable that holds the SCIM bearer token"),
        (
            ["--scim-token-env", "WEBEX_SCIM_UNSET_VARIABLE"],
            "--scim-token-env WEBEX_SCIM_UNSET_VARIABLE: that environment variable is not set or empty",
        ),
        (
            ["--scim-token-env", TOKEN_ENV, "--scim-url", "http://scim.example.com/v2"],
            "http sends the bearer token in clear; use https (http is accepted on loopback only)",
        ),
        (["--scim-token-env", TOKEN_ENV, "--deadline", "0"], "argument --deadline: '0' is not a number of seconds"),
        (["--scim-token-env", TOKEN_ENV, "--concurrency", "64"], "'64' is not a whole number from 1 to 16"),
    ],
)
def test_usage_is_checked_before_anything_is_read(tmp_path, capsys, token, args, message):
    from tests.simulate_support import snapshot_file
    from webex_scim.cli import main

    snap = snapshot_file(tmp_path, ENTRA)
    assert main(["match", "--stack", "dev", "--users", str(snap), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and token not in err and "Traceback" not in err


def test_the_stack_s_tenant_url_is_what_is_read_by_default(tmp_path, capsys, token):
    # Nothing listens on this loopback port: the probe, the first request, names the URL it read and stops.
    from tests.simulate_support import ORG, snapshot_file, stack_file
    from webex_scim.cli import main

    url = f"https://127.0.0.1:9/identity/scim/{ORG}/v2"
    stack = stack_file(tmp_path, tenantUrl=url, provisioning={"scope": "all"})
    snap = snapshot_file(tmp_path, ENTRA[:1])
    argv = ["match", "--config-file", str(stack), "--users", str(snap), "--scim-token-env", TOKEN_ENV]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f'the probe (GET {url}/Users?filter=userName eq "' in err
    assert "is the SCIM base URL right, and the server up?" in err and token not in err


def test_json_on_stdout_puts_the_summary_on_stderr(tmp_path, capsys, token):
    import json

    from tests.simulate_support import snapshot_file, stack_file
    from webex_scim.cli import main

    stack = stack_file(tmp_path, provisioning={"scope": "all"})
    snap = snapshot_file(tmp_path, [entra(8, "heidi.moss@contoso.com")])
    with WebexOrg(token, WEBEX_ORG) as org:
        argv = ["match", "--config-file", str(stack), "--users", str(snap), "--scim-url", org.base_url]
        assert main([*argv, "--scim-token-env", TOKEN_ENV, "--json", "-"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert list(doc) == [
        "project",
        "stack",
        "scimUrl",
        "listOrg",
        "users",
        "webexOnly",
        "notes",
        "partial",
        "requests",
        "summary",
    ]
    assert list(doc["users"][0]) == [
        "id",
        "userPrincipalName",
        "userName",
        "class",
        "reason",
        "webexId",
        "inactiveInWebex",
        "firstCycle",
        "problems",
        "warnings",
    ]
    assert captured.err.splitlines()[-1] == (
        "1 user Entra would send: 0 match existing Webex users by userName, 1 new, 0 near misses, 0 conflicts"
    )


def test_a_long_markdown_report_is_cut_to_fit_a_comment_and_says_so(tmp_path, capsys, token):
    from provisioning_cycle.match_render import BUDGET

    people = [entra(n, f"someone.new{n}@contoso.com") for n in range(400)]
    people[0] = entra(0, "dave.jones@contoso.com")  # a near miss, listed before the new users
    with WebexOrg(token, WEBEX_ORG) as org:
        code, _out, _err, doc, md = run_match(tmp_path, capsys, org.base_url, "--list-org", people=people)
    assert code == 1 and doc["summary"]["new"] == 399
    assert len(md) <= BUDGET and "more, trimmed to fit a comment_" in md
    assert "### Near misses" in md and md.rstrip().endswith("7 Webex users no Entra user reaches")


def test_users_read_from_graph_are_matched_with_their_mail_too(tmp_path, capsys, token, monkeypatch):
    # `--users graph` asks Graph for mail even when no mapping reads it: a near miss by the user's mail needs it.
    from urllib.parse import parse_qs

    from components.graph.auth import TEST_TOKEN_ENV
    from tests.graph_server import BEARER, GraphTestServer
    from tests.simulate_support import stack_file
    from webex_scim.cli import main

    monkeypatch.setenv(TEST_TOKEN_ENV, BEARER)
    with GraphTestServer() as graph, WebexOrg(token, WEBEX_ORG) as org:
        alice = graph.directory.add_user("alice.k@contoso.com")
        graph.directory.users[alice]["mail"] = "d.jones@contoso.com"  # a Webex user's userName
        stack = stack_file(tmp_path, graphBaseUrl=graph.base_url, assignments=[{"user": "alice.k@contoso.com"}])
        argv = ["match", "--config-file", str(stack), "--users", "graph", "--scim-url", org.base_url]
        assert main([*argv, "--scim-token-env", TOKEN_ENV, "--json", str(tmp_path / "m.json")]) == 1
        selects = [parse_qs(r.query).get("$select", [""])[0] for r in graph.requests("GET")]
    capsys.readouterr()
    import json

    (entry,) = json.loads((tmp_path / "m.json").read_text())["users"]
    assert entry["class"] == "near-miss" and "holds 'd.jones@contoso.com' as its userName" in entry["reason"]
    assert any("mail" in s.split(",") for s in selects)
