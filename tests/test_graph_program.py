"""How the program declares this project's Graph resources (offline engine, as the CLI would run it): which ones,
in which order, with which inputs."""

from __future__ import annotations

from offline.render import UNKNOWN_TEXT
from tests.support import by_name, config, inputs, run

JOB_RESTART = "pulumi-python:dynamic/webex:JobRestart"
ON_DEMAND = "pulumi-python:dynamic/webex:ProvisionOnDemand"


def test_a_restart_request_goes_before_job_state_and_knows_whether_provisioning_is_on() -> None:
    result = run(config(provisioning={"templateId": "ciscowebex", "enabled": False, "restartRequest": "r1"}))
    names = by_name(result)
    assert names["restart"].type == JOB_RESTART
    assert inputs(result, "restart") == {
        "enabled": False,
        "forceDeletesRequest": "",
        "graphBaseUrl": "https://graph.microsoft.com/v1.0",
        "jobId": UNKNOWN_TEXT,
        "requestId": "r1",
        "servicePrincipalId": UNKNOWN_TEXT,
    }
    # JobState waits for the restart: a restart request is what releases a quarantine JobState would report.
    assert names["restart"].urn in names["job-state"].options["dependencies"]
    assert names["job-state"].urn not in names["restart"].options["dependencies"]
    assert "restart" not in by_name(run(config()))


def test_pilot_is_provisioned_on_demand_by_the_graph_resource() -> None:
    result = run(config())
    names = by_name(result)
    assert names["provision-pilot-user"].type == ON_DEMAND
    on_demand = inputs(result, "provision-pilot-user")
    assert on_demand["objectTypeName"] == "User"
    assert on_demand["ruleId"] == UNKNOWN_TEXT and on_demand["objectId"] == UNKNOWN_TEXT
    assert set(on_demand["triggers"]) == {"user", "mappings"}
    deps = names["provision-pilot-user"].options["dependencies"]
    assert names["credentials"].urn in deps and names["attribute-mappings"].urn in deps
    assert "provision-pilot-user" not in by_name(run(config(rollout="full")))


def test_secret_keys_are_written_in_an_order_graph_keeps() -> None:
    """The azuread provider's Read keeps Graph's list in Graph's order (flattenSynchronizationSecret…), so the list
    written must read back unchanged whether Graph keeps insertion order or sorts by key: only a sorted list does."""
    written = [c["key"] for c in inputs(run(config()), "credentials")["credentials"]]
    assert written == ["BaseAddress", "SecretToken", "SyncAll", "SyncNotificationSettings"]
    for graph_keeps in (list, sorted):  # insertion order, or sorted by key
        assert list(graph_keeps(written)) == written  # what the next Read stores: no diff
