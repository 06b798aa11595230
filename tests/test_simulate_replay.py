"""`--scim-url`: the cycle replayed as Entra's SCIM client plays it, against scim2-server on 127.0.0.1 (Webex's
stand-in), and the resulting directory read back. The token comes from an environment variable and never shows."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.scim_faults import Faults, on
from tests.scim_peer import ScimPeer
from tests.simulate_support import CORE, ENTERPRISE, WEBEX, snapshot_file, stack_file, user
from webex_scim.cli import main

TOKEN_ENV = "WEBEX_SCIM_TEST_SCIM_TOKEN"
OVERRIDES = [
    {"target": 'emails[type eq "work"].value', "source": "mail"},
    {"target": ENTERPRISE + ":department", "source": "department"},
]


def users():
    return [
        user(1, mail="user1@contoso.com", department="Sales"),
        user(2, mail="user2@contoso.com"),
        user(3, accountEnabled=False),  # skipped: never sent
    ]


def replay(tmp_path, capsys, url, *, overrides=OVERRIDES, people=None, extra=()):
    stack = stack_file(tmp_path, provisioning={"scope": "all"}, mappings={"overrides": overrides})
    snap = snapshot_file(tmp_path, people if people is not None else users())
    md = tmp_path / "replay.md"
    code = main(
        [
            "simulate",
            "--config-file",
            str(stack),
            "--users",
            str(snap),
            "--scim-url",
            url,
            "--scim-token-env",
            TOKEN_ENV,
            "--markdown",
            str(md),
            *extra,
        ]
    )
    captured = capsys.readouterr()
    return code, captured.out + captured.err, md.read_text() if md.exists() else ""


@pytest.fixture
def token(monkeypatch, canary):
    monkeypatch.setenv(TOKEN_ENV, canary)
    return canary


def test_new_users_are_created_as_webex_would_receive_them(tmp_path, capsys, token):
    with ScimPeer(token) as peer:
        code, out, md = replay(tmp_path, capsys, peer.base_url)
        stored = peer.users()
        requests = list(peer.requests)
    assert code == 0, out
    assert [(u["userName"], u["externalId"], u["active"], u["name"]) for u in stored] == [
        ("user1@contoso.com", "00000000-0000-4000-8000-000000000001", True, {"familyName": "1", "givenName": "User"}),
        ("user2@contoso.com", "00000000-0000-4000-8000-000000000002", True, {"familyName": "2", "givenName": "User"}),
    ]
    assert stored[0]["emails"] == [{"value": "user1@contoso.com", "type": "work", "primary": True}]
    assert stored[0][ENTERPRISE] == {"department": "Sales"} and ENTERPRISE not in stored[1]
    assert stored[0]["schemas"] == [CORE, ENTERPRISE]
    # Entra's order: look the user up by the matching attribute, then create.
    assert requests == [("GET", "/v2/Users"), ("POST", "/v2/Users")] * 2
    assert "Replay against" in out and "2 created, 0 updated, 0 unchanged, 0 failed" in out
    assert "| <code>user1<span>@</span>contoso.com</code> | created |" in md
    assert token not in out and token not in md


def test_a_second_cycle_patches_what_changed_and_leaves_the_rest(tmp_path, capsys, token):
    with ScimPeer(token) as peer:
        assert replay(tmp_path, capsys, peer.base_url)[0] == 0
        peer.requests.clear()
        changed = [*users()]
        changed[0]["department"] = "Support"
        changed[1]["surname"] = "Two"
        code, out, _ = replay(tmp_path, capsys, peer.base_url, people=changed)
        stored = peer.users()
        requests = list(peer.requests)
    assert code == 0, out
    assert "user1@contoso.com: updated (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department)" in out
    assert "user2@contoso.com: updated (name.familyName)" in out
    assert stored[0][ENTERPRISE] == {"department": "Support"} and stored[1]["name"]["familyName"] == "Two"
    assert [m for m, _ in requests] == ["GET", "PATCH", "GET", "PATCH"]
    with ScimPeer(token) as again:
        replay(tmp_path, capsys, again.base_url)
        code, out, _ = replay(tmp_path, capsys, again.base_url)
    assert "0 created, 0 updated, 2 unchanged, 0 failed" in out and code == 0


def seed(peer, token, **attributes):
    existing = {"schemas": [CORE], "userName": "user1@contoso.com", "displayName": "Old Name", **attributes}
    created = httpx.post(f"{peer.base_url}/Users", json=existing, headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201
    return created.json()["id"]


def test_an_existing_webex_user_is_matched_by_username_not_created_twice(tmp_path, capsys, token):
    with ScimPeer(token) as peer:
        webex_id = seed(peer, token, emails=[{"type": "work", "value": "old@contoso.com"}])
        code, out, _ = replay(tmp_path, capsys, peer.base_url)
        stored = {u["userName"]: u for u in peer.users()}
    assert code == 0, out
    assert len(stored) == 2 and stored["user1@contoso.com"]["id"] == webex_id
    first = stored["user1@contoso.com"]
    assert (first["displayName"], first["emails"][0]["value"], first["active"]) == ("User 1", "user1@contoso.com", True)
    assert first[ENTERPRISE] == {"department": "Sales"}
    assert (
        "user1@contoso.com: updated (active, displayName, name.givenName, name.familyName, externalId, "
        'emails[type eq "work"].value, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department)'
    ) in out


def test_an_add_through_a_value_filter_a_server_refuses_is_reported_with_its_reason(tmp_path, capsys, token):
    # Entra adds a work email to a user who has none with `Add emails[type eq "work"].value`; RFC 7644 leaves a
    # value filter that matches nothing open, and scim2-server refuses it: the replay says so, user by user.
    with ScimPeer(token) as peer:
        seed(peer, token)
        code, out, _ = replay(tmp_path, capsys, peer.base_url)
    assert code == 1
    assert "answered 400 (no value of 'emails' matches the path filter)" in out


def test_a_refusal_fails_the_run_and_names_the_server_s_reason(tmp_path, capsys, token):
    with ScimPeer("another-token") as peer:
        code, out, _ = replay(tmp_path, capsys, peer.base_url)
    assert code == 1
    assert "user1@contoso.com: failed: GET /Users?filter answered 401" in out
    assert token not in out


class _Echo(BaseHTTPRequestHandler):
    """The worst a SCIM server could do: echo the Authorization header back in its error."""

    def do_GET(self) -> None:
        body = json.dumps({"detail": f"bad credentials: {self.headers.get('Authorization')}"}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/scim+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


def test_the_token_never_leaves_in_clear_even_when_echoed(tmp_path, capsys, token):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v2"
        code, out, md = replay(tmp_path, capsys, url, extra=("--json", str(tmp_path / "sim.json")))
    finally:
        server.shutdown()
        server.server_close()
    assert code == 1
    assert "failed: GET /Users?filter answered 500 (bad credentials: Bearer [redacted])" in out
    for text in (out, md, (tmp_path / "sim.json").read_text()):
        assert token not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--scim-url", "http://scim.example.com/v2", "--scim-token-env", TOKEN_ENV],
            "http sends the bearer token in clear; use https (http is accepted on loopback only)",
        ),
        (["--scim-url", "https://scim.example.com/v2"], "--scim-url needs --scim-token-env NAME"),
        (["--scim-token-env", TOKEN_ENV], "--scim-token-env is for --scim-url"),
        (
            ["--scim-url", "https://scim.example.com/v2", "--scim-token-env", "WEBEX_SCIM_UNSET_VARIABLE"],
            "--scim-token-env WEBEX_SCIM_UNSET_VARIABLE: that environment variable is not set or empty",
        ),
        (["--scim-url", "ftp://scim.example.com", "--scim-token-env", TOKEN_ENV], "not an http(s) URL"),
    ],
)
def test_replay_usage_is_checked_before_anything_is_sent(tmp_path, capsys, token, args, message):
    snap = snapshot_file(tmp_path, users())
    assert main(["simulate", "--stack", "dev", "--users", str(snap), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and token not in err


CREATE_ONLY = [
    {"target": ENTERPRISE + ":employeeNumber", "source": "employeeId", "flowType": "ObjectAddOnly"},
    {"target": ENTERPRISE + ":department", "source": "department", "defaultValue": "Unknown"},
    {"target": 'emails[type eq "work"].value', "source": "mail"},
    {"target": "title", "source": "jobTitle"},
]


def test_an_existing_user_gets_only_what_an_update_carries_and_no_case_only_change(tmp_path, capsys, token):
    people = [user(1, mail="user1@contoso.com", employeeId="E1", jobTitle="Engineer")]  # no department
    with ScimPeer(token) as peer:
        webex_id = seed(
            peer,
            token,
            userName="User1@Contoso.com",
            displayName="User 1",
            name={"givenName": "User", "familyName": "1"},
            active=True,
            externalId="00000000-0000-4000-8000-000000000001".upper(),
            emails=[{"type": "work", "value": "USER1@contoso.com", "primary": True}],
            **{ENTERPRISE: {"department": "Finance", "employeeNumber": "OLD"}},
        )
        code, out, _ = replay(tmp_path, capsys, peer.base_url, overrides=CREATE_ONLY, people=people)
        (stored,) = peer.users()
    assert code == 0, out
    # Not the ObjectAddOnly employeeNumber, not the default department, not userName, email or externalId, which
    # differ only in case (Webex declares them caseExact: false): the title alone.
    assert "user1@contoso.com: updated (title)" in out
    assert stored["id"] == webex_id and stored["title"] == "Engineer"
    assert stored[ENTERPRISE] == {"department": "Finance", "employeeNumber": "OLD"}
    assert stored["userName"] == "User1@Contoso.com"


def test_extension_attributes_sent_as_arrays_are_unchanged_on_the_next_cycle(tmp_path, capsys, token):
    overrides = [{"target": WEBEX + ":extensionAttribute3", "expression": 'Split([department], ",")'}]
    people = [user(1, department="Sales,EMEA")]
    with ScimPeer(token) as peer:
        assert replay(tmp_path, capsys, peer.base_url, overrides=overrides, people=people)[0] == 0
        (stored,) = peer.users()
        code, out, _ = replay(tmp_path, capsys, peer.base_url, overrides=overrides, people=people)
    assert stored[WEBEX] == {"extensionAttribute3": ["Sales", "EMEA"]}
    assert code == 0 and "0 created, 0 updated, 1 unchanged, 0 failed" in out


def test_two_entra_users_with_one_username_are_sent_nothing_and_fail_as_entra_says(tmp_path, capsys, token):
    people = [user(1), user(2, userPrincipalName="USER1@Contoso.com"), user(3)]
    with ScimPeer(token) as peer:
        webex_id = seed(peer, token)
        code, out, md = replay(tmp_path, capsys, peer.base_url, people=people)
        stored = peer.users()
        requests = list(peer.requests)
    assert code == 1
    for who, name in (("user1@contoso.com", "user1@contoso.com"), ("USER1@Contoso.com", "USER1@Contoso.com")):
        assert (
            f"{who}: failed: DuplicateSourceEntries: 2 users have userName '{name}' (without regard to case), so "
            "Entra sends neither"
        ) in out
    assert "user3@contoso.com: created" in out and "1 created, 0 updated, 0 unchanged, 2 failed" in out
    # The Webex user both would match is left as it was, and only user 3 was looked up and created.
    assert requests[1:] == [("GET", "/v2/Users"), ("POST", "/v2/Users")]
    (kept,) = [u for u in stored if u["id"] == webex_id]
    assert (kept["displayName"], kept.get("externalId")) == ("Old Name", None)
    assert "DuplicateSourceEntries" in md


def test_a_throttled_replay_waits_as_retry_after_says_and_goes_on(tmp_path, capsys, token):
    faults = Faults()
    faults.add(on("GET", "/Users"), status=429, headers={"Retry-After": "1"}, body={"detail": "slow down"})
    faults.add(on("POST", "/Users"), status=503, body="busy")  # no Retry-After: a short backoff
    with ScimPeer(token, faults) as peer:
        code, out, _ = replay(tmp_path, capsys, peer.base_url, people=[user(1)])
        stored = peer.users()
    assert code == 0, out
    assert "user1@contoso.com: created" in out and [u["userName"] for u in stored] == ["user1@contoso.com"]
    first, retry = faults.requests[0], faults.requests[1]
    assert (first.method, retry.method) == ("GET", "GET") and retry.at - first.at >= 1.0
    assert faults.methods() == ["GET", "GET", "POST", "POST"]


def test_a_replay_throttled_past_its_tries_reports_the_user_failed(tmp_path, capsys, token):
    faults = Faults()
    faults.add(on("GET", "/Users"), status=429, headers={"Retry-After": "0"}, body=b"{}", times=-1)
    with ScimPeer(token, faults) as peer:
        code, out, _ = replay(tmp_path, capsys, peer.base_url, people=[user(1)])
    assert code == 1
    assert "user1@contoso.com: failed: GET /Users?filter answered 429 (Retry-After: 0)" in out
    assert faults.methods() == ["GET"] * 4  # bounded: four tries, then the user is reported
