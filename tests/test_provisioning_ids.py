"""At deploy time the two spellings of ids go to the right places: resource paths for the azuread provider, bare
Graph ids for this project's Graph resources (SDK mocks in deploy mode, ids as the provider returns them)."""

from __future__ import annotations

import pulumi

from components.provisioning_job import ProvisioningJob, graph_job_id
from components.settings import validate

SP = "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a"
GRAPH_JOB = "Webex.0f1e2d3c4b5a69788796a5b4c3d2e1f0.2a3b4c5d-0000-4000-8000-000000000001"
JOB_PATH = f"/servicePrincipals/{SP}/synchronization/jobs/{GRAPH_JOB}"


def test_graph_job_id_from_the_provider_path():
    assert graph_job_id(JOB_PATH) == GRAPH_JOB
    assert graph_job_id(GRAPH_JOB) == GRAPH_JOB


class _Tenant(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.inputs: dict[str, dict] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.inputs[args.name] = dict(args.inputs)
        outputs = dict(args.inputs)
        if args.typ == "azuread:index/servicePrincipal:ServicePrincipal":
            return SP, {**outputs, "objectId": SP}
        if args.typ == "azuread:index/synchronizationJob:SynchronizationJob":
            return JOB_PATH, outputs
        if args.typ.endswith("AttributeMappings"):
            outputs["ruleId"] = "rule-1"
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def test_ids_reach_each_resource_in_its_own_spelling():
    import pulumi_azuread as azuread

    tenant = _Tenant()
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(tenant, project="webex-scim", stack="deploy", preview=False)
    settings = validate(
        {
            "orgId": "6f1a1d43-2b0e-4a8c-9d5e-0c2b7e9f4a11",
            "notificationEmail": "webex-admins@contoso.com",
            "assignments": [{"user": "5d3f2a10-1b2c-4d5e-8f90-a1b2c3d4e5f6"}],
            "provisioning": {"templateId": "Webex"},
        }
    )
    sp = azuread.ServicePrincipal("service-principal", client_id="client", use_existing=True)
    job = ProvisioningJob(
        "provisioning",
        settings,
        token=pulumi.Output.secret("token"),
        service_principal=sp,
        pilot_user_object_id="5d3f2a10-1b2c-4d5e-8f90-a1b2c3d4e5f6",
    )

    @pulumi.runtime.test
    def settle():
        return pulumi.Output.all(job.job_id, job.provision_pilot.id)

    settle()
    path = f"/servicePrincipals/{SP}"
    assert tenant.inputs["job"]["servicePrincipalId"] == path
    assert tenant.inputs["credentials"]["servicePrincipalId"] == path
    assert tenant.inputs["provision-pilot-user"]["ruleId"] == "rule-1"
    assert tenant.inputs["provision-pilot-user"]["objectId"] == "5d3f2a10-1b2c-4d5e-8f90-a1b2c3d4e5f6"
    for graph_resource in ("credential-check", "attribute-mappings", "job-state", "provision-pilot-user"):
        assert tenant.inputs[graph_resource]["servicePrincipalId"] == SP
        assert tenant.inputs[graph_resource]["jobId"] == GRAPH_JOB
