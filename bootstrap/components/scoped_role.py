"""The deploy identity's right to assign users and groups, limited to the one Cisco Webex enterprise app.

A custom directory role holding only `microsoft.directory/servicePrincipals/appRoleAssignedTo/update`, assigned to
the deploy identity at the scope of the Webex service principal (Microsoft's "Create custom roles to manage
enterprise apps"; custom roles need Microsoft Entra ID P1). The tenant-wide alternative, the Graph application
permission AppRoleAssignment.ReadWrite.All, can grant any app role of any API to anyone: docs/permissions.md.
"""

from __future__ import annotations

import pulumi
import pulumi_azuread as azuread

SCOPED_ROLE_TYPE = "webex-scim-bootstrap:index:ScopedAssignmentRole"
ASSIGNMENTS_ACTION = "microsoft.directory/servicePrincipals/appRoleAssignedTo/update"


class ScopedAssignmentRole(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        *,
        principal_object_id: pulumi.Input[str],
        webex_service_principal: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        scope = pulumi.Output.concat("/", webex_service_principal)
        super().__init__(SCOPED_ROLE_TYPE, name, {"action": ASSIGNMENTS_ACTION, "directoryScopeId": scope}, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = azuread.CustomDirectoryRole(
            f"{name}-role",
            display_name="Webex SCIM assignment manager",
            description="Manages user and group assignments of the one Cisco Webex enterprise app it is scoped to",
            enabled=True,
            version="1.0",
            permissions=[azuread.CustomDirectoryRolePermissionArgs(allowed_resource_actions=[ASSIGNMENTS_ACTION])],
            opts=child,
        )
        self.assignment = azuread.DirectoryRoleAssignment(
            f"{name}-assignment",
            role_id=self.role.object_id,
            principal_object_id=principal_object_id,
            directory_scope_id=scope,
            opts=child,
        )
        self.register_outputs({"roleId": self.role.object_id, "directoryScopeId": scope})
