"""The directory half of the loopback Graph tenant: gallery templates, applications, service principals, owners,
app role assignments, users and groups — what the azuread provider reads and writes (Graph v1.0 paths and shapes).

`tests/graph_server.py` serves the synchronization API; a `Directory` attached to its state answers every other
path first, so one tenant on one port holds what a whole `pulumi up` makes, and a test reads it back from here.
Instantiating the gallery app registers the new service principal with the synchronization half (its jobs,
schema and secrets live there).
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

WEBEX_APP_TEMPLATE_ID = "7c1a3f2e-9d4b-4e8a-b6c5-2f0e1d9a8b73"  # made up: the real id is looked up, never assumed
WEBEX_USER_ROLE_ID = "18d14569-c3bd-439b-9a66-3a2aee01d14f"  # the gallery's "User" role
DEFAULT_ACCESS_ROLE_ID = "00000000-0000-0000-0000-000000000000"
DEPLOYER_OBJECT_ID = "9a0e4c1d-3b5f-4e2a-8d7c-6f1b2a3c4d5e"  # the principal `pulumi up` signs in as
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
GALLERY_TAGS = ["WindowsAzureActiveDirectoryIntegratedApp", "WindowsAzureActiveDirectoryGalleryApplicationNonPrimaryV1"]


def service_principal(sp_id: str, app_id: str, name: str, roles: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A service principal as Graph returns it (every property the provider reads), `fields` over the defaults of an
    app of this tenant: the Webex gallery instance and the bootstrap's identities differ only there."""
    return {
        "id": sp_id,
        "appId": app_id,
        "appDisplayName": name,
        "displayName": name,
        "appOwnerOrganizationId": TENANT_ID,
        "accountEnabled": True,
        "appRoleAssignmentRequired": False,
        "appRoles": roles,
        "alternativeNames": [],
        "description": None,
        "homepage": None,
        "loginUrl": None,
        "logoutUrl": None,
        "notes": None,
        "notificationEmailAddresses": [],
        "oauth2PermissionScopes": [],
        "preferredSingleSignOnMode": None,
        "replyUrls": [],
        "samlSingleSignOnSettings": None,
        "servicePrincipalNames": [app_id],
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMyOrg",
        "tags": [],
        **fields,
    }


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": code, "message": message, "innerError": {"request-id": "req-0001"}}}


def _not_found(kind: str, ident: str) -> tuple[int, dict[str, Any]]:
    return _error(
        404,
        "Request_ResourceNotFound",
        f"Resource '{ident}' does not exist or one of its queried reference-property objects are not present. ({kind})",
    )


def _filter_eq(query: str, prop: str) -> str | None:
    """The value of `$filter=<prop> eq '<value>'` (quotes doubled inside, as OData escapes them), else None."""
    expr = (parse_qs(query).get("$filter") or [""])[0]
    match = re.fullmatch(rf"\s*{prop}\s+eq\s+'((?:[^']|'')*)'\s*", expr)
    return match.group(1).replace("''", "'") if match else None


