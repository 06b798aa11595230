"""Portal steps 1-2: add the Cisco Webex gallery app (or adopt the one SSO setup made), hide it, require assignment."""

from __future__ import annotations

import pulumi
import pulumi_azuread as azuread

from . import catalog
from .settings import AppSettings


class WebexEnterpriseApp(pulumi.ComponentResource):
    """The Cisco Webex enterprise application and its service principal.

    New app: `ApplicationFromTemplate` instantiates the gallery template (it manages none of the app's
    properties), then `ServicePrincipal(use_existing=True)` takes over the service principal the template made,
    to set "Visible to users? = No" and "Assignment required? = Yes".

    Adopted app: SSO setup already created the app, so only its service principal is managed, with
    `retain_on_delete`: destroying this stack must never delete an app that sign-in depends on.
    """

    service_principal: azuread.ServicePrincipal
    object_id: pulumi.Output[str]
    client_id: pulumi.Output[str]

    def __init__(self, name: str, app: AppSettings, opts: pulumi.ResourceOptions | None = None) -> None:
        adopted = app.existing_service_principal_object_id
        facts = {"displayName": app.display_name, "adopted": adopted is not None, "templateId": app.template_id}
        super().__init__("webex-scim:index:WebexEnterpriseApp", name, facts, opts)
        # Replace the whole tag set the way the portal does: keep the "enterprise app" and "gallery" tags a gallery
        # instance carries (dropping them hides the app from the Enterprise applications list), add HideApp if asked.
        feature_tags = [azuread.ServicePrincipalFeatureTagArgs(enterprise=True, gallery=True, hide=app.hide_from_users)]

        if adopted:
            existing = azuread.get_service_principal_output(
                object_id=adopted, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            client_id: pulumi.Input[str] = existing.client_id
            # use_existing rewrites the service principal from our inputs: carry its sign-in settings over,
            # or adopting the app would switch off the SAML SSO it already serves.
            extra = {
                "preferred_single_sign_on_mode": existing.preferred_single_sign_on_mode,
                "login_url": existing.login_url,
                "notification_email_addresses": existing.notification_email_addresses,
            }
            sp_opts = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        else:
            template_id = (
                app.template_id
                or azuread.get_application_template_output(
                    display_name=catalog.catalog()["galleryAppName"], opts=pulumi.InvokeOutputOptions(parent=self)
                ).template_id
            )
            self.application = azuread.ApplicationFromTemplate(
                "gallery-app",
                display_name=app.display_name,
                template_id=template_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            client_id = self.application.application_id
            extra = {}
            sp_opts = pulumi.ResourceOptions(parent=self, depends_on=[self.application])

        self.service_principal = azuread.ServicePrincipal(
            "service-principal",
            client_id=client_id,
            use_existing=True,
            feature_tags=feature_tags,
            app_role_assignment_required=app.assignment_required,
            owners=app.owners or None,
            opts=sp_opts,
            **extra,
        )
        self.object_id = self.service_principal.object_id
        self.client_id = self.service_principal.client_id
        self.register_outputs({**facts, "objectId": self.object_id, "clientId": self.client_id})
