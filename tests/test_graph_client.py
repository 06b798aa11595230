"""GraphClient against the loopback Graph over real HTTP: retries, budgets, redaction, counts, credentials."""

from __future__ import annotations

import json
import logging
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from graph_server import BEARER, GOOD_WEBEX_TOKEN, Fault, GraphTestServer

from components.graph import auth_settings, oidc
from components.graph.auth import (
    TEST_TOKEN_ENV,
    CredentialError,
    StaticTokenCredential,
    Token,
    credential_from_environment,
    scope_for,
)
from components.graph.client import GraphClient
from components.graph.errors import GraphError
from components.graph.retry import RetryPolicy, WaitEvent, redact, reset_total_stats, retry_after, total_stats

FAST = RetryPolicy(
    max_attempts=6,
    max_total_wait=5.0,
    backoff_base=0.01,
    backoff_cap=0.05,
    replication_attempts=3,
    replication_base=0.01,
    replication_cap=0.05,
)


@pytest.fixture
def server() -> Iterator[GraphTestServer]:
    with GraphTestServer() as srv:
        yield srv


class Recorder:
    """Collects waits and the sleeps they asked for, so timing is asserted without slow tests."""

    def __init__(self) -> None:
        self.events: list[WaitEvent] = []
        self.sleeps: list[float] = []

    def on_wait(self, event: WaitEvent) -> None:
        self.events.append(event)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def make(server: GraphTestServer, recorder: Recorder | None = None, **kwargs: Any) -> GraphClient:
    recorder = recorder or Recorder()
    kwargs.setdefault("retry", FAST)
    kwargs.setdefault("credential", StaticTokenCredential(BEARER))
    return GraphClient(server.base_url, on_wait=recorder.on_wait, sleep=recorder.sleep, **kwargs)


def test_get_sends_bearer_and_counts(server: GraphTestServer) -> None:
    job = server.add_job()
    with make(server) as client:
        schema = client.get_schema(server.sp_id, job)
    assert schema["synchronizationRules"][0]["id"]
    (request,) = server.requests()
    assert request.method == "GET" and request.path.endswith(f"/jobs/{job}/schema")
    assert request.headers["Authorization"] == f"Bearer {BEARER}"
    assert client.stats.calls == {"getSchema": 1} and client.stats.requests == {"getSchema": 1}


def test_429_honours_retry_after(server: GraphTestServer) -> None:
    job = server.add_job()
    server.inject(Fault(status=429, retry_after="1", times=2, path_contains="/schema"))
    rec = Recorder()
    with make(server, rec) as client:
        client.get_schema(server.sp_id, job)
    assert rec.sleeps == [1.0, 1.0]  # what Graph asked for, not our own backoff
    assert [e.status for e in rec.events] == [429, 429]
    assert "Retry-After 1s" in rec.events[0].message()
    assert client.stats.requests == {"getSchema": 3} and client.stats.waits == {"getSchema": 2}
    assert client.stats.waited_seconds == 2.0


def test_429_retry_after_zero_and_real_sleep(server: GraphTestServer) -> None:
    job = server.add_job()
    server.inject(Fault(status=429, retry_after="0", times=1))
    with GraphClient(
        server.base_url, credential=StaticTokenCredential(BEARER), retry=FAST, on_wait=lambda e: None
    ) as client:
        assert client.get_job(server.sp_id, job)["id"] == job
    assert len(server.requests()) == 2


def test_503_without_retry_after_backs_off_exponentially(server: GraphTestServer) -> None:
    job = server.add_job()
    server.inject(Fault(status=503, times=3, code="ServiceUnavailable"))
    rec = Recorder()
    with make(server, rec) as client:
        client.get_schema(server.sp_id, job)
    assert rec.sleeps == [0.01, 0.02, 0.04]
    assert all("no Retry-After" in e.reason for e in rec.events)


def test_500_is_retried(server: GraphTestServer) -> None:
    job = server.add_job()
    server.inject(Fault(status=500, times=1, code="InternalServerError"))
    rec = Recorder()
    with make(server, rec) as client:
        client.put_schema(server.sp_id, job, server.schema(job))
    assert [r.method for r in server.requests()] == ["PUT", "PUT"]
    assert rec.events[0].status == 500


