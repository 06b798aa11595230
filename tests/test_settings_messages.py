"""Every kind of problem a stack file can have, as the one line an admin reads: the full key, what is wrong, what to
write instead. Each case is a stack config and the exact problems the settings report for it (components/
settings_messages.py words them); the namespace checks, which see every key of the stack, are at the end."""

from __future__ import annotations

import pytest

from components.settings import validate_stack_config
from components.settings_messages import meant_for_project, namespace_problems
from tests.support import BASE, ORG, config

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
    ["webex-scim:app.hideFromUsers", "webex-scim:azuread.environment", "webex-scim:orgId", "azuread:webex.x"],
    ids=["a-dotted-setting", "another-namespace-dotted", "plain", "another-namespace"],
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
        ("webex", False),
        ("azuread", False),
        ("pulumi", False),
    ],
)
def test_a_namespace_is_a_near_miss_of_the_projects_by_its_letters_or_by_a_letter_off(namespace: str, near: bool):
    found, _ = namespace_problems([f"{namespace}:orgId"])
    assert bool(found) is near
    assert meant_for_project([f"{namespace}:orgId"]) == ({"orgId"} if near else set())
