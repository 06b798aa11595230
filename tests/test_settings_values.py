"""The values the settings take, and keep, at their edges: the token (empty, missing, kept secret, hidden from repr),
values written with padding, a scope or role written out, the user forms Entra looks up, the org ID in the forms
people paste, the e-mail and domain edges, and the Default Access role under every spelling."""

from __future__ import annotations

import base64

import pulumi
import pytest

from components.settings import SettingsError, StackSettings, validate
from offline.engine import SECRET_SIG, SIG_KEY
from tests.support import BASE, ORG, by_name, config, run
from webex_scim.errors import UsageError

TOKEN_FIX = "pulumi config set --secret scimToken <token from the Webex admin sign-in>"


def problems(values: dict) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        validate(values)
    return caught.value.problems


# -- the token ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("", f"webex-scim:scimToken: is empty; run `{TOKEN_FIX}`"),
        ("  ", f"webex-scim:scimToken: is empty; run `{TOKEN_FIX}`"),
        (None, f"webex-scim:scimToken: required but not set; run `{TOKEN_FIX}`"),
    ],
    ids=["empty", "blank", "missing"],
)
def test_a_secret_token_that_is_empty_or_missing_is_refused(token: str | None, problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        run(BASE, token=token)
    assert str(caught.value) == f"invalid stack config (1 problem):\n  - {problem}"


def test_the_token_reaches_the_credentials_as_a_secret(canary: str) -> None:
    creds = by_name(run(BASE, token=canary))["credentials"].inputs.fields["credentials"].list_value.values
    (token,) = [c for c in creds if c.struct_value.fields["key"].string_value == "SecretToken"]
    wrapped = token.struct_value.fields["value"].struct_value.fields
    assert wrapped[SIG_KEY].string_value == SECRET_SIG and wrapped["value"].string_value == canary


def test_repr_of_the_settings_never_shows_the_token(canary: str) -> None:
    stack = StackSettings(validate(BASE), pulumi.Output.secret(canary))
    shown = repr(stack)
    assert shown.startswith("StackSettings(Settings(org_id='6f1a1d43-") and shown.endswith(", scim_token=[secret])")
    assert canary not in shown


# -- written out, padded ---------------------------------------------------------------------------------------------


def test_a_default_written_out_is_the_default() -> None:
    settings = validate(config(provisioning={"templateId": "ciscowebex", "scope": "assigned"}, offer="commercial"))
    assert settings.provisioning.scope == "assigned" and settings.offer == "commercial"
    assert validate(config(provisioning={"templateId": "ciscowebex", "scope": "all"})).provisioning.scope == "all"


def test_padded_values_are_read_without_the_padding_where_the_padding_cannot_be_meant() -> None:
    settings = validate(
        config(
            orgId=f"  {ORG.upper()} ",
            notificationEmail=" webex-admins@contoso.com ",
            rollout=" full ",
            assignments=[{"user": " a@contoso.com "}, {"user": "b@contoso.com"}],
        )
    )
    assert settings.org_id == ORG
    assert settings.notification_email == "webex-admins@contoso.com"
    assert settings.rollout == "full"
    assert [a.ref for a in settings.assignments] == ["a@contoso.com", "b@contoso.com"]


def test_padded_urls_are_read_without_the_padding() -> None:
    # Sent as they are, they would reach Graph (the tenant URL as BaseAddress) and the program's Graph client padded.
    url = f"https://webexapis.com/identity/scim/{ORG}/v2"
    settings = validate(config(tenantUrl=f" {url} ", graphBaseUrl=" https://graph.microsoft.us/v1.0/ "))
    assert settings.effective_tenant_url == url and settings.graph_base_url == "https://graph.microsoft.us/v1.0"


def test_a_padded_choice_is_shown_with_its_padding() -> None:
    assert problems(config(offer="commercial ")) == [
        "webex-scim:offer: 'commercial ' is not allowed: use 'commercial' or 'government'; fix: "
        "`pulumi config set offer commercial` (or government)"
    ]


# -- roles --------------------------------------------------------------------------------------------------------


def test_an_assignment_role_is_kept_as_written() -> None:
    settings = validate(
        config(assignmentRole="Admin", assignments=[{"user": "pilot.user@contoso.com", "role": "User"}])
    )
    assert settings.assignment_role == "Admin" and settings.assignments[0].role == "User"
    assert validate(BASE).assignment_role is None and validate(BASE).assignments[0].role is None


@pytest.mark.parametrize(
    "role",
    ["Default Access", "default_access", "DEFAULT-ACCESS", " defaultaccess", "00000000-0000-0000-0000-000000000000"],
)
def test_the_default_access_role_is_refused_under_every_spelling(role: str) -> None:
    assert problems(config(assignmentRole=role)) == [
        f"webex-scim:assignmentRole: {role.strip()!r} is the app's Default Access role, and Entra does not provision "
        "users assigned with it: they would never reach Webex; use a Webex role: "
        "`pulumi config set assignmentRole User`"
    ]
    per_user = problems(config(assignments=[{"user": "pilot.user@contoso.com", "role": role}]))
    assert per_user == [
        f"webex-scim:assignments[0].role: {role.strip()!r} is the app's Default Access role, and Entra does not "
        "provision users assigned with it: they would never reach Webex; give a Webex role (e.g. `role: User`), or "
        "remove `role:`"
    ]


@pytest.mark.parametrize("role", ["Default Accessor", "Access", "00000000-0000-0000-0000-000000000001"])
def test_a_role_that_only_looks_like_default_access_is_kept(role: str) -> None:
    assert validate(config(assignmentRole=role)).assignment_role == role


# -- users as Entra looks them up ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "user",
    ["pilotuser", "pilot.user@contoso .com", "pilot user@contoso.com"],
    ids=["no-at", "space", "space-before-at"],
)
def test_a_user_without_an_at_or_with_an_inner_space_is_refused_alone(user: str) -> None:
    assert problems(config(assignments=[{"user": user}])) == [
        f"webex-scim:assignments[0].user: {user!r} is neither a user principal name (name@domain) nor an object ID; "
        "write the user as Entra shows it, e.g. `- user: alice@contoso.com`"
    ]


