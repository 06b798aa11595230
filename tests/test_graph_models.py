"""Every body our Graph calls send, and every body the loopback Graph answers for the calls we make, read by code no
one here wrote: Microsoft's own Graph SDK models (msgraph-sdk, a test dependency only; kiota's JSON parse node).

For each JSON object, against the SDK model Graph declares for it, recursively:
* no unknown field: every property is one the model declares (OData annotations, `@odata.*`, are protocol, not data);
* every value is one the model can read (an enum member it knows, a value of the declared type): a non-null value
  that the SDK reads as nothing is a mismatch;
* no missing required one: the properties Graph's API reference requires there (an entity's key `id`, a collection's
  `value`, and what each call's page names) are present and not null.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

import pytest
from graph_server import BEARER, GOOD_WEBEX_TOKEN, GraphTestServer
from kiota_abstractions.serialization import Parsable
from kiota_serialization_json.json_parse_node import JsonParseNode

from components.graph.auth import StaticTokenCredential
from components.graph.client import GraphClient

_JOBS = "msgraph.generated.service_principals.item.synchronization.jobs.item"
# (model, property) the loopback sends although the SDK's model lacks it, each for a reason:
DELIBERATE = {
    # not Graph: an unknown field in the schema, so a test can prove that read-modify-write keeps what it does not know
    # (tests/graph_server.py default_webex_schema);
    ("SynchronizationSchema", "futureGraphField"),
    # Graph's own page (synchronization-synchronizationschema-filteroperators.md) names each operator `name`, while
    # its metadata, as msgraph-sdk models it, keys the entity `id`: the loopback answers as the page shows, and the
    # AttributeMappings provider reads either (components/graph/mappings.py).
    ("FilterOperatorSchema", "name"),
}


class _EnumProbe:
    """A stand-in parse node that records which enum a property's deserializer asks for: kiota looks enum values up by
    member name, and a Graph value that is a Python keyword (`import`) is the member `Import_`, so its own lookup
    misses values the model does declare."""

    def __init__(self) -> None:
        self.enum: Any = None

    def get_enum_value(self, enum_class: Any) -> None:
        self.enum = enum_class

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _declared_enum_value(deserialize: Callable[[Any], None], item: Any) -> bool:
    probe = _EnumProbe()
    deserialize(probe)
    if probe.enum is None or not isinstance(item, str):
        return False
    values = {member.value for member in probe.enum}
    return all(part.strip() in values for part in item.split(","))


def model(path: str) -> type[Parsable]:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def problems(value: Any, cls: type[Parsable], where: str = "$") -> list[str]:
    """What the SDK model does not understand in `value` (a JSON object), recursively."""
    found: list[str] = []
    if not isinstance(value, dict):
        return [f"{where}: a {type(value).__name__}, not a JSON object"]
    names = [f.name for f in dataclasses.fields(cls)]
    for key, item in value.items():
        probe = cls()
        fields = probe.get_field_deserializers()
        if key not in fields:
            if not key.startswith("@odata.") and (cls.__name__, key) not in DELIBERATE:
                found.append(f"{where}.{key}: unknown to {cls.__name__}")
            continue
        if item is None:  # null is every property's "not set"
            continue
        fields[key](JsonParseNode(item))
        read = [getattr(probe, n) for n in names if n not in ("backing_store", "additional_data")]
        parsed = next((v for v in read if v is not None), None)
        if parsed is None and not _declared_enum_value(cls().get_field_deserializers()[key], item):
            found.append(f"{where}.{key}: {item!r} is not a value {cls.__name__} can read")
        elif isinstance(item, dict) and isinstance(parsed, Parsable):
            found += problems(item, type(parsed), f"{where}.{key}")
        elif isinstance(item, list) and isinstance(parsed, list):
            for i, (raw, element) in enumerate(zip(item, parsed, strict=True)):
                if isinstance(element, Parsable):
                    found += problems(raw, type(element), f"{where}.{key}[{i}]")
    return found


@pytest.fixture(scope="module")
def tenant() -> Any:
    with GraphTestServer() as server:
        server.directory.add_gallery_app(sp_object_id=server.sp_id)
        yield server


def client(server: GraphTestServer) -> GraphClient:
    return GraphClient(server.base_url, credential=StaticTokenCredential(BEARER))


def sent(server: GraphTestServer, method: str, suffix: str, call: Callable[[GraphClient], Any]) -> dict[str, Any]:
    """The body our client sends for `call` (as the server received it)."""
    server.clear_log()
    with client(server) as c:
        try:
            call(c)
        except Exception:  # the answer does not matter here, only what was sent
            pass
    (request,) = server.requests(method, suffix)
    return request.json()


def job_in(server: GraphTestServer, state: str) -> str:
    job = server.add_job(status="Active")
    server.seed_job_health(job, state)
    return job


def read(server: GraphTestServer, method: str, path: str) -> dict[str, Any]:
    with client(server) as c:
        return c.call("read", method, path, expect_json=True)


def _logs(server: GraphTestServer) -> dict[str, Any]:
    import datetime as dt

    job_in(server, "escrows")
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return read(server, "GET", f"/auditLogs/provisioning?$filter=activityDateTime%20gt%20{since}")


def _sp(server: GraphTestServer) -> str:
    return f"/servicePrincipals/{server.sp_id}/synchronization"


# (case, builds the JSON from the loopback tenant, the SDK model, the properties Graph requires there)
CASES: list[tuple[str, Callable[[GraphTestServer], dict[str, Any]], str, tuple[str, ...]]] = [
    # -- what we send ----------------------------------------------------------------------------------------------
    (
        "request validateCredentials (given credentials)",
        lambda s: sent(
            s,
            "POST",
            "/validateCredentials",
            lambda c: c.validate_credentials(
                s.sp_id, job_in(s, "healthy"), "https://webexapis.com/identity/scim/x/v2", GOOD_WEBEX_TOKEN
            ),
        ),
        f"{_JOBS}.validate_credentials.validate_credentials_post_request_body.ValidateCredentialsPostRequestBody",
        ("useSavedCredentials", "credentials"),
    ),
    (
        "request validateCredentials (saved credentials)",
        lambda s: sent(
            s, "POST", "/validateCredentials", lambda c: c.validate_saved_credentials(s.sp_id, job_in(s, "healthy"))
        ),
        f"{_JOBS}.validate_credentials.validate_credentials_post_request_body.ValidateCredentialsPostRequestBody",
        ("useSavedCredentials",),
    ),
    (
        "request restart",
        lambda s: sent(s, "POST", "/restart", lambda c: c.restart_job(s.sp_id, job_in(s, "healthy"))),
        f"{_JOBS}.restart.restart_post_request_body.RestartPostRequestBody",
        ("criteria",),
    ),
    (
        "request restart with ForceDeletes",
        lambda s: sent(
            s, "POST", "/restart", lambda c: c.restart_job(s.sp_id, job_in(s, "healthy"), force_deletes=True)
        ),
        f"{_JOBS}.restart.restart_post_request_body.RestartPostRequestBody",
        ("criteria",),
    ),
    (
        "request provisionOnDemand",
        lambda s: sent(
            s,
            "POST",
            "/provisionOnDemand",
            lambda c: c.provision_on_demand(s.sp_id, job_in(s, "healthy"), rule_id="r", object_id="u"),
        ),
        f"{_JOBS}.provision_on_demand.provision_on_demand_post_request_body.ProvisionOnDemandPostRequestBody",
        ("parameters",),
    ),
    (
        "request parseExpression",
        lambda s: sent(
            s,
            "POST",
            "/parseExpression",
            lambda c: c.parse_expression(s.sp_id, job_in(s, "healthy"), 'Join(" ", [givenName], [surname])'),
        ),
        f"{_JOBS}.schema.parse_expression.parse_expression_post_request_body.ParseExpressionPostRequestBody",
        ("expression",),
    ),
    (
        "request PUT schema",
        lambda s: sent(
            s, "PUT", "/schema", lambda c: c.put_schema(s.sp_id, (j := job_in(s, "healthy")), c.get_schema(s.sp_id, j))
        ),
        "msgraph.generated.models.synchronization_schema.SynchronizationSchema",
        ("synchronizationRules", "directories"),
    ),
    # -- what the loopback Graph answers --------------------------------------------------------------------------
    (
        "response templates",
        lambda s: read(s, "GET", f"{_sp(s)}/templates"),
        "msgraph.generated.models.synchronization_template_collection_response.SynchronizationTemplateCollectionResponse",
        ("value",),
    ),
    (
        "response jobs",
        lambda s: (job_in(s, "healthy"), read(s, "GET", f"{_sp(s)}/jobs"))[1],
        "msgraph.generated.models.synchronization_job_collection_response.SynchronizationJobCollectionResponse",
        ("value",),
    ),
    *[
        (
            f"response job ({state})",
            lambda s, state=state: read(s, "GET", f"{_sp(s)}/jobs/{job_in(s, state)}"),
            "msgraph.generated.models.synchronization_job.SynchronizationJob",
            ("id", "templateId", "schedule", "status"),
        )
        for state in ("healthy", "quarantine", "escrows", "paused", "notrun", "failed")
    ],
    (
        "response schema",
        lambda s: read(s, "GET", f"{_sp(s)}/jobs/{job_in(s, 'healthy')}/schema"),
        "msgraph.generated.models.synchronization_schema.SynchronizationSchema",
        ("id", "synchronizationRules", "directories"),
    ),
    (
        "response filterOperators",
        lambda s: read(s, "GET", f"{_sp(s)}/jobs/{job_in(s, 'healthy')}/schema/filterOperators"),
        f"{_JOBS}.schema.filter_operators.filter_operators_get_response.FilterOperatorsGetResponse",
        ("value",),
    ),
    (
        "response parseExpression",
        lambda s: _parse(s),
        "msgraph.generated.models.parse_expression_response.ParseExpressionResponse",
        ("parsingSucceeded", "parsedExpression"),
    ),
    (
        "response provisionOnDemand",
        lambda s: _on_demand(s),
        "msgraph.generated.models.string_key_string_value_pair.StringKeyStringValuePair",
        ("key", "value"),
    ),
    (
        "response servicePrincipal",
        lambda s: read(s, "GET", f"/servicePrincipals/{s.sp_id}"),
        "msgraph.generated.models.service_principal.ServicePrincipal",
        ("id", "appId"),
    ),
    (
        "response provisioning logs",
        _logs,
        "msgraph.generated.models.provisioning_object_summary_collection_response.ProvisioningObjectSummaryCollectionResponse",
        ("value",),
    ),
]


def _parse(server: GraphTestServer) -> dict[str, Any]:
    job = job_in(server, "healthy")
    with client(server) as c:
        return c.call(
            "parseExpression",
            "POST",
            f"{_sp(server)}/jobs/{job}/schema/parseExpression",
            body={"expression": 'Join(" ", [givenName], [surname])'},
            expect_json=True,
        )


def _on_demand(server: GraphTestServer) -> dict[str, Any]:
    job = job_in(server, "healthy")
    with client(server) as c:
        rule = c.get_schema(server.sp_id, job)["synchronizationRules"][0]["id"]
        return c.provision_on_demand(server.sp_id, job, rule_id=rule, object_id="5d3f2a10-1b2c-4d5e-8f90-a1b2c3d4e5f6")


@pytest.mark.parametrize(("case", "build", "path", "required"), CASES, ids=[c[0] for c in CASES])
def test_microsofts_models_read_every_body(tenant, case: str, build: Callable, path: str, required: tuple[str, ...]):
    body = build(tenant)
    assert problems(body, model(path)) == []
    assert [key for key in required if body.get(key) is None] == []


def test_the_check_can_fail() -> None:
    job = model("msgraph.generated.models.synchronization_job.SynchronizationJob")
    assert problems(
        {"id": "x", "status": {"code": "Quarantined", "lastExecution": {"countEscrowed": "many"}}, "extra": 1}, job
    ) == [
        "$.status.code: 'Quarantined' is not a value SynchronizationStatus can read",
        "$.status.lastExecution.countEscrowed: 'many' is not a value SynchronizationTaskExecution can read",
        "$.extra: unknown to SynchronizationJob",
    ]
