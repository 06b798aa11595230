"""The Graph dynamic resources' providers against the loopback Graph, driven the way the Pulumi engine drives them.

Provider methods build their own client from the environment, exactly as in the dynamic-provider host; the tests
set the loopback-only test token (and a small backoff) in the environment and count the HTTP requests the server saw.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import dill
import pulumi
import pytest
from graph_server import BEARER, GOOD_WEBEX_TOKEN, RULE_ID, SP_ID, Fault, GraphTestServer, default_templates
from pulumi.dynamic.dynamic import serialize_provider

from components.graph.auth import TEST_TOKEN_ENV
from components.graph.errors import GraphError
from components.graph.resources import (
    AttributeMappings,
    AttributeMappingsProvider,
    CredentialCheck,
    CredentialCheckProvider,
    JobQuarantinedError,
    JobRestart,
    JobRestartProvider,
    JobState,
    JobStateProvider,
    SynchronizationTemplate,
    SynchronizationTemplateProvider,
    job_state_action,
    pick_template,
)
from components.graph.retry import BACKOFF_ENV, MAX_WAIT_ENV, reset_total_stats, total_stats
from components.mapping_settings import MappingSettings, attribute_mappings_inputs

ROOT = Path(__file__).resolve().parents[1]
DEPARTMENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
TENANT_URL = "https://webexapis.com/identity/scim/0f3c8a52-2d6e-4b1f-9a7c-5e8d1b2c3a4f/v2"


def mapping_props(server: GraphTestServer, job: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    settings = MappingSettings.model_validate(config or {})
    return {
        "servicePrincipalId": server.sp_id,
        "jobId": job,
        "graphBaseUrl": server.base_url,
        **attribute_mappings_inputs(settings),
    }


def run_in_a_clean_interpreter(script: str, stdin: Any) -> subprocess.CompletedProcess[str]:
    """`script` in a fresh interpreter, like the provider host: this project importable from its root, nothing else
    of this test session's (no PYTHONPATH), talking to the loopback Graph; `stdin` arrives as JSON."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH"}}
    env.update({TEST_TOKEN_ENV: BEARER, BACKOFF_ENV: "0.01", MAX_WAIT_ENV: "5"})
    return subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(stdin),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def calls(server: GraphTestServer) -> list[str]:
    """What the server saw, as `METHOD last-path-segment`."""
    return [f"{r.method} {r.path.rsplit('/', 1)[-1]}" for r in server.requests()]


