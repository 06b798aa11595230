"""Portal step 4: Provisioning > Automatic: tenant URL, secret token, notification email, scope, delete threshold.

Microsoft Graph keeps these as one set of "synchronization secrets" that has no PATCH: every write must carry
every key, so one `SynchronizationSecret` holds them all. Only the token is secret: reviewers must still see the
tenant URL, the recipients and the scope in a preview.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_azuread as azuread

from .settings import Settings


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


def secret_credentials(settings: Settings, token: pulumi.Output[str]) -> list[azuread.SynchronizationSecretCredentialArgs]:
    """Every synchronization secret key, in one list (a PUT replaces the whole set)."""
    cred = azuread.SynchronizationSecretCredentialArgs
    return [
        cred(key="BaseAddress", value=settings.effective_tenant_url),
        # The provider does not mark credentials secret by itself: keep the token a secret Output end to end.
        cred(key="SecretToken", value=pulumi.Output.secret(token)),
        cred(key="SyncNotificationSettings", value=notification_settings(settings)),
        cred(key="SyncAll", value="true" if settings.provisioning.scope == "all" else "false"),
    ]


class ProvisioningJob(pulumi.ComponentResource):
    """The provisioning job, its credentials and settings, and the pilot user's provision-on-demand."""

    job: azuread.SynchronizationJob
    secret: azuread.SynchronizationSecret

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
        super().__init__(
            "webex-scim:index:ProvisioningJob",
            name,
            {
                "orgId": settings.org_id,
                "offer": settings.offer,
                "tenantUrl": settings.effective_tenant_url,
                "scope": prov.scope,
                "deleteThreshold": prov.delete_threshold,
                "notificationEmail": settings.notification_email,
                "tokenExpiresOn": settings.token_expires_on.isoformat() if settings.token_expires_on else None,
                "rollout": settings.rollout,
                "enabled": prov.enabled,
            },
            opts,
        )
        child = pulumi.ResourceOptions(parent=self)
        sp_id = service_principal.id

        self.secret = azuread.SynchronizationSecret(
            "credentials",
            service_principal_id=sp_id,
            credentials=secret_credentials(settings, token),
            opts=child,
        )
        # Graph creates jobs disabled; `enabled` is the portal's Provisioning Status On/Off. Created after the
        # credentials so the first cycle never starts without a token.
        self.job = azuread.SynchronizationJob(
            "job",
            service_principal_id=sp_id,
            template_id=prov.template_id,
            enabled=prov.enabled,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.secret]),
        )
        self.job_id = self.job.id
        self.register_outputs({"jobId": self.job.id})
