"""One pipeline identity: an app registration, its service principal, a federated credential per GitHub environment
it serves, and its Microsoft Graph application permissions granted as app role assignments (admin consent).

The component's own inputs (`role`, `permissions`, `acceptTenantWide`, `subjects`) are what the policy pack reads
to judge the grants below it: a write permission on the read identity, or a tenant-wide one nobody accepted.
"""

from __future__ import annotations

import pulumi
import pulumi_azuread as azuread

from .permissions import permissions
from .settings import GITHUB_AUDIENCE, GITHUB_ISSUER, IdentitySettings

IDENTITY_TYPE = "webex-scim-bootstrap:index:PipelineIdentity"


def github_subject(repository: str, environment: str) -> str:
    """The `sub` claim of a GitHub Actions OIDC token for a job that runs in `environment` of `repository`."""
    return f"repo:{repository}:environment:{environment}"


class PipelineIdentity(pulumi.ComponentResource):
    def __init__(
        self,
        role: str,
        identity: IdentitySettings,
        *,
        repository: str,
        microsoft_graph: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        subjects = [github_subject(repository, env) for env in identity.environments]
        # What the pack judges the grants below by. Registered as the component's inputs and again as its outputs:
        # the real engine hands a stack policy a component's outputs, the offline engine its inputs.
        said = {
            "role": role,
            "displayName": identity.display_name,
            "subjects": subjects,
            "permissions": list(identity.permissions),
            "acceptTenantWide": list(identity.accept_tenant_wide),
        }
        super().__init__(IDENTITY_TYPE, role, said, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.subjects = subjects
        self.application = azuread.Application(f"{role}-app", display_name=identity.display_name, opts=child)
        self.service_principal = azuread.ServicePrincipal(
            f"{role}-sp", client_id=self.application.client_id, opts=child
        )
        for environment, subject in zip(identity.environments, subjects, strict=True):
            azuread.ApplicationFederatedIdentityCredential(
                f"{role}-github-{environment}",
                application_id=self.application.id,
                display_name=f"github-{environment}",
                description=f"GitHub Actions jobs of {repository} in its `{environment}` environment",
                issuer=GITHUB_ISSUER,
                audiences=[GITHUB_AUDIENCE],
                subject=subject,
                opts=child,
            )
        for name in identity.permissions:
            azuread.AppRoleAssignment(
                f"{role}-{name}",
                app_role_id=permissions()[name].app_role_id,
                principal_object_id=self.service_principal.object_id,
                resource_object_id=microsoft_graph,
                opts=child,
            )
        self.client_id = self.application.client_id
        self.register_outputs({**said, "clientId": self.client_id})
