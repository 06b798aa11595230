"""Portal step 4: Provisioning > Automatic: tenant URL, secret token, notification email, scope, delete threshold.

Microsoft Graph keeps these as one set of "synchronization secrets" that has no PATCH: every write must carry
every key, so one `SynchronizationSecret` holds them all. Only the token is secret: reviewers must still see the
tenant URL, the recipients and the scope in a preview.
"""

from __future__ import annotations

import hashlib
import json

import pulumi
import pulumi_azuread as azuread

from policies.vocabulary import (
    BASE_ADDRESS,
    PROVISIONING_JOB,
    SECRET_TOKEN,
    SYNC_ALL,
    SYNC_NOTIFICATION_SETTINGS,
)

from .graph.errors import graph_url_for
from .graph.resources import (
    AttributeMappings,
    CredentialCheck,
    JobRestart,
    JobState,
    ProvisionOnDemand,
    SynchronizationTemplate,
)
from .settings import Settings


def graph_job_id(resource_path: str) -> str:
    """The Graph job id (`<template>.<hex>.<guid>`) from the provider's `/servicePrincipals/…/jobs/<id>` path."""
    return resource_path.rsplit("/jobs/", 1)[-1]


def graph_base_url(settings: Settings) -> str:
    """The Graph URL the Graph resources will call (components/graph/errors.py `graph_url_for`), read at program
    time so a preview shows it."""
    configured = settings.graph_base_url if "graph_base_url" in settings.model_fields_set else None
    return graph_url_for(configured, pulumi.Config("azuread").get("environment"))


def notification_settings(settings: Settings) -> str:
    """The SyncNotificationSettings value: failure emails plus the accidental-deletion guard."""
    threshold = settings.provisioning.delete_threshold
    return json.dumps(
        {
            "Enabled": True,
            "Recipients": settings.notification_email,
            "DeleteThresholdEnabled": threshold > 0,
            "DeleteThresholdValue": threshold,
        },
        separators=(",", ":"),
    )