def test_dropped_connection_is_retried(server: GraphTestServer) -> None:
    job = server.add_job()
    server.inject(Fault(drop=True, times=1, method="GET"))
    rec = Recorder()
    with make(server, rec) as client:
        client.get_schema(server.sp_id, job)
    assert rec.events[0].status is None and "connection failed" in rec.events[0].reason
    assert client.stats.requests == {"getSchema": 2}


def test_dropped_connections_exhaust_into_a_clear_error(server: GraphTestServer) -> None:
    job = server.add_job()
    server.inject(Fault(drop=True, times=100))
    with make(server) as client, pytest.raises(GraphError) as caught:
        client.get_schema(server.sp_id, job)
    assert caught.value.status is None and caught.value.attempts == FAST.max_attempts
    assert "getSchema failed: GET /servicePrincipals/" in str(caught.value)


def test_retry_after_beyond_budget_fails_at_once(server: GraphTestServer) -> None:
    job = server.add_job()
    server.inject(Fault(status=429, retry_after="120", times=1))
    rec = Recorder()
    with make(server, rec) as client, pytest.raises(GraphError) as caught:
        client.get_schema(server.sp_id, job)
    assert rec.sleeps == []
    assert caught.value.status == 429 and caught.value.attempts == 1
    assert "gave up on HTTP 429, Retry-After 120s" in str(caught.value)


def test_persistent_503_stops_after_max_attempts(server: GraphTestServer) -> None:
    job = server.add_job()
    server.inject(Fault(status=503, retry_after="0", times=100))
    with make(server) as client, pytest.raises(GraphError) as caught:
        client.get_schema(server.sp_id, job)
    assert len(server.requests()) == FAST.max_attempts
    assert caught.value.attempts == FAST.max_attempts


@pytest.mark.parametrize("status", [403, 404, 409])
def test_replication_statuses_are_retried_only_for_a_fresh_principal(server: GraphTestServer, status: int) -> None:
    job = server.add_job()
    server.inject(Fault(status=status, times=2, code="Request_ResourceNotFound"))
    rec = Recorder()
    with make(server, rec, fresh_principal=True) as client:
        client.get_schema(server.sp_id, job)
    assert [e.status for e in rec.events] == [status, status]
    assert "replication delay" in rec.events[0].reason

    server.inject(Fault(status=status, times=1, code="Request_ResourceNotFound"))
    with make(server) as client, pytest.raises(GraphError) as caught:
        client.get_schema(server.sp_id, job)
    assert caught.value.status == status and caught.value.attempts == 1


def test_replication_retries_are_bounded(server: GraphTestServer) -> None:
    job = server.add_job()
    server.inject(Fault(status=404, times=100, code="Request_ResourceNotFound"))
    with make(server, fresh_principal=True) as client, pytest.raises(GraphError):
        client.get_schema(server.sp_id, job)
    assert len(server.requests()) == FAST.replication_attempts + 1


def test_expired_token_is_refreshed_once(server: GraphTestServer) -> None:
    job = server.add_job()

    class Rotating:
        def __init__(self) -> None:
            self.tokens = ["expired-token", BEARER]

        def get_token(self, *scopes: str, **kwargs: Any) -> Token:
            return Token(self.tokens.pop(0), 4_102_444_800)

    with make(server, credential=Rotating()) as client:
        assert client.get_job(server.sp_id, job)["id"] == job
    assert [r.headers["Authorization"] for r in server.requests()] == ["Bearer expired-token", f"Bearer {BEARER}"]


def test_error_names_the_call_and_graphs_error(server: GraphTestServer) -> None:
    with make(server) as client, pytest.raises(GraphError) as caught:
        client.get_schema(server.sp_id, "no-such-job")
    error = caught.value
    assert (error.method, error.status, error.code) == ("GET", 404, "ResourceNotFound")
    assert error.path == f"/servicePrincipals/{server.sp_id}/synchronization/jobs/no-such-job/schema"
    assert str(error) == (
        f"Graph getSchema failed: GET {error.path} -> HTTP 404 ResourceNotFound: "
        "Job 'no-such-job' was not found. (request-id req-0001)"
    )