@dataclass
class Directory:
    """Directory objects of the loopback tenant. Methods named `add_*` seed it; `handle` serves Graph requests."""

    # graph_server._State: service principal ids and synchronization secrets live there (and the Webex token,
    # hence no repr).
    sync_state: Any = field(repr=False)
    application_templates: list[dict[str, Any]] = field(default_factory=lambda: [webex_application_template()])
    applications: dict[str, dict[str, Any]] = field(default_factory=dict)
    service_principals: dict[str, dict[str, Any]] = field(default_factory=dict)
    owners: dict[str, list[str]] = field(default_factory=dict)
    assignments: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)  # group id -> direct members (user or group ids)
    deployer_object_id: str = DEPLOYER_OBJECT_ID
    base_url: str = ""  # the server's http://127.0.0.1:<port>/v1.0, for absolute @odata.nextLink (graph_server sets it)
    max_page: int = 999  # Graph's largest $top; lower it to make a test page through a small directory
    # Replication: a new service principal is not served (404) for its first `replication_lag` reads, as a Graph
    # replica that has not seen it yet answers (the audit's F9).
    replication_lag: int = 0
    _unseen: dict[str, int] = field(default_factory=dict)
    # More halves of the tenant, asked before this one's routes (tests/graph_identity.py): each has the same
    # `handle(method, route, query, body)`, answering None for a request it does not serve.
    extensions: list[Any] = field(default_factory=list)

    # -- seeding -------------------------------------------------------------------------------------------------

    def add_user(self, user_principal_name: str, *, object_id: str | None = None) -> str:
        object_id = object_id or str(uuid.uuid4())
        local = user_principal_name.split("@", 1)[0]
        self.users[object_id] = {
            "id": object_id,
            "userPrincipalName": user_principal_name,
            "displayName": local.replace(".", " ").title(),
            "mail": user_principal_name,
            "givenName": local.split(".", 1)[0].title(),
            "surname": local.split(".", 1)[-1].title(),
            "accountEnabled": True,
            "otherMails": [],
            "proxyAddresses": [f"SMTP:{user_principal_name}"],
        }
        return object_id

    def add_group(self, display_name: str, *, object_id: str | None = None) -> str:
        object_id = object_id or str(uuid.uuid4())
        self.groups[object_id] = {
            "id": object_id,
            "displayName": display_name,
            "securityEnabled": True,
            "mailEnabled": False,
            "mailNickname": re.sub(r"[^A-Za-z0-9]", "", display_name) or "group",
        }
        return object_id

    def add_member(self, group_id: str, member_id: str) -> None:
        """Make a user or a group a direct member of a group."""
        self.members.setdefault(group_id, []).append(member_id)

    def add_gallery_app(self, display_name: str = "Cisco Webex", *, sp_object_id: str | None = None) -> str:
        """An instantiated Cisco Webex app, as SSO setup leaves it (for the adopted-app path); the SP's object id."""
        _, made = self._instantiate(WEBEX_APP_TEMPLATE_ID, display_name, sp_object_id=sp_object_id)
        return str(made["servicePrincipal"]["id"])

    def user_by_upn(self, upn: str) -> dict[str, Any] | None:
        return next((u for u in self.users.values() if u["userPrincipalName"].lower() == upn.lower()), None)

    def assignments_of(self, sp_object_id: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(a) for a in self.assignments.values() if a["resourceId"] == sp_object_id]

    def on_demand(self, sp_id: str, object_id: str) -> Any:
        """What provisionOnDemand answers for a user of this tenant (the caller holds the state lock)."""
        from graph_server import NOT_ASSIGNED, OnDemand

        user = self.users.get(object_id)
        roles = {
            a["appRoleId"]
            for a in self.assignments.values()
            if a["resourceId"] == sp_id and a["principalId"] == object_id
        }
        if user is None or not roles:
            return NOT_ASSIGNED
        if roles == {DEFAULT_ACCESS_ROLE_ID}:
            return OnDemand(
                "Skipped",
                "DefaultAccessRole",
                "The user is assigned with the Default Access role.",
                user["userPrincipalName"],
            )
        return OnDemand("Success", None, None, user["userPrincipalName"])

    # -- Graph ---------------------------------------------------------------------------------------------------

    def handle(self, method: str, route: str, query: str, body: Any) -> tuple[int, Any] | None:
        """Answer a directory request (route without the /v1.0 prefix), or None if it is not a directory path."""
        for extension in self.extensions:
            with self.sync_state.lock:
                answered = extension.handle(method, route, query, body)
            if answered is not None:
                return answered
        for verb, pattern, name in _ROUTES:
            match = pattern.match(route)
            if match and verb == method:
                with self.sync_state.lock:
                    return getattr(self, f"op_{name}")(query=query, body=body or {}, **match.groupdict())
        return None

    def op_list_app_templates(self, *, query: str, body: Any) -> tuple[int, Any]:
        name = _filter_eq(query, "displayName")
        found = [t for t in self.application_templates if name is None or t["displayName"] == name]
        return 200, {"value": copy.deepcopy(found)}

    def op_get_app_template(self, *, query: str, body: Any, tid: str) -> tuple[int, Any]:
        found = next((t for t in self.application_templates if t["id"] == tid), None)
        return (200, copy.deepcopy(found)) if found else _not_found("applicationTemplate", tid)

    def op_instantiate(self, *, query: str, body: Any, tid: str) -> tuple[int, Any]:
        if not any(t["id"] == tid for t in self.application_templates):
            return _not_found("applicationTemplate", tid)
        if not body.get("displayName"):
            return _error(400, "Request_BadRequest", "displayName is required")
        return self._instantiate(tid, str(body["displayName"]), replicating=True)

    def _instantiate(
        self, tid: str, display_name: str, *, sp_object_id: str | None = None, replicating: bool = False
    ) -> tuple[int, Any]:
        app_id, app_object_id = str(uuid.uuid4()), str(uuid.uuid4())
        sp_id = sp_object_id or str(uuid.uuid4())
        roles = [
            {
                "allowedMemberTypes": ["User"],
                "description": "User",
                "displayName": "User",
                "id": WEBEX_USER_ROLE_ID,
                "isEnabled": True,
                "origin": "Application",
                "value": None,
            }
        ]
        self.applications[app_object_id] = {
            "id": app_object_id,
            "appId": app_id,
            "displayName": display_name,
            "applicationTemplateId": tid,
            "appRoles": copy.deepcopy(roles),
        }
        self.service_principals[sp_id] = service_principal(
            sp_id,
            app_id,
            display_name,
            roles,
            applicationTemplateId=tid,
            homepage="https://www.webex.com/",
            signInAudience="AzureADMultipleOrgs",
            tags=list(GALLERY_TAGS),
        )
        if self.replication_lag and replicating:  # seeded objects have long replicated
            self._unseen[sp_id] = self.replication_lag
        # Whoever instantiates becomes the owner of both (what lets Application.ReadWrite.OwnedBy manage them).
        self.owners[sp_id] = [self.deployer_object_id]
        self.owners[app_object_id] = [self.deployer_object_id]
        self.sync_state.sp_ids.add(sp_id)
        return 201, {
            "application": copy.deepcopy(self.applications[app_object_id]),
            "servicePrincipal": copy.deepcopy(self.service_principals[sp_id]),
        }

    def op_get_application(self, *, query: str, body: Any, oid: str) -> tuple[int, Any]:
        app = self.applications.get(oid)
        return (200, copy.deepcopy(app)) if app else _not_found("application", oid)

    def op_patch_application(self, *, query: str, body: Any, oid: str) -> tuple[int, Any]:
        if oid not in self.applications:
            return _not_found("application", oid)
        self.applications[oid].update({k: v for k, v in body.items() if k in {"displayName"}})
        return 204, None

    def op_delete_application(self, *, query: str, body: Any, oid: str) -> tuple[int, Any]:
        app = self.applications.pop(oid, None)
        if app is None:
            return _not_found("application", oid)
        # Deleting an application deletes its service principal (and with it the provisioning job).
        for sp_id, sp in list(self.service_principals.items()):
            if sp["appId"] == app["appId"]:
                self._delete_service_principal(sp_id)
        return 204, None

    def op_list_service_principals(self, *, query: str, body: Any) -> tuple[int, Any]:
        app_id, name = _filter_eq(query, "appId"), _filter_eq(query, "displayName")
        found = [
            sp
            for sp in self.service_principals.values()
            if (app_id is None or sp["appId"] == app_id) and (name is None or sp["displayName"] == name)
        ]
        return 200, {"value": copy.deepcopy(found)}

    def op_get_service_principal(self, *, query: str, body: Any, oid: str) -> tuple[int, Any]:
        if self._unseen.get(oid):
            self._unseen[oid] -= 1
            return _not_found("servicePrincipal", oid)
        sp = self.service_principals.get(oid)
        return (200, copy.deepcopy(sp)) if sp else _not_found("servicePrincipal", oid)

    def op_patch_service_principal(self, *, query: str, body: Any, oid: str) -> tuple[int, Any]:
        sp = self.service_principals.get(oid)
        if sp is None:
            return _not_found("servicePrincipal", oid)
        read_only = {"id", "appId", "appRoles", "appOwnerOrganizationId", "servicePrincipalType"}
        bad = sorted(set(body) & read_only)
        if bad:
            return _error(400, "Request_BadRequest", f"Property '{bad[0]}' is read-only and cannot be set.")
        sp.update(copy.deepcopy(body))
        return 204, None

    def op_delete_service_principal(self, *, query: str, body: Any, oid: str) -> tuple[int, Any]:
        if oid not in self.service_principals:
            return _not_found("servicePrincipal", oid)
        self._delete_service_principal(oid)
        return 204, None

    def _delete_service_principal(self, sp_id: str) -> None:
        self.service_principals.pop(sp_id, None)
        self.owners.pop(sp_id, None)
        self.sync_state.sp_ids.discard(sp_id)
        self.sync_state.secrets.pop(sp_id, None)
        for aid in [a for a, v in self.assignments.items() if v["resourceId"] == sp_id]:
            del self.assignments[aid]

    def op_list_owners(self, *, query: str, body: Any, oid: str) -> tuple[int, Any]:
        if oid not in self.service_principals:
            return _not_found("servicePrincipal", oid)
        return 200, {"value": [{"@odata.type": "#microsoft.graph.servicePrincipal", "id": o} for o in self.owners[oid]]}

    def op_add_owner(self, *, query: str, body: Any, oid: str) -> tuple[int, Any]:
        if oid not in self.service_principals:
            return _not_found("servicePrincipal", oid)
        owner = str(body.get("@odata.id") or "").rstrip("/").rsplit("/", 1)[-1]
        if not owner:
            return _error(400, "Request_BadRequest", "@odata.id is required")
        if owner in self.owners[oid]:
            return _error(400, "Request_BadRequest", "One or more added object references already exist.")
        self.owners[oid].append(owner)
        return 204, None

    def op_remove_owner(self, *, query: str, body: Any, oid: str, owner: str) -> tuple[int, Any]:
        if owner not in self.owners.get(oid, []):
            return _not_found("owner", owner)
        self.owners[oid].remove(owner)
        return 204, None

    def op_assign(self, *, query: str, body: Any, oid: str) -> tuple[int, Any]:
        sp = self.service_principals.get(oid)
        if sp is None:
            return _not_found("servicePrincipal", oid)
        principal_id, role_id = str(body.get("principalId") or ""), str(body.get("appRoleId") or "")
        principal = self.users.get(principal_id) or self.groups.get(principal_id)
        if principal is None:
            return _not_found("principal", principal_id)
        if role_id != DEFAULT_ACCESS_ROLE_ID and role_id not in {r["id"] for r in sp["appRoles"]}:
            return _error(400, "Request_BadRequest", f"Permission being assigned was not found on application {oid}")
        if any(
            a["principalId"] == principal_id and a["appRoleId"] == role_id and a["resourceId"] == oid
            for a in self.assignments.values()
        ):
            return _error(409, "Request_BadRequest", "Permission being assigned already exists on the object")
        aid = str(uuid.uuid4())
        self.assignments[aid] = {
            "id": aid,
            "appRoleId": role_id,
            "principalId": principal_id,
            "principalDisplayName": principal["displayName"],
            "principalType": "User" if principal_id in self.users else "Group",
            "resourceId": oid,
            "resourceDisplayName": sp["displayName"],
        }
        return 201, copy.deepcopy(self.assignments[aid])

    def op_get_assignment(self, *, query: str, body: Any, oid: str, aid: str) -> tuple[int, Any]:
        found = self.assignments.get(aid)
        if found is None or found["resourceId"] != oid:
            return _not_found("appRoleAssignment", aid)
        return 200, copy.deepcopy(found)

    def op_delete_assignment(self, *, query: str, body: Any, oid: str, aid: str) -> tuple[int, Any]:
        found = self.assignments.get(aid)
        if found is None or found["resourceId"] != oid:
            return _not_found("appRoleAssignment", aid)
        del self.assignments[aid]
        return 204, None

    def op_get_user(self, *, query: str, body: Any, ref: str) -> tuple[int, Any]:
        user = self.users.get(ref) or self.user_by_upn(ref)
        return (200, _selected(user, query)) if user else _not_found("user", ref)

    # Listings as Graph v1.0 shapes them: `$select` picks properties (unset ones come back null), pages of `$top`
    # (default 100, at most 999) with an absolute @odata.nextLink carrying a $skiptoken; members and memberOf items
    # carry their @odata.type.

    def op_list_users(self, *, query: str, body: Any) -> tuple[int, Any]:
        users = [_selected(u, query) for u in self.users.values()]
        expand = (parse_qs(query).get("$expand") or [""])[0]
        if expand.split("(", 1)[0] != "memberOf":
            return 200, self._page("/users", query, users)
        # `$expand=memberOf($select=…)`, as Graph expands a directory object's relationship: at most 20 items each,
        # with no link to the rest, and pages of at most 100 users.
        inner = expand[len("memberOf(") : -1] if expand.startswith("memberOf(") else ""
        for shown, user in zip(users, self.users.values(), strict=True):
            groups = [g for g, members in self.members.items() if user["id"] in members]
            shown["memberOf"] = [self._typed(g, inner) for g in groups[:20]]
        return 200, self._page("/users", query, users, largest=100)

    def op_list_members(self, *, query: str, body: Any, oid: str) -> tuple[int, Any]:
        if oid not in self.groups:
            return _not_found("group", oid)
        return 200, self._page(
            f"/groups/{oid}/members", query, [self._typed(m, query) for m in self.members.get(oid, [])]
        )

    def op_list_member_of(self, *, query: str, body: Any, ref: str) -> tuple[int, Any]:
        user = self.users.get(ref) or self.user_by_upn(ref)
        if user is None:
            return _not_found("user", ref)
        groups = [g for g, members in self.members.items() if user["id"] in members]
        return 200, self._page(f"/users/{ref}/memberOf", query, [self._typed(g, query) for g in groups])

    def _typed(self, oid: str, query: str) -> dict[str, Any]:
        kind, found = ("user", self.users.get(oid)) if oid in self.users else ("group", self.groups.get(oid))
        return {"@odata.type": f"#microsoft.graph.{kind}", **_selected(found or {"id": oid}, query)}

    def _page(self, route: str, query: str, items: list[Any], largest: int = 999) -> dict[str, Any]:
        params = parse_qs(query)
        size = min(int((params.get("$top") or ["100"])[0]), self.max_page, largest)
        skip = int((params.get("$skiptoken") or ["0"])[0])
        reply: dict[str, Any] = {
            "@odata.context": f"{self.base_url}/$metadata#{route}",
            "value": items[skip : skip + size],
        }
        if skip + size < len(items):
            kept = "&".join(f"{k}={v[0]}" for k, v in params.items() if k != "$skiptoken")
            reply["@odata.nextLink"] = f"{self.base_url}{route}?{kept}{'&' if kept else ''}$skiptoken={skip + size}"
        return reply

    def op_list_groups(self, *, query: str, body: Any) -> tuple[int, Any]:
        name = _filter_eq(query, "displayName")
        return 200, {
            "value": [copy.deepcopy(g) for g in self.groups.values() if name is None or g["displayName"] == name]
        }

    def op_get_group(self, *, query: str, body: Any, oid: str) -> tuple[int, Any]:
        group = self.groups.get(oid)
        return (200, copy.deepcopy(group)) if group else _not_found("group", oid)

    def op_list_secrets(self, *, query: str, body: Any, oid: str) -> tuple[int, Any]:
        if oid not in self.sync_state.sp_ids:
            return _not_found("servicePrincipal", oid)
        # Graph masks the token when the secrets are read back (terraform-provider-azuread synchronization.go keeps
        # the configured value where it sees "*").
        saved = self.sync_state.secrets.get(oid, [])
        return 200, {"value": [{**s, "value": "*" if s.get("key") == "SecretToken" else s.get("value")} for s in saved]}

    def op_delete_job(self, *, query: str, body: Any, oid: str, job: str) -> tuple[int, Any]:
        if job not in self.sync_state.jobs:
            return _not_found("synchronizationJob", job)
        del self.sync_state.jobs[job]
        self.sync_state.schemas.pop(job, None)
        return 204, None


