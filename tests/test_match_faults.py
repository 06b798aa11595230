"""`match` when the Webex side misbehaves: a probe that fails (exit 2, one message naming the likely cause),
throttling (429 with and without a body, 423, 503: waited as Retry-After says, bounded), a token refused mid-run,
a 504 answered with a smaller page, a total that changes between pages, a page slower than the deadline (a partial
read, exit 1), and the number of lookups in flight."""

from __future__ import annotations

import pytest

from tests.match_support import ENTRA, TOKEN_ENV, WEBEX_ORG, classes, entra, run_match, webex
from tests.scim_faults import Faults, on
from tests.webex_org import WebexOrg


def probe(request):
    value = request.query.get("filter", "")
    return value.startswith('userName eq "') and value.count("-") == 4 and "@" not in value


def lookups(request):
    return request.method == "GET" and "filter" in request.query and not probe(request)


@pytest.fixture
def token(monkeypatch, canary):
    monkeypatch.setenv(TOKEN_ENV, canary)
    return canary


@pytest.mark.parametrize(
    ("status", "body", "cause"),
    [
        (
            401,
            {"detail": "token expired"},
            "answered 401 (token expired): the token is expired, revoked, or for another "
            f"org: make a new one and export it in {TOKEN_ENV}",
        ),
        (403, {"detail": "forbidden"}, "answered 403 (forbidden): the token is valid but may not read users"),
        (
            404,
            b"",
            "answered 404: no SCIM Users endpoint there: check webex-scim:orgId (the org's UUID, not its base64 form)",
        ),
        (200, b"<html>sign in</html>", "answered something that is not JSON: is the URL the SCIM base"),
        (
            200,
            {"value": []},
            "answered a JSON object without Resources or totalResults (keys: value), not a SCIM ListResponse",
        ),
        (
            200,
            {"totalResults": 7, "Resources": []},
            "answered 7 user(s) for a random GUID: the server does not apply the filter",
        ),
    ],
)
def test_a_failed_probe_stops_with_one_message_and_exit_2(tmp_path, capsys, token, status, body, cause):
    faults = Faults()
    faults.add(probe, status=status, body=body)
    with WebexOrg(token, WEBEX_ORG, faults=faults) as org:
        code, _out, err, doc, md = run_match(tmp_path, capsys, org.base_url)
    assert code == 2 and doc is None and md == ""
    (line,) = err.strip().splitlines()
    assert line.startswith("error: the probe (GET http://127.0.0.1:") and cause in line
    assert len(faults.requests) == 1  # nothing read after the probe


def test_throttling_is_waited_out_as_retry_after_says(tmp_path, capsys, token):
    faults = Faults()
    pilot, heidi = on("GET", filter="pilot"), on("GET", filter="heidi")
    faults.add(pilot, status=429, headers={"Retry-After": "1"}, body={"detail": "Too many requests"})
    faults.add(pilot, status=429, headers={"Retry-After": "0"}, body=b"")  # no body at all
    faults.add(pilot, status=423, headers={"Retry-After": "0"}, body={"detail": "Locked"})
    faults.add(heidi, status=503, body=b"busy")  # no Retry-After: a short backoff
    people = [entra(1, "pilot.user@contoso.com", displayName="Pilot Old"), entra(8, "heidi.moss@contoso.com")]
    with WebexOrg(token, WEBEX_ORG, faults=faults) as org:
        code, out, _err, doc, _ = run_match(tmp_path, capsys, org.base_url, people=people)
    assert code == 0, out
    assert classes(doc) == {"pilot.user@contoso.com": "match", "heidi.moss@contoso.com": "new"}
    tries = [r for r in faults.requests if pilot(r)]
    assert len(tries) == 4 and tries[1].at - tries[0].at >= 1.0  # three refusals, then the answer
    assert len([r for r in faults.requests if heidi(r) and r.query["filter"].startswith("userName")]) == 2
    assert doc["requests"] == {"GET": len(faults.requests)}  # every try counted, the probe's too


def test_throttling_past_the_tries_leaves_the_user_unread_and_the_read_partial(tmp_path, capsys, token):
    faults = Faults()
    faults.add(on("GET", filter="heidi"), status=503, headers={"Retry-After": "0"}, body={"detail": "busy"}, times=-1)
    people = [entra(1, "pilot.user@contoso.com", displayName="Pilot Old"), entra(8, "heidi.moss@contoso.com")]
    with WebexOrg(token, WEBEX_ORG, faults=faults) as org:
        code, out, _err, doc, _ = run_match(tmp_path, capsys, org.base_url, people=people)
    assert code == 1
    assert classes(doc) == {"pilot.user@contoso.com": "match", "heidi.moss@contoso.com": "unknown"}
    assert doc["users"][1]["reason"] == (
        'not read: GET /Users?filter=userName eq "heidi.moss@contoso.com" answered 503 (busy; Retry-After: 0)'
    )
    assert doc["partial"] == ["1 of 2 users could not be looked up (each says why)"]
    assert doc["summary"]["partial"] is True and out.splitlines()[-1].endswith("(partial read)")


