"""A test stand-in for the `azuread` provider plugin (v6.11.1), backed by the loopback Graph tenant.

The real plugin cannot be built here (its go.mod replaces the Terraform provider with a patched submodule), so the
real Pulumi CLI runs this one instead: `python -m real_engine.azuread_provider` prints its port and serves the
ResourceProvider gRPC service for exactly the resources and data sources the programs use (the main one's here, the
identity bootstrap's in azuread_identity.py; what they share in bridge.py). Every behaviour follows
terraform-provider-azuread (as the Pulumi bridge exposes it), with the source file named where it is implemented:
which properties force a replacement (for the main program's types one table, `components/replace_on_change.py`,
shared with the offline diff),
what is computed, the id formats, `use_existing`, owners read back, credentials merged with Graph's masked values.

The bridge's diff is Terraform's plan: an Optional property that is not Computed and absent from the inputs is
planned as its zero value, so a value the live object has (read into the state) is a change; an Optional+Computed
one absent from the inputs keeps the state's value. That rule is what makes unset `owners` wipe live owners (F3).

Graph is reached at `WEBEX_SCIM_TEST_GRAPH_URL` with the bearer `WEBEX_SCIM_TEST_GRAPH_TOKEN` (loopback only).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
for entry in (str(ROOT), str(TESTS)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from graph_directory import DEPLOYER_OBJECT_ID, TENANT_ID  # noqa: E402

from real_engine import azuread_identity  # noqa: E402
from real_engine.bridge import (  # noqa: E402
    Graph,
    Prop,
    ProviderError,
    Resource,
    from_struct,
    object_id,
    or_none,
    plan_diff,
    secret,
    to_struct,
    unwrap,
)
from real_engine.plugin import serve  # noqa: E402

VERSION = "6.11.1"
DEPLOYER_CLIENT_ID = "3c2b1a09-8f7e-4d6c-9b5a-1e2d3c4b5a69"

# applications.ExpandFeatures / FlattenFeatures (internal/services/applications/applications.go)
FEATURE_TAGS = {
    "customSingleSignOn": "WindowsAzureActiveDirectoryCustomSingleSignOnApplication",
    "enterprise": "WindowsAzureActiveDirectoryIntegratedApp",
    "gallery": "WindowsAzureActiveDirectoryGalleryApplicationNonPrimaryV1",
    "hide": "HideApp",
}


class ApplicationFromTemplate(Resource):
    """internal/services/applications/application_from_template_resource.go"""

    token = "azuread:index/applicationFromTemplate:ApplicationFromTemplate"
    schema = {
        "displayName": Prop("required", ""),
        "templateId": Prop("required", ""),
        "applicationId": Prop("computed"),
        "applicationObjectId": Prop("computed"),
        "servicePrincipalId": Prop("computed"),
        "servicePrincipalObjectId": Prop("computed"),
    }

    def create(self, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        made = self.graph.call(
            "POST", f"/applicationTemplates/{news['templateId']}/instantiate", body={"displayName": news["displayName"]}
        )
        app_id, sp_id = made["application"]["id"], made["servicePrincipal"]["id"]
        # Create waits for the application only, not the service principal (the audit's F9).
        self.graph.wait_for(f"/applications/{app_id}")
        id_ = f"/applicationTemplates/{news['templateId']}/instantiate/{app_id}/{sp_id}"
        return id_, self._outputs(news["templateId"], made["application"], sp_id)

    def _outputs(self, template_id: str, app: Mapping[str, Any], sp_id: str) -> dict[str, Any]:
        return {
            "displayName": app["displayName"],
            "templateId": template_id,
            "applicationId": f"/applications/{app['id']}",
            "applicationObjectId": app["id"],
            "servicePrincipalId": f"/servicePrincipals/{sp_id}",
            "servicePrincipalObjectId": sp_id,
        }

    def read(self, id_: str, state: dict[str, Any]) -> dict[str, Any] | None:
        template_id, app_id, sp_id = (
            id_.removeprefix("/applicationTemplates/").split("/instantiate/")[0],
            *id_.rsplit("/", 2)[1:],
        )
        app = self.graph.call("GET", f"/applications/{app_id}", ok404=True)
        return None if app is None else self._outputs(template_id, app, sp_id)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any], changed: set[str]) -> dict[str, Any]:
        app_id = id_.rsplit("/", 2)[1]
        if "displayName" in changed:
            self.graph.call("PATCH", f"/applications/{app_id}", body={"displayName": news["displayName"]})
        return self.read(id_, olds) or {}

    def delete(self, id_: str, state: dict[str, Any]) -> None:
        self.graph.call("DELETE", f"/applications/{id_.rsplit('/', 2)[1]}", ok404=True)


class ServicePrincipal(Resource):
    """internal/services/serviceprincipals/service_principal_resource.go"""

    token = "azuread:index/servicePrincipal:ServicePrincipal"
    schema = {
        "clientId": Prop("required", ""),
        "useExisting": Prop("optional", False),
        "accountEnabled": Prop("optional", True),
        "alternativeNames": Prop("optional", [], is_set=True),
        "appRoleAssignmentRequired": Prop("optional", False),
        "description": Prop("optional", ""),
        "featureTags": Prop("optional+computed"),
        "features": Prop("optional+computed"),
        "loginUrl": Prop("optional", ""),
        "notes": Prop("optional", ""),
        "notificationEmailAddresses": Prop("optional", [], is_set=True),
        # Optional, not Computed: Read sets it from ListOwners, and Update removes existing - desired (F3).
        "owners": Prop("optional", [], is_set=True),
        "preferredSingleSignOnMode": Prop("optional", ""),
        "samlSingleSignOn": Prop("optional"),  # MaxItems 1: the bridge flattens it to an object
        "tags": Prop("optional+computed", is_set=True),
        "objectId": Prop("computed"),
        "appRoles": Prop("computed"),
        "appRoleIds": Prop("computed"),
        "applicationTenantId": Prop("computed"),
        "displayName": Prop("computed"),
        "homepageUrl": Prop("computed"),
        "logoutUrl": Prop("computed"),
        "oauth2PermissionScopes": Prop("computed"),
        "oauth2PermissionScopeIds": Prop("computed"),
        "redirectUris": Prop("computed"),
        "servicePrincipalNames": Prop("computed"),
        "signInAudience": Prop("computed"),
        "type": Prop("computed"),
    }

    def create(self, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        found = self.graph.call("GET", "/servicePrincipals", params={"$filter": f"appId eq '{news['clientId']}'"})
        existing = found.get("value") or []
        if len(existing) > 1:
            raise ProviderError(
                f"unexpected number of service principals returned (expected: 1, received: {len(existing)})"
            )
        if existing:
            id_ = f"/servicePrincipals/{existing[0]['id']}"
            if not news.get("useExisting"):
                raise ProviderError(
                    f"A resource with the ID {id_!r} already exists - to be managed via Terraform "
                    "this resource needs to be imported"
                )
            # use_existing: take it over and write our inputs, exactly as an update (servicePrincipalResourceUpdate).
            return id_, self.update(id_, {}, news, changed={"owners"} if news.get("owners") else set())
        # A new one for the app (the bootstrap's identities): the caller is an owner while it is made, then removed
        # unless `owners` names it; a PATCH of the description tells that it has replicated.
        owners = list(news.get("owners") or [])
        made = self.graph.call(
            "POST",
            "/servicePrincipals",
            body={
                "appId": news["clientId"],
                "accountEnabled": news.get("accountEnabled", True),
                "appRoleAssignmentRequired": bool(news.get("appRoleAssignmentRequired")),
                "tags": list(news.get("tags") or []),
                "owners@odata.bind": [
                    f"{self.graph.http.base_url}/directoryObjects/{o}" for o in [DEPLOYER_OBJECT_ID, *owners]
                ],
            },
        )
        id_ = f"/servicePrincipals/{made['id']}"
        self.graph.call("PATCH", id_, body={"description": or_none(news.get("description"))})
        if DEPLOYER_OBJECT_ID not in owners:
            self.graph.call("DELETE", f"{id_}/owners/{DEPLOYER_OBJECT_ID}/$ref")
        out = self.read(id_, news) or {}
        out["useExisting"] = bool(news.get("useExisting"))
        return id_, out

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any], changed: set[str]) -> dict[str, Any]:
        sp_id = object_id(id_, "servicePrincipals")
        if news.get("featureTags") and "featureTags" in changed:
            tags = self._expand_features(news["featureTags"])
        else:
            tags = list(news.get("tags") or [])
        # Every write sends all of these; NoZero("") marshals an explicit null (go-azure-sdk sdk/nullable).
        self.graph.call(
            "PATCH",
            f"/servicePrincipals/{sp_id}",
            body={
                "alternativeNames": list(news.get("alternativeNames") or []),
                "accountEnabled": news.get("accountEnabled", True),
                "appRoleAssignmentRequired": bool(news.get("appRoleAssignmentRequired")),
                "description": or_none(news.get("description")),
                "loginUrl": or_none(news.get("loginUrl")),
                "notes": or_none(news.get("notes")),
                "notificationEmailAddresses": list(news.get("notificationEmailAddresses") or []),
                "preferredSingleSignOnMode": or_none(news.get("preferredSingleSignOnMode")),
                # expandSamlSingleSignOn: {} when unset, which drops a relay state set elsewhere (F4).
                "samlSingleSignOnSettings": {"relayState": (news.get("samlSingleSignOn") or {}).get("relayState")}
                if news.get("samlSingleSignOn")
                else {},
                "tags": tags,
            },
        )
        if "owners" in changed:
            existing = [o["id"] for o in self.graph.call("GET", f"/servicePrincipals/{sp_id}/owners")["value"]]
            desired = list(news.get("owners") or [])
            for owner in [o for o in desired if o not in existing]:
                self.graph.call(
                    "POST",
                    f"/servicePrincipals/{sp_id}/owners/$ref",
                    body={"@odata.id": f"{self.graph.http.base_url}/directoryObjects/{owner}"},
                )
            for owner in [o for o in existing if o not in desired]:
                self.graph.call("DELETE", f"/servicePrincipals/{sp_id}/owners/{owner}/$ref")
        out = self.read(id_, news) or {}
        out["useExisting"] = bool(news.get("useExisting"))
        return out

    @staticmethod
    def _expand_features(features: list[Mapping[str, Any]]) -> list[str]:
        wanted = features[0] if features else {}
        return [tag for key, tag in FEATURE_TAGS.items() if wanted.get(key)]

    def read(self, id_: str, state: dict[str, Any]) -> dict[str, Any] | None:
        sp_id = object_id(id_, "servicePrincipals")
        sp = self.graph.call("GET", f"/servicePrincipals/{sp_id}", ok404=True)
        if sp is None:
            return None
        owners = [o["id"] for o in self.graph.call("GET", f"/servicePrincipals/{sp_id}/owners")["value"]]
        tags = list(sp.get("tags") or [])
        features = {key: tag in tags for key, tag in FEATURE_TAGS.items()}
        roles = [
            {
                "allowedMemberTypes": r.get("allowedMemberTypes") or [],
                "description": r.get("description") or "",
                "displayName": r.get("displayName") or "",
                "enabled": bool(r.get("isEnabled")),
                "id": r["id"],
                "value": r.get("value") or "",
            }
            for r in sp.get("appRoles") or []
        ]
        return {
            "clientId": sp["appId"],
            "useExisting": bool(state.get("useExisting")),
            "accountEnabled": bool(sp.get("accountEnabled")),
            "alternativeNames": list(sp.get("alternativeNames") or []),
            "appRoleAssignmentRequired": bool(sp.get("appRoleAssignmentRequired")),
            "appRoleIds": {r["value"]: r["id"] for r in roles if r["value"]},
            "appRoles": roles,
            "applicationTenantId": sp.get("appOwnerOrganizationId") or "",
            "description": sp.get("description") or "",
            "displayName": sp.get("displayName") or "",
            "featureTags": [features],
            "features": [features],
            "homepageUrl": sp.get("homepage") or "",
            "loginUrl": sp.get("loginUrl") or "",
            "logoutUrl": sp.get("logoutUrl") or "",
            "notes": sp.get("notes") or "",
            "notificationEmailAddresses": list(sp.get("notificationEmailAddresses") or []),
            "oauth2PermissionScopeIds": {},
            "oauth2PermissionScopes": [],
            "objectId": sp["id"],
            "owners": owners,
            "preferredSingleSignOnMode": sp.get("preferredSingleSignOnMode") or "",
            "redirectUris": list(sp.get("replyUrls") or []),
            "samlSingleSignOn": {"relayState": relay}
            if (relay := (sp.get("samlSingleSignOnSettings") or {}).get("relayState"))
            else None,
            "servicePrincipalNames": [
                n for n in sp.get("servicePrincipalNames") or [] if n.lower() != sp["appId"].lower()
            ],
            "signInAudience": sp.get("signInAudience") or "",
            "tags": tags,
            "type": sp.get("servicePrincipalType") or "",
        }

    def delete(self, id_: str, state: dict[str, Any]) -> None:
        # Delete even with use_existing, ignoring the error then (servicePrincipalResourceDelete): adopting an app
        # means retain_on_delete in the program, never trusting use_existing to keep it.
        sp_id = object_id(id_, "servicePrincipals")
        try:
            self.graph.call("DELETE", f"/servicePrincipals/{sp_id}", ok404=True)
        except ProviderError:
            if not state.get("useExisting"):
                raise


class AppRoleAssignment(Resource):
    """internal/services/approleassignments/app_role_assignment_resource.go (every input ForceNew)."""

    token = "azuread:index/appRoleAssignment:AppRoleAssignment"
    schema = {
        "appRoleId": Prop("required", ""),
        "principalObjectId": Prop("required", ""),
        "resourceObjectId": Prop("required", ""),
        "principalDisplayName": Prop("computed"),
        "principalType": Prop("computed"),
        "resourceDisplayName": Prop("computed"),
    }

    def create(self, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        made = self.graph.call(
            "POST",
            f"/servicePrincipals/{news['resourceObjectId']}/appRoleAssignedTo",
            body={
                "appRoleId": news["appRoleId"],
                "principalId": news["principalObjectId"],
                "resourceId": news["resourceObjectId"],
            },
        )
        id_ = f"/servicePrincipals/{made['resourceId']}/appRoleAssignedTo/{made['id']}"
        return id_, self._outputs(made)

    @staticmethod
    def _outputs(a: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "appRoleId": a["appRoleId"],
            "principalDisplayName": a.get("principalDisplayName") or "",
            "principalObjectId": a["principalId"],
            "principalType": a.get("principalType") or "",
            "resourceDisplayName": a.get("resourceDisplayName") or "",
            "resourceObjectId": a["resourceId"],
        }

    def read(self, id_: str, state: dict[str, Any]) -> dict[str, Any] | None:
        found = self.graph.call("GET", id_, ok404=True)
        return None if found is None else self._outputs(found)

    def delete(self, id_: str, state: dict[str, Any]) -> None:
        self.graph.call("DELETE", id_, ok404=True)


class SynchronizationJob(Resource):
    """internal/services/synchronization/synchronization_job_resource.go"""

    token = "azuread:index/synchronizationJob:SynchronizationJob"
    schema = {
        "servicePrincipalId": Prop("required", ""),
        "templateId": Prop("required", ""),
        "enabled": Prop("optional", True),
        "schedules": Prop("computed"),
    }

    def create(self, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        sp_id = object_id(news["servicePrincipalId"], "servicePrincipals")
        if self.graph.call("GET", f"/servicePrincipals/{sp_id}", ok404=True) is None:
            raise ProviderError(f"service_principal_id: Service Principal (Object ID: {sp_id!r}) was not found")
        job = self.graph.call(
            "POST", f"/servicePrincipals/{sp_id}/synchronization/jobs", body={"templateId": news["templateId"]}
        )
        id_ = f"/servicePrincipals/{sp_id}/synchronization/jobs/{job['id']}"
        self.graph.wait_for(id_)
        if news.get("enabled", True):
            self.graph.call("POST", f"{id_}/start")
        return id_, self.read(id_, news) or {}

    def read(self, id_: str, state: dict[str, Any]) -> dict[str, Any] | None:
        job = self.graph.call("GET", id_, ok404=True)
        if job is None:
            return None
        schedule = job.get("schedule") or {}
        return {
            "servicePrincipalId": id_.split("/synchronization/")[0],
            "templateId": job.get("templateId") or "",
            "enabled": schedule.get("state") == "Active",
            "schedules": [
                {
                    "expiration": schedule.get("expiration") or "",
                    "interval": schedule.get("interval") or "",
                    "state": schedule.get("state") or "",
                }
            ],
        }

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any], changed: set[str]) -> dict[str, Any]:
        if "enabled" in changed:
            self.graph.call("POST", f"{id_}/{'start' if news.get('enabled', True) else 'pause'}")
        return self.read(id_, news) or {}

    def delete(self, id_: str, state: dict[str, Any]) -> None:
        self.graph.call("DELETE", id_, ok404=True)


class SynchronizationSecret(Resource):
    """internal/services/synchronization/synchronization_secret_resource.go (+ synchronization.go's flatten)."""

    token = "azuread:index/synchronizationSecret:SynchronizationSecret"
    schema = {
        "servicePrincipalId": Prop("required", ""),
        "credentials": Prop("optional", []),  # TypeList: order matters
    }

    def _put(self, sp_id: str, credentials: list[dict[str, Any]]) -> None:
        path = f"/servicePrincipals/{sp_id}/synchronization/secrets"
        self.graph.call("PUT", path, body={"value": [{"key": c["key"], "value": c["value"]} for c in credentials]})
        for _ in range(50):  # wait until Graph lists as many keys as were written
            if len(self.graph.call("GET", path).get("value") or []) == len(credentials):
                return
            time.sleep(0.1)
        raise ProviderError(f"Waiting for synchronization secrets for /servicePrincipals/{sp_id}")

    def create(self, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        sp_id = object_id(news["servicePrincipalId"], "servicePrincipals")
        self._put(sp_id, list(news.get("credentials") or []))
        id_ = f"/servicePrincipals/{sp_id}"
        return id_, self.read(id_, news) or {}

    def read(self, id_: str, state: dict[str, Any]) -> dict[str, Any] | None:
        sp_id = object_id(id_, "servicePrincipals")
        listed = self.graph.call("GET", f"/servicePrincipals/{sp_id}/synchronization/secrets", ok404=True)
        if listed is None:
            return None
        current = {c.get("key"): c.get("value") for c in state.get("credentials") or []}
        # Graph's order and values; a masked "*" keeps the configured value
        # (synchronization.go, flattenSynchronizationSecretKeyStringValuePair).
        credentials = [
            {"key": c["key"], "value": current.get(c["key"], "*") if c.get("value") == "*" else (c.get("value") or "")}
            for c in listed.get("value") or []
        ]
        return {"servicePrincipalId": id_, "credentials": credentials}

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any], changed: set[str]) -> dict[str, Any]:
        self._put(object_id(id_, "servicePrincipals"), list(news.get("credentials") or []))
        return self.read(id_, news) or {}

    def delete(self, id_: str, state: dict[str, Any]) -> None:
        # Secrets are deleted by writing every key with an empty value.
        sp_id = object_id(id_, "servicePrincipals")
        empty = [{"key": c["key"], "value": ""} for c in state.get("credentials") or []]
        self.graph.call("PUT", f"/servicePrincipals/{sp_id}/synchronization/secrets", body={"value": empty}, ok404=True)

    @staticmethod
    def mark_sensitive(outputs: dict[str, Any]) -> dict[str, Any]:
        # credential.value is Sensitive: the bridge returns it as a secret.
        return {
            **outputs,
            "credentials": [{**c, "value": secret(c.get("value"))} for c in outputs.get("credentials") or []],
        }


