"""What each webex-scim-guard rule says, word for word, and where its verdict turns: the boundaries (a threshold of 1,
a token expiring today or in 30 days), the other forms a value takes (featureTags, JSON that is not an object, an
offer the catalog does not know), stacks the healthy one does not cover (a full rollout, several principals, two
components of a type, a resource outside its component) and the pack's own config schemas.

tests/test_policy_rules.py mirrors each rule (pass, then fail on one change); this file pins what a user reads."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from policy_support import (
    ORG_ID,
    REPO,
    SP_ID,
    TYPES,
    UNKNOWN,
    WEBEX_ROLE_ID,
    days_from_today,
    default_mappings,
    evaluate,
    fresh_pack,
    job_restart,
    mappings,
    notification,
    policies,
    resource,
    violations,
    webex_stack,
)

from offline.model import RecordedResource
from webex_scim.errors import UsageError

OTHER_ORG = "5e0f9a77-1c2b-4d3e-8f40-a1b2c3d4e5f6"
COMMERCIAL = f"https://webexapis.com/identity/scim/{ORG_ID}/v2"
LEGACY = f"https://api.ciscospark.com/v1/scim/{ORG_ID}"
TENANT_URL_FIX = (
    "Fix: `pulumi config rm tenantUrl` to use the default, or set `webex-scim:tenantUrl` to one of these forms; "
    "check `webex-scim:orgId` and `webex-scim:offer`. A Webex host not listed here goes into tenantUrlForms in "
    "components/webex_catalog.json (the one table the program and this pack read)."
)
NOTIFICATION_FIX = (
    "Fix: set `webex-scim:notificationEmail` to webex-admins@contoso.com: "
    "`pulumi config set notificationEmail webex-admins@contoso.com`."
)
THRESHOLD_FIX = (
    "Fix: set `webex-scim:provisioning.deleteThreshold` to 500: "
    "`pulumi config set --path 'provisioning.deleteThreshold' 500`."
)
USER_NAME_FIX = (
    "Fix: set `webex-scim:mappings.userNameSource` to userPrincipalName: "
    "`pulumi config set --path 'mappings.userNameSource' userPrincipalName`."
)
RENEW = (
    "get a new token from the Webex admin sign-in, store it in `webex-scim:scimToken` (`pulumi config set --secret "
    "scimToken <token>`) and its expiry in `webex-scim:tokenExpiresOn` (`pulumi config set tokenExpiresOn "
    "<YYYY-MM-DD>`)"
)


def messages(stack: list[RecordedResource], rule: str, policy_config: dict[str, Any] | None = None) -> list[str]:
    return [v.message for v in violations(stack, rule, policy_config)]


def user_name_from(row: dict[str, Any]) -> list[RecordedResource]:
    return webex_stack(mappings={"userMappings": mappings(replace={"userName": {"source": None, **row}})})


def without(target: str) -> list[dict[str, Any]]:
    return [m for m in default_mappings() if m["target"] != target]


# -- every message, word for word --------------------------------------------------------------------------------

MESSAGES = [
    ("hidden-from-users", {"sp": {"tags": ["WindowsAzureActiveDirectoryIntegratedApp"]}},
     "The Cisco Webex app shows up in users' My Apps portal, where its tile only confuses people (Webex is signed "
     "into from Webex, not from My Apps). Fix: set `webex-scim:app.hideFromUsers` to true: "
     "`pulumi config set --path 'app.hideFromUsers' true`."),
    ("assignment-required", {"sp": {"appRoleAssignmentRequired": False}},
     "Assignment is not required, so any user in the tenant can get a token for the Cisco Webex app, and the "
     "assigned-users scope loses its meaning. Fix: set `webex-scim:app.assignmentRequired` to true: "
     "`pulumi config set --path 'app.assignmentRequired' true`."),
    ("no-default-access", {"assignment": {"appRoleId": "00000000-0000-0000-0000-000000000000"}},
     "Assignment 'user-pilot@contoso.com' uses the Default Access role (00000000-0000-0000-0000-000000000000); Entra "
     "does not provision users assigned with Default Access, so this principal never reaches Webex. Fix: set "
     "`webex-scim:assignmentRole` to <a Webex app role value>: `pulumi config set assignmentRole <a Webex app role "
     "value>`. (or give this principal its own role under `webex-scim:assignments`: `role: <value>`)."),
    ("pilot-single-user",
     {"assignments": {"principals": [{"kind": "user", "ref": "a@contoso.com"}, {"kind": "user", "ref": "b@contoso.com"},
                                     {"kind": "group", "ref": "Sales"}]}},
     "This pilot rollout assigns 2 user(s) and 1 group(s), but a pilot provisions exactly one user first (the Webex "
     "article's test step). Fix: in Pulumi.<stack>.yaml, edit `webex-scim:assignments`: keep a single `- user: "
     "<UPN>` entry. Or, when the pilot user arrived in Webex, go wide: `pulumi config set rollout full`."),
    ("no-duplicate-assignments",
     {"assignments": {"rollout": "full", "principals": [{"kind": "group", "ref": "Sales"},
                                                        {"kind": "user", "ref": "a@contoso.com"},
                                                        {"kind": "group", "ref": "SALES"}]}},
     "Group 'SALES' is listed twice (entries 0 and 2). Fix: in Pulumi.<stack>.yaml, edit `webex-scim:assignments`: "
     "remove entry [2]."),
    ("scope-assigned-only", {"credentials": {"SyncAll": "true"}},
     "The scope is every user in the tenant (SyncAll is 'true'): the job would provision all of them to Webex, not "
     "only the assigned users and groups. Fix: set `webex-scim:provisioning.scope` to assigned: "
     "`pulumi config set --path 'provisioning.scope' assigned`."),
    ("scope-assigned-only", {"credentials": {"SyncAll": None}},
     "The scope is every user in the tenant (SyncAll is not set): the job would provision all of them to Webex, not "
     "only the assigned users and groups. Fix: set `webex-scim:provisioning.scope` to assigned: "
     "`pulumi config set --path 'provisioning.scope' assigned`."),
    ("notification-email", {"credentials": {"SyncNotificationSettings": None}},
     "SyncNotificationSettings is not set, and a secrets PUT replaces every key: failure emails and the delete "
     f"threshold would be switched off. {NOTIFICATION_FIX}"),
    ("notification-email", {"credentials": {"SyncNotificationSettings": notification(Enabled="true")}},
     "Failure notification emails are switched off: a quarantined job would stop provisioning to Webex unnoticed. "
     + NOTIFICATION_FIX),
    ("notification-email", {"credentials": {"SyncNotificationSettings": notification(Recipients=None)}},
     "Failure notification emails have no recipient: a quarantined job would stop provisioning to Webex unnoticed. "
     + NOTIFICATION_FIX),
    ("notification-email", {"credentials": {"SyncNotificationSettings": "Enabled=true"}},
     f"SyncNotificationSettings is not a JSON object ('Enabled=true'). {NOTIFICATION_FIX}"),
    ("delete-threshold-on", {"credentials": {"SyncNotificationSettings": notification(DeleteThresholdEnabled=False)}},
     "The accidental-deletion threshold is off (DeleteThresholdEnabled false, value 500): one bad scoping change "
     f"could disable every Webex user in a single cycle. {THRESHOLD_FIX}"),
    ("tenant-url-matches-org", {"credentials": {"BaseAddress": " "}},
     "The provisioning credentials have no BaseAddress (tenant URL): Entra cannot reach Webex. Fix: set "
     "`webex-scim:orgId` to <org UUID from Control Hub>: `pulumi config set orgId <org UUID from Control Hub>`."),
    ("tenant-url-matches-org", {"provisioning": {"offer": None}},
     f"Cannot tell which Webex org the tenant URL {COMMERCIAL!r} is for: no ProvisioningJob component with orgId and "
     "offer owns these credentials. Fix: set `webex-scim:orgId` and `webex-scim:offer` and deploy the credentials "
     "through the ProvisioningJob component."),
    ("tenant-url-matches-org", {"provisioning": {"offer": "enterprise"}},
     "Offer 'enterprise' is not a Webex offer (commercial, government). Fix: set `webex-scim:offer` to commercial: "
     "`pulumi config set offer commercial`."),
    ("tenant-url-matches-org", {"credentials": {"BaseAddress": "http:///v2"}},
     "Tenant URL 'http:///v2' is wrong: it is not https; its host (none) is not a Webex (commercial) SCIM host "
     f"(webexapis.com, api.ciscospark.com); it does not contain the org ID {ORG_ID}. The commercial tenant URL for "
     f"this org is {COMMERCIAL} (also accepted: {LEGACY}). {TENANT_URL_FIX}"),
    ("tenant-url-matches-org", {"provisioning": {"offer": "government"}},
     f"Tenant URL {COMMERCIAL!r} is wrong: its host webexapis.com is not a Webex for Government (FedRAMP) SCIM host "
     "(api-usgov.webex.com) (it is the Webex (commercial) host: check `webex-scim:offer`). The government tenant URL "
     f"for this org is https://api-usgov.webex.com/identity/scim/{ORG_ID}/v2. {TENANT_URL_FIX}"),
    ("deletions-not-forced", {"extra": [job_restart(force_deletes_request="2026-11-30")]},
     "`webex-scim:provisioning.forceDeletesRequest` is set ('2026-11-30'): when its value is new, `pulumi up` "
     "restarts the job with ForceDeletes, and every deletion the accidental-deletion threshold held back goes through "
     "(those users are deprovisioned in Webex). Check the held-back deletions in the Entra provisioning logs first; a "
     "restart that only releases the quarantine is `pulumi config set --path 'provisioning.restartRequest' <new "
     "value>`."),
    ("token-expiry", {"provisioning": {"tokenExpiresOn": " "}},
     "The SCIM token's expiry date is not recorded, so nothing warns before the token lapses and provisioning stops. "
     "Fix: set `webex-scim:tokenExpiresOn` to <YYYY-MM-DD> (the date the token expires): "
     "`pulumi config set tokenExpiresOn <YYYY-MM-DD>`."),
    ("token-expiry", {"provisioning": {"tokenExpiresOn": "2027-02-30"}},
     "tokenExpiresOn '2027-02-30' is not an ISO date. Fix: set `webex-scim:tokenExpiresOn` to <YYYY-MM-DD>: "
     "`pulumi config set tokenExpiresOn <YYYY-MM-DD>`."),
    ("government-setup", {"provisioning": {"offer": "government", "verifiedDomains": None,
                                           "graphBaseUrl": "https://graph.microsoft.us/v1.0"}},
     "Check before the first `pulumi up`: `webex-scim:verifiedDomains` is not set, and most Webex for Government orgs "
     "enforce verified domains: users in other domains are refused. List the org's domains (Control Hub > "
     "Organization Settings > Domains), `pulumi config set --path 'verifiedDomains[0]' <domain>`, and `make "
     "simulate` names each user Webex would refuse; and the program calls Microsoft Graph at graph.microsoft.us "
     "(`webex-scim:graphBaseUrl`), but the azuread provider's cloud (`azuread:environment`) has its Graph at "
     "graph.microsoft.com: the two sign in to different clouds. Check which cloud the tenant is in; `pulumi config rm "
     "graphBaseUrl` follows the provider's."),
    ("username-from-email-attribute", {"mappings": {"removedTargets": ["USERNAME"]}},
     "The userName mapping is removed, but Webex needs userName (the user's email) to create and match users. Fix: "
     "in Pulumi.<stack>.yaml, edit `webex-scim:mappings.remove`: take userName out of the list."),
    ("username-from-email-attribute", {"mappings": {"userMappings": without("userName")}},
     f"No mapping targets userName: Webex cannot create or match any user. {USER_NAME_FIX}"),
    ("username-from-email-attribute",
     {"mappings": {"userMappings": mappings(replace={"userName": {"source": "OtherMails"}})}},
     "userName is mapped from otherMails, which holds several addresses (a list of the user's other email "
     "addresses); Webex userName is one address, the user's primary email, so users would fail to provision or "
     "match the wrong Webex user. Use mail (Exchange keeps the primary SMTP address there) or userPrincipalName. "
     + USER_NAME_FIX),
    ("username-from-email-attribute",
     {"mappings": {"userMappings": mappings(replace={"userName": {"source": "employeeId"}})}},
     "userName is mapped from attribute 'employeeId'; Webex expects the user's email address there, and a source "
     "that does not match today's userName provisions people as new Webex users instead of matching the existing "
     f"ones. Allowed sources: userPrincipalName, mail. {USER_NAME_FIX} (An attribute your tenant fills with email "
     "addresses can be allowed with this policy's `allowedUserNameSources` setting in the policy pack config.)"),
    ("external-id-from-object-id", {"mappings": {"removedTargets": ["externalId"]}},
     "Webex externalId is removed; mapping it from Entra objectId keeps each Webex user linked to its Entra user "
     "across renames. Fix: in Pulumi.<stack>.yaml, edit `webex-scim:mappings.remove`: take externalId out of the "
     "list."),
    ("external-id-from-object-id", {"mappings": {"userMappings": without("externalId")}},
     "Webex externalId is not mapped; mapping it from Entra objectId keeps each Webex user linked to its Entra user "
     "across renames. Fix: in Pulumi.<stack>.yaml, edit `webex-scim:mappings.overrides`: add `{target: externalId, "
     "source: objectId}`."),
    ("external-id-from-object-id",
     {"mappings": {"userMappings": mappings(replace={"externalId": {"source": None, "constant": "x"}})}},
     "Webex externalId is mapped from constant 'x'; mapping it from Entra objectId keeps each Webex user linked to "
     "its Entra user across renames. Fix: in Pulumi.<stack>.yaml, edit `webex-scim:mappings.overrides`: remove the "
     "externalId override so the default objectId applies."),
    ("required-webex-mappings", {"mappings": {"removedTargets": ["Active"]}},
     "Webex needs the active mapping, but the stack removes it. Fix: in Pulumi.<stack>.yaml, edit "
     "`webex-scim:mappings.remove`: take active out of the list."),
    ("required-webex-mappings", {"mappings": {"userMappings": without("active")}},
     "Webex needs a mapping for active, and there is none. Fix: in Pulumi.<stack>.yaml, edit "
     "`webex-scim:mappings.overrides`: add `{target: active, source: <Entra attribute>}`."),
    ("mapping-targets-are-webex-attributes",
     {"mappings": {"userMappings": mappings(add=[{"target": "favoriteColor", "source": "extension_color"}])}},
     "'favoriteColor' is not a Webex user attribute; Webex ignores or rejects it. Fix: in Pulumi.<stack>.yaml, edit "
     "`webex-scim:mappings.overrides`: remove or correct the mapping for 'favoriteColor' (Webex attributes are "
     "listed in components/webex_catalog.json)."),
    ("mapping-targets-are-webex-attributes",
     {"mappings": {"userMappings": mappings(add=[{"target": "TITLE", "source": "jobTitle"},
                                                 {"target": "title", "source": "department"}])}},
     "'title' is mapped more than once; Entra does not refuse that, and which source wins is undefined. Fix: in "
     "Pulumi.<stack>.yaml, edit `webex-scim:mappings.overrides`: keep one mapping for 'title'."),
    ("no-group-objects", {"mappings": {"groupObjects": True}},
     "Group objects are provisioned: besides the users (members of assigned groups are provisioned as users either "
     "way), Entra creates and updates each assigned group, with its members, as a Webex group (group provisioning, "
     "in Microsoft's Cisco Webex connector since February 2023). Keep it only if your Webex org uses these groups. "
     "Fix: set `webex-scim:mappings.groupObjects` to false: `pulumi config set --path 'mappings.groupObjects' "
     "false`."),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "change", "message"), MESSAGES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MESSAGES)])
def test_each_violation_says_what_is_wrong_and_the_fix_word_for_word(rule: str, change: dict, message: str) -> None:
    assert messages(webex_stack(**change), rule) == [message]


def test_every_rule_has_its_words_pinned() -> None:
    assert {p.name for p in policies()} == {m[0] for m in MESSAGES}


@pytest.mark.parametrize(
    ("row", "described"),
    [
        ({"expression": "Trim([mail])"}, "expression 'Trim([mail])'"),
        ({"constant": ""}, "constant ''"),
        ({}, "nothing"),
    ],
    ids=["expression", "empty-constant", "nothing"],
)  # fmt: skip
def test_a_user_name_source_that_is_no_attribute_is_described_as_what_it_is(row: dict, described: str) -> None:
    (message,) = messages(user_name_from(row), "username-from-email-attribute")
    assert message.startswith(f"userName is mapped from {described}; Webex expects the user's email address there")


def test_a_mapping_without_a_target_is_named_as_an_empty_one() -> None:
    stack = webex_stack(mappings={"userMappings": mappings(add=[{"target": None, "source": "mail"}])})
    assert messages(stack, "mapping-targets-are-webex-attributes") == [
        "'' is not a Webex user attribute; Webex ignores or rejects it. Fix: in Pulumi.<stack>.yaml, edit "
        "`webex-scim:mappings.overrides`: remove or correct the mapping for '' (Webex attributes are listed in "
        "components/webex_catalog.json)."
    ]


def test_the_allowed_sources_named_are_those_the_rule_accepts() -> None:
    config = {"username-from-email-attribute": {"allowedUserNameSources": ["ProxyAddresses", "extension_mail"]}}
    (found,) = messages(user_name_from({"source": "employeeId"}), "username-from-email-attribute", config)
    assert "Allowed sources: userPrincipalName, mail, extension_mail. Fix:" in found


def test_the_rule_table_in_the_docs_is_the_packs_own() -> None:
    # docs/policies.md shows each rule's level, severity, what it checks, its fix and its settings, from the rules.
    doc = (REPO / "docs" / "policies.md").read_text(encoding="utf-8")
    table = fresh_pack().rules_markdown()
    assert table.strip() in doc
    assert (
        "| `tenant-url-matches-org` | mandatory | critical | SynchronizationSecret, ProvisioningJob (stack) |" in table
    )


def test_a_long_value_is_cut_in_the_message_and_one_just_short_enough_is_not() -> None:
    # A value is quoted with repr(): 118 characters make a 120-character repr, the longest shown whole.
    whole, cut = "x" * 118, "y" * 119
    (shown,) = messages(webex_stack(extra=[job_restart(force_deletes_request=whole)]), "deletions-not-forced")
    assert f"is set ({whole!r}):" in shown
    (shortened,) = messages(webex_stack(extra=[job_restart(force_deletes_request=cut)]), "deletions-not-forced")
    assert f"is set ('{'y' * 116}...):" in shortened


# -- not applicable, and the words it gives ---------------------------------------------------------------------


def test_not_applicable_says_which_resources_a_rule_looks_for() -> None:
    report = evaluate(webex_stack(drop=("sp", "assignments", "assignment", "credentials", "mappings")))
    assert report.not_applicable == {
        "hidden-from-users": "no ServicePrincipal in the stack",
        "assignment-required": "no resource it applies to (checks ServicePrincipal resources only)",
        "no-default-access": "no resource it applies to (checks AppRoleAssignment resources only)",
        "pilot-single-user": "no resource it applies to (checks Assignments resources only)",
        "no-duplicate-assignments": "no AppRoleAssignment and no Assignments component in the stack",
        "scope-assigned-only": "no resource it applies to (checks SynchronizationSecret resources only)",
        "notification-email": "no resource it applies to (checks SynchronizationSecret resources only)",
        "delete-threshold-on": "no resource it applies to (checks SynchronizationSecret resources only)",
        "tenant-url-matches-org": "no SynchronizationSecret in the stack",
        "username-from-email-attribute": "no resource it applies to (checks AttributeMappings resources only)",
        "external-id-from-object-id": "no resource it applies to (checks AttributeMappings resources only)",
        "required-webex-mappings": "no resource it applies to (checks AttributeMappings resources only)",
        "mapping-targets-are-webex-attributes": "no resource it applies to (checks AttributeMappings resources only)",
        "no-group-objects": "no resource it applies to (checks AttributeMappings resources only)",
    }
    assert report.violations == []


@pytest.mark.parametrize("kept", ["assignments", "assignment"])
def test_duplicates_are_judged_with_either_the_component_or_the_assignments_alone(kept: str) -> None:
    dropped = {"assignments", "assignment"} - {kept}
    report = evaluate(webex_stack(drop=dropped))
    assert report.outcomes["no-duplicate-assignments"] == "passed"


# -- app: HideApp in either form, a principal outside its component, two apps -------------------------------------


def test_hide_app_written_as_feature_tags_passes() -> None:
    stack = webex_stack(sp={"tags": ["WindowsAzureActiveDirectoryIntegratedApp"], "featureTags": [{"hide": True}]})
    assert messages(stack, "hidden-from-users") == []
    also = webex_stack(sp={"tags": None, "featureTags": [{"enterprise": True}, {"hide": True}]})
    assert messages(also, "hidden-from-users") == []


def test_unknown_tags_of_a_principal_outside_the_component_follow_the_stacks_only_app() -> None:
    base = webex_stack(sp={"tags": UNKNOWN}, app={"hideFromUsers": False}, drop=("sp",))
    loose = resource(TYPES["sp"], "service-principal", {"tags": UNKNOWN, "appRoleAssignmentRequired": True})
    (found,) = violations([*base, loose], "hidden-from-users")
    assert found.urn == loose.urn


def test_two_apps_each_judged_by_their_own_setting() -> None:
    stack = webex_stack(sp={"tags": UNKNOWN})
    root = next(r for r in stack if r.type == TYPES["root"])
    app = resource(TYPES["app"], "other-app", {"hideFromUsers": False}, parent=root, custom=False)
    sp = resource(TYPES["sp"], "other-principal", {"tags": UNKNOWN, "appRoleAssignmentRequired": True}, parent=app)
    (found,) = violations([*stack, app, sp], "hidden-from-users")
    assert found.urn == sp.urn


# -- assignments: a full rollout, several principals, a user and a group of one name -------------------------------

EVERYONE = [
    {"kind": "user", "ref": "a@contoso.com"},
    {"kind": "user", "ref": "b@contoso.com"},
    {"kind": "group", "ref": "Sales"},
    {"kind": "user", "ref": "c@contoso.com"},
    {"kind": "group", "ref": "Marketing"},
]


def test_a_full_rollout_assigns_anyone_once_each() -> None:
    stack = webex_stack(assignments={"rollout": "full", "principals": EVERYONE})
    report = evaluate(stack)
    assert report.outcomes["pilot-single-user"] == "passed"
    assert report.outcomes["no-duplicate-assignments"] == "passed"


def test_a_user_and_a_group_of_the_same_name_are_two_principals() -> None:
    both = [{"kind": "user", "ref": "sales@contoso.com"}, {"kind": "group", "ref": "Sales@contoso.com"}]
    assert messages(webex_stack(assignments={"rollout": "full", "principals": both}), "no-duplicate-assignments") == []


def test_two_groups_whose_names_differ_but_for_case_folding_are_two_principals() -> None:
    # "Straße" and "STRASSE" are two Entra groups: case is ignored (lower), but ß is not folded to ss (upper would).
    groups = [{"kind": "group", "ref": "Straße Team"}, {"kind": "group", "ref": "STRASSE TEAM"}]
    stack = webex_stack(assignments={"rollout": "full", "principals": groups})
    assert messages(stack, "no-duplicate-assignments") == []


def assignment(stack: list[RecordedResource], name: str, principal: str, sp: str = SP_ID) -> RecordedResource:
    parent = next(r for r in stack if r.type == TYPES["assignments"])
    inputs = {"appRoleId": WEBEX_ROLE_ID, "principalObjectId": principal, "resourceObjectId": sp}
    return resource(TYPES["assignment"], name, inputs, parent=parent)


def test_distinct_principals_and_one_principal_on_two_apps_are_no_duplicates() -> None:
    base = webex_stack()
    others = [assignment(base, f"user-{n}", f"aaaaaaaa-0000-0000-0000-00000000000{n}") for n in range(1, 4)]
    other_app = assignment(base, "elsewhere", "aaaaaaaa-0000-0000-0000-000000000001", sp="other-sp")
    assert messages([*base, *others, other_app], "no-duplicate-assignments") == []


def test_a_principal_assigned_twice_is_named_with_the_first_assignment() -> None:
    base = webex_stack()
    first = assignment(base, "first", "aaaaaaaa-0000-0000-0000-000000000001")
    # An unknown principal (looked up at deploy) comes first: it is skipped, not the end of the comparison.
    stack = [
        *base,
        assignment(base, "later", UNKNOWN),
        first,
        assignment(base, "again", "AAAAAAAA-0000-0000-0000-000000000001"),
    ]
    (found,) = violations(stack, "no-duplicate-assignments")
    assert found.urn == stack[-1].urn
    assert found.message == (
        f"Principal AAAAAAAA-0000-0000-0000-000000000001 is assigned to the app twice (also by {first.urn}); Graph "
        "refuses the second assignment. Fix: in Pulumi.<stack>.yaml, edit `webex-scim:assignments`: list each user "
        "and group once (a user given by UPN and again by object ID is the same principal)."
    )


def test_assignments_without_a_principal_id_are_not_compared() -> None:
    base = webex_stack()
    stack = [*base, assignment(base, "blank-1", ""), assignment(base, "blank-2", "")]
    assert messages(stack, "no-duplicate-assignments") == []


# -- provisioning: SyncNotificationSettings in every shape, the threshold, the token's window ------------------------


@pytest.mark.parametrize(
    "value", ["[]", "5", "null", '"Enabled"', "[{}]"], ids=["list", "number", "null", "text", "list-of-objects"]
)
def test_sync_notification_settings_that_is_json_but_not_an_object_is_reported_not_a_crash(value: str) -> None:
    stack = webex_stack(credentials={"SyncNotificationSettings": value})
    for rule in ("notification-email", "delete-threshold-on"):
        assert messages(stack, rule) == [
            f"SyncNotificationSettings is not a JSON object ({value!r}). {NOTIFICATION_FIX}"
        ]


def test_sync_notification_settings_given_as_an_object_is_read_as_one() -> None:
    settings = {
        "Enabled": True,
        "Recipients": "ops@contoso.com",
        "DeleteThresholdEnabled": True,
        "DeleteThresholdValue": 1,
    }
    assert evaluate(webex_stack(credentials={"SyncNotificationSettings": settings})).violations == []


def test_a_threshold_of_one_deletion_is_on() -> None:
    for value in (1, "1"):
        stack = webex_stack(credentials={"SyncNotificationSettings": notification(DeleteThresholdValue=value)})
        assert messages(stack, "delete-threshold-on") == []


NOT_WHOLE = "is not a whole number"


@pytest.mark.parametrize(
    ("settings", "shown"),
    [
        ({"DeleteThresholdValue": None}, "DeleteThresholdEnabled true, no DeleteThresholdValue"),
        ({"DeleteThresholdValue": "lots"}, f"DeleteThresholdEnabled true, DeleteThresholdValue 'lots' {NOT_WHOLE}"),
        ({"DeleteThresholdValue": 2.5}, f"DeleteThresholdEnabled true, DeleteThresholdValue 2.5 {NOT_WHOLE}"),
        # JSON true is no number of deletions, though Python would count it as 1.
        ({"DeleteThresholdValue": True}, f"DeleteThresholdEnabled true, DeleteThresholdValue True {NOT_WHOLE}"),
        ({"DeleteThresholdValue": "5²"}, f"DeleteThresholdEnabled true, DeleteThresholdValue '5²' {NOT_WHOLE}"),
        ({"DeleteThresholdValue": 0}, "DeleteThresholdEnabled true, value 0"),
        ({"DeleteThresholdValue": "-3"}, "DeleteThresholdEnabled true, value -3"),
        ({"DeleteThresholdEnabled": "true"}, "DeleteThresholdEnabled 'true', value 500"),
        ({"DeleteThresholdEnabled": None}, "DeleteThresholdEnabled not set, value 500"),
    ],
    ids=["value-missing", "value-text", "value-fraction", "value-true", "value-superscript", "value-0",
         "value-negative", "enabled-text", "enabled-missing"],
)  # fmt: skip
def test_the_threshold_is_off_unless_enabled_with_a_whole_number_above_zero(settings: dict, shown: str) -> None:
    written = {k: v for k, v in json.loads(notification(**settings)).items() if v is not None}
    stack = webex_stack(credentials={"SyncNotificationSettings": json.dumps(written)})
    assert messages(stack, "delete-threshold-on") == [
        f"The accidental-deletion threshold is off ({shown}): one bad scoping change could disable every Webex user "
        f"in a single cycle. {THRESHOLD_FIX}"
    ]


def test_a_threshold_written_as_a_whole_number_in_any_json_form_is_on() -> None:
    for value in (500, 500.0, " 500 "):
        stack = webex_stack(credentials={"SyncNotificationSettings": notification(DeleteThresholdValue=value)})
        assert messages(stack, "delete-threshold-on") == [], value


@pytest.mark.parametrize(
    ("days", "verdict"),
    [
        (30, None),
        (29, "The SCIM token expires on {date}, in 29 day(s) (warning from 30 days). Fix: rotate it now: {renew}."),
        # Expiring today: not expired yet (the token works until it lapses), and said as today, not "in 0 day(s)".
        (0, "The SCIM token expires today ({date}) (warning from 30 days). Fix: rotate it now: {renew}."),
        (-1, "The SCIM token expired on {date} (1 day(s) ago): provisioning to Webex fails. Fix: {renew}."),
    ],
    ids=["30-days-left", "29-days-left", "expires-today", "expired-yesterday"],
)
def test_the_token_warning_starts_30_days_before_expiry(days: int, verdict: str | None) -> None:
    date = days_from_today(days)
    found = messages(webex_stack(provisioning={"tokenExpiresOn": date}), "token-expiry")
    assert found == ([verdict.format(date=date, renew=RENEW)] if verdict else [])


def test_a_date_with_a_time_is_read_by_its_date() -> None:
    date = days_from_today(-2)
    (found,) = messages(webex_stack(provisioning={"tokenExpiresOn": f" {date}T23:59:59Z"}), "token-expiry")
    assert found.startswith(f"The SCIM token expired on {date} (2 day(s) ago)")


# -- tenant URL: the offer's row, a secret outside its component, two orgs in one stack -----------------------------


def test_a_secret_outside_any_component_is_judged_against_the_stacks_only_provisioning_job() -> None:
    base = webex_stack(drop=("credentials",))
    loose = resource(TYPES["credentials"], "credentials", {"credentials": [{"key": "BaseAddress", "value": LEGACY}]})
    assert messages([*base, loose], "tenant-url-matches-org") == []


def two_orgs(second_url: str, *, nested: bool = False, **changes: Any) -> list[RecordedResource]:
    """The healthy stack (with `changes`) plus a second org's ProvisioningJob component, its own credentials beneath
    it (`nested`: beneath a component of the user's own under it)."""
    stack = webex_stack(**changes)
    root = next(r for r in stack if r.type == TYPES["root"])
    facts = {"orgId": OTHER_ORG, "offer": "government"}
    job = resource(TYPES["provisioning"], "provisioning-b", facts, parent=root, custom=False)
    between = [resource("acme:index:Wrapper", "wrapper", {}, parent=job, custom=False)] if nested else []
    keys = {"credentials": [{"key": "BaseAddress", "value": second_url}]}
    secret = resource(TYPES["credentials"], "credentials-b", keys, parent=(between or [job])[0])
    return [*stack, job, *between, secret]


def test_each_secret_is_judged_against_the_provisioning_job_it_belongs_to() -> None:
    government = f"https://api-usgov.webex.com/identity/scim/{OTHER_ORG}/v2"
    assert messages(two_orgs(government), "tenant-url-matches-org") == []
    wrong = two_orgs(f"https://api-usgov.webex.com/identity/scim/{ORG_ID}/v2")
    (found,) = violations(wrong, "tenant-url-matches-org")
    assert found.urn == wrong[-1].urn
    assert f"it does not contain the org ID {OTHER_ORG}" in found.message


def test_a_secret_deeper_down_its_provisioning_job_is_still_judged_against_it() -> None:
    wrong = two_orgs(f"https://api-usgov.webex.com/identity/scim/{ORG_ID}/v2", nested=True)
    (found,) = violations(wrong, "tenant-url-matches-org")
    assert found.urn == wrong[-1].urn and f"it does not contain the org ID {OTHER_ORG}" in found.message


@pytest.mark.parametrize(
    ("change", "first"),
    [
        ({"credentials": {"BaseAddress": None}}, "The provisioning credentials have no BaseAddress"),
        ({"credentials": {"BaseAddress": 443}}, "The provisioning credentials have no BaseAddress"),
        ({"provisioning": {"orgId": None}}, "Cannot tell which Webex org"),
        ({"provisioning": {"offer": "enterprise"}}, "Offer 'enterprise' is not a Webex offer"),
    ],
    ids=["no-base-address", "base-address-a-number", "no-org-id", "unknown-offer"],
)
def test_a_secret_the_rule_cannot_judge_is_reported_and_the_next_is_judged(change: dict, first: str) -> None:
    stack = two_orgs(f"https://api-usgov.webex.com/identity/scim/{ORG_ID}/v2", **change)
    found = violations(stack, "tenant-url-matches-org")
    credentials = next(r for r in stack if r.name == "credentials")
    assert [v.urn for v in found] == [credentials.urn, stack[-1].urn]
    assert found[0].message.startswith(first) and found[1].message.startswith("Tenant URL 'https://api-usgov")


def test_a_secret_outside_both_of_two_provisioning_jobs_cannot_be_judged() -> None:
    stack = two_orgs(f"https://api-usgov.webex.com/identity/scim/{OTHER_ORG}/v2")
    loose = resource(TYPES["credentials"], "loose", {"credentials": [{"key": "BaseAddress", "value": COMMERCIAL}]})
    (found,) = messages([*stack, loose], "tenant-url-matches-org")
    assert found.startswith(f"Cannot tell which Webex org the tenant URL {COMMERCIAL!r} is for")


def test_government_setup_passes_a_government_org_with_domains_and_a_loopback_graph() -> None:
    stack = webex_stack(provisioning={"offer": "government", "verifiedDomains": ["gov.contoso.com"]})
    assert messages(stack, "government-setup") == []
    for host in ("127.0.0.1", "localhost", "[::1]"):
        local = webex_stack(provisioning={"graphBaseUrl": f"http://{host}:8080/v1.0"})
        assert messages(local, "government-setup") == [], host


def test_government_setup_passes_a_job_that_names_no_graph() -> None:
    assert messages(webex_stack(provisioning={"graphBaseUrl": None}), "government-setup") == []


@pytest.mark.parametrize("zone", ["<+14>-14", "<-12>+12"], ids=["utc-plus-14", "utc-minus-12"])
def test_the_days_left_are_counted_in_utc_whatever_the_time_zone(zone: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # At any hour one of the two zones is on another date than UTC: a count in local time would be a day off there.
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        date = days_from_today(10)
        (found,) = messages(webex_stack(provisioning={"tokenExpiresOn": date}), "token-expiry")
        assert found.startswith(f"The SCIM token expires on {date}, in 10 day(s) (warning from 30 days)")
    finally:
        monkeypatch.undo()
        time.tzset()


# -- the pack's config schemas, as the engine reads them -----------------------------------------------------------


def test_the_config_schemas_say_what_each_setting_takes() -> None:
    schemas = {p.name: p.config_schema for p in policies() if p.config_schema}
    assert schemas == {
        "username-from-email-attribute": {
            "allowedUserNameSources": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "More Entra attributes accepted as the userName source (single-valued, holding the "
                "primary email; otherMails and proxyAddresses are refused even if listed).",
            }
        },
        "token-expiry": {
            "minDaysLeft": {
                "type": "integer",
                "minimum": 0,
                "default": 30,
                "description": "Warn when fewer than this many days are left before the token expires.",
            }
        },
    }


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"token-expiry": {"minDaysLeft": -1}}, "policy config: token-expiry.minDaysLeft: -1 is below the minimum 0.0"),
        (
            {"token-expiry": {"minDaysLeft": "30"}},
            'policy config: token-expiry.minDaysLeft: expected integer, got "30"',
        ),
        (
            {"username-from-email-attribute": {"allowedUserNameSources": "mail"}},
            'policy config: username-from-email-attribute.allowedUserNameSources: expected array, got "mail"',
        ),
        (
            {"username-from-email-attribute": {"allowedUserNameSources": ["mail", 7]}},
            "policy config: username-from-email-attribute.allowedUserNameSources: [1]: expected string, got 7",
        ),
    ],
    ids=["min-days-below-zero", "min-days-text", "sources-not-a-list", "source-not-text"],
)
def test_a_policy_config_the_schema_refuses_is_a_usage_error(config: dict, problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        evaluate(webex_stack(), config)
    assert str(caught.value) == problem


def test_min_days_left_zero_warns_only_once_expired() -> None:
    config = {"token-expiry": {"minDaysLeft": 0}}
    assert messages(webex_stack(provisioning={"tokenExpiresOn": days_from_today(0)}), "token-expiry", config) == []
