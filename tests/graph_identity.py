"""The identity half of the loopback Graph tenant: app registrations and the service principals made for them, their
owners, federated identity credentials, Microsoft Graph's own service principal with its application permissions
as app roles, app role assignments to service principals (admin consent), custom directory roles and their
assignments: what the bootstrap program (bootstrap/) makes through the azuread provider. Graph v1.0 paths and shapes.

It extends `graph_directory.Directory` (asked before the directory's own routes): `IdentityDirectory.attach(server)`
on a `graph_server.GraphTestServer`. A test reads what the tenant holds from the attached object.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph_directory import Directory, service_principal

MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
MICROSOFT_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"  # the tenant that owns Microsoft's first-party apps
# The application permissions Microsoft Graph's service principal offers here: the bootstrap's table, as app roles.
GRAPH_PERMISSIONS = Path(__file__).resolve().parents[1] / "bootstrap" / "policies" / "graph_permissions.json"
_ACTION = re.compile(r"^microsoft\.directory/[A-Za-z.]+/[A-Za-z./]+$")
_ONE_OBJECT = re.compile(r"^/([0-9a-f-]{36})$")


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": code, "message": message, "innerError": {"request-id": "req-0001"}}}


def _not_found(kind: str, ident: str) -> tuple[int, dict[str, Any]]:
    return _error(404, "Request_ResourceNotFound", f"Resource '{ident}' does not exist. ({kind})")


def _bound(body: dict[str, Any]) -> list[str]:
    """The object ids of `owners@odata.bind` (…/directoryObjects/{id} URLs)."""
    return [str(url).rstrip("/").rsplit("/", 1)[-1] for url in body.get("owners@odata.bind") or []]


@dataclass
class IdentityDirectory:
    directory: Directory = field(repr=False)
    credentials: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # app object id -> id -> FIC
    role_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    role_assignments: dict[str, dict[str, Any]] = field(default_factory=dict)
    microsoft_graph: str = ""  # the object id of Microsoft Graph's service principal

    @classmethod
    def attach(cls, server: Any) -> IdentityDirectory:
        """Plug into the server's directory and seed Microsoft Graph's service principal, as every tenant has it."""
        extension = cls(server.directory)
        server.directory.extensions.append(extension)
        extension.microsoft_graph = extension._add_microsoft_graph()
        return extension

    def _add_microsoft_graph(self) -> str:
        table = json.loads(GRAPH_PERMISSIONS.read_text())["permissions"]
        roles = [
            {
                "allowedMemberTypes": ["Application"],
                "description": f"{name} (application permission)",
                "displayName": name,
                "id": row["id"],
                "isEnabled": True,
                "origin": "Application",
                "value": name,
            }
            for name, row in table.items()
        ]
        sp_id = str(uuid.uuid4())
        self.directory.service_principals[sp_id] = service_principal(
            sp_id, MICROSOFT_GRAPH_APP_ID, "Microsoft Graph", roles, appOwnerOrganizationId=MICROSOFT_TENANT_ID
        )
        self.directory.owners[sp_id] = []
        return sp_id

    # -- reading back, for tests ---------------------------------------------------------------------------------

    def application_named(self, name: str) -> dict[str, Any] | None:
        return next((a for a in self.directory.applications.values() if a["displayName"] == name), None)

    def service_principal_of(self, app_id: str) -> dict[str, Any] | None:
        return next((s for s in self.directory.service_principals.values() if s["appId"] == app_id), None)

    def grants_to(self, principal_id: str) -> list[dict[str, Any]]:
        """App role assignments held by a principal (the permissions it was granted)."""
        return [copy.deepcopy(a) for a in self.directory.assignments.values() if a["principalId"] == principal_id]

    # -- Graph ---------------------------------------------------------------------------------------------------

    def handle(self, method: str, route: str, query: str, body: Any) -> tuple[int, Any] | None:
        for verb, pattern, name in _ROUTES:
            match = pattern.match(route)
            if match and verb == method:
                return getattr(self, f"op_{name}")(body=body or {}, **match.groupdict())
        return None

    def op_create_application(self, *, body: Any) -> tuple[int, Any]:
        if not body.get("displayName"):
            return _error(400, "Request_BadRequest", "Property displayName is required.")
        oid, app_id = str(uuid.uuid4()), str(uuid.uuid4())
        self.directory.applications[oid] = {
            "id": oid,
            "appId": app_id,
            "displayName": str(body["displayName"]),
            "signInAudience": body.get("signInAudience") or "AzureADMyOrg",
            "publisherDomain": "contoso.onmicrosoft.com",
            "appRoles": [],
            "disabledByMicrosoftStatus": None,
        }
        self.directory.owners[oid] = _bound(body)
        return 201, copy.deepcopy(self.directory.applications[oid])

    def op_list_app_owners(self, *, body: Any, oid: str) -> tuple[int, Any]:
        if oid not in self.directory.applications:
            return _not_found("application", oid)
        return 200, {"value": [{"id": o} for o in self.directory.owners.get(oid, [])]}

    def op_remove_app_owner(self, *, body: Any, oid: str, owner: str) -> tuple[int, Any]:
        if owner not in self.directory.owners.get(oid, []):
            return _not_found("owner", owner)
        self.directory.owners[oid].remove(owner)
        return 204, None

    def op_create_service_principal(self, *, body: Any) -> tuple[int, Any]:
        app = next((a for a in self.directory.applications.values() if a["appId"] == body.get("appId")), None)
        if app is None:
            return _error(
                400,
                "Request_BadRequest",
                f"The appId '{body.get('appId')}' of the service principal does not reference a valid application "
                "object.",
            )
        if self.service_principal_of(app["appId"]) is not None:
            return _error(409, "Request_MultipleObjectsWithSameKeyValue", "The service principal already exists.")
        sp_id = str(uuid.uuid4())
        sp = service_principal(sp_id, app["appId"], app["displayName"], copy.deepcopy(app["appRoles"]))
        sp.update({k: v for k, v in body.items() if k in ("accountEnabled", "appRoleAssignmentRequired", "tags")})
        self.directory.service_principals[sp_id] = sp
        self.directory.owners[sp_id] = _bound(body)
        return 201, copy.deepcopy(sp)

    def op_list_credentials(self, *, body: Any, oid: str) -> tuple[int, Any]:
        if oid not in self.directory.applications:
            return _not_found("application", oid)
        return 200, {"value": [copy.deepcopy(c) for c in self.credentials.get(oid, {}).values()]}

    def op_create_credential(self, *, body: Any, oid: str) -> tuple[int, Any]:
        if oid not in self.directory.applications:
            return _not_found("application", oid)
        problem = self._credential_problem(oid, body, None)
        if problem:
            return _error(400, "Request_BadRequest", problem)
        fid = str(uuid.uuid4())
        self.credentials.setdefault(oid, {})[fid] = {"id": fid, **self._credential_fields(body)}
        return 201, copy.deepcopy(self.credentials[oid][fid])

    def op_get_credential(self, *, body: Any, oid: str, fid: str) -> tuple[int, Any]:
        found = self.credentials.get(oid, {}).get(fid) if oid in self.directory.applications else None
        return (200, copy.deepcopy(found)) if found else _not_found("federatedIdentityCredential", fid)

    def op_update_credential(self, *, body: Any, oid: str, fid: str) -> tuple[int, Any]:
        found = self.credentials.get(oid, {}).get(fid) if oid in self.directory.applications else None
        if found is None:
            return _not_found("federatedIdentityCredential", fid)
        if body.get("name") not in (None, found["name"]):
            return _error(400, "Request_BadRequest", "The name of a federated identity credential cannot change.")
        problem = self._credential_problem(oid, {**found, **body}, fid)
        if problem:
            return _error(400, "Request_BadRequest", problem)
        found.update(self._credential_fields({**found, **body}))
        return 204, None

    def op_delete_credential(self, *, body: Any, oid: str, fid: str) -> tuple[int, Any]:
        if self.credentials.get(oid, {}).pop(fid, None) is None:
            return _not_found("federatedIdentityCredential", fid)
        return 204, None

    @staticmethod
    def _credential_fields(body: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": body.get("name"),
            "issuer": body.get("issuer"),
            "subject": body.get("subject"),
            "audiences": list(body.get("audiences") or []),
            "description": body.get("description"),
        }

    def _credential_problem(self, oid: str, body: dict[str, Any], fid: str | None) -> str | None:
        """What Graph refuses in a federated identity credential (federatedIdentityCredential resource type)."""
        name = str(body.get("name") or "")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,119}", name):
            return "name must be 1-120 characters: letters, digits, '-' and '_', starting with a letter or digit"
        if not body.get("issuer") or not body.get("subject"):
            return "issuer and subject are required"
        if len(body.get("audiences") or []) != 1:
            return "audiences must hold exactly one value"
        for other_id, other in self.credentials.get(oid, {}).items():
            if other_id == fid:
                continue
            if other["name"] == name:
                return f"a federated identity credential named {name!r} already exists on this application"
            if (other["issuer"], other["subject"]) == (body["issuer"], body["subject"]):
                return "the combination of issuer and subject must be unique on the application"
        return None

    def op_assign_to_service_principal(self, *, body: Any, oid: str) -> tuple[int, Any] | None:
        principal_id = str(body.get("principalId") or "")
        principal = self.directory.service_principals.get(principal_id)
        if principal is None:
            return None  # a user or a group: the directory's own route answers
        resource = self.directory.service_principals.get(oid)
        if resource is None:
            return _not_found("servicePrincipal", oid)
        role = next((r for r in resource["appRoles"] if r["id"] == body.get("appRoleId")), None)
        if role is None or "Application" not in role.get("allowedMemberTypes", []):
            return _error(400, "Request_BadRequest", f"Permission being assigned was not found on application {oid}")
        if any(
            a["principalId"] == principal_id and a["appRoleId"] == role["id"] and a["resourceId"] == oid
            for a in self.directory.assignments.values()
        ):
            return _error(409, "Request_BadRequest", "Permission being assigned already exists on the object")
        aid = str(uuid.uuid4())
        self.directory.assignments[aid] = {
            "id": aid,
            "appRoleId": role["id"],
            "principalId": principal_id,
            "principalDisplayName": principal["displayName"],
            "principalType": "ServicePrincipal",
            "resourceId": oid,
            "resourceDisplayName": resource["displayName"],
        }
        return 201, copy.deepcopy(self.directory.assignments[aid])

    def op_create_role_definition(self, *, body: Any) -> tuple[int, Any]:
        problem = self._role_problem(body)
        if problem:
            return _error(400, "Request_BadRequest", problem)
        rid = str(uuid.uuid4())
        self.role_definitions[rid] = {
            "id": rid,
            "displayName": body["displayName"],
            "description": body.get("description"),
            "isBuiltIn": False,
            "isEnabled": bool(body.get("isEnabled")),
            "rolePermissions": copy.deepcopy(body["rolePermissions"]),
            "templateId": body.get("templateId") or rid,  # a custom role's template id is its id unless given
            "version": body.get("version"),
        }
        return 201, copy.deepcopy(self.role_definitions[rid])

    @staticmethod
    def _role_problem(body: dict[str, Any]) -> str | None:
        if not body.get("displayName"):
            return "displayName is required"
        permissions = body.get("rolePermissions") or []
        actions = [a for p in permissions for a in (p.get("allowedResourceActions") or [])]
        if not actions:
            return "rolePermissions must allow at least one resource action"
        bad = [a for a in actions if not _ACTION.match(str(a))]
        return f"unknown resource action(s): {', '.join(bad)}" if bad else None

    def op_get_role_definition(self, *, body: Any, rid: str) -> tuple[int, Any]:
        found = self.role_definitions.get(rid)
        return (200, copy.deepcopy(found)) if found else _not_found("unifiedRoleDefinition", rid)

    def op_update_role_definition(self, *, body: Any, rid: str) -> tuple[int, Any]:
        found = self.role_definitions.get(rid)
        if found is None:
            return _not_found("unifiedRoleDefinition", rid)
        problem = self._role_problem({**found, **body})
        if problem:
            return _error(400, "Request_BadRequest", problem)
        for key in ("displayName", "description", "isEnabled", "rolePermissions", "version"):
            if key in body:
                found[key] = copy.deepcopy(body[key])
        return 204, None

    def op_delete_role_definition(self, *, body: Any, rid: str) -> tuple[int, Any]:
        if rid not in self.role_definitions:
            return _not_found("unifiedRoleDefinition", rid)
        if any(a["roleDefinitionId"] == rid for a in self.role_assignments.values()):
            return _error(400, "Request_BadRequest", "The role definition is assigned; remove its assignments first.")
        del self.role_definitions[rid]
        return 204, None

    def op_create_role_assignment(self, *, body: Any) -> tuple[int, Any]:
        principal = str(body.get("principalId") or "")
        role = str(body.get("roleDefinitionId") or "")
        scope = str(body.get("directoryScopeId") or "")
        known = self.directory.users.keys() | self.directory.groups.keys() | self.directory.service_principals.keys()
        if principal not in known:
            return _not_found("principal", principal)
        if role not in self.role_definitions:
            return _not_found("unifiedRoleDefinition", role)
        scoped = _ONE_OBJECT.match(scope)
        scopes = known | self.directory.applications.keys()
        if scope != "/" and not (scoped and scoped.group(1) in scopes):
            return _error(400, "Request_BadRequest", f"directoryScopeId {scope!r} is neither '/' nor '/<object id>'")
        aid = str(uuid.uuid4())
        self.role_assignments[aid] = {
            "id": aid,
            "principalId": principal,
            "roleDefinitionId": role,
            "directoryScopeId": scope,
            "appScopeId": None,
        }
        return 201, copy.deepcopy(self.role_assignments[aid])

    def op_get_role_assignment(self, *, body: Any, aid: str) -> tuple[int, Any]:
        found = self.role_assignments.get(aid)
        return (200, copy.deepcopy(found)) if found else _not_found("unifiedRoleAssignment", aid)

    def op_delete_role_assignment(self, *, body: Any, aid: str) -> tuple[int, Any]:
        if self.role_assignments.pop(aid, None) is None:
            return _not_found("unifiedRoleAssignment", aid)
        return 204, None


_ID = r"[^/]+"
_FIC = f"/applications/(?P<oid>{_ID})/federatedIdentityCredentials"
_ROLES = "/roleManagement/directory"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (verb, re.compile(f"^{pattern}$"), name)
    for verb, pattern, name in [
        ("POST", "/applications", "create_application"),
        ("GET", f"/applications/(?P<oid>{_ID})/owners", "list_app_owners"),
        ("DELETE", rf"/applications/(?P<oid>{_ID})/owners/(?P<owner>{_ID})/\$ref", "remove_app_owner"),
        ("POST", "/servicePrincipals", "create_service_principal"),
        ("GET", _FIC, "list_credentials"),
        ("POST", _FIC, "create_credential"),
        ("GET", f"{_FIC}/(?P<fid>{_ID})", "get_credential"),
        ("PATCH", f"{_FIC}/(?P<fid>{_ID})", "update_credential"),
        ("DELETE", f"{_FIC}/(?P<fid>{_ID})", "delete_credential"),
        ("POST", f"/servicePrincipals/(?P<oid>{_ID})/appRoleAssignedTo", "assign_to_service_principal"),
        ("POST", f"{_ROLES}/roleDefinitions", "create_role_definition"),
        ("GET", f"{_ROLES}/roleDefinitions/(?P<rid>{_ID})", "get_role_definition"),
        ("PATCH", f"{_ROLES}/roleDefinitions/(?P<rid>{_ID})", "update_role_definition"),
        ("DELETE", f"{_ROLES}/roleDefinitions/(?P<rid>{_ID})", "delete_role_definition"),
        ("POST", f"{_ROLES}/roleAssignments", "create_role_assignment"),
        ("GET", f"{_ROLES}/roleAssignments/(?P<aid>{_ID})", "get_role_assignment"),
        ("DELETE", f"{_ROLES}/roleAssignments/(?P<aid>{_ID})", "delete_role_assignment"),
    ]
]
