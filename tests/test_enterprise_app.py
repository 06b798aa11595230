"""The Cisco Webex app at deploy time (SDK mocks, not preview): tags the app carries are kept, HideApp is added
or removed, the client id comes from the service principal the template made, an adopted app keeps its SSO."""

from __future__ import annotations

import pulumi

from components.enterprise_app import WebexEnterpriseApp, with_hide_tag
from components.settings import AppSettings

GALLERY_TAGS = ["WindowsAzureActiveDirectoryIntegratedApp", "WindowsAzureActiveDirectoryGalleryApplicationPrimaryV1"]
SP_OBJECT_ID = "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a"
CLIENT_ID = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
DEPLOYER = "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716"


def test_hide_tag_is_added_once_and_removed_and_nothing_else_changes():
    assert with_hide_tag(GALLERY_TAGS, True) == [*GALLERY_TAGS, "HideApp"]
    assert with_hide_tag([*GALLERY_TAGS, "HideApp"], True) == [*GALLERY_TAGS, "HideApp"]
    assert with_hide_tag(["HideApp", *GALLERY_TAGS], False) == GALLERY_TAGS
    assert with_hide_tag(None, True) == ["HideApp"]


class _Tenant(pulumi.runtime.Mocks):
    """Entra as the provider would answer: the template's service principal and its lookups."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        outputs = dict(args.inputs)
        if args.typ == "azuread:index/applicationFromTemplate:ApplicationFromTemplate":
            outputs.update(
                applicationId="/applications/0a1b2c3d-0000-4000-8000-000000000001",  # a path, not a client id
                applicationObjectId="0a1b2c3d-0000-4000-8000-000000000001",
                servicePrincipalObjectId=SP_OBJECT_ID,
            )
        if args.typ == "azuread:index/servicePrincipal:ServicePrincipal":
            outputs.update(objectId=SP_OBJECT_ID)
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.calls.append((args.token, dict(args.args)))
        if args.token == "azuread:index/getApplicationTemplate:getApplicationTemplate":
            return {"templateId": "webex-template-id"}
        if args.token == "azuread:index/getClientConfig:getClientConfig":
            return {"objectId": DEPLOYER}
        return {
            "clientId": CLIENT_ID,
            "objectId": args.args.get("objectId"),
            "tags": GALLERY_TAGS,
            "preferredSingleSignOnMode": "saml",
            "loginUrl": "",
            "notificationEmailAddresses": ["sso-admins@contoso.com"],
            "alternativeNames": [],
            "description": "",
            "notes": "SSO for Webex",
        }


def _deploy(app: AppSettings) -> tuple[dict, _Tenant]:
    tenant = _Tenant()
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(tenant, project="webex-scim", stack="deploy", preview=False)
    component = WebexEnterpriseApp("app", app)
    sp = component.service_principal
    seen: dict = {}

    @pulumi.runtime.test
    def collect():
        fields = {
            "client_id": sp.client_id,
            "tags": sp.tags,
            "mode": sp.preferred_single_sign_on_mode,
            "login_url": sp.login_url,
            "notes": sp.notes,
            "required": sp.app_role_assignment_required,
            "owners": sp.owners,
        }
        return pulumi.Output.all(**fields).apply(seen.update)

    collect()
    return seen, tenant


def test_new_app_keeps_the_gallery_tags_and_adds_hide_app():
    seen, tenant = _deploy(AppSettings())
    assert seen["client_id"] == CLIENT_ID
    assert seen["tags"] == [*GALLERY_TAGS, "HideApp"]
    assert seen["required"] is True
    lookup = next(args for token, args in tenant.calls if token.endswith("getServicePrincipal"))
    assert lookup == {"objectId": SP_OBJECT_ID}  # the service principal the template made
    template = next(args for token, args in tenant.calls if token.endswith("getApplicationTemplate"))
    assert template == {"displayName": "Cisco Webex"}


def test_visible_app_has_no_hide_tag():
    seen, _ = _deploy(AppSettings(hide_from_users=False))
    assert seen["tags"] == GALLERY_TAGS


def test_adopted_app_keeps_its_sso_settings():
    seen, tenant = _deploy(AppSettings(existing_service_principal_object_id=SP_OBJECT_ID))
    assert seen["mode"] == "saml"
    assert seen["login_url"] is None  # Graph's "" is not sent back as an (invalid) empty URL
    assert seen["notes"] == "SSO for Webex"
    assert seen["tags"] == [*GALLERY_TAGS, "HideApp"]
    assert not [t for t, _ in tenant.calls if t.endswith("getApplicationTemplate")]


def test_new_app_keeps_sso_configured_in_the_portal():
    # F4: the provider writes every SSO field on each update; a new app's portal-made SAML setup must survive it.
    seen, _ = _deploy(AppSettings())
    assert seen["mode"] == "saml"
    assert seen["notes"] == "SSO for Webex"


def test_configured_owners_keep_the_deploying_principal():
    # F3: owners are replaced whole; the identity running `pulumi up` must never remove itself.
    owner = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
    seen, _ = _deploy(AppSettings(owners=[owner]))
    assert seen["owners"] == [owner, DEPLOYER]
    seen, _ = _deploy(AppSettings(owners=[owner, DEPLOYER.upper()]))
    assert seen["owners"] == [owner, DEPLOYER.upper()]


def test_unconfigured_owners_are_not_sent():
    seen, tenant = _deploy(AppSettings())
    assert seen["owners"] is None
    assert not [t for t, _ in tenant.calls if t.endswith("getClientConfig")]