# -- data sources ------------------------------------------------------------------------------------------------


def get_application_template(graph: Graph, args: Mapping[str, Any]) -> dict[str, Any]:
    """internal/services/applications/application_template_data_source.go"""
    if args.get("templateId"):
        found = [graph.call("GET", f"/applicationTemplates/{args['templateId']}")]
    else:
        name = str(args.get("displayName") or "")
        found = graph.call("GET", "/applicationTemplates", params={"$filter": f"displayName eq '{name}'"})["value"]
        if not found:
            raise ProviderError(f"No application template found matching display name: {name!r}")
        if len(found) > 1:
            raise ProviderError(f"More than one application template found matching display name: {name!r}")
    t = found[0]
    return {
        "id": t["id"],
        "templateId": t["id"],
        "displayName": t["displayName"],
        "categories": t.get("categories") or [],
        "homepageUrl": t.get("homePageUrl") or "",
        "logoUrl": t.get("logoUrl") or "",
        "publisher": t.get("publisher") or "",
        "supportedProvisioningTypes": t.get("supportedProvisioningTypes") or [],
        "supportedSingleSignOnModes": t.get("supportedSingleSignOnModes") or [],
    }


def get_service_principal(graph: Graph, args: Mapping[str, Any]) -> dict[str, Any]:
    """internal/services/serviceprincipals/service_principal_data_source.go: no 404 retry (the audit's F9)."""
    if args.get("objectId"):
        sp = graph.call("GET", f"/servicePrincipals/{args['objectId']}", ok404=True)
        if sp is None:
            raise ProviderError(f"Service principal with object ID {args['objectId']!r} was not found")
        sp_id = sp["id"]
    elif args.get("clientId"):
        listed = graph.call("GET", "/servicePrincipals", params={"$filter": f"appId eq '{args['clientId']}'"})["value"]
        if len(listed) != 1:
            raise ProviderError(f"No service principal found for application ID: {args['clientId']!r}")
        sp_id = listed[0]["id"]
    else:
        raise ProviderError(
            "one of object_id, client_id or display_name must be specified (display_name: not in the test provider)"
        )
    out = ServicePrincipal(graph).read(f"/servicePrincipals/{sp_id}", {}) or {}
    out.pop("owners", None)
    out.pop("useExisting", None)
    out["id"] = sp_id
    saml = out.pop("samlSingleSignOn", None)
    out["samlSingleSignOns"] = [saml] if saml else []
    return out


