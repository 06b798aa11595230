"""One Entra directory and one Webex org with every class of the match report in them, and `match` run in-process.

The Entra side is Graph-shaped users (as `simulate` reads them) and a stack that provisions every enabled user,
maps the work email from `mail`, and verifies contoso.com. The Webex side is users as Webex's API returns them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.simulate_support import CORE, ENTERPRISE, WEBEX, snapshot_file, stack_file
from webex_scim.cli import main

TOKEN_ENV = "WEBEX_SCIM_TEST_MATCH_TOKEN"


def entra(n: int, upn: str, **props: Any) -> dict[str, Any]:
    given, _, family = upn.split("@")[0].partition(".")
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "userPrincipalName": upn,
        "displayName": props.pop("displayName", upn.split("@")[0].replace(".", " ").title()),
        "givenName": given.title(),
        "surname": (family or "Doe").title(),
        "mail": props.pop("mail", upn.lower()),
        "accountEnabled": props.pop("accountEnabled", True),
        **props,
    }


ENTRA = [
    entra(1, "pilot.user@contoso.com", displayName="Pilot User"),  # match: the first cycle renames it
    entra(2, "Bob.Smith@Contoso.com"),  # match, differing in case only
    entra(3, "carol.white@contoso.com"),  # match of an inactive Webex user: reactivated
    entra(4, "dave.jones@contoso.com"),  # near miss: a Webex user has this address under another userName
    entra(5, "erin.lee@contoso.com"),  # duplicate userName in Entra (with 6): DuplicateSourceEntries
    entra(6, "ERIN.LEE@contoso.com"),
    entra(7, "grace.hall@contoso.com"),  # Webex user linked to another source (its own externalId)
    entra(8, "heidi.moss@contoso.com"),  # new
    entra(9, "ivan.petrov@contoso.com", mail="ivan.p@contoso.com"),  # work email ≠ userName
    entra(10, "judy.chan@fabrikam.com"),  # outside verifiedDomains
    entra(11, "kim.park@contoso.com", accountEnabled=False),  # not provisioned
]
FRANK = entra(12, "frank.ross@contoso.com")  # two Webex users match (case-only twins: only the fake holds them)


def webex(ident: str, user_name: str, **attrs: Any) -> dict[str, Any]:
    given, _, family = user_name.split("@")[0].partition(".")
    return {
        "schemas": [CORE, ENTERPRISE, WEBEX],
        "id": ident,
        "userName": user_name,
        "active": attrs.pop("active", True),
        "displayName": attrs.pop("displayName", f"{given.title()} {family.title()}"),
        "name": {"givenName": given.title(), "familyName": family.title() or "Doe"},
        "emails": attrs.pop("emails", [{"value": user_name, "type": "work", "primary": True}]),
        **attrs,
    }


WEBEX_ORG = [
    webex("w-pilot", "pilot.user@contoso.com", displayName="Pilot Old"),
    webex("w-bob", "bob.smith@contoso.com", externalId="00000000-0000-4000-8000-000000000002"),
    webex("w-carol", "carol.white@contoso.com", active=False),
    webex(
        "w-dave",
        "d.jones@contoso.com",
        emails=[
            {"value": "d.jones@contoso.com", "type": "work", "primary": True},
            {"value": "dave.jones@contoso.com", "type": "other"},
        ],
    ),
    webex("w-erin", "erin.lee@contoso.com"),
    webex("w-grace", "grace.hall@contoso.com", externalId="ad-sync-7731"),
    webex("w-old", "old.contractor@contoso.com"),  # no Entra user reaches it
]
WEBEX_TWINS = [webex("w-frank-1", "frank.ross@contoso.com"), webex("w-frank-2", "Frank.Ross@contoso.com")]
STACK: dict[str, Any] = {
    "provisioning": {"scope": "all"},
    "verifiedDomains": ["contoso.com"],
    "mappings": {"overrides": [{"target": 'emails[type eq "work"].value', "source": "mail"}]},
}


def seed_peer(peer: Any, token: str, users: list[dict[str, Any]]) -> dict[str, str]:
    """Create `users` in scim2-server (each without its id); their fake id -> the id the server gave."""
    ids = {}
    for user in users:
        body = {k: v for k, v in user.items() if k != "id"}
        body["schemas"] = [CORE, ENTERPRISE]
        created = httpx.post(f"{peer.base_url}/Users", json=body, headers={"Authorization": f"Bearer {token}"})
        assert created.status_code == 201, created.text
        ids[user["id"]] = created.json()["id"]
    return ids


def run_match(
    tmp_path: Path, capsys: Any, url: str, *extra: str, people: list[dict[str, Any]] | None = None, **settings: Any
) -> tuple[int, str, str, dict[str, Any] | None, str]:
    """(exit code, stdout, stderr, the JSON document, the Markdown) of `match` against `url`."""
    stack = stack_file(tmp_path, **{**STACK, **settings})
    snap = snapshot_file(tmp_path, ENTRA if people is None else people)
    out_json, out_md = tmp_path / "match.json", tmp_path / "match.md"
    for path in (out_json, out_md):
        path.unlink(missing_ok=True)
    argv = ["match", "--config-file", str(stack), "--users", str(snap), "--scim-url", url]
    argv += ["--scim-token-env", TOKEN_ENV, "--json", str(out_json), "--markdown", str(out_md), *extra]
    code = main(argv)
    captured = capsys.readouterr()
    doc = json.loads(out_json.read_text()) if out_json.exists() else None
    return code, captured.out, captured.err, doc, out_md.read_text() if out_md.exists() else ""


def classes(doc: dict[str, Any]) -> dict[str, str]:
    return {u["userPrincipalName"]: u["class"] for u in doc["users"]}