def test_validate_credentials_good_and_bad(server: GraphTestServer) -> None:
    job = server.add_job()
    with make(server) as client:
        client.validate_credentials(server.sp_id, job, "https://webexapis.com/identity/scim/x/v2", GOOD_WEBEX_TOKEN)
        with pytest.raises(GraphError) as caught:
            client.validate_credentials(server.sp_id, job, "https://webexapis.com/identity/scim/x/v2", "wrong-token")
    assert caught.value.code == "CredentialValidationUnavailable"
    assert "Webex rejected the credentials (SecretToken [redacted])" in str(caught.value)
    assert "wrong-token" not in str(caught.value)
    body = server.requests("POST", "/validateCredentials")[0].json()
    assert body == {
        "useSavedCredentials": False,
        "credentials": [
            {"key": "BaseAddress", "value": "https://webexapis.com/identity/scim/x/v2"},
            {"key": "SecretToken", "value": GOOD_WEBEX_TOKEN},
        ],
    }


def test_canary_tokens_never_leak_into_errors_waits_or_logs(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    bearer = "CANARY-BEARER-7f3a9c"
    webex = "CANARY-WEBEX-51b2e8"
    with GraphTestServer(bearer=bearer) as server, caplog.at_level(logging.DEBUG):
        job = server.add_job()
        server.inject(Fault(status=429, retry_after="0", times=1, message=f"slow down, Bearer {bearer}"))
        rec = Recorder()
        failures: list[str] = []
        with make(server, rec, credential=StaticTokenCredential(bearer)) as client:
            client.get_job(server.sp_id, job)
            for call in (
                lambda: client.validate_credentials(server.sp_id, job, "https://webexapis.com/x", webex),
                lambda: client.get_schema(server.sp_id, "missing"),
                lambda: client.get_schema(server.sp_id, job),  # the injected 400 below echoes the bare bearer
            ):
                if len(failures) == 8:
                    server.inject(Fault(status=400, code="BadRequest", message=f"token {bearer} is odd"))
                with pytest.raises(GraphError) as caught:
                    call()
                failures += [
                    str(caught.value),
                    repr(caught.value),
                    repr(caught.value.args),
                    str(caught.value.graph_message),
                ]
        texts = [*failures, *(e.message() for e in rec.events), caplog.text, *capfd.readouterr(), repr(client)]
        for text in texts:
            assert bearer not in text and webex not in text, text
        # The Webex token went out exactly once, in the validateCredentials body; the bearer only in headers.
        for request in server.requests():
            assert webex.encode() not in request.body or request.path.endswith("/validateCredentials")
            assert bearer.encode() not in request.body and bearer not in request.path
            assert all(bearer not in v for k, v in request.headers.items() if k.lower() != "authorization")
        assert len([r for r in server.requests() if webex.encode() in r.body]) == 1


def test_redact_masks_bearer_headers_and_jwts() -> None:
    jwt = "eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl"
    assert redact(f"Authorization: Bearer abc.def token {jwt} and s3cret", ["s3cret"]) == (
        "Authorization: Bearer [redacted] token [redacted] and [redacted]"
    )


def test_retry_after_http_date() -> None:
    import httpx

    response = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert retry_after(response) == 0.0
    assert retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    assert retry_after(httpx.Response(429)) is None


def test_clients_and_credentials_refuse_to_be_pickled(server: GraphTestServer) -> None:
    with make(server) as client:
        with pytest.raises(TypeError):
            pickle.dumps(client)
    with pytest.raises(TypeError):
        pickle.dumps(StaticTokenCredential("x"))
    assert "x" not in repr(StaticTokenCredential("x").__repr__().replace("StaticTokenCredential", ""))


def test_total_stats_add_up_across_clients(server: GraphTestServer) -> None:
    job = server.add_job()
    reset_total_stats()
    for _ in range(2):
        with make(server) as client:
            client.get_job(server.sp_id, job)
    assert total_stats().calls == {"getJob": 2}


def test_retry_policy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBEX_SCIM_GRAPH_MAX_WAIT", "3")
    monkeypatch.setenv("WEBEX_SCIM_GRAPH_BACKOFF_BASE", "0.5")
    policy = RetryPolicy.from_environment()
    assert (policy.max_total_wait, policy.backoff_base, policy.replication_base) == (3.0, 0.5, 0.5)
    monkeypatch.setenv("WEBEX_SCIM_GRAPH_MAX_WAIT", "soon")
    with pytest.raises(ValueError, match="WEBEX_SCIM_GRAPH_MAX_WAIT='soon'"):
        RetryPolicy.from_environment()


# -- credentials from the environment ----------------------------------------------------------------------------


def test_scope_follows_the_graph_host() -> None:
    assert scope_for("https://graph.microsoft.com/v1.0") == "https://graph.microsoft.com/.default"
    assert scope_for("https://graph.microsoft.us/v1.0") == "https://graph.microsoft.us/.default"
    assert (
        scope_for("https://microsoftgraph.chinacloudapi.cn/v1.0") == "https://microsoftgraph.chinacloudapi.cn/.default"
    )


def test_test_token_env_only_for_loopback(server: GraphTestServer) -> None:
    env = {TEST_TOKEN_ENV: BEARER}
    credential = credential_from_environment(server.base_url, env)
    assert isinstance(credential, StaticTokenCredential)
    with pytest.raises(CredentialError, match="only honoured for a loopback Graph URL"):
        credential_from_environment("https://graph.microsoft.com/v1.0", env)


def test_from_environment_client_talks_to_the_server(server: GraphTestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    job = server.add_job()
    monkeypatch.setenv(TEST_TOKEN_ENV, BEARER)
    with GraphClient.from_environment(server.base_url) as client:
        assert client.get_job(server.sp_id, job)["id"] == job


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({"ARM_TENANT_ID": "t", "ARM_CLIENT_ID": "c", "ARM_CLIENT_SECRET": "s"}, "ClientSecretCredential"),
        (
            {"ARM_TENANT_ID": "t", "ARM_CLIENT_ID": "c", "ARM_USE_OIDC": "true", "ARM_OIDC_TOKEN": "jwt"},
            "ClientAssertionCredential",
        ),
        (
            {"ARM_TENANT_ID": "t", "ARM_CLIENT_ID": "c", "ARM_USE_OIDC": "true", "ARM_OIDC_TOKEN_FILE_PATH": "/tmp/x"},
            "ClientAssertionCredential",
        ),
        # Without use_oidc the provider ignores an OIDC token and goes on to `az login`: so do we.
        ({"ARM_TENANT_ID": "t", "ARM_CLIENT_ID": "c", "ARM_OIDC_TOKEN_FILE_PATH": "/tmp/x"}, "AzureCliCredential"),
        # go-azure-sdk tries a client secret before OIDC.
        (
            {"ARM_TENANT_ID": "t", "ARM_CLIENT_ID": "c", "ARM_CLIENT_SECRET": "s", "ARM_USE_OIDC": "true"},
            "ClientSecretCredential",
        ),
        (
            {
                "ARM_TENANT_ID": "t",
                "ARM_CLIENT_ID": "c",
                "ARM_USE_OIDC": "1",
                "ACTIONS_ID_TOKEN_REQUEST_URL": "https://example.invalid/token",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "r",
            },
            "ClientAssertionCredential",
        ),
        ({"ARM_USE_MSI": "true"}, "ManagedIdentityCredential"),
        ({}, "AzureCliCredential"),
        ({"ARM_TENANT_ID": "t", "ARM_ENVIRONMENT": "global"}, "AzureCliCredential"),
    ],
)
def test_credential_choice_mirrors_azuread(env: dict[str, str], kind: str) -> None:
    assert type(credential_from_environment("https://graph.microsoft.com/v1.0", env, {})).__name__ == kind


