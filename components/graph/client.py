"""`GraphClient`: the Microsoft Graph synchronization API calls the dynamic resources make (read and write), on the
retrying transport (transport.py). Reading a job's health for `status` is reader.py's, GET only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from components.graph.auth import credential_from_environment
from components.graph.errors import DEFAULT_GRAPH_BASE_URL, GraphError
from components.graph.retry import RetryPolicy, WaitEvent
from components.graph.transport import GraphTransport, job_path, segment
from policies.vocabulary import BASE_ADDRESS, SECRET_TOKEN

# synchronizationJobRestartCriteria.resetScope, from microsoft-graph-docs-contrib api-reference/v1.0/resources/
# synchronization-synchronizationjobrestartcriteria.md: "Leaving this property empty emulates the Restart provisioning
# option in the Azure portal. It is similar to setting the resetScope to include QuarantineState, Watermark, and
# Escrows." We send those three by name (the restart page's own request example), so what Graph is asked to do is
# legible in every request log and does not hang on how the service reads an empty value. Never `Full` (it includes
# ForceDeletes, which pushes through the deletions the accidental-deletion threshold held back) and never
# `ConnectorDataStore` ("DO NOT USE. Contact Microsoft Support"). ForceDeletes is added only on an explicit request.
RESTART_SCOPE = "Watermark, Escrows, QuarantineState"
FORCE_DELETES_SCOPE = f"{RESTART_SCOPE}, ForceDeletes"


class GraphClient(GraphTransport):
    """Graph synchronization API calls for one service principal's jobs.

    `credential` is any azure-core style token source; `from_environment` picks one the way the azuread provider
    does. The retry, timeout and transport options are GraphTransport's.
    """

    @classmethod
    def from_environment(
        cls,
        base_url: str | None = None,
        *,
        fresh_principal: bool = False,
        on_wait: Callable[[WaitEvent], None] | None = None,
        config: Mapping[str, str] | None = None,
    ) -> GraphClient:
        """A client whose credential and wait budget come from the environment (see components/graph/auth.py).

        `config`: the azuread provider's stack settings (`environment`, `tenantId`, …) when no engine hands them
        over in PULUMI_CONFIG (the simulation reads them from the stack file)."""
        url = (base_url or DEFAULT_GRAPH_BASE_URL).rstrip("/")
        return cls(
            url,
            credential=credential_from_environment(url, config=config),
            retry=RetryPolicy.from_environment(),
            on_wait=on_wait,
            fresh_principal=fresh_principal,
        )

    def get_service_principal(self, sp_id: str) -> dict[str, Any]:
        """GET the service principal (with `fresh_principal`, a 404 while it replicates is retried)."""
        return self.call("getServicePrincipal", "GET", f"/servicePrincipals/{segment(sp_id)}", expect_json=True)

    def list_templates(self, sp_id: str) -> list[dict[str, Any]]:
        return self.paged("listTemplates", f"/servicePrincipals/{segment(sp_id)}/synchronization/templates")

    def list_jobs(self, sp_id: str) -> list[dict[str, Any]]:
        return self.paged("listJobs", f"/servicePrincipals/{segment(sp_id)}/synchronization/jobs")

    def get_job(self, sp_id: str, job_id: str) -> dict[str, Any]:
        return self.call("getJob", "GET", job_path(sp_id, job_id), expect_json=True)

    def get_schema(self, sp_id: str, job_id: str) -> dict[str, Any]:
        return self.call("getSchema", "GET", f"{job_path(sp_id, job_id)}/schema", expect_json=True)

    def filter_operators(self, sp_id: str, job_id: str) -> list[dict[str, Any]]:
        """The scoping-filter operators this job's schema supports (filterOperatorSchema: name, arity, …)."""
        return self.paged("filterOperators", f"{job_path(sp_id, job_id)}/schema/filterOperators")

    def put_schema(self, sp_id: str, job_id: str, schema: dict[str, Any]) -> None:
        """One PUT of the complete document: Graph replaces the whole schema with it."""
        self.call("putSchema", "PUT", f"{job_path(sp_id, job_id)}/schema", body=schema)

    def delete_schema(self, sp_id: str, job_id: str) -> bool:
        """Reset the job's schema to the template default. False when the job no longer exists."""
        try:
            self.call("deleteSchema", "DELETE", f"{job_path(sp_id, job_id)}/schema", replication=frozenset())
        except GraphError as error:
            if error.status == 404:
                return False
            raise
        return True

    def parse_expression(self, sp_id: str, job_id: str, expression: str) -> dict[str, Any]:
        """Graph's own parse of a mapping expression: the attributeMappingSource (with parameters) to PUT."""
        path = f"{job_path(sp_id, job_id)}/schema/parseExpression"
        body = self.call("parseExpression", "POST", path, body={"expression": expression}, expect_json=True)
        parsed = body.get("parsedExpression")
        if not body.get("parsingSucceeded") or not isinstance(parsed, dict):
            error = body.get("error") or {}
            detail = error.get("message") if isinstance(error, dict) else str(error)
            raise GraphError(
                operation="parseExpression",
                method="POST",
                path=path,
                status=200,
                code="ParsingFailed",
                message=f"Graph could not parse expression {expression!r}: {detail or 'no detail given'}",
            )
        return parsed

    def validate_credentials(self, sp_id: str, job_id: str, base_address: str, token: str) -> None:
        """Ask Entra to test the tenant URL + Webex token. The token travels in this body only."""
        self.call(
            "validateCredentials",
            "POST",
            f"{job_path(sp_id, job_id)}/validateCredentials",
            body={
                "useSavedCredentials": False,
                "credentials": [{"key": BASE_ADDRESS, "value": base_address}, {"key": SECRET_TOKEN, "value": token}],
            },
            secrets=(token,),
            # A rejected token can come back as 403; only "job not found yet" is worth waiting for.
            replication=frozenset({404}),
        )

    def validate_saved_credentials(self, sp_id: str, job_id: str) -> None:
        """The portal's Test Connection of the credentials the job has saved (`useSavedCredentials: true`: Graph
        ignores any credentials sent and tests the saved ones). Writes nothing in Entra, but Entra calls Webex."""
        self.call(
            "validateCredentials",
            "POST",
            f"{job_path(sp_id, job_id)}/validateCredentials",
            body={"useSavedCredentials": True},
            replication=frozenset(),
        )

    def restart_job(self, sp_id: str, job_id: str, *, force_deletes: bool = False) -> str:
        """The portal's Restart provisioning; with `force_deletes`, also let through the deletions the
        accidental-deletion threshold held back. Returns the resetScope sent. Graph answers 204."""
        scope = FORCE_DELETES_SCOPE if force_deletes else RESTART_SCOPE
        self.call("restartJob", "POST", f"{job_path(sp_id, job_id)}/restart", body={"criteria": {"resetScope": scope}})
        return scope

    def start_job(self, sp_id: str, job_id: str) -> None:
        """Start (or resume) the job; a quarantined job leaves quarantine. Graph answers 204."""
        self.call("startJob", "POST", f"{job_path(sp_id, job_id)}/start")

    def pause_job(self, sp_id: str, job_id: str) -> None:
        """Pause the job (the portal's Provisioning Status Off); its progress is kept for the next start. 204."""
        self.call("pauseJob", "POST", f"{job_path(sp_id, job_id)}/pause")

    def provision_on_demand(
        self, sp_id: str, job_id: str, *, rule_id: str, object_id: str, object_type: str = "User"
    ) -> dict[str, Any]:
        """POST …/provisionOnDemand for one object; Graph's answer (a stringKeyStringValuePair whose `key` and
        `value` are JSON text). Rate limited to 5 requests per 10 s: a 429 waits its Retry-After like any other."""
        return self.call(
            "provisionOnDemand",
            "POST",
            f"{job_path(sp_id, job_id)}/provisionOnDemand",
            body={
                "parameters": [
                    {"ruleId": rule_id, "subjects": [{"objectId": object_id, "objectTypeName": object_type}]}
                ]
            },
            expect_json=True,
        )
