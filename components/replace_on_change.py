"""Which input properties replace a resource when they change: one table, keyed by Pulumi type token.

The real engine learns this from the provider (its Diff answers `replaces`); offline there is no provider, so the
offline diff, and the test azuread provider that stands in for the real one, read it from here. Keeping it as data
(not read from SDK docstrings) is deliberate: pulumi_azuread 6.11.1's docstrings miss ForceNew on
ServicePrincipal.clientId, SynchronizationJob.templateId and every SynchronizationJobProvisionOnDemand argument.

Sources, and how names were derived:
* azuread types: the top-level arguments marked `ForceNew: true` in the resource's schema in
  hashicorp/terraform-provider-azuread (read at commit f0169e0, 2026-08-17), path given per entry. The Pulumi bridge
  names them in camelCase (`client_id` → `clientId`) and pluralizes list blocks (`parameter` → `parameters`), as the
  installed pulumi_azuread Args classes show. A nested ForceNew field (provision on demand's `parameter.rule_id`)
  sits inside a ForceNew block, so the top-level name covers it.
* dynamic resources (`pulumi-python:dynamic/webex:*`): the keys their provider's `diff()` returns in `replaces`, in
  components/graph/resources.py.
* A type with an empty tuple is known to update every property in place; a type not listed (components, the stack)
  has no provider and so nothing to replace.

No import beyond the standard library: the offline diff and test providers load this without the Pulumi SDK.
"""

from __future__ import annotations

REPLACE_ON_CHANGE: dict[str, tuple[str, ...]] = {
    # internal/services/applications/application_from_template_resource.go: template_id ForceNew
    # (display_name is Required without ForceNew: Update patches the application's display name).
    "azuread:index/applicationFromTemplate:ApplicationFromTemplate": ("templateId",),
    # internal/services/serviceprincipals/service_principal_resource.go: client_id ForceNew (every other
    # argument, use_existing and owners included, is updated in place).
    "azuread:index/servicePrincipal:ServicePrincipal": ("clientId",),
    # internal/services/approleassignments/app_role_assignment_resource.go: app_role_id, principal_object_id and
    # resource_object_id ForceNew (the resource has no Update at all).
    "azuread:index/appRoleAssignment:AppRoleAssignment": ("appRoleId", "principalObjectId", "resourceObjectId"),
    # internal/services/synchronization/synchronization_job_resource.go: service_principal_id and template_id
    # ForceNew (enabled is updated by start/pause).
    "azuread:index/synchronizationJob:SynchronizationJob": ("servicePrincipalId", "templateId"),
    # internal/services/synchronization/synchronization_secret_resource.go: service_principal_id ForceNew
    # (credentials are PUT again in place).
    "azuread:index/synchronizationSecret:SynchronizationSecret": ("servicePrincipalId",),
    # internal/services/synchronization/synchronization_job_provision_on_demand_resource.go: every argument
    # ForceNew: service_principal_id, synchronization_job_id, parameter (its rule_id and subject too), triggers.
    "azuread:index/synchronizationJobProvisionOnDemand:SynchronizationJobProvisionOnDemand": (
        "parameters",
        "servicePrincipalId",
        "synchronizationJobId",
        "triggers",
    ),
    # components/graph/resources.py ServicePrincipalReadyProvider.diff: another service principal is another wait.
    "pulumi-python:dynamic/webex:ServicePrincipalReady": ("servicePrincipalId",),
    # components/graph/resources.py SynchronizationTemplateProvider.diff: replaces on servicePrincipalId.
    "pulumi-python:dynamic/webex:SynchronizationTemplate": ("servicePrincipalId",),
    # components/graph/resources.py AttributeMappingsProvider.diff: replaces on servicePrincipalId and jobId.
    "pulumi-python:dynamic/webex:AttributeMappings": ("jobId", "servicePrincipalId"),
    # components/graph/resources.py CredentialCheckProvider.diff, JobRestartProvider.diff, JobStateProvider.diff:
    # `replaces=[]` always.
    "pulumi-python:dynamic/webex:CredentialCheck": (),
    "pulumi-python:dynamic/webex:JobRestart": (),
    "pulumi-python:dynamic/webex:JobState": (),
    # components/graph/resources.py ProvisionOnDemandProvider.diff: every input but graphBaseUrl replaces (so a new
    # pilot user or mappings fingerprint provisions again), as for the azuread resource it took over from.
    "pulumi-python:dynamic/webex:ProvisionOnDemand": (
        "jobId",
        "objectId",
        "objectTypeName",
        "ruleId",
        "servicePrincipalId",
        "triggers",
    ),
}


# Types whose delete leaves the tenant as it is: their provider's delete() does nothing (components/graph/resources.py:
# a wait, a lookup, a check, a one-shot action). Deleting one is no destructive change, e.g. the pilot's provision on
# demand when a rollout goes from pilot to full.
DELETE_CHANGES_NOTHING: frozenset[str] = frozenset(
    f"pulumi-python:dynamic/webex:{name}"
    for name in (
        "ServicePrincipalReady",
        "SynchronizationTemplate",
        "CredentialCheck",
        "JobRestart",
        "JobState",
        "ProvisionOnDemand",
    )
)


def replace_keys(type_token: str) -> frozenset[str]:
    """camelCase top-level inputs of `type_token` whose change replaces the resource (empty if none or unknown)."""
    return frozenset(REPLACE_ON_CHANGE.get(type_token, ()))