def test_missing_variables_are_named() -> None:
    url = "https://graph.microsoft.com/v1.0"
    with pytest.raises(CredentialError) as caught:
        credential_from_environment(url, {"ARM_CLIENT_SECRET": "s", "ARM_CLIENT_ID": "c"}, {})
    assert str(caught.value) == ("a client secret needs azuread:tenantId / ARM_TENANT_ID (as for the azuread provider)")
    with pytest.raises(
        CredentialError, match=r"OIDC \(ARM_USE_OIDC\) needs a token: azuread:oidcToken / ARM_OIDC_TOKEN"
    ):
        credential_from_environment(url, {"ARM_USE_OIDC": "true", "ARM_TENANT_ID": "t", "ARM_CLIENT_ID": "c"}, {})
    with pytest.raises(CredentialError, match="ARM_ENVIRONMENT='mars'"):
        credential_from_environment(url, {"ARM_ENVIRONMENT": "mars"}, {})
    with pytest.raises(CredentialError, match="no Graph credential: ARM_USE_CLI is false"):
        credential_from_environment(url, {"ARM_USE_CLI": "false"}, {})


def test_oidc_assertion_sources(tmp_path: Any) -> None:
    token_file = tmp_path / "oidc"
    token_file.write_text("federated-jwt\n")

    def settings(env: dict[str, str]) -> auth_settings.AuthSettings:
        return auth_settings.AuthSettings.resolve(env, {})

    assert oidc.oidc_assertion(settings({"ARM_OIDC_TOKEN_FILE_PATH": str(token_file)}))() == "federated-jwt"
    assert oidc.oidc_assertion(settings({"ARM_OIDC_TOKEN": "inline-jwt"}))() == "inline-jwt"