def get_user(graph: Graph, args: Mapping[str, Any]) -> dict[str, Any]:
    """internal/services/users/user_data_source.go"""
    ref = args.get("userPrincipalName") or args.get("objectId")
    if not ref:
        raise ProviderError(
            "one of user_principal_name or object_id must be specified (others: not in the test provider)"
        )
    user = graph.call("GET", f"/users/{ref}", ok404=True)
    if user is None:
        raise ProviderError(f"User with UPN {ref!r} was not found")
    return {
        "id": user["id"],
        "objectId": user["id"],
        "userPrincipalName": user["userPrincipalName"],
        "displayName": user.get("displayName") or "",
        "mail": user.get("mail") or "",
        "givenName": user.get("givenName") or "",
        "surname": user.get("surname") or "",
        "accountEnabled": bool(user.get("accountEnabled")),
        "otherMails": user.get("otherMails") or [],
        "proxyAddresses": user.get("proxyAddresses") or [],
    }


def get_group(graph: Graph, args: Mapping[str, Any]) -> dict[str, Any]:
    """internal/services/groups/group_data_source.go"""
    if args.get("objectId"):
        group = graph.call("GET", f"/groups/{args['objectId']}", ok404=True)
        found = [group] if group else []
    else:
        name = str(args.get("displayName") or "")
        found = graph.call("GET", "/groups", params={"$filter": f"displayName eq '{name}'"})["value"]
    if len(found) != 1:
        raise ProviderError(
            f"{'No group' if not found else 'More than one group'} found matching "
            f"{args.get('displayName') or args.get('objectId')!r}"
        )
    g = found[0]
    return {
        "id": g["id"],
        "objectId": g["id"],
        "displayName": g["displayName"],
        "securityEnabled": bool(g.get("securityEnabled")),
        "mailEnabled": bool(g.get("mailEnabled")),
        "mailNickname": g.get("mailNickname") or "",
    }


