"""Every kind of problem a stack file can have, as the one line an admin reads: the full key, what is wrong, what to
write instead. Each case is a stack config and the exact problems the settings report for it (components/
settings_messages.py words them); the namespace checks, which see every key of the stack, are at the end."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from components.settings import SettingsError, validate, validate_stack_config
from components.settings_messages import meant_for_project, namespace_problems
from tests.support import BASE, ORG, config


def problems(values: dict[str, Any]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        validate(values)
    return caught.value.problems


CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "flat-dotted-key",
        {**BASE, "app.hideFromUsers": False},
        [
            "webex-scim:app.hideFromUsers: is one flat key with a dot in its name (set without --path), not a setting "
            "under `webex-scim:app`; run `pulumi config rm 'app.hideFromUsers'` then "
            "`pulumi config set --path 'app.hideFromUsers' <value>`"
        ],
    ),
    (
        # `pulumi config set mappings.overrides[0].target title` without --path: one key, two dots in its name.
        "flat-key-with-two-dots",
        {**BASE, "mappings.overrides[0].target": "title"},
        [
            "webex-scim:mappings.overrides[0].target: is one flat key with a dot in its name (set without --path), not "
            "a setting under `webex-scim:mappings`; run `pulumi config rm 'mappings.overrides[0].target'` then "
            "`pulumi config set --path 'mappings.overrides[0].target' <value>`"
        ],
    ),
    (
        "unknown-key-in-a-scoping-clause",
        config(
            mappings={
                "scopingFilter": [{"clauses": [{"attribute": "department", "operator": "EQUALS", "value": ["x"]}]}]
            }
        ),
        [
            "webex-scim:mappings.scopingFilter[0].clauses[0].value: unknown key under "
            "`webex-scim:mappings.scopingFilter[0].clauses[0]` (did you mean "
            "`webex-scim:mappings.scopingFilter[0].clauses[0].values`?); remove it with "
            "`pulumi config rm --path 'mappings.scopingFilter[0].clauses[0].value'`"
        ],
    ),
    (
        "a-list-entry-refused-by-its-own-words",
        config(mappings={"remove": ["nickName", "externalId"]}),
        [
            "webex-scim:mappings.remove: remove[1]: 'externalId' is required by Webex and cannot be removed (required: "
            "active, externalId, userName)"
        ],
    ),
    (
        "check-of-the-whole-stack-with-colons-in-the-value",
        config(tenantUrl="http://webexapis.com/identity/scim/other/v2"),
        [
            "webex-scim:tenantUrl: 'http://webexapis.com/identity/scim/other/v2' is not an https URL; fix: "
            "`pulumi config rm tenantUrl` (to use the offer's default), or set an https URL containing the org ID"
        ],
    ),
    (
        # One flat key: `--path` would name a setting `value` under orgId, which is not where it is.
        "dotted-key-of-a-plain-setting",
        {**BASE, "orgId.value": ORG},
        ["webex-scim:orgId.value: unknown key (a typo?); remove it with `pulumi config rm 'orgId.value'`"],
    ),
    (
        "unknown-top-level-key",
        {**BASE, "colour": "blue"},
        ["webex-scim:colour: unknown key (a typo?); remove it with `pulumi config rm --path 'colour'`"],
    ),
    (
        "unknown-key-in-a-mapping",
        config(provisioning={"templateId": "ciscowebex", "enabeld": True}),
        [
            "webex-scim:provisioning.enabeld: unknown key under `webex-scim:provisioning` (did you mean "
            "`webex-scim:provisioning.enabled`?); remove it with `pulumi config rm --path 'provisioning.enabeld'`"
        ],
    ),
    (
        "unknown-key-in-a-list-entry",
        config(assignments=[{"usr": "pilot.user@contoso.com"}]),
        [
            "webex-scim:assignments[0].usr: unknown key under `webex-scim:assignments[0]` (did you mean "
            "`webex-scim:assignments[0].user`?); remove it with `pulumi config rm --path 'assignments[0].usr'`"
        ],
    ),
    (
        "unknown-key-two-levels-down",
        config(mappings={"overrides": [{"target": "title", "Source": "jobTitle"}]}),
        [
            "webex-scim:mappings.overrides[0].Source: unknown key under `webex-scim:mappings.overrides[0]` (did you "
            "mean `webex-scim:mappings.overrides[0].source`?); remove it with "
            "`pulumi config rm --path 'mappings.overrides[0].Source'`"
        ],
    ),
    (
        "unknown-key-nothing-near",
        config(app={"colour": "blue"}),
        [
            "webex-scim:app.colour: unknown key under `webex-scim:app` (a typo?); remove it with "
            "`pulumi config rm --path 'app.colour'`"
        ],
    ),
    (
        "missing-nested",
        config(mappings={"overrides": [{"source": "jobTitle"}]}),
        [
            "webex-scim:mappings.overrides[0].target: required but not set; run "
            "`pulumi config set --path 'mappings.overrides[0].target' <value>`"
        ],
    ),
    (
        "literal-without-its-own-fix",
        config(provisioning={"templateId": "ciscowebex", "scope": "everyone"}),
        ["webex-scim:provisioning.scope: 'everyone' is not allowed: use 'assigned' or 'all'"],
    ),
    (
        "literal-with-its-fix",
        config(offer="enterprise"),
        [
            "webex-scim:offer: 'enterprise' is not allowed: use 'commercial' or 'government'; fix: "
            "`pulumi config set offer commercial` (or government)"
        ],
    ),
    (
        "date-of-the-wrong-type",
        config(tokenExpiresOn=[2027, 11, 26]),
        [
            "webex-scim:tokenExpiresOn: [2027, 11, 26] is not an ISO date; write it as YYYY-MM-DD in quotes, e.g. "
            '`webex-scim:tokenExpiresOn: "2027-11-26"` (or `pulumi config set tokenExpiresOn 2027-11-26`)'
        ],
    ),
    (
        "bool-of-the-provisioning",
        config(provisioning={"templateId": "ciscowebex", "enabled": "sometimes"}),
        [
            "webex-scim:provisioning.enabled: must be true or false, e.g. "
            "`pulumi config set --path 'provisioning.enabled' true`"
        ],
    ),
    (
        "provisioning-not-a-mapping",
        config(provisioning=[500]),
        [
            "webex-scim:provisioning: must be a mapping (`deleteThreshold: 500` indented under it), not a list; e.g. "
            "`pulumi config set --path 'provisioning.deleteThreshold' 500`"
        ],
    ),
    (
        "mappings-text-that-is-not-json",
        config(mappings="mail"),
        [
            "webex-scim:mappings: must be a mapping (`userNameSource: mail` indented under it), not text; e.g. "
            "`pulumi config set --path 'mappings.userNameSource' mail`"
        ],
    ),
    (
        "app-empty",
        config(app=""),
        [
            "webex-scim:app: must be a mapping (`hideFromUsers: true` indented under it), not empty; e.g. "
            "`pulumi config set --path 'app.hideFromUsers' true`"
        ],
    ),
    (
        "app-null",
        {**BASE, "app": None},
        [
            "webex-scim:app: must be a mapping (`hideFromUsers: true` indented under it), not empty; e.g. "
            "`pulumi config set --path 'app.hideFromUsers' true`"
        ],
    ),
    (
        "app-true",
        config(app=True),
        [
            "webex-scim:app: must be a mapping (`hideFromUsers: true` indented under it), not true/false; e.g. "
            "`pulumi config set --path 'app.hideFromUsers' true`"
        ],
    ),
    (
        "app-a-date",
        config(app=dt.date(2027, 11, 26)),
        [
            "webex-scim:app: must be a mapping (`hideFromUsers: true` indented under it), not date; e.g. "
            "`pulumi config set --path 'app.hideFromUsers' true`"
        ],
    ),
    (
        "assignments-a-mapping",
        config(assignments={"user": "pilot.user@contoso.com"}),
        [
            "webex-scim:assignments: must be a list (one `- user: alice@contoso.com` per line under it), not a "
            "mapping; e.g. `pulumi config set --path 'assignments[0].user' alice@contoso.com`"
        ],
    ),
    (
        "a-list-without-an-example",
        config(verifiedDomains=5),
        ["webex-scim:verifiedDomains: must be a list, not a number"],
    ),
    (
        "a-nested-list-without-an-example",
        config(app={"owners": "5d1f3a6e-8c42-4b7a-9e0d-2f6b8a1c3e57"}),
        ["webex-scim:app.owners: must be a list, not text"],
    ),
    (
        "text-expected",
        config(notificationEmail=7),
        ["webex-scim:notificationEmail: must be text, not a number; put the value in quotes"],
    ),
    (
        "value-error-given-the-keys-fix",
        config(notificationEmail="webex-admins@contoso"),
        [
            "webex-scim:notificationEmail: 'webex-admins@contoso' is not an email address (one address, like "
            "webex-admins@contoso.com); fix: `pulumi config set notificationEmail webex-admins@contoso.com`"
        ],
    ),
    (
        "value-error-naming-its-own-fix",
        config(assignmentRole="Default Access"),
        [
            "webex-scim:assignmentRole: 'Default Access' is the app's Default Access role, and Entra does not "
            "provision users assigned with it: they would never reach Webex; use a Webex role: "
            "`pulumi config set assignmentRole User`"
        ],
    ),
    (
        "value-error-of-a-key-without-a-fix",
        config(app={"displayName": ""}),
        ["webex-scim:app.displayName: must not be empty"],
    ),
    (
        "check-of-the-whole-stack-naming-its-key",
        config(tenantUrl=f"webexapis.com/identity/scim/{ORG}/v2"),
        [
            f"webex-scim:tenantUrl: 'webexapis.com/identity/scim/{ORG}/v2' is not an https URL; fix: "
            "`pulumi config rm tenantUrl` (to use the offer's default), or set an https URL containing the org ID"
        ],
    ),
    (
        "check-of-the-whole-stack-naming-a-list-entry",
        config(rollout="full", assignments=[{"group": "Sales"}, {"group": "SALES"}]),
        ["webex-scim:assignments[1]: group 'SALES' is already assigned by assignments[0]"],
    ),
    (
        "a-list-that-needs-an-item",
        config(mappings={"scopingFilter": [{"clauses": []}]}),
        [
            "webex-scim:mappings.scopingFilter[0].clauses: List should have at least 1 item after validation, not 0",
        ],
    ),
    (
        "an-error-without-a-location-or-a-key",
        config(mappings={"overrides": [{"target": "title", "source": "jobTitle"}], "remove": ["title"]}),
        ["webex-scim:mappings: 'title' is both overridden (overrides[0]) and removed; keep one of the two"],
    ),
    (
        "a-value-just-short-enough-to-echo",
        config(offer="x" * 32),
        [
            f"webex-scim:offer: {'x' * 32!r} is not allowed: use 'commercial' or 'government'; fix: "
            "`pulumi config set offer commercial` (or government)"
        ],
    ),
    (
        "a-value-one-too-long-to-echo",
        config(offer="x" * 33),
        [
            "webex-scim:offer: a 33-character value (not shown) is not allowed: use 'commercial' or 'government'; "
            "fix: `pulumi config set offer commercial` (or government)"
        ],
    ),
    (
        "a-long-number-is-not-echoed-either",
        config(offer=10**40),
        [
            "webex-scim:offer: a 41-character value (not shown) is not allowed: use 'commercial' or 'government'; "
            "fix: `pulumi config set offer commercial` (or government)"
        ],
    ),
]


@pytest.mark.parametrize(("values", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_one_line_with_the_key_and_the_fix(values: dict[str, Any], expected: list[str]) -> None:
    assert problems(values) == expected


def test_a_value_that_cannot_be_read_is_reported_with_the_others():
    assert problems(config(app="hello", offer="enterprise", provisioning="7")) == [
        "webex-scim:app: must be a mapping (`hideFromUsers: true` indented under it), not text; e.g. "
        "`pulumi config set --path 'app.hideFromUsers' true`",
        "webex-scim:offer: 'enterprise' is not allowed: use 'commercial' or 'government'; fix: "
        "`pulumi config set offer commercial` (or government)",
        # "7" is JSON, a number: read, then refused by the settings (after offer, in the settings' order).
        "webex-scim:provisioning: must be a mapping (`deleteThreshold: 500` indented under it), not a number; e.g. "
        "`pulumi config set --path 'provisioning.deleteThreshold' 500`",
    ]


def test_the_keys_after_the_token_are_read_too():
    # The token is kept apart from the settings: the keys that follow it in the stack file count all the same.
    settings = validate({"scimToken": "[secret]", **config(rollout=" full ")})
    assert settings.org_id == ORG and settings.rollout == "full"


# -- the namespace: keys under a near miss of it, or with a dot for its colon --------------------------------------


def test_a_key_with_a_dot_for_the_colon_is_one_problem_not_two():
    stack = {f"webex-scim:{k}": v for k, v in config(orgId=None).items()}
    stack["webex-scim:webex-scim.orgId"] = ORG
    settings, raw, found = validate_stack_config(stack)
    assert settings is None and "webex-scim.orgId" not in raw
    assert found == ["webex-scim.orgId: a config key is `namespace:key`, with a colon: rename it to `webex-scim:orgId`"]


def test_a_stack_written_right_gives_its_settings_and_no_problem():
    stack = {f"webex-scim:{k}": v for k, v in BASE.items()}
    settings, raw, found = validate_stack_config({**stack, "azuread:environment": "global"})
    assert found == [] and settings is not None and settings.org_id == ORG
    assert raw == BASE


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("webex-scim:webex-scim.orgId", "orgId"),
        ("webex-scim:webex_scim.orgId", "orgId"),
        ("webex-scim:Webex-Scim:orgId", "orgId"),
        ("webex-scim:webexscim.app.hideFromUsers", "app.hideFromUsers"),
    ],
    ids=["dot", "underscore-and-dot", "another-case-and-colon", "a-path-after-the-dot"],
)
def test_a_dotted_key_names_the_key_it_means(key: str, meant: str):
    found, skip = namespace_problems([key])
    assert found == [
        f"{key.split(':', 1)[1].replace(':', '.', 1)}: a config key is `namespace:key`, with a colon: rename it to "
        f"`webex-scim:{meant}`"
    ]
    assert skip == {key.split(":", 1)[1]}
    assert meant_for_project([key]) == {meant}


@pytest.mark.parametrize(
    "key",
    [
        "webex-scim:app.hideFromUsers",
        "webex-scim:azuread.environment",
        "webex-scim:orgId",
        "azuread:webex.x",
        "azuread:webex-scim.orgId",
    ],
    ids=["a-dotted-setting", "another-namespace-dotted", "plain", "another-namespace", "another-namespaces-own"],
)
def test_a_key_that_is_no_namespace_mistake_is_left_to_the_settings(key: str):
    assert namespace_problems([key]) == ([], set())
    assert meant_for_project([key]) == set()


@pytest.mark.parametrize(
    ("namespace", "near"),
    [
        ("webex_scim", True),
        ("WebexScim", True),
        ("webex-scm", True),
        ("w.e.b.e.x-s.c.i.m", True),  # the project's letters, however far apart: not close by spelling alone
        ("webex", False),
        ("azuread", False),
        ("pulumi", False),
    ],
)
def test_a_namespace_is_a_near_miss_of_the_projects_by_its_letters_or_by_a_letter_off(namespace: str, near: bool):
    found, _ = namespace_problems([f"{namespace}:orgId"])
    assert bool(found) is near
    assert meant_for_project([f"{namespace}:orgId"]) == ({"orgId"} if near else set())
