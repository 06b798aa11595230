"""The program under the SDK mocks: exact resources, names, parents, inputs and options per scenario."""

from __future__ import annotations

import pytest

from offline.render import SECRET, UNKNOWN_TEXT
from tests.support import ORG, by_name, config, inputs, parent_name, run
from webex_scim.errors import UsageError

SP = "azuread:index/servicePrincipal:ServicePrincipal"
ON_DEMAND = "pulumi-python:dynamic/webex:ProvisionOnDemand"
GROUP_ID = "0b0c8a45-7f3e-4c51-9d7b-2a6f1e3c4d5e"
USER_ID = "5d3f2a10-1b2c-4d5e-8f90-a1b2c3d4e5f6"


def types_and_names(result) -> list[tuple[str, str, str | None]]:
    return [(r.type, r.name, parent_name(result, r.name)) for r in result.resources]


def test_new_app_pilot_resources_and_parents():
    result = run(config())
    assert sorted(types_and_names(result)) == sorted(
        [
            ("pulumi:pulumi:Stack", "webex-scim-test", None),
            ("webex-scim:index:WebexProvisioning", "webex", "webex-scim-test"),
            ("webex-scim:index:WebexEnterpriseApp", "app", "webex"),
            ("azuread:index/applicationFromTemplate:ApplicationFromTemplate", "gallery-app", "app"),
            # The wait for the new service principal to replicate, before it is read (F9).
            ("pulumi-python:dynamic/webex:ServicePrincipalReady", "service-principal-ready", "app"),
            (SP, "service-principal", "app"),
            ("webex-scim:index:Assignments", "assignments", "webex"),
            ("azuread:index/appRoleAssignment:AppRoleAssignment", "user-pilot.user@contoso.com", "assignments"),
            ("webex-scim:index:ProvisioningJob", "provisioning", "webex"),
            ("azuread:index/synchronizationSecret:SynchronizationSecret", "credentials", "provisioning"),
            ("azuread:index/synchronizationJob:SynchronizationJob", "job", "provisioning"),
            ("pulumi-python:dynamic/webex:CredentialCheck", "credential-check", "provisioning"),
            ("pulumi-python:dynamic/webex:AttributeMappings", "attribute-mappings", "provisioning"),
            ("pulumi-python:dynamic/webex:JobState", "job-state", "provisioning"),
            (ON_DEMAND, "provision-pilot-user", "provisioning"),
        ]
    )


def test_new_app_inputs():
    result = run(config())
    # The gallery template id is the tenant's to answer (get_application_template): unknown, never invented.
    assert inputs(result, "gallery-app") == {"displayName": "Cisco Webex", "templateId": UNKNOWN_TEXT}
    assert inputs(result, "service-principal") == {
        "appRoleAssignmentRequired": True,
        "clientId": UNKNOWN_TEXT,
        # The app's own tags plus HideApp: its tags are read from the tenant, so unknown in a preview.
        "tags": UNKNOWN_TEXT,
        "useExisting": True,
        # The SSO settings are read from the live service principal on every run and written back as they are
        # (F4: the provider writes every one of them on each update); in a preview the tenant has not answered.
        "alternativeNames": UNKNOWN_TEXT,
        "description": UNKNOWN_TEXT,
        "loginUrl": UNKNOWN_TEXT,
        "notes": UNKNOWN_TEXT,
        "notificationEmailAddresses": UNKNOWN_TEXT,
        "preferredSingleSignOnMode": UNKNOWN_TEXT,
    }
    sp = by_name(result)["service-principal"]
    assert sp.options["retainOnDelete"] is False
    assert by_name(result)["gallery-app"].urn in sp.options["dependencies"]
    # No owners configured: live owners are left alone (F3), and a looked-up template id never replaces the app (F8).
    assert sp.options["ignoreChanges"] == ["owners"]
    assert by_name(result)["gallery-app"].options["ignoreChanges"] == ["templateId"]


def test_app_settings_flow_into_the_service_principal():
    owner = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    app = {"displayName": "Webex (Contoso)", "hideFromUsers": False, "assignmentRequired": False, "owners": [owner]}
    result = run(config(app=app))
    assert inputs(result, "gallery-app")["displayName"] == "Webex (Contoso)"
    sp = inputs(result, "service-principal")
    assert sp["tags"] == UNKNOWN_TEXT
    assert inputs(result, "app")["hideFromUsers"] is False  # what the tags are built from, for reviewers
    assert sp["appRoleAssignmentRequired"] is False
    # Configured owners are managed exactly, with the deploying principal added (get_client_config, unknown here).
    assert sp["owners"] == UNKNOWN_TEXT
    assert by_name(result)["service-principal"].options["ignoreChanges"] == []


