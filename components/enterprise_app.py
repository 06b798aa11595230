"""Portal steps 1-2: add the Cisco Webex gallery app (or adopt the one SSO setup made), hide it, require assignment."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_azuread as azuread

from policies.vocabulary import ENTERPRISE_APP, HIDE_APP_TAG

from . import catalog
from .graph.errors import DEFAULT_GRAPH_BASE_URL
from .graph.resources import ServicePrincipalReady
from .settings import AppSettings


def with_hide_tag(tags: Sequence[str] | None, hide: bool) -> list[str]:
    """The service principal's tags with HideApp added or removed, and every other tag kept as it was.

    Tags are one list that a write replaces whole: the gallery and SSO tags the app already carries (which the
    portal relies on to list and configure it) must go back unchanged.
    """
    kept = [t for t in (tags or []) if t != HIDE_APP_TAG]
    return [*kept, HIDE_APP_TAG] if hide else kept


def _owners_with(configured: Sequence[str], deployer: str) -> list[str]:
    """The configured owners and the deploying principal, each once (object ids compare case-insensitively)."""
    wanted = list(configured)
    if deployer and deployer.lower() not in {o.lower() for o in wanted}:
        wanted.append(deployer)
    return wanted


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
    from the live one on every run and written back as it was (tags, SSO mode and settings, notes); owners are
    left alone unless configured.
    """

    service_principal: azuread.ServicePrincipal
    object_id: pulumi.Output[str]
    client_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        app: AppSettings,
        *,
        graph_base_url: str = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        adopted = app.existing_service_principal_object_id
        facts = {
            "displayName": app.display_name,
            "adopted": adopted is not None,
            "templateId": app.template_id,
            "hideFromUsers": app.hide_from_users,
            "assignmentRequired": app.assignment_required,
        }
        super().__init__(ENTERPRISE_APP, name, facts, opts)
        lookup = pulumi.InvokeOutputOptions(parent=self)

        # Owners are Optional and not Computed in the provider: unset, the next `pulumi up` would remove every live
        # owner (and with Application.ReadWrite.OwnedBy the deploying identity itself). Configured owners are
        # managed exactly, plus the deploying principal so it keeps its rights; otherwise live owners are left alone.
        if app.owners:
            deployer = azuread.get_client_config_output(opts=lookup).object_id
            owners: pulumi.Input[list[str]] | None = deployer.apply(lambda me: _owners_with(app.owners, me))
            ignore: list[str] = []
        else:
            owners, ignore = None, ["owners"]

        self.ready: ServicePrincipalReady | None = None
        if adopted:
            sp_object_id: pulumi.Input[str] = adopted
            # Never destroy an app sign-in depends on (the provider deletes even a `use_existing` one).
            sp_opts = pulumi.ResourceOptions(parent=self, retain_on_delete=True, ignore_changes=ignore)
        else:
            template_id = app.template_id or (
                azuread.get_application_template_output(
                    display_name=catalog.catalog()["galleryAppName"], opts=lookup
                ).template_id
            )
            self.application = azuread.ApplicationFromTemplate(
                "gallery-app",
                display_name=app.display_name,
                template_id=template_id,
                # A template id looked up on every run must never replace the app (new app, new service principal,
                # new job, SSO gone) because the gallery answered differently; a pinned one changes only on purpose.
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=[] if app.template_id else ["templateId"]),
            )
            # The template made the service principal (the template resource's `application_id` is a resource
            # path, not the client id). The provider waits for the application only: wait for the service principal
            # too before reading it, or Graph replication fails the first `pulumi up` (F9).
            self.ready = ServicePrincipalReady(
                "service-principal-ready",
                service_principal_id=self.application.service_principal_object_id,
                graph_base_url=graph_base_url,
                opts=pulumi.ResourceOptions(parent=self),
            )
            sp_object_id = self.ready.servicePrincipalId
            sp_opts = pulumi.ResourceOptions(parent=self, depends_on=[self.application], ignore_changes=ignore)

        # Read the service principal as it is now, on every run: `use_existing` and every later update write the
        # whole object from our inputs (terraform-provider-azuread service_principal_resource.go sends each of these
        # fields, a missing one as null), so what we do not manage goes back as it was — the gallery tags, and the
        # SSO settings an admin may configure in the portal at any time, for a new app as for an adopted one.
        existing = azuread.get_service_principal_output(object_id=sp_object_id, opts=lookup)
        sso = {
            "preferred_single_sign_on_mode": existing.preferred_single_sign_on_mode.apply(_or_none),
            "login_url": existing.login_url.apply(_or_none),
            "notification_email_addresses": existing.notification_email_addresses,
            "alternative_names": existing.alternative_names,
            "description": existing.description.apply(_or_none),
            "notes": existing.notes.apply(_or_none),
        }
        self.service_principal = azuread.ServicePrincipal(
            "service-principal",
            client_id=existing.client_id,
            use_existing=True,
            tags=existing.tags.apply(lambda tags: with_hide_tag(tags, app.hide_from_users)),
            app_role_assignment_required=app.assignment_required,
            owners=owners,
            opts=sp_opts,
            **sso,
        )
        self.object_id = self.service_principal.object_id
        self.client_id = self.service_principal.client_id
        self.register_outputs({**facts, "objectId": self.object_id, "clientId": self.client_id})
