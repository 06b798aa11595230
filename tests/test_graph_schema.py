"""AttributeMappings against the loopback Graph: Webex attribute definitions added to the target directory in the
same PUT (F11), and scoping-filter operators checked against the job's filterOperators before anything is written."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from graph_server import USER_TARGET_OBJECT, GraphTestServer

from components.graph.resources import AttributeMappingsProvider
from components.graph.schema import SchemaShapeError, ScopingOperatorError, attribute_definition
from components.mapping_settings import MappingSettings, attribute_mappings_inputs

CISCO = "urn:scim:schemas:extension:cisco:webexidentity:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def props(server: GraphTestServer, job: str, config: dict[str, Any]) -> dict[str, Any]:
    return {
        "servicePrincipalId": server.sp_id,
        "jobId": job,
        "graphBaseUrl": server.base_url,
        **attribute_mappings_inputs(MappingSettings.model_validate(config)),
    }


def calls(server: GraphTestServer) -> list[str]:
    return [f"{r.method} {r.path.rsplit('/', 1)[-1]}" for r in server.requests()]


def webex_user_attributes(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (webex,) = [d for d in schema["directories"] if d["name"] == "Cisco Webex"]
    (user,) = [o for o in webex["objects"] if o["name"] == USER_TARGET_OBJECT]
    return {a["name"]: a for a in user["attributes"]}


# -- F11: Webex attributes the template does not list ----------------------------------------------------------


def test_a_mapping_to_an_unlisted_webex_attribute_defines_it_in_the_same_put(server: GraphTestServer) -> None:
    job = server.add_job()
    before = server.schema(job)
    targets = [
        f"{CISCO}:extensionAttribute1",
        f'{CISCO}:sipAddresses[type eq "enterprise"].value',
        f"{ENTERPRISE}:manager",
    ]
    assert not set(targets) & set(webex_user_attributes(before))
    config = {
        "overrides": [
            {"target": targets[0], "source": "department"},
            {"target": targets[1], "source": "mail"},
            {"target": targets[2], "source": "manager"},
        ]
    }
    provider = AttributeMappingsProvider()
    created = provider.create(props(server, job, config))
    assert calls(server) == ["GET schema", "PUT schema"]  # one write: definitions and mappings together
    live = server.schema(job)
    defined = webex_user_attributes(live)
    assert defined[targets[0]] == {
        "anchor": False,
        "apiExpressions": [],
        "caseExact": False,
        "defaultValue": None,
        "flowNullValues": False,
        "metadata": [],
        "multivalued": True,  # Webex's extensionAttributeN is an array of strings
        "mutability": "ReadWrite",
        "name": targets[0],
        "referencedObjects": [],
        "required": False,
        "type": "String",
    }
    assert (defined[targets[1]]["type"], defined[targets[1]]["multivalued"]) == ("String", False)
    assert defined[targets[2]]["type"] == "Reference"
    assert defined[targets[2]]["referencedObjects"] == [
        {"referencedObjectName": USER_TARGET_OBJECT, "referencedProperty": None}
    ]
    # Everything that was defined before is still there, untouched and in its place.
    before_defs = webex_user_attributes(before)
    assert [defined[name] for name in before_defs] == list(before_defs.values())
    assert list(defined)[: len(before_defs)] == list(before_defs)
    # The Azure AD directory is not ours to touch.
    assert json.dumps(live["directories"][0]) == json.dumps(before["directories"][0])

    # Converged: the next run reads and writes nothing.
    server.clear_log()
    assert provider.diff(created.id, created.outs, props(server, job, config)).changes is False
    assert calls(server) == ["GET schema"]


def test_already_listed_attributes_are_not_redefined(server: GraphTestServer) -> None:
    job = server.add_job()
    before = server.schema(job)
    AttributeMappingsProvider().create(props(server, job, {"overrides": [{"target": "title", "source": "department"}]}))
    assert json.dumps(server.schema(job)["directories"]) == json.dumps(before["directories"])


def test_a_schema_without_the_webex_directory_is_a_clear_error(server: GraphTestServer) -> None:
    job = server.add_job()
    server.mutate_schema(job, lambda s: s.update(directories=[s["directories"][0]]))
    with pytest.raises(SchemaShapeError, match=re.escape(f"no {USER_TARGET_OBJECT!r} object")):
        AttributeMappingsProvider().create(props(server, job, {}))
    assert server.requests("PUT") == []


def test_attribute_definition_types() -> None:
    assert attribute_definition("active", USER_TARGET_OBJECT)["type"] == "Boolean"
    assert attribute_definition(f"{CISCO}:extensionAttribute5", USER_TARGET_OBJECT)["multivalued"] is True
    assert attribute_definition("nickName", USER_TARGET_OBJECT)["multivalued"] is False


# -- F14: scoping operators are the job's own ------------------------------------------------------------------


def test_an_operator_graph_does_not_list_fails_before_the_put(server: GraphTestServer) -> None:
    job = server.add_job()
    before = server.schema(job)
    config = {
        "scopingFilter": [
            {
                "clauses": [
                    {"attribute": "department", "operator": "EQUALS", "values": ["Sales"]},
                    {"attribute": "employeeId", "operator": "Greater_Than", "values": ["1000"]},
                ]
            }
        ]
    }
    with pytest.raises(ScopingOperatorError) as caught:
        AttributeMappingsProvider().create(props(server, job, config))
    assert str(caught.value) == (
        "webex-scim:mappings.scopingFilter[0].clauses[1].operator: 'Greater_Than' (on 'employeeId') is not a "
        "scoping operator this job supports (Graph spells it 'GREATER_THAN'); Graph lists: EQUALS, NOT_EQUALS, "
        "IS_TRUE, IS_FALSE, IS_NULL, IS_NOT_NULL, REGEX_MATCH, NOT_REGEX_MATCH, GREATER_THAN, GREATER_THAN_OR_EQUALS, "
        "LESS_THAN, LESS_THAN_OR_EQUALS, ENDS_WITH. Nothing was written."
    )
    assert calls(server) == ["GET schema", "GET filterOperators"]
    assert server.schema(job) == before


def test_listed_operators_are_written_and_the_list_is_read_only_when_the_filter_changes(
    server: GraphTestServer,
) -> None:
    job = server.add_job()
    server.state.page_size = 5  # the operator list comes in pages too
    config = {"scopingFilter": [{"clauses": [{"attribute": "accountEnabled", "operator": "IS_TRUE"}]}]}
    provider = AttributeMappingsProvider()
    created = provider.create(props(server, job, config))
    assert calls(server) == [
        "GET schema",
        "GET filterOperators",
        "GET filterOperators",
        "GET filterOperators",
        "PUT schema",
    ]
    server.clear_log()
    provider.update(created.id, created.outs, props(server, job, {**config, "remove": ["nickName"]}))
    assert calls(server) == ["GET schema", "PUT schema"]  # the filter did not change: no operator list needed