def up(provider: Any, state: tuple[str, dict[str, Any]] | None, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """One `pulumi up` of one resource: create, or diff then update when the diff says so."""
    if state is None:
        created = provider.create(news)
        return created.id, created.outs
    id_, olds = state
    diff = provider.diff(id_, olds, news)
    if not diff.changes:
        return state
    assert not diff.replaces
    return id_, provider.update(id_, olds, news).outs


# -- SynchronizationTemplate -------------------------------------------------------------------------------------


def test_template_lookup_is_one_get(server: GraphTestServer) -> None:
    provider = SynchronizationTemplateProvider()
    result = provider.create({"servicePrincipalId": server.sp_id, "graphBaseUrl": server.base_url})
    assert result.outs["templateId"] == "ciscowebex"
    assert result.id == f"{server.sp_id}/ciscowebex"
    assert calls(server) == ["GET templates"]


def test_template_choice() -> None:
    webex = {"id": "webexA", "factoryTag": "webex"}
    scim = {"id": "scim", "factoryTag": "customappsso"}
    assert pick_template([webex], None) is webex
    assert pick_template([webex, scim], "WEBEX") is webex  # factoryTag, case-insensitive
    assert pick_template([webex, scim], "scim") is scim
    with pytest.raises(ValueError, match=r"2 synchronization templates \(webexA \(factoryTag webex\), scim"):
        pick_template([webex, scim], None)
    with pytest.raises(ValueError, match=r"'nope' not found .* available: webexA"):
        pick_template([webex, scim], "nope")
    with pytest.raises(ValueError, match="no synchronization templates"):
        pick_template([], None)


def test_ambiguous_templates_fail_with_the_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    templates = [*default_templates(), {"id": "scim", "factoryTag": "customappsso"}]
    with GraphTestServer(templates=templates) as server:
        monkeypatch.setenv(TEST_TOKEN_ENV, BEARER)
        props = {"servicePrincipalId": server.sp_id, "graphBaseUrl": server.base_url}
        with pytest.raises(ValueError, match=r"ciscowebex .*scim"):
            SynchronizationTemplateProvider().create(props)
        assert SynchronizationTemplateProvider().create({**props, "templateMatch": "scim"}).outs["templateId"] == "scim"


def test_a_recorded_template_is_kept_when_the_gallery_answers_differently(monkeypatch: pytest.MonkeyPatch) -> None:
    # F8: the job's template id forces a new job; a second template appearing later must not change it on a
    # refresh or an unrelated update (which would make the ambiguous lookup fail, or pick another id).
    with GraphTestServer() as server:
        monkeypatch.setenv(TEST_TOKEN_ENV, BEARER)
        provider = SynchronizationTemplateProvider()
        props = {"servicePrincipalId": server.sp_id, "graphBaseUrl": server.base_url}
        created = provider.create(props)
        server.state.templates.insert(0, {"id": "scim", "factoryTag": "customappsso"})
        assert provider.read(created.id, created.outs).outs["templateId"] == "ciscowebex"
        assert provider.read(created.id, created.outs).outs["availableTemplateIds"] == ["ciscowebex", "scim"]
        moved = {**props, "graphBaseUrl": server.base_url + "/"}
        assert provider.update(created.id, created.outs, moved).outs["templateId"] == "ciscowebex"
        # Choosing again is explicit: a changed templateMatch.
        chosen = provider.update(created.id, created.outs, {**props, "templateMatch": "scim"})
        assert chosen.outs["templateId"] == "scim"


# -- AttributeMappings -------------------------------------------------------------------------------------------


def test_create_writes_once_and_preserves_everything_unmanaged(server: GraphTestServer) -> None:
    job = server.add_job()
    before = server.schema(job)
    provider = AttributeMappingsProvider()
    props = mapping_props(
        server, job, {"overrides": [{"target": "title", "source": "department"}], "remove": ["nickName"]}
    )
    created = provider.create(props)
    assert calls(server) == ["GET schema", "PUT schema"]
    assert created.id == f"{server.sp_id}/{job}"
    assert created.outs["ruleId"] == RULE_ID

    put = server.requests("PUT")[0]
    sent = put.json()
    assert "@odata.context" not in sent
    # Unmanaged parts: the same JSON values, serialized to the very same text.
    for key in ("id", "version", "directories", "futureGraphField"):
        assert json.dumps(sent[key]) == json.dumps(before[key]), key
    rule, old_rule = sent["synchronizationRules"][0], before["synchronizationRules"][0]
    assert {k: v for k, v in rule.items() if k != "objectMappings"} == {
        k: v for k, v in old_rule.items() if k != "objectMappings"
    }
    user, old_user = rule["objectMappings"][0], old_rule["objectMappings"][0]
    assert {k: v for k, v in user.items() if k not in {"attributeMappings", "scope"}} == {
        k: v for k, v in old_user.items() if k not in {"attributeMappings", "scope"}
    }
    old_by_target = {m["targetAttributeName"]: m for m in old_user["attributeMappings"]}
    new_by_target = {m["targetAttributeName"]: m for m in user["attributeMappings"]}
    for target in (
        "userName",
        "active",
        "displayName",
        'emails[type eq "work"].value',
        'phoneNumbers[type eq "work"].value',
    ):
        assert json.dumps(new_by_target[target]) == json.dumps(old_by_target[target]), target
    assert "nickName" not in new_by_target
    assert new_by_target["title"]["source"] == {
        "expression": "[department]",
        "name": "department",
        "parameters": [],
        "type": "Attribute",
    }
    group, old_group = rule["objectMappings"][1], old_rule["objectMappings"][1]
    assert group["enabled"] is False and {**group, "enabled": True} == old_group
    assert server.schema(job) == sent


def test_same_update_twice_is_one_put_then_none(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = AttributeMappingsProvider()
    props = mapping_props(server, job)
    state = up(provider, None, props)
    assert calls(server) == ["GET schema", "PUT schema"]

    server.clear_log()
    state = up(provider, state, props)  # a no-change `pulumi up`: the diff's one GET, nothing else
    assert calls(server) == ["GET schema"]

    server.clear_log()
    outs = provider.update(state[0], state[1], props).outs  # even a forced update writes nothing
    assert calls(server) == ["GET schema"]
    assert outs["userMappings"] == state[1]["userMappings"]


def test_update_is_one_get_and_one_put(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = AttributeMappingsProvider()
    state = up(provider, None, mapping_props(server, job))
    server.clear_log()
    changed = mapping_props(
        server,
        job,
        {
            "userNameSource": "mail",
            "overrides": [{"target": "displayName", "source": "mailNickname", "flowType": "ObjectAddOnly"}],
        },
    )
    outs = provider.update(state[0], state[1], changed).outs
    assert calls(server) == ["GET schema", "PUT schema"]
    live = {
        m["targetAttributeName"]: m
        for m in server.schema(job)["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]
    }
    assert live["userName"]["source"]["name"] == "mail" and live["userName"]["matchingPriority"] == 1
    assert live["displayName"]["flowType"] == "ObjectAddOnly"
    assert {r["target"]: r for r in outs["appliedMappings"]}["displayName"]["source"] == "mailNickname"


def test_expression_goes_through_graphs_parser_and_stays_converged(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = AttributeMappingsProvider()
    props = mapping_props(
        server,
        job,
        {
            "overrides": [
                {
                    "target": DEPARTMENT,
                    "expression": 'Join(" ",[department],   [companyName])',
                    "defaultValue": "Unknown",
                }
            ]
        },
    )
    state = up(provider, None, props)
    assert calls(server) == ["GET schema", "POST parseExpression", "PUT schema"]
    live = server.schema(job)["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"][-1]
    assert live["targetAttributeName"] == DEPARTMENT and live["defaultValue"] == "Unknown"
    assert live["source"]["type"] == "Function" and live["source"]["name"] == "Join"
    assert live["source"]["expression"] == 'Join(" ", [department], [companyName])'  # Graph re-spaced it
    assert [p["value"]["name"] for p in live["source"]["parameters"]] == [" ", "department", "companyName"]

    server.clear_log()
    up(provider, state, props)
    assert calls(server) == ["GET schema"]  # the re-spacing is not drift


def test_scoping_filter_and_group_objects(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = AttributeMappingsProvider()
    props = mapping_props(
        server,
        job,
        {
            "groupObjects": True,
            "scopingFilter": [
                {
                    "clauses": [
                        {"attribute": "department", "operator": "EQUALS", "values": ["Sales"]},
                        {"attribute": "accountEnabled", "operator": "IS_TRUE"},
                    ]
                }
            ],
        },
    )
    state = up(provider, None, props)
    user, group = server.schema(job)["synchronizationRules"][0]["objectMappings"]
    assert group["enabled"] is True
    assert user["scope"]["groups"] == [
        {
            "clauses": [
                {"operatorName": "EQUALS", "sourceOperandName": "department", "targetOperand": {"values": ["Sales"]}},
                {"operatorName": "IS_TRUE", "sourceOperandName": "accountEnabled", "targetOperand": {"values": []}},
            ],
            "name": "webex-scim scoping filter 1",
        }
    ]
    server.clear_log()
    state = up(provider, state, {**props, "scopingFilter": []})
    assert calls(server) == ["GET schema", "GET schema", "PUT schema"]  # diff GET, update GET + PUT
    assert server.schema(job)["synchronizationRules"][0]["objectMappings"][0]["scope"]["groups"] == []


def test_portal_drift_shows_on_refresh_and_diff_and_is_reverted(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = AttributeMappingsProvider()
    props = mapping_props(server, job, {"remove": ["nickName"]})
    id_, outs = up(provider, None, props)

    def portal_edit(schema: dict[str, Any]) -> None:
        user, group = schema["synchronizationRules"][0]["objectMappings"]
        for m in user["attributeMappings"]:
            if m["targetAttributeName"] == "displayName":
                m["source"] = {
                    "expression": "[mailNickname]",
                    "name": "mailNickname",
                    "parameters": [],
                    "type": "Attribute",
                }
        user["attributeMappings"].append(
            {
                "targetAttributeName": "nickName",
                "flowType": "Always",
                "source": {"name": "mailNickname", "type": "Attribute"},
            }
        )
        group["enabled"] = True

    server.mutate_schema(job, portal_edit)
    server.clear_log()
    refreshed = provider.read(id_, outs)
    assert calls(server) == ["GET schema"]
    assert refreshed.outs != outs  # `pulumi refresh` reports the drift
    rows = {r["target"]: r for r in refreshed.outs["userMappings"]}
    assert rows["displayName"]["source"] == "mailNickname"
    assert refreshed.outs["removedTargets"] == [] and refreshed.outs["groupObjects"] is True

    # `pulumi up` without a refresh sees it too: the diff reads the live schema, not the state.
    assert provider.diff(id_, outs, props).changes is True
    id_, outs = up(provider, (id_, refreshed.outs), props)
    assert provider.diff(id_, outs, props).changes is False
    restored = provider.read(id_, outs).outs
    assert {k: restored[k] for k in ("userMappings", "removedTargets", "groupObjects")} == {
        k: outs[k] for k in ("userMappings", "removedTargets", "groupObjects")
    }


def test_no_op_costs_one_get_by_the_clients_own_counts(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = AttributeMappingsProvider()
    props = mapping_props(server, job)
    state = up(provider, None, props)
    reset_total_stats()
    up(provider, state, props)
    assert total_stats().calls == {"getSchema": 1} and total_stats().requests == {"getSchema": 1}


def test_diff_falls_back_to_the_state_when_graph_is_unreachable(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = AttributeMappingsProvider()
    props = mapping_props(server, job)
    id_, outs = up(provider, None, props)
    server.inject(Fault(status=403, times=2, code="Authorization_RequestDenied"))
    assert provider.diff(id_, outs, props).changes is False
    assert provider.diff(id_, outs, mapping_props(server, job, {"remove": ["nickName"]})).changes is True


def test_read_of_a_deleted_job_reports_it_gone(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = AttributeMappingsProvider()
    id_, outs = up(provider, None, mapping_props(server, job))
    gone = provider.read(id_, {**outs, "jobId": "deleted-job"})
    assert gone.id == "" and gone.outs == {}


def test_unmanaged_portal_edits_are_not_drift(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = AttributeMappingsProvider()
    props = mapping_props(server, job)
    id_, outs = up(provider, None, props)
    server.mutate_schema(job, lambda s: s["directories"].append({"id": "new", "name": "x", "objects": []}))
    assert provider.diff(id_, outs, props).changes is False


def test_delete_resets_the_schema(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = AttributeMappingsProvider()
    id_, outs = up(provider, None, mapping_props(server, job, {"remove": ["nickName"]}))
    server.clear_log()
    provider.delete(id_, outs)
    assert calls(server) == ["DELETE schema"]
    assert "nickName" in json.dumps(server.schema(job))
    provider.delete(id_, {**outs, "jobId": "gone"})  # a job already deleted is fine


def test_failed_put_leaves_the_live_schema_untouched(server: GraphTestServer) -> None:
    job = server.add_job()
    before = server.schema(job)
    server.inject(Fault(status=500, times=100, method="PUT", code="InternalServerError"))
    with pytest.raises(GraphError, match="putSchema failed: PUT"):
        AttributeMappingsProvider().create(mapping_props(server, job, {"remove": ["nickName"]}))
    assert server.schema(job) == before


def test_unparseable_expression_writes_nothing(server: GraphTestServer) -> None:
    job = server.add_job()
    before = server.schema(job)
    props = mapping_props(server, job, {"overrides": [{"target": "title", "expression": 'Trim([jobTitle]) "x"'}]})
    with pytest.raises(GraphError, match="could not parse expression"):
        AttributeMappingsProvider().create(props)
    assert [r.method for r in server.requests()] == ["GET", "POST"]
    assert server.schema(job) == before


def test_dropped_put_is_retried_with_the_complete_document(server: GraphTestServer) -> None:
    job = server.add_job()
    server.inject(Fault(drop=True, times=1, method="PUT"))
    AttributeMappingsProvider().create(mapping_props(server, job, {"remove": ["nickName"]}))
    first, second = server.requests("PUT")
    assert first.body == second.body
    assert server.schema(job) == second.json()


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=429, retry_after="0", times=2),
        Fault(status=503, retry_after="1", times=1),
        Fault(status=503, times=2),
        Fault(status=502, times=1, code="BadGateway"),
        Fault(drop=True, times=2),
        Fault(status=404, times=2, code="Request_ResourceNotFound"),  # replication, right after creation
        Fault(status=409, times=1, code="Conflict"),
        Fault(status=403, times=1, code="Authorization_RequestDenied"),
    ],
    ids=["429", "503-retry-after", "503", "502", "drop", "replication-404", "replication-409", "replication-403"],
)
def test_create_rides_out_each_fault(server: GraphTestServer, fault: Fault) -> None:
    job = server.add_job()
    server.inject(fault)
    created = AttributeMappingsProvider().create(mapping_props(server, job))
    assert created.outs["ruleId"] == RULE_ID
    assert len(server.requests("PUT")) == 1 or fault.method == "PUT"


def test_replication_errors_fail_fast_outside_create(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = AttributeMappingsProvider()
    id_, outs = up(provider, None, mapping_props(server, job))
    server.inject(Fault(status=403, times=1, code="Authorization_RequestDenied", message="Insufficient privileges"))
    with pytest.raises(GraphError, match="HTTP 403 Authorization_RequestDenied: Insufficient privileges"):
        provider.update(id_, outs, mapping_props(server, job, {"remove": ["nickName"]}))


def test_diff_with_unknowns_or_new_job(server: GraphTestServer) -> None:
    from pulumi.runtime import rpc

    job = server.add_job()
    provider = AttributeMappingsProvider()
    id_, outs = up(provider, None, mapping_props(server, job))
    server.clear_log()
    assert provider.diff(id_, outs, {**outs, "jobId": rpc.UNKNOWN}).replaces == ["jobId"]
    assert provider.diff(id_, outs, {**outs, "userMappings": rpc.UNKNOWN}).changes is True
    assert server.requests() == []  # nothing to compare yet, so no call


def test_check_reports_malformed_rows() -> None:
    rows = [{"target": "title", "source": "a", "constant": "b"}, {"target": "title", "source": "a"}, {"source": "x"}]
    result = AttributeMappingsProvider().check({}, {"servicePrincipalId": "s", "jobId": "j", "userMappings": rows})
    assert [f.reason for f in result.failures] == [
        "userMappings[0] (title) needs exactly one of source, expression, constant",
        "target 'title' appears more than once",
        "userMappings[2] has no target",
    ]


# -- CredentialCheck ---------------------------------------------------------------------------------------------


def credential_props(server: GraphTestServer, job: str, token: str = GOOD_WEBEX_TOKEN) -> dict[str, Any]:
    return {
        "servicePrincipalId": server.sp_id,
        "jobId": job,
        "graphBaseUrl": server.base_url,
        "tenantUrl": TENANT_URL,
        "token": token,
    }


def test_credential_check_validates_on_create_and_on_change_only(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = CredentialCheckProvider()
    state = up(provider, None, credential_props(server, job))
    assert calls(server) == ["POST validateCredentials"]
    assert "token" not in state[1] and GOOD_WEBEX_TOKEN not in json.dumps(state[1])

    server.clear_log()
    state = up(provider, state, credential_props(server, job))
    assert server.requests() == []  # same URL and token: nothing sent

    server.state.webex_token = "rotated-token"
    state = up(provider, state, credential_props(server, job, "rotated-token"))
    assert calls(server) == ["POST validateCredentials"]
    server.clear_log()
    up(provider, state, {**credential_props(server, job, "rotated-token"), "tenantUrl": TENANT_URL + "/"})
    assert calls(server) == ["POST validateCredentials"]


def test_rejected_token_fails_with_graphs_message_redacted(server: GraphTestServer) -> None:
    job = server.add_job()
    with pytest.raises(GraphError) as caught:
        CredentialCheckProvider().create(credential_props(server, job, "expired-webex-token"))
    message = str(caught.value)
    assert "Webex rejected the credentials (SecretToken [redacted])" in message
    assert "expired-webex-token" not in message


# -- JobRestart --------------------------------------------------------------------------------------------------


def restart_props(
    server: GraphTestServer, job: str, request_id: str, *, enabled: bool = True, force: str = ""
) -> dict[str, Any]:
    return {
        "servicePrincipalId": server.sp_id,
        "jobId": job,
        "graphBaseUrl": server.base_url,
        "requestId": request_id,
        "forceDeletesRequest": force,
        "enabled": enabled,
    }


def test_restart_only_when_request_id_changes(server: GraphTestServer) -> None:
    job = server.add_job(status="Active")
    provider = JobRestartProvider()
    state = up(provider, None, restart_props(server, job, ""))
    assert server.requests() == []  # no request yet: the job is left alone

    state = up(provider, state, restart_props(server, job, "2024-06-01"))
    assert calls(server) == [f"GET {job}", "POST restart"]
    # The portal's Restart provisioning, never Full (which includes ForceDeletes and ConnectorDataStore).
    assert server.requests("POST")[0].json() == {"criteria": {"resetScope": "Watermark, Escrows, QuarantineState"}}
    assert server.state.restarts == [(job, ["Watermark", "Escrows", "QuarantineState"])]
    assert state[1]["restartedRequestId"] == "2024-06-01" and state[1]["startedJob"] is False
    assert state[1]["resetScope"] == "Watermark, Escrows, QuarantineState"

    server.clear_log()
    for _ in range(3):
        state = up(provider, state, restart_props(server, job, "2024-06-01"))
    assert server.requests() == []  # never on every run


def test_a_restart_request_releases_a_quarantine_without_forcing_deletes(server: GraphTestServer) -> None:
    job = server.add_job(status="Active")
    server.quarantine(job, "TooManyDeletes")
    provider = JobRestartProvider()
    state = up(provider, None, restart_props(server, job, ""))
    state = up(provider, state, restart_props(server, job, "release-quarantine"))
    assert calls(server) == [f"GET {job}", "POST restart", "POST start"]
    assert "ForceDeletes" not in server.requests("POST", "/restart")[0].body.decode()
    assert state[1]["jobStatusBefore"] == "Quarantine" and state[1]["startedJob"] is True
    assert server.state.jobs[job]["status"]["code"] == "Active"


def test_force_deletes_is_its_own_explicit_request(server: GraphTestServer) -> None:
    job = server.add_job(status="Active")
    provider = JobRestartProvider()
    state = up(provider, None, restart_props(server, job, "r1"))
    server.clear_log()
    state = up(provider, state, restart_props(server, job, "r1", force="approve-deletes-2026-11-26"))
    assert [r.json() for r in server.requests("POST", "/restart")] == [
        {"criteria": {"resetScope": "Watermark, Escrows, QuarantineState, ForceDeletes"}}
    ]
    assert state[1]["forcedDeletesRequestId"] == "approve-deletes-2026-11-26"
    server.clear_log()
    # The next restart request is a plain one again: forcing deletes is never remembered as a setting.
    state = up(provider, state, restart_props(server, job, "r2", force="approve-deletes-2026-11-26"))
    assert [r.json() for r in server.requests("POST", "/restart")] == [
        {"criteria": {"resetScope": "Watermark, Escrows, QuarantineState"}}
    ]


def test_restart_on_create_when_requested(server: GraphTestServer) -> None:
    job = server.add_job(status="Paused")
    up(JobRestartProvider(), None, restart_props(server, job, "first"))
    assert calls(server) == [f"GET {job}", "POST restart", "POST start"]


def test_restart_never_starts_a_job_the_stack_says_is_off(
    server: GraphTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: warnings.append(message))
    job = server.add_job(status="Paused")  # provisioning.enabled: false, JobState paused it
    provider = JobRestartProvider()
    state = up(provider, None, restart_props(server, job, "", enabled=False))
    state = up(provider, state, restart_props(server, job, "2026-11-26", enabled=False))
    assert server.requests() == []  # neither restart (it can start a stopped job) nor start
    assert server.job(job)["status"]["code"] == "Paused"
    assert warnings == [
        f"JobRestart {job}: restart request '2026-11-26' not sent: provisioning is off (provisioning.enabled: "
        "false), and a restart can start a stopped job; it is sent when provisioning is switched on"
    ]
    assert state[1]["restartedRequestId"] == ""
    server.clear_log()
    state = up(provider, state, restart_props(server, job, "2026-11-26", enabled=False))
    assert server.requests() == []  # and not on every run either

    # Switched on: the waiting request goes out once, and the job is started as the stack now says.
    state = up(provider, state, restart_props(server, job, "2026-11-26", enabled=True))
    assert calls(server) == [f"GET {job}", "POST restart", "POST start"]
    assert state[1]["restartedRequestId"] == "2026-11-26"


def test_restart_state_from_before_enabled_existed_is_no_change(server: GraphTestServer) -> None:
    job = server.add_job(status="Active")
    old = {k: v for k, v in restart_props(server, job, "r1").items() if k not in {"enabled", "forceDeletesRequest"}}
    old.update(restartedRequestId="r1", restartedAt="2026-01-01T00:00:00+00:00", jobStatusBefore="Active")
    assert JobRestartProvider().diff("restart-x", old, restart_props(server, job, "r1")).changes is False


def test_the_test_graph_refuses_unknown_reset_scopes(server: GraphTestServer) -> None:
    from components.graph.auth import StaticTokenCredential
    from components.graph.client import GraphClient

    job = server.add_job()
    with GraphClient(server.base_url, credential=StaticTokenCredential(BEARER)) as client:
        client.call(
            "restartJob",
            "POST",
            f"/servicePrincipals/{server.sp_id}/synchronization/jobs/{job}/restart",
            body={"criteria": {"resetScope": ""}},
        )
        with pytest.raises(GraphError, match="Invalid resetScope value\\(s\\): Everything"):
            client.call(
                "restartJob",
                "POST",
                f"/servicePrincipals/{server.sp_id}/synchronization/jobs/{job}/restart",
                body={"criteria": {"resetScope": "Watermark, Everything"}},
            )
    assert server.state.restarts == [(job, [])]


# -- JobState ----------------------------------------------------------------------------------------------------


def state_props(server: GraphTestServer, job: str, enabled: Any) -> dict[str, Any]:
    return {"servicePrincipalId": server.sp_id, "jobId": job, "graphBaseUrl": server.base_url, "enabled": enabled}


def live(server: GraphTestServer, job: str) -> tuple[str, str]:
    record = server.job(job)
    return record["schedule"]["state"], record["status"]["code"]


def test_job_state_create_enabled_starts_a_new_job_once(server: GraphTestServer) -> None:
    job = server.add_job()  # as POST jobs leaves it: schedule Disabled, status NotRun
    assert live(server, job) == ("Disabled", "NotRun")
    reset_total_stats()
    id_, outs = up(JobStateProvider(), None, state_props(server, job, True))
    assert calls(server) == [f"GET {job}", "POST start"]
    assert server.requests("POST")[0].body == b""
    assert total_stats().calls == {"getJob": 1, "startJob": 1}
    assert live(server, job) == ("Active", "Active")
    assert id_.startswith("jobstate-")
    assert outs == {**state_props(server, job, True), "scheduleState": "Active", "statusCode": "Active"}


def test_job_state_create_disabled_leaves_a_disabled_job_alone(server: GraphTestServer) -> None:
    job = server.add_job()
    _, outs = up(JobStateProvider(), None, state_props(server, job, False))
    assert calls(server) == [f"GET {job}"]
    assert live(server, job) == ("Disabled", "NotRun")
    assert outs["enabled"] is False and (outs["scheduleState"], outs["statusCode"]) == ("Disabled", "NotRun")


def test_job_state_create_disabled_pauses_a_running_job(server: GraphTestServer) -> None:
    job = server.add_job(status="Active")
    _, outs = up(JobStateProvider(), None, state_props(server, job, False))
    assert calls(server) == [f"GET {job}", "POST pause"]
    assert live(server, job) == ("Disabled", "Paused")
    assert (outs["scheduleState"], outs["statusCode"]) == ("Disabled", "Paused")


def test_job_state_create_enabled_on_a_running_job_makes_no_post(server: GraphTestServer) -> None:
    job = server.add_job(status="Active")
    _, outs = up(JobStateProvider(), None, state_props(server, job, True))
    assert calls(server) == [f"GET {job}"]
    assert (outs["scheduleState"], outs["statusCode"]) == ("Active", "Active")


def test_job_state_starts_a_paused_job(server: GraphTestServer) -> None:
    job = server.add_job(status="Paused", schedule_state="Active")
    _, outs = up(JobStateProvider(), None, state_props(server, job, True))
    assert calls(server) == [f"GET {job}", "POST start"]
    assert live(server, job) == ("Active", "Active")
    assert outs["statusCode"] == "Active"


def test_job_state_reports_a_quarantine_instead_of_lifting_it(server: GraphTestServer) -> None:
    # A quarantined job keeps its Active schedule: the status code alone says it does not run.
    job = server.add_job(status="Active")
    server.quarantine(job, "TooManyDeletes", "DeleteThresholdExceeded", "Deleting 612 users exceeds the threshold 500.")
    with pytest.raises(JobQuarantinedError) as caught:
        JobStateProvider().create(state_props(server, job, True))
    assert calls(server) == [f"GET {job}"]  # no start: that would lift the quarantine
    assert live(server, job) == ("Active", "Quarantine")
    assert str(caught.value) == (
        f"provisioning job {job} is in quarantine (reason TooManyDeletes since 2026-11-20T10:00:00Z; "
        "DeleteThresholdExceeded: Deleting 612 users exceeds the threshold 500.). `pulumi up` does not lift a "
        "quarantine on its own: it holds provisioning until someone decides. Fix the cause, then release it "
        "explicitly with a new restart request: `pulumi config set --path 'provisioning.restartRequest' <new value>` "
        "(the portal's Restart provisioning: resetScope Watermark, Escrows, QuarantineState), or Restart "
        "provisioning in the portal. The accidental-deletion threshold held deletions back; a restart keeps them "
        "held. Review them in the provisioning logs; to let them through, set a new "
        "`provisioning.forceDeletesRequest` (ForceDeletes)."
    )


def test_job_state_off_pauses_a_quarantined_job_without_lifting_it(server: GraphTestServer) -> None:
    job = server.add_job(status="Active")
    server.quarantine(job, "EncounteredQuarantineException")
    up(JobStateProvider(), None, state_props(server, job, False))
    assert calls(server) == [f"GET {job}", "POST pause"]


def test_job_state_update_on_off_on_and_no_change(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = JobStateProvider()
    state = up(provider, None, state_props(server, job, True))

    server.clear_log()
    for _ in range(3):
        state = up(provider, state, state_props(server, job, True))
    assert server.requests() == []  # no change: no call at all, neither GET nor POST

    reset_total_stats()
    state = up(provider, state, state_props(server, job, False))
    assert calls(server) == [f"GET {job}", "POST pause"]
    assert total_stats().calls == {"getJob": 1, "pauseJob": 1}
    assert live(server, job) == ("Disabled", "Paused")
    assert state[1]["enabled"] is False and state[1]["statusCode"] == "Paused"

    server.clear_log()
    state = up(provider, state, state_props(server, job, False))
    assert server.requests() == []

    state = up(provider, state, state_props(server, job, True))
    assert calls(server) == [f"GET {job}", "POST start"]
    assert live(server, job) == ("Active", "Active")
    assert not server.requests(suffix="/restart")  # never a restart


def test_job_state_forced_update_in_the_wanted_state_makes_no_post(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = JobStateProvider()
    id_, outs = up(provider, None, state_props(server, job, True))
    server.clear_log()
    provider.update(id_, outs, state_props(server, job, True))
    assert calls(server) == [f"GET {job}"]


@pytest.mark.parametrize("paused_state", ["Disabled", "Paused"])
def test_job_state_portal_toggle_is_drift_on_refresh_and_reverted(server: GraphTestServer, paused_state: str) -> None:
    server.state.pause_schedule_state = paused_state  # whichever schedule state Graph reports for a paused job
    job = server.add_job()
    provider = JobStateProvider()
    id_, outs = up(provider, None, state_props(server, job, True))

    server.portal_toggle(job, on=False)  # Provisioning Status Off in the portal
    server.clear_log()
    refreshed = provider.read(id_, outs)
    assert calls(server) == [f"GET {job}"]
    assert refreshed.id == id_
    assert refreshed.outs == {**outs, "enabled": False, "scheduleState": paused_state, "statusCode": "Paused"}

    # The next `pulumi up` (olds are the refreshed outputs) sees the change and starts the job again.
    assert provider.diff(id_, refreshed.outs, state_props(server, job, True)).changes is True
    server.clear_log()
    id_, outs = up(provider, (id_, refreshed.outs), state_props(server, job, True))
    assert calls(server) == [f"GET {job}", "POST start"]
    assert provider.read(id_, outs).outs == outs  # converged: a refresh now shows nothing

    # The other way round: wanted off, turned on in the portal.
    id_, outs = up(provider, (id_, outs), state_props(server, job, False))
    server.portal_toggle(job, on=True)
    refreshed = provider.read(id_, outs)
    assert refreshed.outs["enabled"] is True and refreshed.outs["scheduleState"] == "Active"
    server.clear_log()
    id_, outs = up(provider, (id_, refreshed.outs), state_props(server, job, False))
    assert calls(server) == [f"GET {job}", "POST pause"]
    assert live(server, job) == (paused_state, "Paused")


def test_job_state_quarantine_found_by_refresh_is_reported_then_released_by_a_restart_request(
    server: GraphTestServer,
) -> None:
    job = server.add_job()
    provider = JobStateProvider()
    id_, outs = up(provider, None, state_props(server, job, True))
    server.quarantine(job, "TooManyDeletes")  # the schedule stays Active: `enabled` reads true
    refreshed = provider.read(id_, outs).outs
    assert refreshed["enabled"] is True and refreshed["statusCode"] == "Quarantine"
    assert provider.diff(id_, refreshed, state_props(server, job, True)).changes is True
    server.clear_log()
    # `pulumi up --refresh`: the quarantine is reported, not lifted, on every run until someone decides.
    for _ in range(2):
        with pytest.raises(JobQuarantinedError, match="reason TooManyDeletes"):
            up(provider, (id_, refreshed), state_props(server, job, True))
    assert calls(server) == [f"GET {job}", f"GET {job}"]
    assert live(server, job) == ("Active", "Quarantine")

    # The explicit release: a new restart request (JobRestart runs before JobState), then JobState converges.
    server.clear_log()
    up(JobRestartProvider(), None, restart_props(server, job, "release-2026-11-26"))
    id_, outs = up(provider, (id_, refreshed), state_props(server, job, True))
    assert calls(server) == [f"GET {job}", "POST restart", "POST start", f"GET {job}"]
    assert outs["statusCode"] == "Active" and live(server, job) == ("Active", "Active")


def test_job_state_diff_without_graph(server: GraphTestServer) -> None:
    from pulumi.runtime import rpc

    job = server.add_job()
    provider = JobStateProvider()
    id_, outs = up(provider, None, state_props(server, job, False))
    server.clear_log()
    same = state_props(server, job, False)
    assert provider.diff(id_, outs, same).changes is False
    assert provider.diff(id_, outs, {**same, "enabled": True}).changes is True
    assert provider.diff(id_, outs, {**same, "enabled": rpc.UNKNOWN}).changes is True
    assert provider.diff(id_, outs, {**same, "jobId": "other-job"}).changes is True
    assert provider.diff(id_, outs, {**same, "graphBaseUrl": "https://graph.microsoft.us/v1.0"}).changes is True
    assert provider.diff(id_, outs, {**same, "jobId": rpc.UNKNOWN}).replaces == []  # a new job id is an update
    assert server.requests() == []


def test_job_state_action_table() -> None:
    assert job_state_action(True, "Disabled", "NotRun") == "start"
    assert job_state_action(True, "Paused", "Paused") == "start"
    assert job_state_action(True, "Active", "Quarantine") == "quarantined"
    assert job_state_action(True, "Disabled", "Quarantine") == "quarantined"
    assert job_state_action(True, "Active", "Paused") == "start"
    assert job_state_action(True, "Active", "Active") is None
    assert job_state_action(True, "Active", "NotRun") is None
    assert job_state_action(False, "Active", "Active") == "pause"
    assert job_state_action(False, "Active", "Quarantine") == "pause"
    assert job_state_action(False, "Disabled", "NotRun") is None
    assert job_state_action(False, "Paused", "Paused") is None
    assert job_state_action(False, "Disabled", "Paused") is None


def test_job_state_delete_makes_no_call(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = JobStateProvider()
    id_, outs = up(provider, None, state_props(server, job, True))
    server.clear_log()
    provider.delete(id_, outs)
    provider.delete(id_, {**outs, "jobId": "already-gone"})
    assert server.requests() == []
    assert live(server, job) == ("Active", "Active")  # the job is the azuread resource's to delete


def test_job_state_read_of_a_deleted_job_reports_it_gone(server: GraphTestServer) -> None:
    job = server.add_job()
    provider = JobStateProvider()
    id_, outs = up(provider, None, state_props(server, job, True))
    gone = provider.read(id_, {**outs, "jobId": "deleted-job"})
    assert gone.id == "" and gone.outs == {}


def test_job_state_pause_and_start_ride_out_faults(server: GraphTestServer) -> None:
    job = server.add_job(status="Active")
    provider = JobStateProvider()
    server.inject(Fault(status=429, retry_after="0", times=1, method="POST", path_contains="/pause"))
    server.inject(Fault(drop=True, times=1, method="POST", path_contains="/pause"))
    state = up(provider, None, state_props(server, job, False))
    assert calls(server) == [f"GET {job}", "POST pause", "POST pause", "POST pause"]
    assert live(server, job) == ("Disabled", "Paused")
    server.clear_log()
    server.inject(Fault(status=503, times=1, method="POST", path_contains="/start"))
    up(provider, state, state_props(server, job, True))
    assert calls(server) == [f"GET {job}", "POST start", "POST start"]


def test_job_state_pause_failure_is_a_clear_redacted_error(server: GraphTestServer) -> None:
    job = server.add_job(status="Active")
    server.inject(
        Fault(
            status=403,
            times=1,
            method="POST",
            path_contains="/pause",
            code="Authorization_RequestDenied",
            message=f"Insufficient privileges for Bearer {BEARER}",
        )
    )
    provider = JobStateProvider()
    with pytest.raises(GraphError) as caught:
        provider.update("jobstate-x", {}, state_props(server, job, False))
    message = str(caught.value)
    assert "Graph pauseJob failed: POST" in message and "HTTP 403 Authorization_RequestDenied" in message
    assert BEARER not in message and "[redacted]" in message
    assert live(server, job) == ("Active", "Active")


def test_job_state_check() -> None:
    from pulumi.runtime import rpc

    provider = JobStateProvider()
    ok = {"servicePrincipalId": "s", "jobId": "j", "enabled": False}
    assert provider.check({}, ok).failures == []
    assert provider.check({}, {**ok, "enabled": rpc.UNKNOWN}).failures == []
    failures = provider.check({}, {"servicePrincipalId": "s", "enabled": "yes"}).failures
    assert [(f.property, f.reason) for f in failures] == [
        ("jobId", "jobId is required"),
        ("enabled", "enabled must be true or false"),
    ]


# -- pickling, isolation, secrets --------------------------------------------------------------------------------

PROVIDERS = [
    SynchronizationTemplateProvider,
    AttributeMappingsProvider,
    CredentialCheckProvider,
    JobRestartProvider,
    JobStateProvider,
]


@pytest.mark.parametrize("provider_class", PROVIDERS, ids=lambda c: c.__name__)
def test_providers_pickle_by_reference_and_hold_nothing(provider_class: type) -> None:
    provider = provider_class()
    raw = base64.b64decode(serialize_provider(provider))
    assert provider_class.__module__.encode() in raw and provider_class.__name__.encode() in raw
    assert len(raw) < 200, raw  # a class reference and an empty instance: no client, no token, no settings
    assert vars(provider) == {}


def test_dill_round_trip_in_a_clean_subprocess(server: GraphTestServer) -> None:
    """Serialize as `pulumi.dynamic.Resource` does, load and run in a fresh interpreter like the provider host."""
    canary = "CANARY-WEBEX-subprocess-93d1"
    server.state.webex_token = canary
    job = server.add_job()
    script = """
import base64, json, sys
import dill
request = json.loads(sys.stdin.read())
results = {}
for name, (blob, props) in request.items():
    provider = dill.loads(base64.b64decode(blob))
    created = provider.create(props)
    results[name] = {"id": created.id, "outs": created.outs, "type": type(provider).__qualname__}
print(json.dumps(results))
"""
    request = {
        "mappings": [
            serialize_provider(AttributeMappingsProvider()),
            mapping_props(server, job, {"remove": ["nickName"]}),
        ],
        "credentials": [serialize_provider(CredentialCheckProvider()), credential_props(server, job, canary)],
        "template": [
            serialize_provider(SynchronizationTemplateProvider()),
            {"servicePrincipalId": server.sp_id, "graphBaseUrl": server.base_url},
        ],
    }
    done = run_in_a_clean_interpreter(script, request)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert results["mappings"]["type"] == "AttributeMappingsProvider"
    assert results["mappings"]["outs"]["ruleId"] == RULE_ID
    assert results["template"]["outs"]["templateId"] == "ciscowebex"
    assert "tokenFingerprint" in results["credentials"]["outs"]
    assert canary not in done.stdout and canary not in done.stderr
    assert [c for c in calls(server) if c != "GET templates"] == [
        "GET schema",
        "PUT schema",
        "POST validateCredentials",
    ]


def test_job_state_dill_round_trip_in_a_clean_subprocess(server: GraphTestServer) -> None:
    """JobStateProvider serialized as `pulumi.dynamic.Resource` does, then create/diff/update/read/delete in a fresh
    interpreter like the provider host (which imports this project's module by reference)."""
    job = server.add_job()
    script = """
import base64, json, sys
import dill
blob, props = json.loads(sys.stdin.read())
provider = dill.loads(base64.b64decode(blob))
created = provider.create(props)
off = {**props, "enabled": False}
changed = provider.diff(created.id, created.outs, off).changes
updated = provider.update(created.id, created.outs, off)
read = provider.read(created.id, updated.outs)
provider.delete(created.id, read.outs)
print(json.dumps({"type": type(provider).__qualname__, "module": type(provider).__module__, "created": created.outs,
                  "changed": changed, "updated": updated.outs, "read": read.outs}))
"""
    done = run_in_a_clean_interpreter(script, [serialize_provider(JobStateProvider()), state_props(server, job, True)])
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["type"], result["module"]) == ("JobStateProvider", "components.graph.job_state")
    assert result["created"]["scheduleState"] == "Active" and result["changed"] is True
    assert result["updated"]["enabled"] is False and result["read"] == result["updated"]
    assert calls(server) == [f"GET {job}", "POST start", f"GET {job}", "POST pause", f"GET {job}"]
    assert BEARER not in done.stdout and BEARER not in done.stderr


def test_canary_webex_token_stays_in_the_validate_body(
    server: GraphTestServer, capfd: pytest.CaptureFixture[str]
) -> None:
    canary = "CANARY-WEBEX-everywhere-5e7a"
    job = server.add_job()
    outputs: list[Any] = []
    for token in (canary, GOOD_WEBEX_TOKEN):  # a rejection (echoed by the server) and a success
        server.state.webex_token = GOOD_WEBEX_TOKEN
        try:
            outputs.append(CredentialCheckProvider().create(credential_props(server, job, token)).outs)
        except GraphError as error:
            outputs.append(str(error))
    outputs.append(AttributeMappingsProvider().create(mapping_props(server, job)).outs)
    outputs.append(JobRestartProvider().create(restart_props(server, job, "x")).outs)
    outputs.append(JobStateProvider().create(state_props(server, job, True)).outs)
    blob = json.dumps(outputs) + "".join(capfd.readouterr())
    blob += "".join(serialize_provider(p()) for p in PROVIDERS)
    assert canary not in blob and BEARER not in blob
    carrying = [
        r for r in server.requests() if canary.encode() in r.body or canary in str(r.headers) or canary in r.path
    ]
    assert [r.path.rsplit("/", 1)[-1] for r in carrying] == ["validateCredentials"]
    assert all(r.headers["Authorization"] == f"Bearer {BEARER}" for r in server.requests())
    assert not any(BEARER.encode() in r.body for r in server.requests())


# -- the resources as the program declares them (Pulumi mocks, no engine) ------------------------------------------


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


def test_type_tokens_inputs_and_secret_token_under_mocks() -> None:
    mocks = _Mocks()
    pulumi.runtime.set_mocks(mocks, project="webex-scim", stack="test", preview=False)
    canary = "CANARY-WEBEX-mocks-0c4d"

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        template = SynchronizationTemplate("tpl", service_principal_id=SP_ID)
        mappings = AttributeMappings.from_settings(
            "maps", MappingSettings(), service_principal_id=SP_ID, job_id="job-1"
        )
        check = CredentialCheck("cred", service_principal_id=SP_ID, job_id="job-1", tenant_url=TENANT_URL, token=canary)
        restart = JobRestart("restart", service_principal_id=SP_ID, job_id="job-1", enabled=True, request_id="r1")
        state = JobState("state", service_principal_id=SP_ID, job_id="job-1", enabled=False)

        def verify(args: list[Any]) -> None:
            token_is_secret = args[0]
            assert token_is_secret is True
            types = {r.name: r.typ for r in mocks.registered}
            assert types == {
                "tpl": "pulumi-python:dynamic/webex:SynchronizationTemplate",
                "maps": "pulumi-python:dynamic/webex:AttributeMappings",
                "cred": "pulumi-python:dynamic/webex:CredentialCheck",
                "restart": "pulumi-python:dynamic/webex:JobRestart",
                "state": "pulumi-python:dynamic/webex:JobState",
            }
            inputs = {r.name: r.inputs for r in mocks.registered}
            assert inputs["maps"]["userMappings"][0]["target"] == "userName"
            assert inputs["restart"]["requestId"] == "r1"
            assert inputs["state"]["enabled"] is False and inputs["state"]["jobId"] == "job-1"
            assert inputs["state"]["graphBaseUrl"] == "https://graph.microsoft.com/v1.0"
            assert canary not in inputs["cred"]["__provider"]

        secret = pulumi.Output.from_input(check.token).is_secret()
        return pulumi.Output.all(
            pulumi.Output.from_input(secret), template.urn, mappings.ruleId, restart.urn, state.urn
        ).apply(verify)

    program()


def test_provider_module_has_no_unpicklable_state() -> None:
    # dill by reference means the host must import this module; make sure importing it has no side effects.
    script = "import components.graph.resources as r; print(r.AttributeMappings._resource_type_name)"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "dynamic/webex:AttributeMappings"
    assert dill.loads(dill.dumps(AttributeMappingsProvider())).__class__ is AttributeMappingsProvider


# -- ServicePrincipalReady ---------------------------------------------------------------------------------------


def test_a_new_service_principal_is_waited_for_while_graph_replicates(monkeypatch: pytest.MonkeyPatch) -> None:
    # F9: the provider waits for the application only; our wait retries the new service principal's 404s.
    from components.graph.resources import ServicePrincipalReadyProvider

    with GraphTestServer() as server:
        monkeypatch.setenv(TEST_TOKEN_ENV, BEARER)
        monkeypatch.setenv(BACKOFF_ENV, "0.01")
        server.directory.replication_lag = 3
        _, made = server.directory.handle(
            "POST",
            "/applicationTemplates/" + _webex_template(server) + "/instantiate",
            "",
            {"displayName": "Cisco Webex"},
        )
        sp_id = made["servicePrincipal"]["id"]
        props = {"servicePrincipalId": sp_id, "graphBaseUrl": server.base_url}
        created = ServicePrincipalReadyProvider().create(props)
        assert created.outs == props and created.id == sp_id
        assert len(server.requests("GET", f"/servicePrincipals/{sp_id}")) == 4  # three 404s, then the object
        # Later reads are not fresh: a service principal that is gone is gone (the resource leaves the state).
        server.directory.handle("DELETE", f"/servicePrincipals/{sp_id}", "", None)
        assert ServicePrincipalReadyProvider().read(sp_id, created.outs).id == ""


def _webex_template(server: GraphTestServer) -> str:
    return server.directory.application_templates[0]["id"]
