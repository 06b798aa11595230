"""The pilot user's provision on demand (ProvisionOnDemand) against the loopback Graph: what Graph receives, and
that a Skipped or Failure answer fails `pulumi up` with Graph's reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from graph_server import RULE_ID, Fault, GraphTestServer, OnDemand

from components.graph.resources import (
    ProvisionOnDemandError,
    ProvisionOnDemandProvider,
    on_demand_outcome,
    on_demand_succeeded,
)
from components.graph.retry import reset_total_stats, total_stats

PILOT = "5d3f2a10-1b2c-4d5e-8f90-a1b2c3d4e5f6"


def props(server: GraphTestServer, job: str, **changes: Any) -> dict[str, Any]:
    return {
        "servicePrincipalId": server.sp_id,
        "jobId": job,
        "graphBaseUrl": server.base_url,
        "ruleId": RULE_ID,
        "objectId": PILOT,
        "objectTypeName": "User",
        "triggers": {"user": PILOT, "mappings": "0123456789abcdef"},
        **changes,
    }


def test_success_posts_the_documented_body_once(server: GraphTestServer) -> None:
    job = server.add_job()
    server.set_on_demand(PILOT, OnDemand("Success", upn="pilot.user@contoso.com"))
    created = ProvisionOnDemandProvider().create(props(server, job))
    (request,) = server.requests()
    assert (request.method, request.path) == (
        "POST",
        f"/v1.0/servicePrincipals/{server.sp_id}/synchronization/jobs/{job}/provisionOnDemand",
    )
    assert request.json() == {
        "parameters": [{"ruleId": RULE_ID, "subjects": [{"objectId": PILOT, "objectTypeName": "User"}]}]
    }
    assert request.headers["Content-Type"] == "application/json"
    outs = created.outs
    assert (outs["result"], outs["action"], outs["reportableIdentifier"]) == (
        "Success",
        "Create",
        "pilot.user@contoso.com",
    )
    assert outs["triggers"] == {"user": PILOT, "mappings": "0123456789abcdef"}


def test_a_user_out_of_scope_fails_with_graphs_reason(server: GraphTestServer) -> None:
    job = server.add_job()  # nobody told the server about the pilot: not assigned, so Skipped
    with pytest.raises(ProvisionOnDemandError) as caught:
        ProvisionOnDemandProvider().create(props(server, job))
    assert str(caught.value) == (
        f"provision on demand of the pilot user {PILOT}@contoso.test ({PILOT}) was Skipped by Graph: "
        "NotEffectivelyEntitled: The user is not assigned to the application or is out of scope.; "
        "step EntrySynchronizationSkip (Export) Skipped: The user is not assigned to the application or is out of "
        "scope. [NotEffectivelyEntitled]. A skipped user is out of scope: assign them to the app with a Webex role "
        "(not Default Access), and check the scoping filter"
    )


def test_a_webex_rejection_fails_with_graphs_reason(server: GraphTestServer) -> None:
    job = server.add_job()
    server.set_on_demand(
        PILOT,
        OnDemand(
            "Failure",
            "SystemForCrossDomainIdentityManagementBadRequest",
            "Webex: the user's email domain contoso.com is not verified for this organization",
            upn="pilot.user@contoso.com",
        ),
    )
    with pytest.raises(
        ProvisionOnDemandError,
        match=(
            r"was Failure by Graph: SystemForCrossDomainIdentityManagementBadRequest: "
            r"Webex: the user's email domain contoso.com is not verified"
        ),
    ):
        ProvisionOnDemandProvider().create(props(server, job))


def test_already_in_sync_is_a_success(server: GraphTestServer) -> None:
    job = server.add_job()
    server.set_on_demand(
        PILOT,
        OnDemand(
            "Skipped", "RedundantExport", "The state of the user in both the source and target systems already match."
        ),
    )
    outs = ProvisionOnDemandProvider().create(props(server, job)).outs
    assert (outs["result"], outs["reason"]) == ("Skipped", "RedundantExport")


def test_the_rate_limit_is_waited_out(server: GraphTestServer) -> None:
    job = server.add_job()
    server.set_on_demand(PILOT, OnDemand("Success"))
    server.inject(Fault(status=429, retry_after="1", times=1, path_contains="/provisionOnDemand"))
    reset_total_stats()
    assert ProvisionOnDemandProvider().create(props(server, job)).outs["result"] == "Success"
    assert len(server.requests("POST", "/provisionOnDemand")) == 2
    assert total_stats().waited_seconds == 1.0  # Graph's Retry-After, not our backoff


def test_an_unknown_rule_is_graphs_error(server: GraphTestServer) -> None:
    from components.graph.errors import GraphError

    job = server.add_job()
    with pytest.raises(GraphError, match="Synchronization rule 'not-a-rule' was not found"):
        ProvisionOnDemandProvider().create(props(server, job, ruleId="not-a-rule"))


def test_user_rule_or_trigger_changes_provision_again_and_nothing_else_does(server: GraphTestServer) -> None:
    job = server.add_job()
    server.set_on_demand(PILOT, OnDemand("Success"))
    provider = ProvisionOnDemandProvider()
    created = provider.create(props(server, job))
    server.clear_log()
    same = provider.diff(created.id, created.outs, props(server, job))
    assert (same.changes, same.replaces) == (False, [])
    changed = provider.diff(
        created.id, created.outs, props(server, job, triggers={"user": PILOT, "mappings": "fedcba"})
    )
    assert changed.replaces == ["triggers"]
    assert provider.diff(created.id, created.outs, props(server, job, objectId="other")).replaces == ["objectId"]
    assert provider.diff(created.id, created.outs, props(server, job, ruleId="r2")).replaces == ["ruleId"]
    moved = provider.diff(created.id, created.outs, props(server, job, graphBaseUrl="https://graph.microsoft.us/v1.0"))
    assert (moved.changes, moved.replaces) == (True, [])
    assert provider.update(created.id, created.outs, props(server, job, graphBaseUrl="x")).outs["result"] == "Success"
    assert provider.read(created.id, created.outs).outs == created.outs
    provider.delete(created.id, created.outs)
    assert server.requests() == []  # diff, update, read and delete never call Graph


def test_parsing_the_documented_example() -> None:
    # microsoft-graph-docs-contrib api-reference/v1.0/api/synchronization-synchronizationjob-provisionondemand.md,
    # example 1 (shortened to the fields read).
    value = {
        "action": "Other",
        "provisioningSteps": [
            {
                "name": "EntryImport",
                "type": "Import",
                "status": "Success",
                "description": "Retrieved User",
                "details": {},
            },
            {
                "name": "EntrySynchronizationSkip",
                "type": "Export",
                "status": "Skipped",
                "description": "The state of the user in both the source and target systems already match.",
                "details": {"SkipReason": "RedundantExport"},
            },
        ],
        "reportableIdentifier": "BillBob@contoso.com",
        "statusInfo": {"status": "Skipped", "errorCode": None, "reason": None, "recommendedAction": None},
        "targetIdentity": {
            "id": "52507a19-96ec-4e73-9250-3e65ffd2d926",
            "type": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        },
    }
    body = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.stringKeyStringValuePair",
        "key": json.dumps(
            {
                "result": "Skipped",
                "details": {
                    "errorCode": "RedundantExport",
                    "errorMessage": "The state of the user in both the source and target systems already match.",
                },
            }
        ),
        "value": json.dumps(value),
    }
    outcome = on_demand_outcome(body)
    assert (outcome["result"], outcome["errorCode"], outcome["reportableIdentifier"]) == (
        "Skipped",
        "RedundantExport",
        "BillBob@contoso.com",
    )
    assert outcome["targetId"] == "52507a19-96ec-4e73-9250-3e65ffd2d926"
    assert [s["reason"] for s in outcome["steps"]] == ["RedundantExport"]
    assert on_demand_succeeded(outcome)
    # A collection of pairs: the worst result wins.
    failed = {
        "key": json.dumps({"result": "Failure", "details": {"errorCode": "X", "errorMessage": "no"}}),
        "value": "{}",
    }
    assert on_demand_outcome({"value": [body, failed]})["result"] == "Failure"
    assert not on_demand_succeeded(on_demand_outcome({"key": "not json", "value": ""}))