# -- the org ID in the forms people paste ------------------------------------------------------------------------


def api_id(org: str, *, padded: bool) -> str:
    encoded = base64.b64encode(f"ciscospark://us/ORGANIZATION/{org}".encode()).decode()
    return encoded if padded else encoded.rstrip("=")


@pytest.mark.parametrize("padded", [True, False], ids=["padded", "unpadded"])
def test_the_base64_api_id_names_the_uuid_to_set_instead(padded: bool) -> None:
    assert problems(config(orgId=api_id(ORG.upper(), padded=padded))) == [
        f"webex-scim:orgId: is the base64 API id of org {ORG} (it decodes to ciscospark://…/ORGANIZATION/{ORG}); set "
        f"the UUID itself: `pulumi config set orgId {ORG}`"
    ]


TEXT_B64 = "Y29udG9zbyB3ZWJleA"  # base64 of "contoso webex", unpadded

NOT_AN_ORG = (
    "is not a Webex org ID{hint}: it must be the UUID shown in Control Hub (Management > Organization Settings > "
    "Organization ID), 8-4-4-4-12 hex digits, not the base64 API id; fix: `pulumi config set orgId <org UUID from "
    "Control Hub>`"
)


@pytest.mark.parametrize(
    ("org", "shown", "hint"),
    [
        ("x" * 36, repr("x" * 36), " ('x' is not hex)"),
        ("g" * 8 + "-" + "z" * 27, repr("g" * 8 + "-" + "z" * 27), " ('g', 'z' are not hex)"),
        ("0" * 35, repr("0" * 35), ""),
        ("x" * 37, "a 37-character value", ""),
        # Base64, but of something else: not decoded, and as long as a token, not shown.
        (base64.b64encode(b"ciscospark://us/PEOPLE/" + b"1" * 36).decode(), "a 80-character value", ""),
        # Base64 of plain text with no `/` in it: no API id, just not a UUID.
        (TEXT_B64, repr(TEXT_B64), " ('G', 'J', 'W', 'Y', 'Z', 'l', 'u', 'y', 'z' are not hex)"),
        # An API id with a character base64 does not have: not read as one (the value may be anything).
        (api_id(ORG, padded=True)[:40] + "!" + api_id(ORG, padded=True)[40:], "a 89-character value", ""),
    ],
    ids=[
        "36-characters",
        "two-letters-not-hex",
        "too-short",
        "37-characters",
        "other-base64",
        "base64-of-text",
        "not-quite-base64",
    ],
)
def test_a_value_that_is_no_org_id_says_what_is_wrong_and_echoes_only_what_is_short(org: str, shown: str, hint: str):
    assert problems(config(orgId=org)) == [f"webex-scim:orgId: {shown} {NOT_AN_ORG.format(hint=hint)}"]


# -- e-mail and domains at their edges ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "echoed"), [(254, True), (255, False)], ids=["254-characters-echoed", "255-characters-not"]
)
def test_a_wrong_address_is_echoed_only_up_to_the_longest_address(length: int, echoed: bool) -> None:
    address = "a@" + "b" * (length - 2)  # an @ but no dot after it: not an address
    shown = repr(address) if echoed else f"a {length}-character value without an @ (not shown)"
    assert problems(config(notificationEmail=address)) == [
        f"webex-scim:notificationEmail: {shown} is not an email address (one address, like webex-admins@contoso.com); "
        "fix: `pulumi config set notificationEmail webex-admins@contoso.com`"
    ]


def test_an_address_given_as_a_domain_names_the_domain_after_the_last_at() -> None:
    assert problems(config(verifiedDomains=["admins@it@Contoso.com"])) == [
        "webex-scim:verifiedDomains[0]: 'admins@it@Contoso.com' is an email address; give its domain (contoso.com)"
    ]
