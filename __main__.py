"""Entra ID → Cisco Webex user provisioning (SCIM), as one Pulumi stack. See README.md."""

import pulumi

from components import settings
from components.webex_provisioning import WebexProvisioning

stack = settings.load()
webex = WebexProvisioning("webex", stack)

pulumi.export("servicePrincipalObjectId", webex.app.object_id)
pulumi.export("clientId", webex.app.client_id)
pulumi.export("jobId", webex.provisioning.job_id)
pulumi.export("tenantUrl", webex.tenant_url)
pulumi.export("provisioningPortalUrl", webex.portal_url)
pulumi.export("assignedPrincipals", webex.assigned_principals)
