"""`CredentialCheck`: Entra's Test Connection (validateCredentials) of the tenant URL and Webex token, on create and
whenever either changes; the token is a secret input, never an output.

Type token `pulumi-python:dynamic/webex:CredentialCheck`; its provider's module path and class name are a contract
with every stack state (tests/test_graph_pickles.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as _secrets
import uuid
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi.dynamic as dyn

from components.graph import provider_base as base
from components.graph.errors import DEFAULT_GRAPH_BASE_URL


def token_fingerprint(token: str, salt_hex: str) -> str:
    """HMAC-SHA256 of the token under a random per-resource salt: lets a later run tell "token changed" without
    keeping the token. A Webex bearer token is long and random, so this reveals nothing usable."""
    return hmac.new(bytes.fromhex(salt_hex), token.encode("utf-8"), hashlib.sha256).hexdigest()


class CredentialCheckProvider(base.GraphProvider):
    """POST …/validateCredentials with the tenant URL and Webex token, on create and when either changes."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        # Failure texts name the property only: the token must never appear in one.
        return dyn.CheckResult(news, base.missing(news, ["servicePrincipalId", "jobId", "tenantUrl", "token"]))

    def _validate(self, props: Mapping[str, Any], *, fresh: bool) -> dict[str, Any]:
        token = str(base.plain(props["token"]))
        tenant_url = str(props["tenantUrl"])
        with base.client_for(props, fresh=fresh) as client:
            client.validate_credentials(str(props["servicePrincipalId"]), str(props["jobId"]), tenant_url, token)
        salt = _secrets.token_hex(16)
        return {
            "servicePrincipalId": props["servicePrincipalId"],
            "jobId": props["jobId"],
            "graphBaseUrl": base.base_url(props),
            "tenantUrl": tenant_url,
            "tokenFingerprint": token_fingerprint(token, salt),
            "fingerprintSalt": salt,
            "validatedAt": base.now(),
        }

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        return dyn.CreateResult(f"validate-{uuid.uuid4().hex}", self._validate(props, fresh=True))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        changed = base.changed_keys(olds, news, ["servicePrincipalId", "jobId", "tenantUrl", "graphBaseUrl"])
        token = base.plain(news.get("token"))
        salt, fingerprint = olds.get("fingerprintSalt"), olds.get("tokenFingerprint")
        if base.has_unknowns(token) or not (salt and fingerprint) or token_fingerprint(str(token), salt) != fingerprint:
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