def get_client_config(graph: Graph, args: Mapping[str, Any]) -> dict[str, Any]:
    """internal/services/serviceprincipals/client_config_data_source.go: the signed-in principal (token claims)."""
    return {
        "id": TENANT_ID + "-" + DEPLOYER_CLIENT_ID,
        "clientId": DEPLOYER_CLIENT_ID,
        "objectId": DEPLOYER_OBJECT_ID,
        "tenantId": TENANT_ID,
    }


INVOKES: dict[str, Callable[[Graph, Mapping[str, Any]], dict[str, Any]]] = {
    "azuread:index/getApplicationTemplate:getApplicationTemplate": get_application_template,
    "azuread:index/getServicePrincipal:getServicePrincipal": get_service_principal,
    "azuread:index/getUser:getUser": get_user,
    "azuread:index/getGroup:getGroup": get_group,
    "azuread:index/getClientConfig:getClientConfig": get_client_config,
}
RESOURCES = [
    ApplicationFromTemplate,
    ServicePrincipal,
    AppRoleAssignment,
    SynchronizationJob,
    SynchronizationSecret,
    *azuread_identity.RESOURCES,
]


# -- the gRPC service --------------------------------------------------------------------------------------------


def _type_of(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


def _fail(context: grpc.ServicerContext, error: Exception) -> Any:
    context.abort(grpc.StatusCode.UNKNOWN, str(error))


class AzureadTestProvider(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self) -> None:
        self.graph = Graph()
        self.resources = {cls.token: cls(self.graph) for cls in RESOURCES}

    def _resource(self, urn: str) -> Resource:
        token = _type_of(urn)
        if token not in self.resources:
            raise ProviderError(f"the azuread test provider does not implement {token}")
        return self.resources[token]

    def _outputs(self, resource: Resource, outputs: dict[str, Any]) -> struct_pb2.Struct:
        if isinstance(resource, SynchronizationSecret):
            outputs = SynchronizationSecret.mark_sensitive(outputs)
        return to_struct(outputs)

    def GetPluginInfo(self, request: Any, context: Any) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=VERSION)

    def CheckConfig(self, request: provider_pb2.CheckRequest, context: Any) -> provider_pb2.CheckResponse:
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: provider_pb2.DiffRequest, context: Any) -> provider_pb2.DiffResponse:
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)

    def Configure(self, request: provider_pb2.ConfigureRequest, context: Any) -> provider_pb2.ConfigureResponse:
        return provider_pb2.ConfigureResponse(acceptSecrets=True, supportsPreview=True, acceptResources=True)

    def Invoke(self, request: provider_pb2.InvokeRequest, context: Any) -> provider_pb2.InvokeResponse:
        handler = INVOKES.get(request.tok)
        if handler is None:
            return _fail(context, ProviderError(f"the azuread test provider does not implement {request.tok}"))
        try:
            return provider_pb2.InvokeResponse(
                **{"return": to_struct(handler(self.graph, unwrap(from_struct(request.args))))}
            )
        except ProviderError as error:
            return provider_pb2.InvokeResponse(failures=[provider_pb2.CheckFailure(property="", reason=str(error))])

    def Check(self, request: provider_pb2.CheckRequest, context: Any) -> provider_pb2.CheckResponse:
        try:
            resource = self._resource(request.urn)
        except ProviderError as error:
            return _fail(context, error)
        return provider_pb2.CheckResponse(inputs=request.news, failures=resource.check(from_struct(request.news)))

    def Diff(self, request: provider_pb2.DiffRequest, context: Any) -> provider_pb2.DiffResponse:
        try:
            resource = self._resource(request.urn)
        except ProviderError as error:
            return _fail(context, error)
        olds, news = unwrap(from_struct(request.olds)), unwrap(from_struct(request.news))
        return plan_diff(resource.force_new(), resource.schema, olds, news, list(request.ignoreChanges))

    def Create(self, request: provider_pb2.CreateRequest, context: Any) -> provider_pb2.CreateResponse:
        try:
            resource = self._resource(request.urn)
            news = unwrap(from_struct(request.properties))
            if request.preview:
                return provider_pb2.CreateResponse(
                    id="", properties=to_struct(resource.preview(from_struct(request.properties)))
                )
            id_, outputs = resource.create(news)
            return provider_pb2.CreateResponse(id=id_, properties=self._outputs(resource, outputs))
        except ProviderError as error:
            return _fail(context, error)

    def Read(self, request: provider_pb2.ReadRequest, context: Any) -> provider_pb2.ReadResponse:
        try:
            resource = self._resource(request.urn)
            state = unwrap(from_struct(request.properties))
            outputs = resource.read(request.id, state)
        except ProviderError as error:
            return _fail(context, error)
        if outputs is None:
            return provider_pb2.ReadResponse(id="")  # gone: the engine drops it from the state
        inputs = from_struct(request.inputs) if request.HasField("inputs") else {}
        # The bridge's read-back inputs: the declared input properties, as now read.
        new_inputs = {
            k: outputs[k] for k in inputs if k in outputs and resource.schema.get(k, Prop()).kind != "computed"
        }
        return provider_pb2.ReadResponse(
            id=request.id, properties=self._outputs(resource, outputs), inputs=to_struct({**inputs, **new_inputs})
        )

    def Update(self, request: provider_pb2.UpdateRequest, context: Any) -> provider_pb2.UpdateResponse:
        try:
            resource = self._resource(request.urn)
            olds, news = unwrap(from_struct(request.olds)), unwrap(from_struct(request.news))
            diff = plan_diff(resource.force_new(), resource.schema, olds, news, list(request.ignoreChanges))
            # An ignored property keeps the state's value in the plan, so Update writes that value back.
            for name in request.ignoreChanges:
                if name in olds:
                    news[name] = olds[name]
            if request.preview:
                return provider_pb2.UpdateResponse(
                    properties=to_struct(resource.preview(from_struct(request.news), from_struct(request.olds)))
                )
            outputs = resource.update(request.id, olds, news, set(diff.diffs))
            return provider_pb2.UpdateResponse(properties=self._outputs(resource, outputs))
        except ProviderError as error:
            return _fail(context, error)

    def Delete(self, request: provider_pb2.DeleteRequest, context: Any) -> empty_pb2.Empty:
        try:
            self._resource(request.urn).delete(request.id, unwrap(from_struct(request.properties)))
        except ProviderError as error:
            return _fail(context, error)
        return empty_pb2.Empty()

    def Cancel(self, request: Any, context: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()


def main() -> None:
    serve(lambda s: provider_pb2_grpc.add_ResourceProviderServicer_to_server(AzureadTestProvider(), s))


if __name__ == "__main__":
    main()
