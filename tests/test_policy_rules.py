"""Every webex-scim-guard rule, mirrored: the healthy stack passes it, one changed input fails it, and the message
names the stack config key to change. Runs the real pack over the Analyzer protocol (tests/policy_support.py)."""

from __future__ import annotations

from typing import Any

import pytest
from policy_support import (
    ORG_ID,
    PILOT_USER_ID,
    REPO,
    SP_ID,
    TYPES,
    UNKNOWN,
    WEBEX_ROLE_ID,
    days_from_today,
    default_mappings,
    evaluate,
    job_restart,
    mappings,
    notification,
    policies,
    resource,
    secret,
    violations,
    webex_stack,
)

from offline.model import PolicyViolation

DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000"
TOKEN = "not-a-real-token"  # the SecretToken value policy_support puts in the stack
JOIN = 'Join("@", [mailNickname], "contoso.com")'  # an expression, not an attribute


def default_level(rule: str) -> str:
    return next(p.enforcement_level for p in policies() if p.name == rule)


def assert_mirrored(rule: str, change: dict[str, Any], key: str) -> list[PolicyViolation]:
    """The one helper every rule test goes through: pass on the healthy stack, fail on the changed one, at the
    rule's default level, with a message that names the stack config key to change."""
    assert violations(webex_stack(), rule) == [], f"{rule} must pass on the healthy stack"
    found = violations(webex_stack(**change), rule)
    assert found, f"{rule} must fail after {change}"
    for violation in found:
        assert violation.enforcement_level == default_level(rule)
        assert key in violation.message, f"{rule}: the message must name {key}:\n{violation.message}"
        assert violation.urn, "a rule about one resource points at it"
    return found


