"""The copy of Webex's SCIM Users OpenAPI the tests carry is Webex's (../shared's, when that folder is beside the
checkout), and what the project takes from it as facts still holds there."""

from __future__ import annotations

import pytest

from tests.webex_openapi import COPIED, SHARED, WEBEX, documented_user, search_parameters, search_statuses


@pytest.mark.skipif(not SHARED.is_file(), reason="../shared is not beside this checkout (a plain clone)")
def test_the_copied_openapi_is_the_shared_one():
    assert COPIED.read_bytes() == SHARED.read_bytes()


def test_the_documented_user_carries_webex_s_extra_fields():
    user = documented_user()
    webex = user[WEBEX]
    assert webex["accountStatus"] == ["active"]
    assert webex["extensionAttribute1"] == ["extensionAttribute1_Item1", "extensionAttribute1_Item2"]
    assert webex["meta"] == {"organizationId": "0ae87ade-8c8a-4952-af08-318798958d0c"}
    assert [e["type"] for e in user["emails"]] == ["home", "work"]


def test_the_search_is_what_the_match_report_sends():
    params = search_parameters()
    for name in ("filter", "sortBy", "startIndex", "count"):
        assert name in params
    assert "`id`" in params["sortBy"]["description"]  # the org listing sorts by id
    assert "`emails.value` | eq" in params["filter"]["description"]  # the near-miss lookup
    assert "`userName` | eq" in params["filter"]["description"]  # Entra's own lookup
    assert "externalId" not in params["filter"]["description"]  # never filtered on: Webex does not list it
    assert {"401", "403", "404", "423", "429", "503", "504"} <= set(search_statuses())