def mappings_fingerprint(settings: Settings) -> str:
    """A short, stable digest of the mapping settings (none of them secret), so reviewers see one value change."""
    text = settings.mappings.model_dump_json(by_alias=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def secret_credentials(
    settings: Settings, token: pulumi.Output[str]
) -> list[azuread.SynchronizationSecretCredentialArgs]:
    """Every synchronization secret key, in one list (a PUT replaces the whole set), in ordinal key order.

    Why the order matters: `credentials` is a list, and the azuread provider's Read stores Graph's list in Graph's
    order (terraform-provider-azuread internal/services/synchronization/synchronization.go,
    flattenSynchronizationSecretKeyStringValuePair), so any other order than Graph's is a diff on every run. Graph
    does not document its order. Its key enum order (SecretToken before BaseAddress) is ruled out by the provider's
    own acceptance test, which reads back BaseAddress, then SecretToken (synchronization_secret_resource_test.go);
    what remains is insertion order or sorted order, and keys sorted by name are a fixed point of both. Sorting here
    (rather than writing a hand-picked order) keeps it so when a key is added.
    """
    cred = azuread.SynchronizationSecretCredentialArgs
    values: dict[str, pulumi.Input[str]] = {
        BASE_ADDRESS: settings.effective_tenant_url,
        # The provider does not mark credentials secret by itself: keep the token a secret Output end to end.
        SECRET_TOKEN: pulumi.Output.secret(token),
        SYNC_NOTIFICATION_SETTINGS: notification_settings(settings),
        SYNC_ALL: "true" if settings.provisioning.scope == "all" else "false",
    }
    return [cred(key=key, value=values[key]) for key in sorted(values)]


class ProvisioningJob(pulumi.ComponentResource):
    """The provisioning job, its credentials and settings, its mappings, and the pilot user's provision-on-demand.

    Order follows Microsoft's Graph walk-through: create the job, validate the tenant URL + token, save the
    credentials, write the mappings, then provision the pilot user on demand.
    """

    job: azuread.SynchronizationJob
    secret: azuread.SynchronizationSecret
    mappings: AttributeMappings

    def __init__(
        self,
        name: str,
        settings: Settings,
        *,
        token: pulumi.Output[str],
        service_principal: azuread.ServicePrincipal,
        pilot_user_object_id: pulumi.Input[str] | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        prov = settings.provisioning
        # The same facts are the component's inputs (what the CLI's Analyze sees) and its outputs (what its
        # AnalyzeStack sees), so the policy pack can check the tenant URL against the org ID in both.
        self.facts = {
            "orgId": settings.org_id,
            "offer": settings.offer,
            "tenantUrl": settings.effective_tenant_url,
            "scope": prov.scope,
            "deleteThreshold": prov.delete_threshold,
            "notificationEmail": settings.notification_email,
            "tokenExpiresOn": settings.token_expires_on.isoformat() if settings.token_expires_on else None,
            "rollout": settings.rollout,
            "enabled": prov.enabled,
            # For the pack's government-setup rule: the domains Webex may refuse others than, and the Graph the
            # program calls beside the one the azuread provider's cloud has (they must be one cloud).
            "verifiedDomains": list(settings.verified_domains),
            "graphBaseUrl": graph_base_url(settings),
            "azureEnvironmentGraphUrl": graph_url_for(None, pulumi.Config("azuread").get("environment")),
        }
        super().__init__(PROVISIONING_JOB, name, self.facts, opts)
        # Two spellings of the same ids: the azuread synchronization resources take Terraform-style resource paths
        # (`/servicePrincipals/{objectId}`, the job's `/servicePrincipals/{sp}/synchronization/jobs/{jobId}`);
        # Graph, and so our own dynamic resources, takes the bare object id and the bare job id.
        sp_path = pulumi.Output.concat("/servicePrincipals/", service_principal.object_id)
        sp_id = service_principal.object_id
        graph = graph_base_url(settings)

        def child(*depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, depends_on=list(depends_on))

        # The Webex synchronization template id is not published: ask the service principal (or take the override).
        template_id: pulumi.Input[str]
        if prov.template_id:
            template_id = prov.template_id
        else:
            self.template = SynchronizationTemplate(
                "sync-template", service_principal_id=sp_id, graph_base_url=graph, opts=child()
            )
            template_id = self.template.templateId

        # Created stopped: the provider would start an enabled job at once, before the token is checked and saved
        # and before the mappings are written, and its first cycle would quarantine it or provision with the
        # template's defaults. JobState below switches it on (Provisioning Status On/Off) when all is in place.
        self.job = azuread.SynchronizationJob(
            "job",
            service_principal_id=sp_path,
            template_id=template_id,
            enabled=False,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["enabled"]),
        )
        self.job_id = self.job.id.apply(graph_job_id)
        # What each of this project's Graph resources needs to find the job.
        job_ref = {"service_principal_id": sp_id, "job_id": self.job_id, "graph_base_url": graph}

        # "Test Connection": a bad token fails `pulumi up` here with Webex's answer, before it is saved.
        self.credential_check = CredentialCheck(
            "credential-check",
            tenant_url=settings.effective_tenant_url,
            token=token,
            **job_ref,
            opts=child(),
        )
        self.secret = azuread.SynchronizationSecret(
            "credentials",
            service_principal_id=sp_path,
            credentials=secret_credentials(settings, token),
            opts=child(self.credential_check),
        )

        # Mappings > Provision Azure Active Directory Users: read-modify-write of the job's schema.
        self.mappings = AttributeMappings.from_settings(
            "attribute-mappings",
            settings.mappings,
            **job_ref,
            opts=child(self.secret),
        )

        # Restart provisioning only when the user bumps a request value, never on every run, never while the stack
        # says provisioning is off. It goes before JobState: a restart request is the explicit decision that
        # releases a quarantine, which JobState otherwise reports instead of lifting. Forcing the deletions the
        # threshold held back is its own, separately named request (`provisioning.forceDeletesRequest`).
        force_deletes_request = prov.force_deletes_request
        state_after: list[pulumi.Resource] = [self.secret, self.mappings]
        if prov.restart_request or force_deletes_request:
            self.restart = JobRestart(
                "restart",
                enabled=prov.enabled,
                request_id=prov.restart_request or "",
                force_deletes_request=force_deletes_request or "",
                **job_ref,
                opts=child(self.secret, self.mappings),
            )
            state_after.append(self.restart)

        # Provisioning Status On/Off, once credentials and mappings are in place; a portal toggle shows as drift.
        self.state = JobState("job-state", enabled=prov.enabled, **job_ref, opts=child(*state_after))

        if pilot_user_object_id is not None:
            # Provision on demand: the article's first check, one user, before the whole scope follows. Graph
            # answers Success, Skipped or Failure with a reason; anything but success fails `pulumi up` with it.
            self.provision_pilot = ProvisionOnDemand(
                "provision-pilot-user",
                rule_id=self.mappings.ruleId,
                object_id=pilot_user_object_id,
                # Provision again (a replacement) when the pilot user or the mappings change.
                triggers={"user": pilot_user_object_id, "mappings": mappings_fingerprint(settings)},
                **job_ref,
                opts=child(self.secret, self.mappings),
            )
        self.register_outputs({**self.facts, "jobId": self.job_id, "ruleId": self.mappings.ruleId})