def test_credential_errors_surface_as_graph_errors(server: GraphTestServer) -> None:
    class Broken:
        def get_token(self, *scopes: str, **kwargs: Any) -> Token:
            raise RuntimeError("Please run 'az login' to set up an account")

    with make(server, credential=Broken()) as client, pytest.raises(GraphError, match="az login"):
        client.get_job(server.sp_id, "x")
    assert server.requests() == []


# -- answers that are not what they seem (3xx, non-JSON 2xx) -----------------------------------------------------


def test_a_redirect_is_an_error_naming_its_location_and_nothing_is_written(server: GraphTestServer) -> None:
    job = server.add_job()
    before = server.schema(job)
    server.inject(
        Fault(status=307, method="PUT", headers={"Location": "https://proxy.contoso.test/login?next=/schema"})
    )
    sent = {**before, "futureGraphField": "changed"}
    with make(server) as client, pytest.raises(GraphError) as caught:
        client.put_schema(server.sp_id, job, sent)
    assert str(caught.value) == (
        f"Graph putSchema failed: PUT /servicePrincipals/{server.sp_id}/synchronization/jobs/{job}/schema -> "
        "HTTP 307 Redirect: Graph answered with a redirect to https://proxy.contoso.test/login?next=/schema; API "
        "calls are never redirected, so nothing was done: check graphBaseUrl and any proxy in between"
    )
    assert len(server.requests("PUT")) == 1  # not retried, not followed
    assert server.schema(job) == before


def test_an_html_page_answering_a_get_is_an_error_naming_the_content_type(server: GraphTestServer) -> None:
    job = server.add_job()
    server.inject(
        Fault(
            status=200,
            method="GET",
            raw_body=b"<html><body>Sign in to the proxy</body></html>",
            content_type="text/html",
        )
    )
    with make(server) as client, pytest.raises(GraphError) as caught:
        client.get_schema(server.sp_id, job)
    assert caught.value.code == "UnexpectedResponse" and caught.value.status == 200
    assert "expected a JSON body, got text/html (46 bytes)" in str(caught.value)


def test_an_empty_200_is_not_an_empty_schema(server: GraphTestServer) -> None:
    job = server.add_job()
    server.inject(Fault(status=200, method="GET", raw_body=b""))
    with (
        make(server) as client,
        pytest.raises(GraphError, match=r"expected a JSON body, got no Content-Type \(0 bytes\)"),
    ):
        client.get_schema(server.sp_id, job)


def test_a_204_to_a_write_is_still_fine(server: GraphTestServer) -> None:
    job = server.add_job()
    with make(server) as client:
        assert client.put_schema(server.sp_id, job, server.schema(job)) is None


# -- deadlines ---------------------------------------------------------------------------------------------------


