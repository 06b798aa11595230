"""The azuread resources the identity bootstrap (bootstrap/) needs beyond the main program's, for the test provider:
app registrations, federated identity credentials, custom directory roles and their assignments.

Each follows terraform-provider-azuread (read at commit f0169e0), the source file named in its class: its schema
(Required/Optional/Computed, ForceNew, defaults), the Graph calls of create/read/update/delete, its id format, the
waits for replication. The loopback Graph serves these calls from tests/graph_identity.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph_directory import DEPLOYER_OBJECT_ID

from real_engine.bridge import Prop, ProviderError, Resource, object_id, or_none


def _bind(graph_base: str, ids: list[str]) -> list[str]:
    """`owners@odata.bind` values: …/directoryObjects/{id}."""
    return [f"{graph_base}/directoryObjects/{i}" for i in ids]


class Application(Resource):
    """internal/services/applications/application_resource.go (the arguments this project sets, and what it reads).

    Create sends the calling principal among the owners, then removes it when `owners` does not name it; owners is
    Optional, not Computed, so owners someone adds later are removed by the next update, as for service principals.
    """

    token = "azuread:index/application:Application"
    schema = {
        "displayName": Prop("required", ""),
        "owners": Prop("optional", [], is_set=True),
        "signInAudience": Prop("optional", "AzureADMyOrg"),  # Default: AzureADMyOrg
        "preventDuplicateNames": Prop("optional", False),  # its duplicate-name check is not in the test provider
        "clientId": Prop("computed"),
        "objectId": Prop("computed"),
        "publisherDomain": Prop("computed"),
        "disabledByMicrosoft": Prop("computed"),
    }
    replace_on_change = frozenset()  # no top-level argument of this resource is ForceNew

    def create(self, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        owners = list(news.get("owners") or [])
        made = self.graph.call(
            "POST",
            "/applications",
            body={
                "displayName": news["displayName"],
                "signInAudience": news.get("signInAudience") or "AzureADMyOrg",
                "owners@odata.bind": _bind(str(self.graph.http.base_url), [DEPLOYER_OBJECT_ID, *owners]),
            },
        )
        id_ = f"/applications/{made['id']}"
        self.graph.wait_for(id_)
        if DEPLOYER_OBJECT_ID not in owners:
            self.graph.call("DELETE", f"{id_}/owners/{DEPLOYER_OBJECT_ID}/$ref")
        return id_, self.read(id_, news) or {}

    def read(self, id_: str, state: dict[str, Any]) -> dict[str, Any] | None:
        app = self.graph.call("GET", id_, ok404=True)
        if app is None:
            return None
        owners = [o["id"] for o in self.graph.call("GET", f"{id_}/owners")["value"]]
        return {
            "displayName": app["displayName"],
            "owners": owners,
            "signInAudience": app.get("signInAudience") or "",
            "preventDuplicateNames": bool(state.get("preventDuplicateNames")),
            "clientId": app["appId"],
            "objectId": app["id"],
            "publisherDomain": app.get("publisherDomain") or "",
            "disabledByMicrosoft": app.get("disabledByMicrosoftStatus") or "",
        }

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any], changed: set[str]) -> dict[str, Any]:
        self.graph.call(
            "PATCH",
            id_,
            body={"displayName": news["displayName"], "signInAudience": news.get("signInAudience") or "AzureADMyOrg"},
        )
        if "owners" in changed:
            raise ProviderError("the test provider does not change an application's owners (the bootstrap sets none)")
        return self.read(id_, news) or {}

    def delete(self, id_: str, state: dict[str, Any]) -> None:
        self.graph.call("DELETE", id_, ok404=True)
        self.graph.wait_for(id_, present=False)


class ApplicationFederatedIdentityCredential(Resource):
    """internal/services/applications/application_federated_identity_credential_resource.go"""

    token = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
    schema = {
        "applicationId": Prop("required", ""),
        "audiences": Prop("required", []),  # TypeList, MaxItems 1
        "displayName": Prop("required", ""),
        "issuer": Prop("required", ""),
        "subject": Prop("required", ""),
        "description": Prop("optional", ""),
        "credentialId": Prop("computed"),
    }
    replace_on_change = frozenset({"applicationId", "displayName"})

    @staticmethod
    def _ids(id_: str) -> tuple[str, str]:
        """`{app object id}/federatedIdentityCredential/{credential id}` (parse.FederatedIdentityCredentialID)."""
        parts = id_.split("/")
        if len(parts) != 3 or parts[1] != "federatedIdentityCredential":
            raise ProviderError(f"parsing {id_!r}: expected {{objectId}}/federatedIdentityCredential/{{keyId}}")
        return parts[0], parts[2]

    @staticmethod
    def _body(news: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "audiences": list(news.get("audiences") or []),
            "description": news.get("description") or "",
            "issuer": news["issuer"],
            "name": news["displayName"],
            "subject": news["subject"],
        }

    def create(self, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        app_id = object_id(news["applicationId"], "applications")
        self.graph.call("GET", f"/applications/{app_id}")
        made = self.graph.call("POST", f"/applications/{app_id}/federatedIdentityCredentials", body=self._body(news))
        self.graph.wait_for(f"/applications/{app_id}/federatedIdentityCredentials/{made['id']}")
        id_ = f"{app_id}/federatedIdentityCredential/{made['id']}"
        return id_, self.read(id_, news) or {}

    def read(self, id_: str, state: dict[str, Any]) -> dict[str, Any] | None:
        app_id, cred_id = self._ids(id_)
        found = self.graph.call("GET", f"/applications/{app_id}/federatedIdentityCredentials/{cred_id}", ok404=True)
        if found is None:
            return None
        return {
            "applicationId": f"/applications/{app_id}",
            "credentialId": cred_id,
            "audiences": list(found.get("audiences") or []),
            "description": found.get("description") or "",
            "displayName": found["name"],
            "issuer": found["issuer"],
            "subject": found["subject"],
        }

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any], changed: set[str]) -> dict[str, Any]:
        app_id, cred_id = self._ids(id_)
        body = {"id": cred_id, **self._body(news)}  # the name is immutable, yet required in the body
        self.graph.call("PATCH", f"/applications/{app_id}/federatedIdentityCredentials/{cred_id}", body=body)
        return self.read(id_, news) or {}

    def delete(self, id_: str, state: dict[str, Any]) -> None:
        app_id, cred_id = self._ids(id_)
        path = f"/applications/{app_id}/federatedIdentityCredentials/{cred_id}"
        self.graph.call("DELETE", path, ok404=True)
        self.graph.wait_for(path, present=False)


class CustomDirectoryRole(Resource):
    """internal/services/directoryroles/custom_directory_role_resource.go"""

    token = "azuread:index/customDirectoryRole:CustomDirectoryRole"
    schema = {
        "displayName": Prop("required", ""),
        "enabled": Prop("required", False),
        "permissions": Prop("required", [], is_set=True),  # TypeSet of {allowedResourceActions: TypeSet}
        "version": Prop("required", ""),
        "description": Prop("optional", ""),
        "templateId": Prop("optional+computed"),
        "objectId": Prop("computed"),
    }
    replace_on_change = frozenset({"templateId"})

    @staticmethod
    def _body(news: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "description": or_none(news.get("description")),
            "displayName": news["displayName"],
            "isEnabled": bool(news.get("enabled")),
            "rolePermissions": [
                {"allowedResourceActions": list(p.get("allowedResourceActions") or [])}
                for p in news.get("permissions") or []
            ],
            "templateId": or_none(news.get("templateId")),
            "version": news.get("version"),
        }

    def create(self, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        made = self.graph.call("POST", "/roleManagement/directory/roleDefinitions", body=self._body(news))
        id_ = f"/roleManagement/directory/roleDefinitions/{made['id']}"
        return id_, self.read(id_, news) or {}

    def read(self, id_: str, state: dict[str, Any]) -> dict[str, Any] | None:
        role = self.graph.call("GET", id_, ok404=True)
        if role is None:
            return None
        return {
            "description": role.get("description") or "",
            "displayName": role.get("displayName") or "",
            "enabled": bool(role.get("isEnabled")),
            "objectId": role["id"],
            "permissions": [
                {"allowedResourceActions": list(p.get("allowedResourceActions") or [])}
                for p in role.get("rolePermissions") or []
            ],
            "templateId": role.get("templateId") or "",
            "version": role.get("version") or "",
        }

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any], changed: set[str]) -> dict[str, Any]:
        self.graph.call("PATCH", id_, body=self._body(news))
        return self.read(id_, news) or {}

    def delete(self, id_: str, state: dict[str, Any]) -> None:
        if self.graph.call("GET", id_, ok404=True) is not None:
            self.graph.call("DELETE", id_)


class DirectoryRoleAssignment(Resource):
    """internal/services/directoryroles/directory_role_assignment_resource.go (every argument ForceNew)."""

    token = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"
    schema = {
        "roleId": Prop("required", ""),
        "principalObjectId": Prop("required", ""),
        "appScopeId": Prop("optional+computed"),
        "directoryScopeId": Prop("optional+computed"),
    }
    replace_on_change = frozenset({"roleId", "principalObjectId", "appScopeId", "directoryScopeId"})

    def create(self, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        body = {"principalId": news["principalObjectId"], "roleDefinitionId": news["roleId"]}
        if news.get("appScopeId"):
            body["appScopeId"] = news["appScopeId"]
        else:  # neither scope given: the whole directory
            body["directoryScopeId"] = news.get("directoryScopeId") or "/"
        made = self.graph.call("POST", "/roleManagement/directory/roleAssignments", body=body)
        id_ = f"/roleManagement/directory/roleAssignments/{made['id']}"
        self.graph.wait_for(id_)
        return id_, self.read(id_, news) or {}

    def read(self, id_: str, state: dict[str, Any]) -> dict[str, Any] | None:
        found = self.graph.call("GET", id_, ok404=True)
        if found is None:
            return None
        return {
            "appScopeId": found.get("appScopeId") or "",
            "directoryScopeId": found.get("directoryScopeId") or "",
            "principalObjectId": found.get("principalId") or "",
            "roleId": found.get("roleDefinitionId") or "",
        }

    def delete(self, id_: str, state: dict[str, Any]) -> None:
        self.graph.call("DELETE", id_, ok404=True)


RESOURCES = [Application, ApplicationFederatedIdentityCredential, CustomDirectoryRole, DirectoryRoleAssignment]