CASES = [
    ("hidden-from-users", {"sp": {"tags": ["WindowsAzureActiveDirectoryIntegratedApp"]}},
     "webex-scim:app.hideFromUsers"),
    ("hidden-from-users", {"sp": {"tags": None, "featureTags": [{"enterprise": True, "hide": False}]}},
     "webex-scim:app.hideFromUsers"),
    # Tags read from the tenant are unknown in a preview: the setting they are built from decides.
    ("hidden-from-users", {"sp": {"tags": UNKNOWN}, "app": {"hideFromUsers": False}},
     "pulumi config set --path 'app.hideFromUsers' true"),
    ("assignment-required", {"sp": {"appRoleAssignmentRequired": False}}, "webex-scim:app.assignmentRequired"),
    ("no-default-access", {"assignment": {"appRoleId": DEFAULT_ACCESS}}, "webex-scim:assignmentRole"),
    ("pilot-single-user",
     {"assignments": {"principals": [{"kind": "user", "ref": "a@contoso.com"}, {"kind": "group", "ref": "Sales"}]}},
     "webex-scim:assignments"),
    ("pilot-single-user", {"assignments": {"principals": [{"kind": "group", "ref": "Sales"}]}}, "rollout full"),
    ("no-duplicate-assignments",
     {"assignments": {"rollout": "full", "principals": [{"kind": "user", "ref": "A@contoso.com"},
                                                        {"kind": "user", "ref": "a@contoso.com"}]}},
     "webex-scim:assignments"),
    ("scope-assigned-only", {"credentials": {"SyncAll": "true"}}, "webex-scim:provisioning.scope"),
    ("scope-assigned-only", {"credentials": {"SyncAll": None}},
     "pulumi config set --path 'provisioning.scope' assigned"),
    ("notification-email", {"credentials": {"SyncNotificationSettings": notification(Enabled=False)}},
     "webex-scim:notificationEmail"),
    ("notification-email", {"credentials": {"SyncNotificationSettings": notification(Recipients=" ")}},
     "webex-scim:notificationEmail"),
    ("notification-email", {"credentials": {"SyncNotificationSettings": "Enabled=true"}},
     "pulumi config set notificationEmail"),
    ("notification-email", {"credentials": {"SyncNotificationSettings": None}}, "webex-scim:notificationEmail"),
    ("delete-threshold-on", {"credentials": {"SyncNotificationSettings": notification(DeleteThresholdEnabled=False)}},
     "webex-scim:provisioning.deleteThreshold"),
    ("delete-threshold-on", {"credentials": {"SyncNotificationSettings": notification(DeleteThresholdValue=0)}},
     "pulumi config set --path 'provisioning.deleteThreshold' 500"),
    ("tenant-url-matches-org", {"credentials": {"BaseAddress": f"http://webexapis.com/identity/scim/{ORG_ID}/v2"}},
     "webex-scim:tenantUrl"),
    ("tenant-url-matches-org", {"credentials": {"BaseAddress": f"https://scim.example.com/{ORG_ID}/v2"}},
     "pulumi config rm tenantUrl"),
    ("tenant-url-matches-org",
     {"credentials": {"BaseAddress": "https://webexapis.com/identity/scim/11111111-1111-1111-1111-111111111111/v2"}},
     "webex-scim:orgId"),
    ("tenant-url-matches-org", {"provisioning": {"offer": "government"}}, "webex-scim:offer"),
    ("tenant-url-matches-org",
     {"credentials": {"BaseAddress": f"https://api-usgov.webex.com/identity/scim/{ORG_ID}/v2"}},
     "it is the Webex for Government (FedRAMP) host: check `webex-scim:offer`"),
    ("tenant-url-matches-org", {"credentials": {"BaseAddress": None}}, "webex-scim:orgId"),
    ("deletions-not-forced", {"extra": [job_restart(force_deletes_request="2026-11-30")]},
     "webex-scim:provisioning.forceDeletesRequest"),
    ("deletions-not-forced", {"extra": [job_restart(force_deletes_request="again")]},
     "pulumi config set --path 'provisioning.restartRequest' <new value>"),
    ("token-expiry", {"provisioning": {"tokenExpiresOn": days_from_today(-3)}}, "webex-scim:tokenExpiresOn"),
    ("token-expiry", {"provisioning": {"tokenExpiresOn": days_from_today(10)}},
     "pulumi config set --secret scimToken"),
    ("token-expiry", {"provisioning": {"tokenExpiresOn": None}}, "pulumi config set tokenExpiresOn"),
    ("token-expiry", {"provisioning": {"tokenExpiresOn": "next spring"}}, "webex-scim:tokenExpiresOn"),
    ("username-from-email-attribute",
     {"mappings": {"userMappings": mappings(replace={"userName": {"source": "employeeId"}})}},
     "webex-scim:mappings.userNameSource"),
    ("username-from-email-attribute",
     {"mappings": {"userMappings": mappings(replace={"userName": {"source": None, "expression": JOIN}})}},
     "pulumi config set --path 'mappings.userNameSource' userPrincipalName"),
    ("username-from-email-attribute", {"mappings": {"removedTargets": ["userName"]}}, "webex-scim:mappings.remove"),
    # Multi-valued attributes: several addresses, never the one primary email Webex needs (AUDIT-2026-11 F12).
    ("username-from-email-attribute",
     {"mappings": {"userMappings": mappings(replace={"userName": {"source": "proxyAddresses"}})}},
     "webex-scim:mappings.userNameSource"),
    ("username-from-email-attribute",
     {"mappings": {"userMappings": mappings(replace={"userName": {"source": "otherMails"}})}},
     "pulumi config set --path 'mappings.userNameSource' userPrincipalName"),
    ("username-from-email-attribute",
     {"mappings": {"userMappings": [m for m in default_mappings() if m["target"] != "userName"]}},
     "webex-scim:mappings.userNameSource"),
    ("external-id-from-object-id", {"mappings": {"userMappings": mappings(replace={"externalId": {"source": "mail"}})}},
     "webex-scim:mappings.overrides"),
    ("external-id-from-object-id", {"mappings": {"removedTargets": ["externalId"]}}, "webex-scim:mappings.remove"),
    ("required-webex-mappings", {"mappings": {"removedTargets": ["active"]}}, "webex-scim:mappings.remove"),
    ("required-webex-mappings",
     {"mappings": {"userMappings": [m for m in default_mappings() if m["target"] != "externalId"]}},
     "webex-scim:mappings.overrides"),
    ("mapping-targets-are-webex-attributes",
     {"mappings": {"userMappings": mappings(add=[{"target": "favoriteColor", "source": "extension_color"}])}},
     "webex-scim:mappings.overrides"),
    ("mapping-targets-are-webex-attributes",
     {"mappings": {"userMappings": mappings(add=[{"target": "DisplayName", "source": "mailNickname"}])}},
     "webex-scim:mappings.overrides"),
    ("no-group-objects", {"mappings": {"groupObjects": True}}, "webex-scim:mappings.groupObjects"),
    ("government-setup", {"provisioning": {"offer": "government"}}, "pulumi config set --path 'verifiedDomains[0]'"),
    ("government-setup", {"provisioning": {"graphBaseUrl": "https://graph.microsoft.us/v1.0"}},
     "pulumi config rm graphBaseUrl"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "change", "key"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_passes_healthy_stack_and_fails_the_change(rule: str, change: dict[str, Any], key: str) -> None:
    assert_mirrored(rule, change, key)


def test_every_rule_has_a_mirrored_case() -> None:
    assert {p.name for p in policies()} == {case[0] for case in CASES}


def test_healthy_stack_passes_every_rule() -> None:
    report = evaluate(webex_stack())
    assert report.violations == []
    assert set(report.outcomes.values()) == {"passed"}


def test_violations_point_at_the_resource_at_fault() -> None:
    stack = webex_stack(sp={"appRoleAssignmentRequired": False}, credentials={"BaseAddress": "https://evil.example"})
    sp = next(r for r in stack if r.type == TYPES["sp"])
    secret_resource = next(r for r in stack if r.type == TYPES["credentials"])
    assert [v.urn for v in violations(stack, "assignment-required")] == [sp.urn]
    assert [v.urn for v in violations(stack, "tenant-url-matches-org")] == [secret_resource.urn]


def test_the_message_says_what_is_wrong_on_this_stack_not_the_rules_description() -> None:
    """pulumi_policy sends the description, a newline, then the report; the description says what the rule wants,
    the opposite of what is wrong, so the reports leave it out (the JSON's message is what the rule reported)."""
    (found,) = violations(webex_stack(sp={"appRoleAssignmentRequired": False}), "assignment-required")
    description = next(p.description for p in policies() if p.name == "assignment-required")
    assert description not in found.message
    assert found.message.startswith("Assignment is not required, so any user in the tenant can get a token")
    off = {"SyncNotificationSettings": notification(DeleteThresholdEnabled=False)}
    (threshold,) = violations(webex_stack(credentials=off), "delete-threshold-on")
    assert threshold.message.startswith("The accidental-deletion threshold is off")


# -- values unknown during preview ------------------------------------------------------------------------------


def test_unknown_value_gives_the_cli_cant_run_advisory_kept_apart_as_checked_at_up() -> None:
    stack = webex_stack(assignment={"appRoleId": UNKNOWN})
    report = evaluate(stack)
    assert report.violations == []  # no verdict yet: not an advisory
    (found,) = report.checked_at_up
    assignment = next(r for r in stack if r.type == TYPES["assignment"])
    assert found.enforcement_level == "mandatory"  # the rule's level when `pulumi up` gives the verdict
    assert found.urn == assignment.urn
    assert found.message == (
        "can't run policy 'no-default-access' from policy pack 'webex-scim-guard@v0.0.1' during preview: "
        "string value at .appRoleId can't be known during preview"
    )


def test_unknown_secret_value_only_matters_to_the_rule_that_reads_it() -> None:
    stack = webex_stack(credentials={"SecretToken": secret(UNKNOWN), "SyncAll": UNKNOWN})
    found = evaluate(stack).checked_at_up
    assert [(v.policy, v.enforcement_level) for v in found] == [("scope-assigned-only", "mandatory")]
    assert "during preview: string value at .credentials.3.value can't be known during preview" in found[0].message


def test_unknown_stack_value_gives_a_stack_level_advisory() -> None:
    found = evaluate(webex_stack(credentials={"BaseAddress": UNKNOWN})).checked_at_up
    assert [(v.policy, v.enforcement_level, v.urn) for v in found] == [("tenant-url-matches-org", "mandatory", None)]
    assert found[0].message.startswith("can't run policy 'tenant-url-matches-org'")


def test_duplicates_compare_known_principals_and_skip_unknown_ones() -> None:
    base = webex_stack()
    parent = next(r for r in base if r.type == TYPES["assignments"])

    def assignment(name: str, principal: str) -> Any:
        inputs = {"appRoleId": WEBEX_ROLE_ID, "principalObjectId": principal, "resourceObjectId": SP_ID}
        return resource(TYPES["assignment"], name, inputs, parent=parent)

    unknowns = webex_stack(extra=[assignment("u1", UNKNOWN), assignment("u2", UNKNOWN)])
    assert violations(unknowns, "no-duplicate-assignments") == []
    twice = webex_stack(extra=[assignment("again", PILOT_USER_ID.upper())])
    (found,) = violations(twice, "no-duplicate-assignments")
    assert found.urn == twice[-1].urn and "webex-scim:assignments" in found.message


# -- not applicable -------------------------------------------------------------------------------------------------


def test_mapping_rules_are_not_applicable_without_an_attribute_mappings_resource() -> None:
    report = evaluate(webex_stack(drop=("mappings",)))
    mapping_rules = {
        "username-from-email-attribute",
        "external-id-from-object-id",
        "required-webex-mappings",
        "mapping-targets-are-webex-attributes",
        "no-group-objects",
    }
    assert {name for name, outcome in report.outcomes.items() if outcome == "not-applicable"} == mapping_rules
    assert "AttributeMappings" in report.not_applicable["no-group-objects"]
    assert report.violations == []


def test_stack_rule_is_not_applicable_without_its_resources() -> None:
    report = evaluate(webex_stack(drop=("credentials",)))
    assert report.outcomes["tenant-url-matches-org"] == "not-applicable"
    assert report.not_applicable["tenant-url-matches-org"] == "no SynchronizationSecret in the stack"
    assert report.outcomes["scope-assigned-only"] == "not-applicable"


def test_tenant_url_without_a_provisioning_job_does_not_pass_silently() -> None:
    found = violations(webex_stack(drop=("provisioning",)), "tenant-url-matches-org")
    assert len(found) == 1 and "webex-scim:orgId" in found[0].message


# -- policy config --------------------------------------------------------------------------------------------------


def test_token_expiry_min_days_left_is_configurable() -> None:
    stack = webex_stack(provisioning={"tokenExpiresOn": days_from_today(40)})
    assert violations(stack, "token-expiry") == []  # default: warn from 30 days
    (found,) = violations(stack, "token-expiry", {"token-expiry": {"minDaysLeft": 45}})
    assert "in 40 day(s)" in found.message


def test_allowed_user_name_sources_extends_the_email_attributes() -> None:
    stack = webex_stack(mappings={"userMappings": mappings(replace={"userName": {"source": "extension_primaryEmail"}})})
    assert violations(stack, "username-from-email-attribute")
    config = {"username-from-email-attribute": {"allowedUserNameSources": ["extension_primaryEmail"]}}
    assert violations(stack, "username-from-email-attribute", config) == []


def test_enforcement_levels_follow_the_policy_config() -> None:
    stack = webex_stack(sp={"appRoleAssignmentRequired": False}, provisioning={"tokenExpiresOn": None})
    assert {v.policy: v.enforcement_level for v in violations(stack)} == {
        "assignment-required": "mandatory",
        "token-expiry": "advisory",
    }
    config = {"all": "advisory", "token-expiry": {"enforcementLevel": "mandatory"}}
    assert {v.policy: v.enforcement_level for v in violations(stack, policy_config=config)} == {
        "assignment-required": "advisory",
        "token-expiry": "mandatory",
    }
    report = evaluate(stack, {"assignment-required": "disabled"})
    assert [v.policy for v in report.violations] == ["token-expiry"]
    assert report.outcomes["assignment-required"] == "disabled"


# -- secrets ----------------------------------------------------------------------------------------------------


def test_no_message_repeats_the_token() -> None:
    broken = webex_stack(
        credentials={
            "BaseAddress": "http://example.com",
            "SyncAll": "true",
            "SyncNotificationSettings": "not json",
        }
    )
    found = violations(broken)
    assert {"tenant-url-matches-org", "scope-assigned-only", "notification-email"} <= {v.policy for v in found}
    assert all(TOKEN not in v.message for v in found)


def test_hidden_from_users_with_unknown_tags_follows_the_setting_or_says_it_cannot_run():
    assert violations(webex_stack(sp={"tags": UNKNOWN}), "hidden-from-users") == []
    assert violations(webex_stack(sp={"tags": UNKNOWN}, drop=("app",)), "hidden-from-users") == []
    found = evaluate(webex_stack(sp={"tags": UNKNOWN}, drop=("app",))).checked_at_up
    assert [(v.policy, v.enforcement_level) for v in found] == [("hidden-from-users", "mandatory")]
    assert "can't run policy 'hidden-from-users'" in found[0].message and "during preview" in found[0].message


# -- userName sources (AUDIT-2026-11 F12) -----------------------------------------------------------------------


@pytest.mark.parametrize("source", ["otherMails", "proxyAddresses", "ProxyAddresses"])
def test_multi_valued_sources_are_refused_even_when_the_policy_config_allows_them(source: str) -> None:
    stack = webex_stack(mappings={"userMappings": mappings(replace={"userName": {"source": source}})})
    config = {"username-from-email-attribute": {"allowedUserNameSources": ["otherMails", "proxyAddresses"]}}
    (found,) = violations(stack, "username-from-email-attribute", config)
    assert found.enforcement_level == "mandatory"
    assert "holds several addresses" in found.message and "Use mail" in found.message


@pytest.mark.parametrize("source", ["userPrincipalName", "mail"])
def test_the_single_valued_email_attributes_pass(source: str) -> None:
    stack = webex_stack(mappings={"userMappings": mappings(replace={"userName": {"source": source}})})
    assert violations(stack, "username-from-email-attribute") == []


def test_an_expression_still_needs_the_policy_allow_list() -> None:
    expression = "Item([otherMails], 1)"
    stack = webex_stack(
        mappings={"userMappings": mappings(replace={"userName": {"source": None, "expression": expression}})}
    )
    (found,) = violations(stack, "username-from-email-attribute")
    assert "expression 'Item([otherMails], 1)'" in found.message and "allowedUserNameSources" in found.message


# -- tenant URL forms (AUDIT-2026-11 F17) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offer", "url"),
    [
        ("commercial", f"https://webexapis.com/identity/scim/{ORG_ID}/v2"),
        ("commercial", f"https://api.ciscospark.com/v1/scim/{ORG_ID}"),
        ("government", f"https://api-usgov.webex.com/identity/scim/{ORG_ID}/v2"),
        ("commercial", f"https://WebexAPIs.com/identity/scim/{ORG_ID.upper()}/v2/"),
    ],
    ids=["commercial", "legacy", "government", "host-and-org-in-another-case"],
)
def test_the_three_known_tenant_url_forms_pass(offer: str, url: str) -> None:
    stack = webex_stack(provisioning={"offer": offer, "tenantUrl": url}, credentials={"BaseAddress": url})
    assert violations(stack, "tenant-url-matches-org") == []


def test_a_known_host_without_the_org_id_still_fails() -> None:
    url = "https://api.ciscospark.com/v1/scim/11111111-1111-1111-1111-111111111111"
    (found,) = violations(webex_stack(credentials={"BaseAddress": url}), "tenant-url-matches-org")
    assert f"it does not contain the org ID {ORG_ID}" in found.message
    assert "host" not in found.message.split("is wrong:", 1)[1].split(".", 1)[0]  # the host itself is fine


def test_an_unknown_host_names_the_offers_forms_and_where_hosts_are_kept() -> None:
    (found,) = violations(
        webex_stack(credentials={"BaseAddress": f"https://scim.example.com/{ORG_ID}/v2"}), "tenant-url-matches-org"
    )
    assert (
        f"The commercial tenant URL for this org is https://webexapis.com/identity/scim/{ORG_ID}/v2 "
        f"(also accepted: https://api.ciscospark.com/v1/scim/{ORG_ID})"
    ) in found.message
    assert "tenantUrlForms in components/webex_catalog.json" in found.message


# -- group objects (AUDIT-2026-11 F18) --------------------------------------------------------------------------


def test_group_objects_are_advisory_and_the_message_says_members_are_provisioned_either_way() -> None:
    (found,) = violations(webex_stack(mappings={"groupObjects": True}), "no-group-objects")
    assert found.enforcement_level == "advisory"
    assert "members of assigned groups are provisioned as users either way" in found.message
    assert "since February 2023" in found.message


def test_no_text_says_webex_ignores_group_objects() -> None:
    """Webex group provisioning exists (Microsoft's Cisco Webex tutorial, change log 2023-02-07)."""
    docs = [p.read_text(encoding="utf-8") for p in [REPO / "README.md", *(REPO / "docs").glob("*.md")]]
    texts = docs + [p.description for p in policies()]  # the docs hold each rule's fix text
    assert not [t for t in texts if "not the group object" in t or "not the group itself" in t]


# -- forced deletions (provisioning.forceDeletesRequest) --------------------------------------------------------


def test_a_plain_restart_is_not_a_forced_deletion() -> None:
    report = evaluate(webex_stack(extra=[job_restart(request_id="2026-11-30")]))
    assert report.outcomes["deletions-not-forced"] == "passed"
    assert evaluate(webex_stack()).outcomes["deletions-not-forced"] == "passed"  # the usual stack: no restart at all
