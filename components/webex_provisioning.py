"""The whole portal walk-through as one component: app, assignments, provisioning job (in the article's order)."""

from __future__ import annotations

import pulumi

from policies.vocabulary import WEBEX_PROVISIONING

from .assignments import Assignments, resource_name
from .enterprise_app import WebexEnterpriseApp
from .provisioning_job import ProvisioningJob, graph_base_url
from .settings import StackSettings

PORTAL_PROVISIONING_URL = "https://portal.azure.com/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade/~/Provisioning/objectId/{object_id}/appId/{client_id}"


class WebexProvisioning(pulumi.ComponentResource):
    """Entra ID → Webex user provisioning over SCIM, declared from the stack's settings."""

    def __init__(self, name: str, stack: StackSettings, opts: pulumi.ResourceOptions | None = None) -> None:
        s = stack.settings
        facts = {"orgId": s.org_id, "offer": s.offer, "rollout": s.rollout}
        super().__init__(WEBEX_PROVISIONING, name, facts, opts)
        child = pulumi.ResourceOptions(parent=self)

        # 1-2. Add the Cisco Webex gallery app (or adopt it), hide it, require assignment.
        self.app = WebexEnterpriseApp("app", s.app, graph_base_url=graph_base_url(s), opts=child)

        # 3. Assign users and groups with a Webex role.
        self.assignments = Assignments(
            "assignments",
            s.assignments,
            rollout=s.rollout,
            default_role=s.assignment_role,
            service_principal=self.app.service_principal,
            opts=child,
        )

        # 4-5. Provisioning: Automatic, credentials, notifications, scope, mappings, the pilot user on demand.
        pilot = s.pilot_user
        self.provisioning = ProvisioningJob(
            "provisioning",
            s,
            token=stack.scim_token,
            service_principal=self.app.service_principal,
            pilot_user_object_id=self.assignments.principal_ids[resource_name(pilot)] if pilot else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.assignments]),
        )

        self.tenant_url = s.effective_tenant_url
        self.portal_url = pulumi.Output.all(self.app.object_id, self.app.client_id).apply(
            lambda ids: PORTAL_PROVISIONING_URL.format(object_id=ids[0], client_id=ids[1])
        )
        self.assigned_principals = [f"{a.kind}:{a.ref}" for a in s.assignments]
        self.register_outputs({**facts, "jobId": self.provisioning.job_id, "portalUrl": self.portal_url})
