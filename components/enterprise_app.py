"""Portal steps 1-2: add the Cisco Webex gallery app (or adopt the one SSO setup made), hide it, require assignment."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_azuread as azuread

from . import catalog
from .settings import AppSettings

HIDE_APP_TAG = "HideApp"  # the portal's "Visible to users? = No"


def with_hide_tag(tags: Sequence[str] | None, hide: bool) -> list[str]:
    """The service principal's tags with HideApp added or removed, and every other tag kept as it was.

    Tags are one list that a write replaces whole: the gallery and SSO tags the app already carries (which the
    portal relies on to list and configure it) must go back unchanged.
    """
    kept = [t for t in (tags or []) if t != HIDE_APP_TAG]
    return [*kept, HIDE_APP_TAG] if hide else kept


def _or_none(value: str | None) -> str | None:
    """Graph reports an unset string as "", which the provider's validators refuse as an input."""
    return value or None


class WebexEnterpriseApp(pulumi.ComponentResource):
    """The Cisco Webex enterprise application and its service principal.

    New app: `ApplicationFromTemplate` instantiates the gallery template (it manages none of the app's
    properties), then `ServicePrincipal(use_existing=True)` takes over the service principal the template made,
    to set "Visible to users? = No" and "Assignment required? = Yes".

    Adopted app: SSO setup already created the app, so only its service principal is managed, with
    `retain_on_delete`: destroying this stack must never delete an app that sign-in depends on.

    Either way `use_existing` rewrites the service principal from our inputs, so what we do not manage is read
    from the existing one and written back as it was (tags, SSO mode and settings, notes).
    """

    service_principal: azuread.ServicePrincipal
    object_id: pulumi.Output[str]
    client_id: pulumi.Output[str]

    def __init__(self, name: str, app: AppSettings, opts: pulumi.ResourceOptions | None = None) -> None:
        adopted = app.existing_service_principal_object_id
        facts = {
            "displayName": app.display_name,
            "adopted": adopted is not None,
            "templateId": app.template_id,
            "hideFromUsers": app.hide_from_users,
            "assignmentRequired": app.assignment_required,
        }
        super().__init__("webex-scim:index:WebexEnterpriseApp", name, facts, opts)
        lookup = pulumi.InvokeOutputOptions(parent=self)

        if adopted:
            existing = azuread.get_service_principal_output(object_id=adopted, opts=lookup)
            # The SSO settings of the app sign-in already uses.
            extra = {
                "preferred_single_sign_on_mode": existing.preferred_single_sign_on_mode.apply(_or_none),
                "login_url": existing.login_url.apply(_or_none),
                "notification_email_addresses": existing.notification_email_addresses,
                "alternative_names": existing.alternative_names,
                "description": existing.description.apply(_or_none),
                "notes": existing.notes.apply(_or_none),
            }
            sp_opts = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        else:
            template_id = (
                app.template_id
                or azuread.get_application_template_output(
                    display_name=catalog.catalog()["galleryAppName"], opts=lookup
                ).template_id
            )
            self.application = azuread.ApplicationFromTemplate(
                "gallery-app",
                display_name=app.display_name,
                template_id=template_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            # The template made the service principal; its client id and tags are read from it (the template
            # resource's `application_id` is a resource path, not the client id).
            existing = azuread.get_service_principal_output(
                object_id=self.application.service_principal_object_id, opts=lookup
            )
            extra = {}
            sp_opts = pulumi.ResourceOptions(parent=self, depends_on=[self.application])

        self.service_principal = azuread.ServicePrincipal(
            "service-principal",
            client_id=existing.client_id,
            use_existing=True,
            tags=existing.tags.apply(lambda tags: with_hide_tag(tags, app.hide_from_users)),
            app_role_assignment_required=app.assignment_required,
            owners=app.owners or None,
            opts=sp_opts,
            **extra,
        )
        self.object_id = self.service_principal.object_id
        self.client_id = self.service_principal.client_id
        self.register_outputs({**facts, "objectId": self.object_id, "clientId": self.client_id})