def test_a_trickling_answer_is_cut_at_the_request_deadline(server: GraphTestServer) -> None:
    """httpx's read timeout (here 0.5 s) never fires on a server that sends a byte every 0.05 s; the request
    deadline does, and the call's deadline stops the retries."""
    import time

    job = server.add_job()
    body = json.dumps({"id": job, "padding": "x" * 400}).encode()
    server.inject(
        Fault(status=200, method="GET", raw_body=body, content_type="application/json", trickle=0.05, times=10)
    )
    policy = RetryPolicy(max_attempts=8, backoff_base=0.01, backoff_cap=0.01, deadline=1.5, request_deadline=0.6)
    started = time.monotonic()
    with make(server, retry=policy, timeout=0.5) as client, pytest.raises(GraphError) as caught:
        client.get_job(server.sp_id, job)
    elapsed = time.monotonic() - started
    # Without the deadlines one request alone would take 0.05 s x 416 bytes = 21 s.
    assert elapsed < 1.5 + 0.5 + 0.3, elapsed
    assert caught.value.code in {"RequestDeadline", "Deadline"}
    assert 2 <= len(server.requests("GET")) <= 3  # 0.6 s per attempt within a 1.5 s deadline


def test_persistently_slow_replies_stop_at_the_calls_deadline(server: GraphTestServer) -> None:
    import time

    job = server.add_job()
    server.inject(Fault(status=200, method="GET", raw_body=b"{}", content_type="application/json", delay=0.4, times=50))
    policy = RetryPolicy(max_attempts=50, backoff_base=0.01, backoff_cap=0.01, deadline=1.0, request_deadline=1.0)
    started = time.monotonic()
    with make(server, retry=policy, timeout=0.2) as client, pytest.raises(GraphError) as caught:
        client.get_job(server.sp_id, job)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0 + 0.2 + 0.3, elapsed
    assert caught.value.status is None and "ReadTimeout" in str(caught.value)
    assert "a 1s deadline" in str(caught.value)
    assert len(server.requests("GET")) < 50  # the deadline, not the attempt count, ended it


def test_deadline_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBEX_SCIM_GRAPH_DEADLINE", "2.5")
    policy = RetryPolicy.from_environment()
    assert (policy.deadline, policy.request_deadline) == (2.5, 2.5)
    assert RetryPolicy().deadline == 600.0 and RetryPolicy().request_deadline == 120.0


# -- paging ------------------------------------------------------------------------------------------------------


def test_template_and_job_listings_follow_next_links() -> None:
    templates = [{"id": f"t{i}", "factoryTag": f"tag{i}"} for i in range(5)]
    with GraphTestServer(templates=templates) as server:
        server.state.page_size = 2
        jobs = [server.add_job() for _ in range(3)]
        with make(server) as client:
            assert [t["id"] for t in client.list_templates(server.sp_id)] == ["t0", "t1", "t2", "t3", "t4"]
            assert sorted(j["id"] for j in client.list_jobs(server.sp_id)) == sorted(jobs)
        queries = [r.query for r in server.requests("GET", "/templates")]
        assert queries == ["", "$skiptoken=2", "$skiptoken=4"]
        assert len(server.requests("GET", "/jobs")) == 2


def test_a_next_link_outside_graph_is_not_followed(server: GraphTestServer) -> None:
    page = {"value": [{"id": "t0"}], "@odata.nextLink": "https://attacker.example/v1.0/templates?$skiptoken=1"}
    server.inject(Fault(status=200, method="GET", raw_body=json.dumps(page).encode(), content_type="application/json"))
    with make(server) as client, pytest.raises(GraphError, match=r"is not under http://127\.0\.0\.1:.*; not followed"):
        client.list_templates(server.sp_id)
    assert len(server.requests()) == 1


def test_a_next_link_that_repeats_itself_is_not_followed_again(server: GraphTestServer) -> None:
    link = f"{server.base_url}/servicePrincipals/{server.sp_id}/synchronization/templates?$skiptoken=1"
    page = json.dumps({"value": [{"id": "t0"}], "@odata.nextLink": link}).encode()
    server.inject(Fault(status=200, method="GET", raw_body=page, content_type="application/json", times=3))
    with make(server) as client, pytest.raises(GraphError, match=r"@odata\.nextLink repeats itself"):
        client.list_templates(server.sp_id)
    assert len(server.requests()) == 2  # the first page, then the link once


def test_a_listing_past_the_page_limit_stops(server: GraphTestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import components.graph.transport as transport_module

    monkeypatch.setattr(transport_module, "MAX_PAGES", 2)
    server.state.page_size = 1
    server.state.templates = [{"id": f"t{i}"} for i in range(3)]
    with make(server) as client, pytest.raises(GraphError, match="more than 2 pages; refusing to go on"):
        client.list_templates(server.sp_id)
