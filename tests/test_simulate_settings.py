"""`webex-scim:verifiedDomains`: a list of lower-cased domains, validated once with the other settings, each bad entry
named by its key path with the fix."""

from __future__ import annotations

import pytest

from components.settings import SettingsError, validate
from tests.simulate_support import stack_file
from webex_scim.cli import main

BASE = {
    "orgId": "6f1a1d43-2b0e-4a8c-9d5e-0c2b7e9f4a11",
    "notificationEmail": "webex-admins@contoso.com",
    "assignments": '[{"user": "a@contoso.com"}]',
}


def test_domains_are_read_from_the_json_pulumi_hands_the_program_and_lower_cased():
    assert validate({**BASE, "verifiedDomains": '["Contoso.COM", "gov.fabrikam.us"]'}).verified_domains == [
        "contoso.com",
        "gov.fabrikam.us",
    ]
    assert validate(BASE).verified_domains == []  # unset: not checked


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (
            "contoso.com",
            "webex-scim:verifiedDomains: must be a list of domains, e.g. "
            "`pulumi config set --path 'verifiedDomains[0]' contoso.com`",
        ),
        (
            '["a@contoso.com"]',
            "webex-scim:verifiedDomains[0]: 'a@contoso.com' is an email address; give its domain (contoso.com)",
        ),
        (
            '["ok.com", "contoso"]',
            "webex-scim:verifiedDomains[1]: 'contoso' is not a domain name (like contoso.com; "
            "no scheme, path or wildcard)",
        ),
        ('["*.contoso.com"]', "webex-scim:verifiedDomains[0]: '*.contoso.com' is not a domain name"),
        (
            '["contoso.com", "CONTOSO.com"]',
            "webex-scim:verifiedDomains: 'contoso.com' is listed twice (verifiedDomains[0] and [1]); keep one",
        ),
    ],
)
def test_a_bad_domain_is_named_with_its_key_path(value, problem):
    with pytest.raises(SettingsError) as caught:
        validate({**BASE, "verifiedDomains": value})
    assert caught.value.problems[0].startswith(problem)


def test_the_preview_and_the_simulation_refuse_it_alike(tmp_path, capsys):
    path = stack_file(tmp_path, verifiedDomains=["https://contoso.com"], assignments=[{"user": "a@contoso.com"}])
    assert main(["preview", "--config-file", str(path), "--no-policies"]) == 2
    preview_err = capsys.readouterr().err
    users = tmp_path / "u.json"
    users.write_text("[]")
    assert main(["simulate", "--config-file", str(path), "--users", str(users)]) == 2
    simulate_err = capsys.readouterr().err
    expected = "webex-scim:verifiedDomains[0]: 'https://contoso.com' is not a domain name"
    assert expected in preview_err and expected in simulate_err