def _selected(obj: dict[str, Any], query: str) -> dict[str, Any]:
    """The object as `$select` shapes it: the named properties only, null where unset; all of it without $select."""
    select = (parse_qs(query).get("$select") or [""])[0]
    if not select:
        return copy.deepcopy(obj)
    return {name: copy.deepcopy(obj.get(name)) for name in select.split(",") if name}


def webex_application_template() -> dict[str, Any]:
    return {
        "id": WEBEX_APP_TEMPLATE_ID,
        "displayName": "Cisco Webex",
        "homePageUrl": "https://www.webex.com/",
        "supportedSingleSignOnModes": ["saml", "external"],
        "supportedProvisioningTypes": ["sync"],
        "logoUrl": "https://az495088.vo.msecnd.net/app-logo/ciscospark_215.png",
        "categories": ["collaboration", "productivity"],
        "publisher": "Cisco Systems, Inc.",
        "description": None,
    }


_ID = r"[^/]+"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (verb, re.compile(f"^{pattern}$"), name)
    for verb, pattern, name in [
        ("GET", "/applicationTemplates", "list_app_templates"),
        ("GET", f"/applicationTemplates/(?P<tid>{_ID})", "get_app_template"),
        ("POST", f"/applicationTemplates/(?P<tid>{_ID})/instantiate", "instantiate"),
        ("GET", f"/applications/(?P<oid>{_ID})", "get_application"),
        ("PATCH", f"/applications/(?P<oid>{_ID})", "patch_application"),
        ("DELETE", f"/applications/(?P<oid>{_ID})", "delete_application"),
        ("GET", "/servicePrincipals", "list_service_principals"),
        ("GET", f"/servicePrincipals/(?P<oid>{_ID})", "get_service_principal"),
        ("PATCH", f"/servicePrincipals/(?P<oid>{_ID})", "patch_service_principal"),
        ("DELETE", f"/servicePrincipals/(?P<oid>{_ID})", "delete_service_principal"),
        ("GET", f"/servicePrincipals/(?P<oid>{_ID})/owners", "list_owners"),
        ("POST", rf"/servicePrincipals/(?P<oid>{_ID})/owners/\$ref", "add_owner"),
        ("DELETE", rf"/servicePrincipals/(?P<oid>{_ID})/owners/(?P<owner>{_ID})/\$ref", "remove_owner"),
        ("POST", f"/servicePrincipals/(?P<oid>{_ID})/appRoleAssignedTo", "assign"),
        ("GET", f"/servicePrincipals/(?P<oid>{_ID})/appRoleAssignedTo/(?P<aid>{_ID})", "get_assignment"),
        ("DELETE", f"/servicePrincipals/(?P<oid>{_ID})/appRoleAssignedTo/(?P<aid>{_ID})", "delete_assignment"),
        ("GET", f"/users/(?P<ref>{_ID})", "get_user"),
        ("GET", "/users", "list_users"),
        ("GET", f"/users/(?P<ref>{_ID})/memberOf", "list_member_of"),
        ("GET", f"/groups/(?P<oid>{_ID})/members", "list_members"),
        ("GET", "/groups", "list_groups"),
        ("GET", f"/groups/(?P<oid>{_ID})", "get_group"),
        ("GET", f"/servicePrincipals/(?P<oid>{_ID})/synchronization/secrets", "list_secrets"),
        ("DELETE", f"/servicePrincipals/(?P<oid>{_ID})/synchronization/jobs/(?P<job>{_ID})", "delete_job"),
    ]
]
