"""Pulumi dynamic resources for the Graph synchronization calls the azuread provider lacks.

Type tokens: `pulumi-python:dynamic/webex:ServicePrincipalReady`, `…:SynchronizationTemplate`, `…:AttributeMappings`,
`…:CredentialCheck`, `…:JobRestart`, `…:JobState`, `…:ProvisionOnDemand`.

Pulumi pickles each provider object (dill) into the state and unpickles it in its dynamic-provider host. The provider
classes live here, in an importable module, so dill stores them *by reference* (module + class name) and the host
imports this module (it runs with the project directory as its working directory). Provider objects hold nothing at
all: each method builds its Graph client from its inputs (`graphBaseUrl`) and the azuread settings (see auth.py), so no
token, secret or client can end up in a pickle.

`pulumi refresh` and `pulumi destroy` load the provider from the pickle in the state, so these classes' module path
and names are a contract with every existing stack (pinned in tests/test_graph_pickles.py). Never move or rename one
without leaving a thin alias under the old name here.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import json
import secrets as _secrets
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi.dynamic as dyn
from pulumi.runtime import rpc

from components.graph import schema as schema_ops
from components.graph.errors import DEFAULT_GRAPH_BASE_URL, GraphError

if TYPE_CHECKING:
    from components.graph.client import GraphClient
from components.mapping_settings import MappingSettings, attribute_mappings_inputs

# Job status codes (synchronizationStatus.code) in which a job does not run until started.
STOPPED_STATUS_CODES: frozenset[str] = frozenset({"Paused", "Quarantine"})

# synchronizationSchedule.state of a job that runs on its interval (the portal's Provisioning Status On). Any other
# state (Disabled: never started or turned off; Paused) means the job does not run.
ACTIVE_SCHEDULE_STATE = "Active"


# -- helpers shared by the providers ---------------------------------------------------------------------------


def _has_unknowns(value: Any) -> bool:
    """True when a preview input is not known yet (the engine's unknown sentinel, anywhere inside)."""
    if isinstance(value, str):
        return value == rpc.UNKNOWN
    if isinstance(value, Mapping):
        return any(_has_unknowns(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_unknowns(v) for v in value)
    return False


def _plain(value: Any) -> Any:
    """Secret-wrapped values, should an engine send them, unwrapped (this provider does not accept secrets)."""
    return rpc.unwrap_rpc_secret(value) if rpc.is_rpc_secret(value) else value


def _base_url(props: Mapping[str, Any]) -> str:
    return str(props.get("graphBaseUrl") or DEFAULT_GRAPH_BASE_URL)


def _client(props: Mapping[str, Any], *, fresh: bool = False) -> GraphClient:
    # Imported here: a preview never calls Graph, so it need not load httpx and azure-identity.
    from components.graph.client import GraphClient

    return GraphClient.from_environment(_base_url(props), fresh_principal=fresh)


def _inputs_unknown(news: Mapping[str, Any]) -> bool:
    # The serialized provider itself (`__provider`) may be unknown in a preview; it says nothing about our inputs.
    return any(_has_unknowns(v) for k, v in news.items() if k != "__provider")


def _changed(olds: Mapping[str, Any], news: Mapping[str, Any], keys: Sequence[str]) -> list[str]:
    return [k for k in keys if _has_unknowns(news.get(k)) or olds.get(k) != news.get(k)]


def _missing(props: Mapping[str, Any], keys: Sequence[str]) -> list[dyn.CheckFailure]:
    return [dyn.CheckFailure(k, f"{k} is required") for k in keys if not props.get(k)]


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


class _GraphProvider(dyn.ResourceProvider):
    """What every provider here shares: it takes the stack's `azuread:*` settings from the engine's Configure request
    (the dynamic-provider host's only source of stack config) and leaves them to auth.py, in this process's memory
    only. Nothing is stored on the provider object: it is pickled into the state."""

    def configure(self, req: dyn.ConfigureRequest) -> None:
        from components.graph import auth

        auth.use_stack_config(req.config.get)


# -- ServicePrincipalReady ---------------------------------------------------------------------------------------


class ServicePrincipalReadyProvider(_GraphProvider):
    """Waits until Graph serves a service principal that was just made (F9).

    Instantiating the gallery app returns the new service principal's id, but terraform-provider-azuread's
    application_from_template_resource.go waits only for the *application* to replicate, and its service principal
    data source (service_principal_data_source.go) does not retry a 404: read right away, a replica that has not seen
    the new object yet fails the first `pulumi up`. This resource's create GETs it with the replication retries.
    """

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        return dyn.CheckResult(news, _missing(news, ["servicePrincipalId"]))

    def _get(self, props: Mapping[str, Any], *, fresh: bool) -> dict[str, Any]:
        with _client(props, fresh=fresh) as client:
            found = client.get_service_principal(str(props["servicePrincipalId"]))
        return {
            "servicePrincipalId": str(found.get("id") or props["servicePrincipalId"]),
            "graphBaseUrl": _base_url(props),
        }

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        outs = self._get(props, fresh=True)
        return dyn.CreateResult(outs["servicePrincipalId"], outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        changed = _changed(olds, news, ["servicePrincipalId", "graphBaseUrl"])
        replaces = [k for k in changed if k == "servicePrincipalId"]
        return dyn.DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        return dyn.UpdateResult(self._get(news, fresh=False))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        try:
            return dyn.ReadResult(id_, self._get(props, fresh=False))
        except GraphError as error:
            if error.status == 404:
                return dyn.ReadResult("", {})
            raise

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        return None  # a wait, nothing to undo: the service principal goes with its application


class ServicePrincipalReady(dyn.Resource, module="webex", name="ServicePrincipalReady"):
    """The object id of a service principal, known only once Graph serves it (read it from here, not the input)."""

    servicePrincipalId: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        service_principal_id: pulumi.Input[str],
        graph_base_url: pulumi.Input[str] = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """ServicePrincipalReady(resource_name, *, service_principal_id, graph_base_url=..., opts=None)

        Inputs: servicePrincipalId (object id), graphBaseUrl. Create GETs the service principal, retrying the 404s of
        replication; read drops the resource when it is gone; delete does nothing.
        Outputs: servicePrincipalId (the same id, once served), graphBaseUrl.
        """
        props = {"servicePrincipalId": service_principal_id, "graphBaseUrl": graph_base_url}
        super().__init__(ServicePrincipalReadyProvider(), resource_name, props, opts)


# -- SynchronizationTemplate -------------------------------------------------------------------------------------


def pick_template(templates: Sequence[Mapping[str, Any]], match: str | None) -> Mapping[str, Any]:
    """The Webex template: the one whose id or factoryTag equals `match`, else the only one there is."""

    def label(t: Mapping[str, Any]) -> str:
        tag = t.get("factoryTag")
        return f"{t.get('id')} (factoryTag {tag})" if tag else str(t.get("id"))

    available = ", ".join(label(t) for t in templates) or "none"
    if match:
        wanted = match.strip().lower()
        hits = [
            t for t in templates if wanted in {str(t.get("id") or "").lower(), str(t.get("factoryTag") or "").lower()}
        ]
        if len(hits) == 1:
            return hits[0]
        raise ValueError(
            f"synchronization template {match!r} {'is ambiguous' if hits else 'not found'} on this service "
            f"principal; available: {available}"
        )
    if len(templates) == 1:
        return templates[0]
    if not templates:
        raise ValueError(
            "the service principal has no synchronization templates: is it the Cisco Webex gallery app, and does "
            "the caller have Synchronization.ReadWrite.All or own it (Application.ReadWrite.OwnedBy)?"
        )
    raise ValueError(
        f"the service principal has {len(templates)} synchronization templates ({available}); "
        "say which one to use with the template id override"
    )


class SynchronizationTemplateProvider(_GraphProvider):
    """Looks up the synchronization template id with one GET …/synchronization/templates."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        return dyn.CheckResult(news, _missing(news, ["servicePrincipalId"]))

    def _lookup(self, props: Mapping[str, Any], *, fresh: bool, keep: str | None = None) -> dict[str, Any]:
        """The template to use; `keep` (the id already recorded) wins while the service principal still has it.

        The job's template id forces a new job (terraform-provider-azuread synchronization_job_resource.go:
        template_id ForceNew): a second template appearing in the gallery, or a different answer, must never
        replace the job on a refresh or an unrelated update (F8). Only a changed `templateMatch` chooses again.
        """
        with _client(props, fresh=fresh) as client:
            templates = client.list_templates(str(props["servicePrincipalId"]))
        recorded = [t for t in templates if keep and str(t.get("id")) == keep]
        chosen = recorded[0] if recorded else pick_template(templates, props.get("templateMatch"))
        return {
            "servicePrincipalId": props["servicePrincipalId"],
            "graphBaseUrl": _base_url(props),
            "templateMatch": props.get("templateMatch"),
            "templateId": chosen.get("id"),
            "factoryTag": chosen.get("factoryTag"),
            "availableTemplateIds": sorted(str(t.get("id")) for t in templates),
        }

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        outs = self._lookup(props, fresh=True)
        return dyn.CreateResult(f"{outs['servicePrincipalId']}/{outs['templateId']}", outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        changed = _changed(olds, news, ["servicePrincipalId", "graphBaseUrl", "templateMatch"])
        replaces = [k for k in changed if k == "servicePrincipalId"]
        return dyn.DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        same_choice = olds.get("templateMatch") == news.get("templateMatch")
        return dyn.UpdateResult(self._lookup(news, fresh=False, keep=olds.get("templateId") if same_choice else None))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        try:
            outs = self._lookup(props, fresh=False, keep=props.get("templateId"))
        except GraphError as error:
            if error.status == 404:
                return dyn.ReadResult("", {})
            raise
        return dyn.ReadResult(id_, outs)


class SynchronizationTemplate(dyn.Resource, module="webex", name="SynchronizationTemplate"):
    """The Cisco Webex synchronization template id of a service principal (a lookup; deleting it does nothing)."""

    templateId: pulumi.Output[str]
    factoryTag: pulumi.Output[str | None]
    availableTemplateIds: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        *,
        service_principal_id: pulumi.Input[str],
        template_match: pulumi.Input[str] | None = None,
        graph_base_url: pulumi.Input[str] = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """SynchronizationTemplate(resource_name, *, service_principal_id, template_match=None,
        graph_base_url="https://graph.microsoft.com/v1.0", opts=None)

        Inputs (camelCase in state): servicePrincipalId, templateMatch (a template id or factoryTag: the config
        override; without it the service principal must have exactly one template), graphBaseUrl.
        Outputs: templateId, factoryTag, availableTemplateIds.
        """
        props = {
            "servicePrincipalId": service_principal_id,
            "templateMatch": template_match,
            "graphBaseUrl": graph_base_url,
            "templateId": None,
            "factoryTag": None,
            "availableTemplateIds": None,
        }
        super().__init__(SynchronizationTemplateProvider(), resource_name, props, opts)


# -- AttributeMappings -------------------------------------------------------------------------------------------

_MAPPING_INPUTS = ("userMappings", "removedTargets", "scopingFilter", "groupObjects", "userNameSource")


def _mapping_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    desired = schema_ops.Desired.from_props(props)
    return {
        "servicePrincipalId": props.get("servicePrincipalId"),
        "jobId": props.get("jobId"),
        "graphBaseUrl": _base_url(props),
        "userMappings": desired.user_mappings,
        "removedTargets": desired.removed_targets,
        "scopingFilter": desired.scoping_filter,
        "groupObjects": desired.group_objects,
        "userNameSource": props.get("userNameSource"),
    }


class AttributeMappingsProvider(_GraphProvider):
    """GET the job schema, change only what we manage, PUT the complete document back (only when it differs)."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        failures = _missing(news, ["servicePrincipalId", "jobId"])
        rows = news.get("userMappings")
        if not _has_unknowns(rows):
            targets: set[str] = set()
            for index, row in enumerate(rows or []):
                given = [k for k in ("source", "expression", "constant") if (row or {}).get(k) is not None]
                target = (row or {}).get("target")
                if not target:
                    failures.append(dyn.CheckFailure("userMappings", f"userMappings[{index}] has no target"))
                elif target in targets:
                    failures.append(dyn.CheckFailure("userMappings", f"target {target!r} appears more than once"))
                elif len(given) != 1:
                    failures.append(
                        dyn.CheckFailure(
                            "userMappings",
                            f"userMappings[{index}] ({target}) needs exactly one of source, expression, constant",
                        )
                    )
                targets.add(str(target))
        return dyn.CheckResult(news, failures)

    def _apply(self, props: Mapping[str, Any], *, fresh: bool) -> dict[str, Any]:
        sp_id, job_id = str(props["servicePrincipalId"]), str(props["jobId"])
        desired = schema_ops.Desired.from_props(props)
        with _client(props, fresh=fresh) as client:
            live = client.get_schema(sp_id, job_id)
            # Everything (including Graph's parse of changed expressions) is computed before the one write, so a
            # failure before the PUT leaves the live schema as it was, and the PUT itself is all-or-nothing.
            result = schema_ops.plan(
                live,
                desired,
                parse=lambda e: client.parse_expression(sp_id, job_id, e),
                operators=lambda: [str(o.get("name")) for o in client.filter_operators(sp_id, job_id)],
            )
            if result.changed:
                pulumi.log.info(f"AttributeMappings {job_id}: " + "; ".join(result.changes))
                client.put_schema(sp_id, job_id, result.document)
        return {**_mapping_inputs(props), "ruleId": result.rule_id, "appliedMappings": result.applied}

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        outs = self._apply(props, fresh=True)
        return dyn.CreateResult(f"{outs['servicePrincipalId']}/{outs['jobId']}", outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        return dyn.UpdateResult(self._apply(news, fresh=False))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        replaces = _changed(olds, news, ["servicePrincipalId", "jobId"])
        if replaces:
            return dyn.DiffResult(changes=True, replaces=replaces, delete_before_replace=False)
        if _inputs_unknown(news) or _changed(olds, news, ["graphBaseUrl"]):
            return dyn.DiffResult(changes=True, replaces=[], delete_before_replace=False)
        # Compare with the live schema, not the state: a portal edit since the last run shows up as a change.
        desired = schema_ops.Desired.from_props(news)
        try:
            with _client(news) as client:
                live = client.get_schema(str(news["servicePrincipalId"]), str(news["jobId"]))
        except GraphError as error:
            pulumi.log.warn(f"AttributeMappings: could not read the live schema, comparing with the state: {error}")
            wanted = _mapping_inputs(news)
            return dyn.DiffResult(changes=any(olds.get(k) != wanted.get(k) for k in _MAPPING_INPUTS), replaces=[])
        return dyn.DiffResult(changes=schema_ops.plan(live, desired).changed, replaces=[], delete_before_replace=False)

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        desired = schema_ops.Desired.from_props(props)
        try:
            with _client(props) as client:
                live = client.get_schema(str(props["servicePrincipalId"]), str(props["jobId"]))
        except GraphError as error:
            if error.status == 404:
                return dyn.ReadResult("", {})
            raise
        observed = schema_ops.observe(live, desired)
        return dyn.ReadResult(id_, {**_mapping_inputs(props), **observed})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        # DELETE resets the job's schema to the template default; a job already gone is fine.
        with _client(props) as client:
            client.delete_schema(str(props["servicePrincipalId"]), str(props["jobId"]))


class AttributeMappings(dyn.Resource, module="webex", name="AttributeMappings"):
    """The Webex attribute mappings, user scoping filter and group-object switch of a provisioning job."""

    ruleId: pulumi.Output[str]
    appliedMappings: pulumi.Output[list[dict[str, Any]]]
    userMappings: pulumi.Output[list[dict[str, Any]]]
    scopingFilter: pulumi.Output[list[dict[str, Any]]]
    groupObjects: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        *,
        service_principal_id: pulumi.Input[str],
        job_id: pulumi.Input[str],
        user_mappings: pulumi.Input[Sequence[pulumi.Input[Mapping[str, Any]]]],
        removed_targets: pulumi.Input[Sequence[str]] = (),
        scoping_filter: pulumi.Input[Sequence[Mapping[str, Any]]] = (),
        group_objects: pulumi.Input[bool] = False,
        user_name_source: pulumi.Input[str] | None = None,
        graph_base_url: pulumi.Input[str] = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """AttributeMappings(resource_name, *, service_principal_id, job_id, user_mappings, removed_targets=(),
        scoping_filter=(), group_objects=False, user_name_source=None,
        graph_base_url="https://graph.microsoft.com/v1.0", opts=None)

        Inputs (camelCase in state): servicePrincipalId, jobId, graphBaseUrl, userMappings (rows
        {target, source, expression, constant, flowType, matchingPriority, defaultValue}, from
        `desired_user_mappings`), removedTargets [str], scopingFilter [{clauses: [{attribute, operator, values}]}],
        groupObjects (bool), userNameSource (str, informational: the userName row carries it).
        Outputs: the inputs, plus ruleId (the synchronizationRule id provisionOnDemand needs) and appliedMappings
        (the job's whole user mapping table after the change, as rows). `AttributeMappings.from_settings` builds
        the mapping inputs from a `MappingSettings`.
        """
        props = {
            "servicePrincipalId": service_principal_id,
            "jobId": job_id,
            "graphBaseUrl": graph_base_url,
            "userMappings": user_mappings,
            "removedTargets": list(removed_targets) if isinstance(removed_targets, (list, tuple)) else removed_targets,
            "scopingFilter": list(scoping_filter) if isinstance(scoping_filter, (list, tuple)) else scoping_filter,
            "groupObjects": group_objects,
            "userNameSource": user_name_source,
            "ruleId": None,
            "appliedMappings": None,
        }
        super().__init__(AttributeMappingsProvider(), resource_name, props, opts)

    @classmethod
    def from_settings(
        cls,
        resource_name: str,
        mappings: MappingSettings,
        *,
        service_principal_id: pulumi.Input[str],
        job_id: pulumi.Input[str],
        graph_base_url: pulumi.Input[str] = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> AttributeMappings:
        """The resource for a validated `webex-scim:mappings` value."""
        inputs = attribute_mappings_inputs(mappings)
        return cls(
            resource_name,
            service_principal_id=service_principal_id,
            job_id=job_id,
            user_mappings=inputs["userMappings"],
            removed_targets=inputs["removedTargets"],
            scoping_filter=inputs["scopingFilter"],
            group_objects=inputs["groupObjects"],
            user_name_source=inputs["userNameSource"],
            graph_base_url=graph_base_url,
            opts=opts,
        )


# -- CredentialCheck ---------------------------------------------------------------------------------------------


def token_fingerprint(token: str, salt_hex: str) -> str:
    """HMAC-SHA256 of the token under a random per-resource salt: lets a later run tell "token changed" without
    keeping the token. A Webex bearer token is long and random, so this reveals nothing usable."""
    return hmac.new(bytes.fromhex(salt_hex), token.encode("utf-8"), hashlib.sha256).hexdigest()


class CredentialCheckProvider(_GraphProvider):
    """POST …/validateCredentials with the tenant URL and Webex token, on create and when either changes."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        # Failure texts name the property only: the token must never appear in one.
        return dyn.CheckResult(news, _missing(news, ["servicePrincipalId", "jobId", "tenantUrl", "token"]))

    def _validate(self, props: Mapping[str, Any], *, fresh: bool) -> dict[str, Any]:
        token = str(_plain(props["token"]))
        tenant_url = str(props["tenantUrl"])
        with _client(props, fresh=fresh) as client:
            client.validate_credentials(str(props["servicePrincipalId"]), str(props["jobId"]), tenant_url, token)
        salt = _secrets.token_hex(16)
        return {
            "servicePrincipalId": props["servicePrincipalId"],
            "jobId": props["jobId"],
            "graphBaseUrl": _base_url(props),
            "tenantUrl": tenant_url,
            "tokenFingerprint": token_fingerprint(token, salt),
            "fingerprintSalt": salt,
            "validatedAt": _now(),
        }

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        return dyn.CreateResult(f"validate-{uuid.uuid4().hex}", self._validate(props, fresh=True))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        changed = _changed(olds, news, ["servicePrincipalId", "jobId", "tenantUrl", "graphBaseUrl"])
        token = _plain(news.get("token"))
        salt, fingerprint = olds.get("fingerprintSalt"), olds.get("tokenFingerprint")
        if _has_unknowns(token) or not (salt and fingerprint) or token_fingerprint(str(token), salt) != fingerprint:
            changed.append("token")
        return dyn.DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        return dyn.UpdateResult(self._validate(news, fresh=False))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        # Re-validating on refresh would send the token on every run; the check is about changes only.
        return dyn.ReadResult(id_, props)


class CredentialCheck(dyn.Resource, module="webex", name="CredentialCheck"):
    """Fails the deployment with Entra's/Webex's message when the tenant URL + token pair is rejected."""

    tokenFingerprint: pulumi.Output[str]
    validatedAt: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        service_principal_id: pulumi.Input[str],
        job_id: pulumi.Input[str],
        tenant_url: pulumi.Input[str],
        token: pulumi.Input[str],
        graph_base_url: pulumi.Input[str] = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """CredentialCheck(resource_name, *, service_principal_id, job_id, tenant_url, token,
        graph_base_url="https://graph.microsoft.com/v1.0", opts=None)

        Inputs: servicePrincipalId, jobId, graphBaseUrl, tenantUrl, token (wrapped as a secret here whatever the
        caller passes; it is sent only in the validateCredentials body and never returned as an output).
        Outputs: tenantUrl, tokenFingerprint + fingerprintSalt (salted HMAC, to detect a changed token),
        validatedAt. Graph's validateCredentials is job-scoped in v1.0, so a job id is required.
        """
        props = {
            "servicePrincipalId": service_principal_id,
            "jobId": job_id,
            "graphBaseUrl": graph_base_url,
            "tenantUrl": tenant_url,
            "token": pulumi.Output.secret(token),
            "tokenFingerprint": None,
            "fingerprintSalt": None,
            "validatedAt": None,
        }
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=["token", "tokenFingerprint"])
        )
        super().__init__(CredentialCheckProvider(), resource_name, props, opts)


# -- JobRestart --------------------------------------------------------------------------------------------------

_RESTART_RECORD = (
    "restartedRequestId",
    "forcedDeletesRequestId",
    "restartedAt",
    "resetScope",
    "jobStatusBefore",
    "startedJob",
)


class JobRestartProvider(_GraphProvider):
    """Restart the job once per new `requestId` (the portal's Restart provisioning: Watermark, Escrows,
    QuarantineState), or once per new `forceDeletesRequest` (the same plus ForceDeletes); never Full.

    A request is handled only while `enabled` is true: Graph documents that restarting can start a paused or
    quarantined job (resetScope `None` "Starts a paused or quarantined provisioning job"), so a job the stack says is
    off is not restarted; the request waits, with a warning, until provisioning is switched on. After the restart a
    Paused or Quarantine job is started (the request is the explicit decision to release a quarantine).
    """

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        failures = _missing(news, ["servicePrincipalId", "jobId"])
        enabled = news.get("enabled")
        if not _has_unknowns(enabled) and not isinstance(enabled, bool):
            failures.append(dyn.CheckFailure("enabled", "enabled must be true or false"))
        return dyn.CheckResult(news, failures)

    def _outs(self, props: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "servicePrincipalId": props["servicePrincipalId"],
            "jobId": props["jobId"],
            "graphBaseUrl": _base_url(props),
            "requestId": props.get("requestId") or "",
            "forceDeletesRequest": props.get("forceDeletesRequest") or "",
            "enabled": bool(props.get("enabled")),
        }

    def _handle(self, props: Mapping[str, Any], olds: Mapping[str, Any], *, fresh: bool) -> dict[str, Any]:
        """Restart when a request is new and provisioning is on; otherwise keep the record of the last restart."""
        record = {k: olds.get(k) for k in _RESTART_RECORD}
        record["restartedRequestId"] = record["restartedRequestId"] or ""
        record["forcedDeletesRequestId"] = record["forcedDeletesRequestId"] or ""
        record["startedJob"] = bool(record["startedJob"])
        request = props.get("requestId") or ""
        force = props.get("forceDeletesRequest") or ""
        restart_new = bool(request) and request != record["restartedRequestId"]
        force_new = bool(force) and force != record["forcedDeletesRequestId"]
        if not (restart_new or force_new):
            return {**self._outs(props), **record}
        job_id = str(props["jobId"])
        if not props.get("enabled"):
            pending = ", ".join(
                f"{key} {value!r}"
                for key, value, new in (
                    ("restart request", request, restart_new),
                    ("force-deletes request", force, force_new),
                )
                if new
            )
            pulumi.log.warn(
                f"JobRestart {job_id}: {pending} not sent: provisioning is off (provisioning.enabled: false), and a "
                "restart can start a stopped job; it is sent when provisioning is switched on"
            )
            return {**self._outs(props), **record}
        sp_id = str(props["servicePrincipalId"])
        with _client(props, fresh=fresh) as client:
            status = ((client.get_job(sp_id, job_id).get("status") or {}).get("code")) or None
            scope = client.restart_job(sp_id, job_id, force_deletes=force_new)
            started = status in STOPPED_STATUS_CODES
            if started:
                client.start_job(sp_id, job_id)
        pulumi.log.info(
            f"JobRestart {job_id}: restarted with resetScope {scope!r} (request {request or force!r}); status was "
            f"{status}" + ("; started it" if started else "")
        )
        return {
            **self._outs(props),
            "restartedRequestId": request if restart_new else record["restartedRequestId"],
            "forcedDeletesRequestId": force if force_new else record["forcedDeletesRequestId"],
            "restartedAt": _now(),
            "resetScope": scope,
            "jobStatusBefore": status,
            "startedJob": started,
        }

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        # An empty requestId records the job without touching it; a non-empty one is a restart request.
        return dyn.CreateResult(f"restart-{uuid.uuid4().hex}", self._handle(props, {}, fresh=True))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        keys = ["servicePrincipalId", "jobId", "graphBaseUrl", "requestId", "forceDeletesRequest", "enabled"]
        # State written before `forceDeletesRequest`/`enabled` existed: an absent key is the same as the default.
        olds = {**olds, "forceDeletesRequest": olds.get("forceDeletesRequest") or "", "enabled": olds.get("enabled")}
        news = {**news, "forceDeletesRequest": news.get("forceDeletesRequest") or ""}
        if olds["enabled"] is None:
            olds["enabled"] = news.get("enabled")
        changed = _changed(olds, news, keys)
        return dyn.DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        return dyn.UpdateResult(self._handle(news, olds, fresh=False))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        # Nothing live to compare: a restart is an event, not a state.
        return dyn.ReadResult(id_, props)


class JobRestart(dyn.Resource, module="webex", name="JobRestart"):
    """Restart of a provisioning job (the portal's Restart provisioning), once per value of `request_id`."""

    restartedRequestId: pulumi.Output[str]
    forcedDeletesRequestId: pulumi.Output[str]
    restartedAt: pulumi.Output[str | None]
    resetScope: pulumi.Output[str | None]
    jobStatusBefore: pulumi.Output[str | None]
    startedJob: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        *,
        service_principal_id: pulumi.Input[str],
        job_id: pulumi.Input[str],
        enabled: pulumi.Input[bool],
        request_id: pulumi.Input[str] = "",
        force_deletes_request: pulumi.Input[str] = "",
        graph_base_url: pulumi.Input[str] = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """JobRestart(resource_name, *, service_principal_id, job_id, enabled, request_id="",
        force_deletes_request="", graph_base_url="https://graph.microsoft.com/v1.0", opts=None)

        Inputs: servicePrincipalId, jobId, graphBaseUrl, enabled (the stack's provisioning on/off), requestId,
        forceDeletesRequest. A new non-empty requestId restarts the job with resetScope "Watermark, Escrows,
        QuarantineState" (the portal's Restart provisioning: the accidental-deletion threshold still holds back what it
        held back); a new non-empty forceDeletesRequest restarts with "Watermark, Escrows, QuarantineState,
        ForceDeletes" (the held-back deletions go through: a separate, explicit decision). Both on create too. Never
        Full, never ConnectorDataStore. Unchanged or empty values never restart; while enabled is false nothing is
        sent (a warning says the request waits). After a restart, a Paused or Quarantine job is started.
        Outputs: restartedRequestId, forcedDeletesRequestId (the requests handled), restartedAt, resetScope,
        jobStatusBefore, startedJob.
        """
        props = {
            "servicePrincipalId": service_principal_id,
            "jobId": job_id,
            "graphBaseUrl": graph_base_url,
            "enabled": enabled,
            "requestId": request_id,
            "forceDeletesRequest": force_deletes_request,
            **dict.fromkeys(_RESTART_RECORD),
        }
        super().__init__(JobRestartProvider(), resource_name, props, opts)


# -- JobState ----------------------------------------------------------------------------------------------------

# What Graph reports right after each call (schedule.state, status.code): start clears a pause or a quarantine and
# schedules the job; pause turns the schedule off. A refresh (`read`) replaces these with the live values.
_AFTER_CALL: dict[str, tuple[str, str]] = {"start": ("Active", "Active"), "pause": ("Disabled", "Paused")}


QUARANTINED = "quarantined"


def job_state_action(enabled: bool, schedule_state: str | None, status_code: str | None) -> str | None:
    """The call that puts a job in the wanted state: "start", "pause", None (already there), or "quarantined".

    Wanted on: start unless the schedule is Active and the job is not Paused. A job in Quarantine is never started
    here ("quarantined": report it): start would lift the quarantine, and a quarantine (the accidental-deletion
    threshold above all) is a human gate that only an explicit restart request releases. Wanted off: pause only a
    job whose schedule is Active; a Disabled or Paused job is already off.
    """
    running = schedule_state == ACTIVE_SCHEDULE_STATE
    if enabled:
        if status_code == "Quarantine":
            return QUARANTINED
        return None if running and status_code not in STOPPED_STATUS_CODES else "start"
    return "pause" if running else None


class JobQuarantinedError(RuntimeError):
    """The job is in quarantine and no explicit request releases it: `pulumi up` reports it instead of starting it."""


def quarantine_message(job_id: str, job: Mapping[str, Any]) -> str:
    """What is wrong and how to release it, from Graph's synchronizationQuarantine (reason, error, currentBegan)."""
    quarantine = (job.get("status") or {}).get("quarantine") or {}
    error = quarantine.get("error") or {}
    reason = quarantine.get("reason") or "not given"
    detail = ": ".join(str(v) for v in (error.get("code"), error.get("message")) if v)
    since = f" since {quarantine['currentBegan']}" if quarantine.get("currentBegan") else ""
    text = (
        f"provisioning job {job_id} is in quarantine (reason {reason}{since}"
        + (f"; {detail}" if detail else "")
        + "). `pulumi up` does not lift a quarantine on its own: it holds provisioning until someone decides. Fix the "
        "cause, then release it explicitly with a new restart request: `pulumi config set --path "
        "'provisioning.restartRequest' <new value>` (the portal's Restart provisioning: resetScope Watermark, Escrows, "
        "QuarantineState), or Restart provisioning in the portal."
    )
    if reason == "TooManyDeletes":
        text += (
            " The accidental-deletion threshold held deletions back; a restart keeps them held. Review them in the "
            "provisioning logs; to let them through, set a new `provisioning.forceDeletesRequest` (ForceDeletes)."
        )
    return text


def _job_state(job: Mapping[str, Any]) -> tuple[str | None, str | None]:
    schedule_state = (job.get("schedule") or {}).get("state") or None
    status_code = (job.get("status") or {}).get("code") or None
    return schedule_state, status_code


class JobStateProvider(_GraphProvider):
    """Starts or pauses the job so that it runs exactly when `enabled` says (GET the job, then at most one POST)."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        failures = _missing(news, ["servicePrincipalId", "jobId"])
        enabled = news.get("enabled")
        if not _has_unknowns(enabled) and not isinstance(enabled, bool):
            failures.append(dyn.CheckFailure("enabled", "enabled must be true or false"))
        return dyn.CheckResult(news, failures)

    def _outs(self, props: Mapping[str, Any], enabled: bool) -> dict[str, Any]:
        return {
            "servicePrincipalId": props["servicePrincipalId"],
            "jobId": props["jobId"],
            "graphBaseUrl": _base_url(props),
            "enabled": enabled,
        }

    def _apply(self, props: Mapping[str, Any], *, fresh: bool) -> dict[str, Any]:
        sp_id, job_id, enabled = str(props["servicePrincipalId"]), str(props["jobId"]), bool(props["enabled"])
        with _client(props, fresh=fresh) as client:
            job = client.get_job(sp_id, job_id)
            schedule_state, status_code = _job_state(job)
            action = job_state_action(enabled, schedule_state, status_code)
            if action == QUARANTINED:
                raise JobQuarantinedError(quarantine_message(job_id, job))
            if action == "start":
                client.start_job(sp_id, job_id)
            elif action == "pause":
                client.pause_job(sp_id, job_id)
        if action:
            pulumi.log.info(
                f"JobState {job_id}: {action} (schedule was {schedule_state}, status {status_code}); "
                f"provisioning is now {'on' if enabled else 'off'}"
            )
            schedule_state, status_code = _AFTER_CALL[action]
        return {**self._outs(props, enabled), "scheduleState": schedule_state, "statusCode": status_code}

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        return dyn.CreateResult(f"jobstate-{uuid.uuid4().hex}", self._apply(props, fresh=True))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        # `olds` are the outputs: after a refresh they hold the live state (`read`), so a portal toggle, a pause or a
        # quarantine since the last run is a change even when the inputs are the same. No Graph call here.
        changed = _changed(olds, news, ["servicePrincipalId", "jobId", "graphBaseUrl", "enabled"])
        if not changed and olds.get("scheduleState") is not None:
            if job_state_action(bool(news.get("enabled")), olds.get("scheduleState"), olds.get("statusCode")):
                changed.append("scheduleState")
        return dyn.DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        return dyn.UpdateResult(self._apply(news, fresh=False))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        try:
            with _client(props) as client:
                job = client.get_job(str(props["servicePrincipalId"]), str(props["jobId"]))
        except GraphError as error:
            if error.status == 404:
                return dyn.ReadResult("", {})
            raise
        schedule_state, status_code = _job_state(job)
        # `enabled` is what Graph says (the azuread provider reads it the same way), so a portal toggle is drift.
        outs = self._outs(props, schedule_state == ACTIVE_SCHEDULE_STATE)
        return dyn.ReadResult(id_, {**outs, "scheduleState": schedule_state, "statusCode": status_code})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        # Nothing to undo: the job itself goes with the azuread SynchronizationJob.
        return None


class JobState(dyn.Resource, module="webex", name="JobState"):
    """Provisioning Status On/Off of a provisioning job: starts or pauses it to match `enabled`."""

    enabled: pulumi.Output[bool]
    scheduleState: pulumi.Output[str | None]
    statusCode: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        *,
        service_principal_id: pulumi.Input[str],
        job_id: pulumi.Input[str],
        enabled: pulumi.Input[bool],
        graph_base_url: pulumi.Input[str] = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """JobState(resource_name, *, service_principal_id, job_id, enabled,
        graph_base_url="https://graph.microsoft.com/v1.0", opts=None)

        Inputs: servicePrincipalId (the bare object id), jobId (the Graph job id, not the azuread resource id),
        graphBaseUrl, enabled (bool). Create and update GET the job, then POST …/start when enabled and the job is
        not running (schedule not Active, or status Paused), or POST …/pause when not enabled and the schedule is
        Active; otherwise nothing. A job in Quarantine with enabled true is not started: the update fails with
        JobQuarantinedError naming Graph's quarantine reason and how to release it (a new restart request, which
        JobRestart handles; make this depend on the JobRestart). Never a restart. Delete makes no call.
        Outputs: the inputs, scheduleState (job.schedule.state: Active, Disabled, Paused) and statusCode
        (job.status.code: Active, Paused, Quarantine, NotRun, …), as Graph reports them after the call. A refresh
        reads them live and sets enabled to schedule.state == Active, so a portal toggle is drift the next
        `pulumi up` reverts. Create the azuread SynchronizationJob with enabled=False (ignore_changes=["enabled"])
        and make this depend on the credentials and mappings, so the first cycle runs with both.
        """
        props = {
            "servicePrincipalId": service_principal_id,
            "jobId": job_id,
            "graphBaseUrl": graph_base_url,
            "enabled": enabled,
            "scheduleState": None,
            "statusCode": None,
        }
        super().__init__(JobStateProvider(), resource_name, props, opts)


# -- ProvisionOnDemand -------------------------------------------------------------------------------------------

# provisionOnDemand's answer is a stringKeyStringValuePair whose `key` is JSON text {"result", "details":
# {"errorCode", "errorMessage"}} and whose `value` is JSON text {"action", "reportableIdentifier", "statusInfo":
# {"status", "errorCode", "reason", "recommendedAction", …}, "provisioningSteps": [{"name", "type", "status",
# "description", "details"}], "targetIdentity", …} (microsoft-graph-docs-contrib api-reference/v1.0/api/
# synchronization-synchronizationjob-provisionondemand.md, example 1 answers "Skipped"/"RedundantExport").
# Skipped because Webex already matches Entra ("RedundantExport": "The state of the user in both the source and
# target systems already match") is a success: re-provisioning after a mapping change that alters nothing for the
# pilot must not fail every later `pulumi up`.
_ALREADY_IN_SYNC = "RedundantExport"
_ON_DEMAND_REPLACE_KEYS = ("servicePrincipalId", "jobId", "ruleId", "objectId", "objectTypeName", "triggers")


class ProvisionOnDemandError(RuntimeError):
    """Graph answered provisionOnDemand with Skipped or Failure: the pilot user did not reach Webex."""


def _json_text(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    try:
        parsed = json.loads(value) if isinstance(value, str) and value else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def on_demand_outcome(body: Mapping[str, Any]) -> dict[str, Any]:
    """Graph's answer reduced to what a user needs: result, Graph's reason, the steps that did not succeed.

    Accepts the documented single pair and, defensively, a collection of pairs (`value: [...]`); the worst result
    of several wins (Failure over Skipped over Success).
    """
    pairs = body.get("value") if isinstance(body.get("value"), list) else [body]
    rank = {"Failure": 2, "Skipped": 1, "Success": 0}
    outcome: dict[str, Any] | None = None
    for pair in pairs or []:
        key, value = _json_text(pair.get("key")), _json_text(pair.get("value"))
        details = key.get("details") if isinstance(key.get("details"), Mapping) else {}
        status = value.get("statusInfo") if isinstance(value.get("statusInfo"), Mapping) else {}
        steps = [s for s in value.get("provisioningSteps") or [] if isinstance(s, Mapping)]
        result = str(key.get("result") or status.get("status") or "Unknown")
        current = {
            "result": result,
            "errorCode": details.get("errorCode") or status.get("errorCode"),
            "errorMessage": details.get("errorMessage") or status.get("reason"),
            "recommendedAction": status.get("recommendedAction"),
            "reportableIdentifier": value.get("reportableIdentifier"),
            "action": value.get("action"),
            "targetId": (value.get("targetIdentity") or {}).get("id")
            if isinstance(value.get("targetIdentity"), Mapping)
            else None,
            "steps": [
                {
                    "name": step.get("name"),
                    "type": step.get("type"),
                    "status": step.get("status"),
                    "description": step.get("description"),
                    # Only the reasons: a step's other details are the user's attribute values.
                    "reason": (step.get("details") or {}).get("SkipReason")
                    or (step.get("details") or {}).get("ErrorCode")
                    if isinstance(step.get("details"), Mapping)
                    else None,
                }
                for step in steps
                if step.get("status") not in (None, "Success")
            ],
        }
        if outcome is None or rank.get(result, 3) > rank.get(outcome["result"], 3):
            outcome = current
    return outcome or {"result": "Unknown", "errorCode": None, "errorMessage": "empty answer", "steps": []}


def on_demand_succeeded(outcome: Mapping[str, Any]) -> bool:
    if outcome["result"] == "Success":
        return True
    reasons = {outcome.get("errorCode"), *(step.get("reason") for step in outcome.get("steps") or [])}
    return outcome["result"] == "Skipped" and _ALREADY_IN_SYNC in reasons


def on_demand_message(object_id: str, outcome: Mapping[str, Any]) -> str:
    who = f"{outcome['reportableIdentifier']} ({object_id})" if outcome.get("reportableIdentifier") else object_id
    why = ": ".join(str(v) for v in (outcome.get("errorCode"), outcome.get("errorMessage")) if v) or "no reason given"
    text = f"provision on demand of the pilot user {who} was {outcome['result']} by Graph: {why}"
    for step in outcome.get("steps") or []:
        reason = f" [{step['reason']}]" if step.get("reason") else ""
        text += (
            f"; step {step.get('name')} ({step.get('type')}) {step.get('status')}: {step.get('description')}{reason}"
        )
    if outcome.get("recommendedAction"):
        text += f"; recommended action: {outcome['recommendedAction']}"
    if outcome["result"] == "Skipped":
        text += (
            ". A skipped user is out of scope: assign them to the app with a Webex role (not Default Access), and "
            "check the scoping filter"
        )
    return text


class ProvisionOnDemandProvider(_GraphProvider):
    """POST …/provisionOnDemand for the pilot user; fails when Graph answers Skipped or Failure."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        return dyn.CheckResult(news, _missing(news, ["servicePrincipalId", "jobId", "ruleId", "objectId"]))

    def _outs(self, props: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "servicePrincipalId": props["servicePrincipalId"],
            "jobId": props["jobId"],
            "graphBaseUrl": _base_url(props),
            "ruleId": props["ruleId"],
            "objectId": props["objectId"],
            "objectTypeName": props.get("objectTypeName") or "User",
            "triggers": dict(props.get("triggers") or {}),
        }

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        outs = self._outs(props)
        with _client(props) as client:
            body = client.provision_on_demand(
                str(outs["servicePrincipalId"]),
                str(outs["jobId"]),
                rule_id=str(outs["ruleId"]),
                object_id=str(outs["objectId"]),
                object_type=str(outs["objectTypeName"]),
            )
        outcome = on_demand_outcome(body)
        if not on_demand_succeeded(outcome):
            raise ProvisionOnDemandError(on_demand_message(str(outs["objectId"]), outcome))
        pulumi.log.info(
            f"ProvisionOnDemand {outs['objectId']}: {outcome['result']}"
            + (f" ({outcome['errorCode']})" if outcome.get("errorCode") else "")
            + (f", action {outcome['action']}" if outcome.get("action") else "")
        )
        return dyn.CreateResult(
            f"on-demand-{uuid.uuid4().hex}",
            {
                **outs,
                "result": outcome["result"],
                "reason": outcome.get("errorCode"),
                "action": outcome.get("action"),
                "reportableIdentifier": outcome.get("reportableIdentifier"),
                "targetId": outcome.get("targetId"),
                "provisionedAt": _now(),
            },
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        olds = {**olds, "objectTypeName": olds.get("objectTypeName") or "User", "triggers": olds.get("triggers") or {}}
        news = {**news, "objectTypeName": news.get("objectTypeName") or "User", "triggers": news.get("triggers") or {}}
        replaces = _changed(olds, news, list(_ON_DEMAND_REPLACE_KEYS))
        changed = replaces or _changed(olds, news, ["graphBaseUrl"])
        return dyn.DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        # Only graphBaseUrl updates in place (everything else replaces): nothing to send.
        kept = {k: olds.get(k) for k in ("result", "reason", "action", "reportableIdentifier", "targetId")}
        return dyn.UpdateResult({**self._outs(news), **kept, "provisionedAt": olds.get("provisionedAt")})

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        # An event, not a state: nothing live to compare.
        return dyn.ReadResult(id_, props)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        # Provisioning cannot be undone here; removing the pilot leaves Webex to the regular cycles.
        return None


class ProvisionOnDemand(dyn.Resource, module="webex", name="ProvisionOnDemand"):
    """The portal's Provision on demand for one user: fails `pulumi up` with Graph's reason unless it worked."""

    result: pulumi.Output[str]
    reason: pulumi.Output[str | None]
    action: pulumi.Output[str | None]
    reportableIdentifier: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        *,
        service_principal_id: pulumi.Input[str],
        job_id: pulumi.Input[str],
        rule_id: pulumi.Input[str],
        object_id: pulumi.Input[str],
        triggers: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        graph_base_url: pulumi.Input[str] = DEFAULT_GRAPH_BASE_URL,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """ProvisionOnDemand(resource_name, *, service_principal_id, job_id, rule_id, object_id, triggers=None,
        graph_base_url="https://graph.microsoft.com/v1.0", opts=None)

        Inputs: servicePrincipalId, jobId (bare Graph ids), graphBaseUrl, ruleId (the synchronization rule holding
        the User object mapping), objectId (the user), objectTypeName ("User"), triggers (any map; a change
        provisions again). Create POSTs {"parameters": [{"ruleId", "subjects": [{"objectId", "objectTypeName"}]}]}
        and fails with ProvisionOnDemandError (Graph's result, error code and message, the steps that did not
        succeed) on Failure, or on Skipped for any reason but RedundantExport (already in sync). Every input but
        graphBaseUrl replaces the resource (so a change provisions again), like the azuread resource it replaces.
        Read and delete make no call. Outputs: result, reason, action, reportableIdentifier, targetId, provisionedAt.
        """
        props = {
            "servicePrincipalId": service_principal_id,
            "jobId": job_id,
            "graphBaseUrl": graph_base_url,
            "ruleId": rule_id,
            "objectId": object_id,
            "objectTypeName": "User",
            "triggers": triggers or {},
            **dict.fromkeys(("result", "reason", "action", "reportableIdentifier", "targetId", "provisionedAt")),
        }
        super().__init__(ProvisionOnDemandProvider(), resource_name, props, opts)
