"""The pipeline identities of webex-scim, as one small Pulumi stack an admin runs once. See docs/bootstrap.md."""

import pulumi
import pulumi_azuread as azuread
from components.identity import PipelineIdentity
from components.permissions import microsoft_graph_app_id
from components.scoped_role import ScopedAssignmentRole

from components.settings import load

settings = load()
# Microsoft Graph's own service principal holds the app roles granted below: read, never managed, by this stack.
graph = azuread.get_service_principal_output(client_id=microsoft_graph_app_id())
identities = {
    role: PipelineIdentity(role, identity, repository=settings.repository, microsoft_graph=graph.object_id)
    for role, identity in settings.identities.items()
}

webex = settings.webex_service_principal_object_id
if webex is None and settings.main_stack is not None:
    webex = pulumi.StackReference(settings.main_stack).require_output("servicePrincipalObjectId")
if webex is not None:
    ScopedAssignmentRole(
        "webex-assignments",
        principal_object_id=identities["deploy"].service_principal.object_id,
        webex_service_principal=webex,
    )
elif "AppRoleAssignment.ReadWrite.All" not in settings.deploy_identity.permissions:
    pulumi.log.warn(
        "the deploy identity cannot assign users and groups to the Cisco Webex app yet: once the app exists, set "
        "webexServicePrincipalObjectId (`pulumi config set webexServicePrincipalObjectId <object ID>`) or mainStack "
        "(`pulumi config set mainStack <org>/webex-scim/<stack>`) and run this stack again (docs/bootstrap.md)"
    )

tenant = azuread.get_client_config_output().tenant_id
pulumi.export("readClientId", identities["read"].client_id)
pulumi.export("deployClientId", identities["deploy"].client_id)
pulumi.export("tenantId", tenant)
pulumi.export("readSubjects", identities["read"].subjects)
pulumi.export("deploySubjects", identities["deploy"].subjects)
# The GitHub variables the workflows read (docs/bootstrap.md): `pulumi stack output workflowVariables`.
pulumi.export(
    "workflowVariables",
    {
        "AZURE_READ_CLIENT_ID": identities["read"].client_id,
        "AZURE_DEPLOY_CLIENT_ID": identities["deploy"].client_id,
        "AZURE_TENANT_ID": tenant,
    },
)