@pytest.mark.parametrize("status", [401, 403])
def test_a_token_refused_mid_run_stops_the_reading(tmp_path, capsys, token, status):
    faults = Faults()
    faults.add(on("GET", filter="Bob.Smith"), status=status, body={"detail": "no longer"})
    with WebexOrg(token, WEBEX_ORG, faults=faults) as org:
        code, _out, _err, doc, _ = run_match(tmp_path, capsys, org.base_url, "--concurrency", "1")
    assert code == 1
    got = classes(doc)
    assert got["pilot.user@contoso.com"] == "match" and got["Bob.Smith@Contoso.com"] == "unknown"
    assert got["carol.white@contoso.com"] == "unknown"  # not read after the refusal
    assert doc["partial"][0] == (
        f"a lookup answered {status} (no longer): the token stopped reading mid-run; the users not read before that "
        "are not in the report"
    )
    assert not [r for r in faults.requests if "carol" in r.query.get("filter", "")]


def test_a_504_page_is_asked_again_smaller(tmp_path, capsys, token):
    faults = Faults()
    faults.add(on("GET", sortBy="id"), status=504, body={"detail": "Gateway Timeout"}, times=2)
    with WebexOrg(token, WEBEX_ORG, faults=faults) as org:
        _code, _out, _err, doc, _ = run_match(tmp_path, capsys, org.base_url, "--list-org")
    assert doc["summary"]["partial"] is False and doc["summary"]["webexOnly"] == 2
    pages = [r.query["count"] for r in faults.requests if "count" in r.query]
    assert pages == ["1000", "500", "250"]  # halved after each 504, then read


def test_a_total_that_changes_between_pages_is_a_partial_read(tmp_path, capsys, token):
    faults = Faults()
    grown = {"n": 0}

    def grow(doc):
        grown["n"] += 1
        return {**doc, "totalResults": doc["totalResults"] + 1} if grown["n"] > 1 else doc

    faults.add(on("GET", sortBy="id"), rewrite=grow, times=-1)
    with WebexOrg(token, WEBEX_ORG, faults=faults, max_page=3) as org:  # 7 users: pages of 3
        code, _out, _err, doc, _ = run_match(tmp_path, capsys, org.base_url, "--list-org")
    assert code == 1
    assert doc["partial"] == [
        "the org's user count changed while it was listed (7, then 8): users added or removed meanwhile may be missing"
    ]
    # Listed on as the new total says: a fourth page, from user 8.
    assert [r.query["startIndex"] for r in faults.requests if "startIndex" in r.query] == ["1", "4", "7", "8"]


def test_a_page_slower_than_the_deadline_ends_the_read_there(tmp_path, capsys, token):
    faults = Faults()
    faults.add(on("GET", sortBy="id", startIndex="4"), delay=4.0)
    with WebexOrg(token, WEBEX_ORG, faults=faults, max_page=3) as org:
        code, _out, _err, doc, _ = run_match(tmp_path, capsys, org.base_url, "--list-org", "--deadline", "1.5")
    assert code == 1
    assert doc["partial"] == [
        "the deadline (--deadline) passed: what was not read by then is not in the report",
        "the org listing stopped at user 4: not read: the deadline passed",
    ]


def test_lookups_in_flight_are_bounded_and_a_long_run_says_how_far_it_is(tmp_path, capsys, token):
    org_users = [webex(f"w-{n}", f"user{n}@contoso.com") for n in range(40)]
    people = [entra(n, f"user{n}@contoso.com", displayName="Ok") for n in range(40)]
    with WebexOrg(token, org_users, latency=0.2) as org:
        code, _out, err, doc, _ = run_match(tmp_path, capsys, org.base_url, "--concurrency", "3", people=people)
        assert 1 < org.max_in_flight <= 3
    assert code == 0 and doc["summary"]["match"] == 40
    progress = [line for line in err.splitlines() if line.startswith("match: ")]
    assert progress and progress[0].startswith("match: ") and " of 40 users looked up (" in progress[0]


def test_every_user_of_the_documented_example_is_read_once(tmp_path, capsys, token):
    # A regression guard on the request budget of lookups: one per user, plus near-miss lookups for those nothing
    # matched, plus the probe.
    faults = Faults()
    with WebexOrg(token, WEBEX_ORG, faults=faults) as org:
        run_match(tmp_path, capsys, org.base_url, people=ENTRA[:3])
    assert len(faults.requests) == 1 + 3