def test_template_id_override_skips_the_gallery_lookup():
    template = "1d9e0c52-7a6b-4c3d-9e8f-0a1b2c3d4e5f"
    result = run(config(app={"templateId": template}))
    assert inputs(result, "gallery-app")["templateId"] == template
    assert by_name(result)["gallery-app"].options["ignoreChanges"] == []  # a pinned id changes only on purpose


def test_adopted_app_is_retained_and_no_gallery_app_is_made():
    existing = "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a"
    result = run(config(app={"existingServicePrincipalObjectId": existing}))
    names = by_name(result)
    assert "gallery-app" not in names
    sp = names["service-principal"]
    assert sp.options["retainOnDelete"] is True
    sp_inputs = inputs(result, "service-principal")
    assert sp_inputs["useExisting"] is True
    assert sp_inputs["clientId"] == UNKNOWN_TEXT  # read from the existing service principal at deploy time
    assert sp_inputs["tags"] == UNKNOWN_TEXT
    # What we do not manage is carried over from the existing service principal, not cleared.
    for carried in (
        "preferredSingleSignOnMode",
        "loginUrl",
        "notificationEmailAddresses",
        "alternativeNames",
        "description",
        "notes",
    ):
        assert sp_inputs[carried] == UNKNOWN_TEXT, carried


def test_pilot_assignment_targets_the_service_principal():
    result = run(config())
    a = inputs(result, "user-pilot.user@contoso.com")
    assert a == {"appRoleId": UNKNOWN_TEXT, "principalObjectId": UNKNOWN_TEXT, "resourceObjectId": UNKNOWN_TEXT}


def test_full_rollout_with_users_and_groups():
    assignments = [
        {"user": "alice@contoso.com"},
        {"user": USER_ID, "role": "User"},
        {"group": "Webex Users"},
        {"group": GROUP_ID},
    ]
    result = run(config(rollout="full", assignments=assignments))
    kinds = [r.name for r in result.resources if r.type.endswith("AppRoleAssignment")]
    # Registration order follows the lookups, not the config order.
    assert sorted(kinds) == sorted(
        ["user-alice@contoso.com", f"user-{USER_ID}", "group-webex users", f"group-{GROUP_ID}"]
    )
    assert all(parent_name(result, n) == "assignments" for n in kinds)
    # Object IDs given in config are used as they are; UPNs and group names are the tenant's to resolve.
    assert inputs(result, f"user-{USER_ID}")["principalObjectId"] == USER_ID
    assert inputs(result, f"group-{GROUP_ID}")["principalObjectId"] == GROUP_ID
    assert inputs(result, "group-webex users")["principalObjectId"] == UNKNOWN_TEXT
    assert "provision-pilot-user" not in by_name(result)
    component = inputs(result, "assignments")
    assert component["rollout"] == "full"
    assert component["principals"][1] == {"kind": "user", "ref": USER_ID, "role": "User"}


@pytest.mark.parametrize(
    ("offer", "url"),
    [
        ("commercial", f"https://webexapis.com/identity/scim/{ORG}/v2"),
        ("government", f"https://api-usgov.webex.com/identity/scim/{ORG}/v2"),
    ],
)
def test_offers_pick_the_tenant_url(offer, url):
    result = run(config(offer=offer))
    creds = {c["key"]: c["value"] for c in inputs(result, "credentials")["credentials"]}
    assert creds == {
        "BaseAddress": url,
        "SecretToken": SECRET,
        "SyncNotificationSettings": '{"Enabled":true,"Recipients":"webex-admins@contoso.com",'
        '"DeleteThresholdEnabled":true,"DeleteThresholdValue":500}',
        "SyncAll": "false",
    }
    assert inputs(result, "provisioning")["offer"] == offer
    assert display_outputs(result)["tenantUrl"] == url


def test_tenant_url_override_and_scope_all_and_threshold_off():
    url = f"https://api.ciscospark.com/v1/scim/{ORG}"
    result = run(config(tenantUrl=url, provisioning={"templateId": "ciscowebex", "scope": "all", "deleteThreshold": 0}))
    creds = {c["key"]: c["value"] for c in inputs(result, "credentials")["credentials"]}
    assert creds["BaseAddress"] == url
    assert creds["SyncAll"] == "true"
    assert '"DeleteThresholdEnabled":false' in creds["SyncNotificationSettings"]


def test_job_is_created_stopped_and_switched_on_once_credentials_and_mappings_exist():
    result = run(config())
    names = by_name(result)
    assert inputs(result, "job") == {"enabled": False, "servicePrincipalId": UNKNOWN_TEXT, "templateId": "ciscowebex"}
    assert names["job"].options["ignoreChanges"] == ["enabled"]  # JobState owns On/Off
    state = inputs(result, "job-state")
    assert state == {
        "enabled": True,
        "graphBaseUrl": "https://graph.microsoft.com/v1.0",
        "jobId": UNKNOWN_TEXT,
        "servicePrincipalId": UNKNOWN_TEXT,
    }
    deps = names["job-state"].options["dependencies"]
    assert names["credentials"].urn in deps and names["attribute-mappings"].urn in deps
    off = run(config(provisioning={"templateId": "ciscowebex", "enabled": False}))
    assert inputs(off, "job-state")["enabled"] is False


def test_sync_template_is_looked_up_when_not_overridden():
    result = run(config(provisioning={}))
    names = by_name(result)
    assert names["sync-template"].type == "pulumi-python:dynamic/webex:SynchronizationTemplate"
    assert inputs(result, "sync-template") == {
        "graphBaseUrl": "https://graph.microsoft.com/v1.0",
        "servicePrincipalId": UNKNOWN_TEXT,
    }
    assert inputs(result, "job")["templateId"] == UNKNOWN_TEXT  # the tenant answers at deploy time
    assert "sync-template" not in by_name(run(config()))  # the override skips the lookup


def test_credentials_are_validated_before_they_are_saved():
    result = run(config())
    names = by_name(result)
    check = inputs(result, "credential-check")
    assert check["token"] == SECRET
    assert check["tenantUrl"] == f"https://webexapis.com/identity/scim/{ORG}/v2"
    assert names["credential-check"].urn in names["credentials"].options["dependencies"]


def test_mappings_follow_the_secret_and_carry_the_webex_defaults():
    result = run(config())
    names = by_name(result)
    assert names["credentials"].urn in names["attribute-mappings"].options["dependencies"]
    m = inputs(result, "attribute-mappings")
    rows = {r["target"]: r for r in m["userMappings"]}
    assert rows["userName"]["source"] == "userPrincipalName" and rows["userName"]["matchingPriority"] == 1
    assert rows["externalId"]["source"] == "objectId"
    assert m["groupObjects"] is False and m["scopingFilter"] == [] and m["removedTargets"] == []


def test_pilot_user_is_provisioned_on_demand_with_the_rule_id():
    result = run(config())
    names = by_name(result)
    on_demand = inputs(result, "provision-pilot-user")
    assert (on_demand["ruleId"], on_demand["objectId"], on_demand["objectTypeName"]) == (
        UNKNOWN_TEXT,
        UNKNOWN_TEXT,
        "User",
    )
    deps = names["provision-pilot-user"].options["dependencies"]
    assert names["credentials"].urn in deps and names["attribute-mappings"].urn in deps
    # A pilot given by object ID is used as written.
    by_id = run(config(assignments=[{"user": USER_ID}]))
    assert inputs(by_id, "provision-pilot-user")["objectId"] == USER_ID


def test_restart_only_when_requested():
    assert "restart" not in by_name(run(config()))
    result = run(config(provisioning={"templateId": "ciscowebex", "restartRequest": "2026-11-26-quarantine"}))
    assert inputs(result, "restart")["requestId"] == "2026-11-26-quarantine"


def display_outputs(result):
    from offline.render import display_inputs

    return display_inputs(result.outputs)


def test_exports():
    outputs = display_outputs(run(config()))
    assert outputs == {
        "assignedPrincipals": ["user:pilot.user@contoso.com"],
        "clientId": UNKNOWN_TEXT,
        "jobId": UNKNOWN_TEXT,
        "provisioningPortalUrl": UNKNOWN_TEXT,
        "servicePrincipalObjectId": UNKNOWN_TEXT,
        "tenantUrl": f"https://webexapis.com/identity/scim/{ORG}/v2",
    }


def test_missing_token_is_an_error_under_the_real_cli():
    """Run as `pulumi preview` would with no scimToken: the program refuses with the command to run."""
    with pytest.raises(UsageError) as err:
        run(config(), token=None)
    assert "webex-scim:scimToken: required but not set" in str(err.value)
    assert "pulumi config set --secret scimToken" in str(err.value)
