"""Graph credentials and cloud: GitHub's OIDC request (F2) against a real loopback HTTP server, the azuread
provider's stack config and environment (F15), and what the real dynamic-provider host hands our providers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from graph_server import GraphTestServer
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.dynamic.dynamic import serialize_provider

from components.graph import auth_settings, oidc
from components.graph.auth import (
    TEST_TOKEN_ENV,
    AuthSettings,
    CredentialError,
    credential_from_environment,
    describe_environment,
)
from components.graph.errors import CLOUDS, default_graph_base_url
from components.graph.resources import AttributeMappingsProvider, SynchronizationTemplateProvider
from offline import engine, stackfile
from offline.render import display_inputs
from tests.support import ROOT, config

GRAPH = "https://graph.microsoft.com/v1.0"


@pytest.fixture(autouse=True)
def no_stack_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a process that received no Configure request and has no PULUMI_CONFIG."""
    monkeypatch.setattr(auth_settings, "_STACK_CONFIG", None)
    monkeypatch.delenv("PULUMI_CONFIG", raising=False)


# -- F2: GitHub Actions' OIDC request keeps its own query ---------------------------------------------------------


class _IdTokenEndpoint(BaseHTTPRequestHandler):
    seen: list[tuple[str, dict[str, list[str]], str | None]] = []
    status = 200

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        type(self).seen.append((parts.path, parse_qs(parts.query), self.headers.get("Authorization")))
        body = json.dumps({"value": "federated-jwt", "count": 1}).encode()
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def id_token_endpoint() -> Iterator[tuple[str, type[_IdTokenEndpoint]]]:
    handler = type("Endpoint", (_IdTokenEndpoint,), {"seen": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/_apis/idtoken?api-version=2.0", handler
    finally:
        server.shutdown()
        server.server_close()


def test_github_oidc_request_keeps_api_version_and_adds_audience(
    id_token_endpoint: tuple[str, type[_IdTokenEndpoint]], canary: str
) -> None:
    url, endpoint = id_token_endpoint
    settings = AuthSettings.resolve(
        {"ACTIONS_ID_TOKEN_REQUEST_URL": url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": canary, "ARM_USE_OIDC": "true"}, {}
    )
    assert oidc.oidc_assertion(settings)() == "federated-jwt"
    ((path, query, authorization),) = endpoint.seen
    assert path == "/_apis/idtoken"
    assert query == {"api-version": ["2.0"], "audience": ["api://AzureADTokenExchange"]}
    assert authorization == f"Bearer {canary}"


def test_github_oidc_request_failure_names_the_status_not_the_token(
    id_token_endpoint: tuple[str, type[_IdTokenEndpoint]], canary: str
) -> None:
    url, endpoint = id_token_endpoint
    endpoint.status = 403
    settings = AuthSettings.resolve({"ARM_OIDC_REQUEST_URL": url, "ARM_OIDC_REQUEST_TOKEN": canary}, {})
    with pytest.raises(CredentialError) as caught:
        oidc.oidc_assertion(settings)()
    assert str(caught.value) == "GitHub OIDC token request failed with HTTP 403"


# -- F15: the cloud picks the Graph URL --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "graph"),
    [
        (None, "https://graph.microsoft.com/v1.0"),
        ("global", "https://graph.microsoft.com/v1.0"),
        ("public", "https://graph.microsoft.com/v1.0"),
        ("usgovernment", "https://graph.microsoft.us/v1.0"),
        ("usgovernmentl4", "https://graph.microsoft.us/v1.0"),
        ("USGovernmentL5", "https://dod-graph.microsoft.us/v1.0"),
        ("dod", "https://dod-graph.microsoft.us/v1.0"),
        ("china", "https://microsoftgraph.chinacloudapi.cn/v1.0"),
    ],
)
def test_the_azuread_environment_picks_the_graph_url(environment: str | None, graph: str) -> None:
    assert default_graph_base_url(environment) == graph


def _run(flat: dict[str, str]) -> dict[str, Any]:
    """The program under the offline engine with a flat stack config (any namespace); job-state's inputs."""
    values = {f"webex-scim:{k}": json.dumps(v) if isinstance(v, (dict, list)) else str(v) for k, v in config().items()}
    values.update(flat)
    values["webex-scim:scimToken"] = "token-value"
    project, main = stackfile.load_project(ROOT)
    stack = stackfile.StackConfig(project, "test", ROOT, main, values, ["webex-scim:scimToken"])
    result = engine.run_program(stack)
    return display_inputs({r.name: r for r in result.resources}["job-state"].inputs)


def test_the_programs_graph_url_follows_the_azuread_cloud(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARM_ENVIRONMENT", "usgovernment")
    assert _run({})["graphBaseUrl"] == "https://graph.microsoft.us/v1.0"
    # The stack's azuread:environment wins over the environment variable, as for the provider itself.
    assert _run({"azuread:environment": "dod"})["graphBaseUrl"] == "https://dod-graph.microsoft.us/v1.0"
    # An explicit graphBaseUrl wins over both.
    explicit = _run({"webex-scim:graphBaseUrl": "https://graph.microsoft.com/v1.0"})
    assert explicit["graphBaseUrl"] == "https://graph.microsoft.com/v1.0"
    monkeypatch.delenv("ARM_ENVIRONMENT")
    assert _run({})["graphBaseUrl"] == "https://graph.microsoft.com/v1.0"


def test_a_graph_url_of_another_cloud_is_refused_before_any_sign_in() -> None:
    with pytest.raises(CredentialError) as caught:
        credential_from_environment(GRAPH, {"ARM_ENVIRONMENT": "usgovernment"}, {})
    assert str(caught.value) == (
        "graphBaseUrl https://graph.microsoft.com/v1.0 is Microsoft Graph for another cloud than "
        "ARM_ENVIRONMENT='usgovernment' (https://graph.microsoft.us/v1.0); unset webex-scim:graphBaseUrl to follow "
        "the environment, or make the two agree"
    )
    cred = credential_from_environment("https://graph.microsoft.us/v1.0", {"ARM_ENVIRONMENT": "usgovernment"}, {})
    assert type(cred).__name__ == "AzureCliCredential"
    assert CLOUDS["usgovernment"].login_host == "login.microsoftonline.us"


# -- F15: the azuread provider's stack config --------------------------------------------------------------------


def test_stack_config_wins_over_the_environment_per_setting() -> None:
    settings = AuthSettings.resolve(
        {"ARM_TENANT_ID": "env-tenant", "ARM_CLIENT_ID": "env-client", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://x"},
        {"clientId": "config-client", "useOidc": "true"},
    )
    assert (settings.get("tenantId"), settings.get("clientId")) == ("env-tenant", "config-client")
    assert settings.sources == {
        "tenantId": "ARM_TENANT_ID",
        "clientId": "azuread:clientId",
        "useOidc": "azuread:useOidc",
        "oidcRequestUrl": "ACTIONS_ID_TOKEN_REQUEST_URL",
    }


def test_a_client_secret_from_stack_config_is_used_and_never_shown(canary: str) -> None:
    stack = {"tenantId": "t", "clientId": "c", "clientSecret": canary}
    cred = credential_from_environment(GRAPH, {"ARM_CLIENT_SECRET": "env-secret"}, stack)
    assert type(cred).__name__ == "ClientSecretCredential"
    described = describe_environment({}, stack)
    assert described == "client secret (azuread:clientSecret)"
    assert canary not in described and canary not in repr(cred)


def test_client_id_and_secret_files(tmp_path: Path, canary: str) -> None:
    (tmp_path / "id").write_text("file-client\n")
    (tmp_path / "secret").write_text(canary + "\n")
    env = {
        "ARM_TENANT_ID": "t",
        "ARM_CLIENT_ID_FILE_PATH": str(tmp_path / "id"),
        "ARM_CLIENT_SECRET_FILE_PATH": str(tmp_path / "secret"),
    }
    assert type(credential_from_environment(GRAPH, env, {})).__name__ == "ClientSecretCredential"
    assert describe_environment(env, {}) == "client secret (ARM_CLIENT_SECRET_FILE_PATH)"
    with pytest.raises(CredentialError) as caught:
        credential_from_environment(GRAPH, {**env, "ARM_CLIENT_SECRET": "another-secret"}, {})
    assert str(caught.value) == (
        "ARM_CLIENT_SECRET and the file at ARM_CLIENT_SECRET_FILE_PATH differ: remove one or make them match"
    )
    assert canary not in str(caught.value)
    with pytest.raises(CredentialError, match="could not read ARM_CLIENT_ID_FILE_PATH"):
        credential_from_environment(GRAPH, {**env, "ARM_CLIENT_ID_FILE_PATH": str(tmp_path / "missing")}, {})


def test_oidc_and_msi_from_stack_config() -> None:
    oidc = {"tenantId": "t", "clientId": "c", "useOidc": "true", "oidcToken": "jwt"}
    assert type(credential_from_environment(GRAPH, {}, oidc)).__name__ == "ClientAssertionCredential"
    assert type(credential_from_environment(GRAPH, {}, {"useMsi": "true"})).__name__ == "ManagedIdentityCredential"
    with pytest.raises(CredentialError, match=r"OIDC \(azuread:useOidc\) needs azuread:clientId / ARM_CLIENT_ID"):
        credential_from_environment(GRAPH, {}, {"useOidc": "true", "tenantId": "t", "oidcToken": "jwt"})


def test_pulumi_config_is_read_when_no_configure_request_came(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"azuread:useMsi": "true", "webex-scim:orgId": "x"}))
    assert auth_settings.stack_config() == {"useMsi": "true"}
    assert describe_environment({}) == "managed identity (azuread:useMsi)"


def test_providers_take_the_configure_requests_azuread_settings_and_keep_them_off_the_pickle(
    monkeypatch: pytest.MonkeyPatch, canary: str
) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"azuread:useMsi": "true"}))  # the request wins over it
    provider = AttributeMappingsProvider()
    raw = {"azuread:tenantId": "t", "azuread:clientId": "c", "azuread:clientSecret": canary, "azuread:useCli": False}
    provider.configure(ConfigureRequest(Config(raw_config={**raw, "webex-scim:orgId": "o"}, project_name="webex-scim")))
    assert auth_settings.stack_config() == {"tenantId": "t", "clientId": "c", "clientSecret": canary, "useCli": "false"}
    assert describe_environment({}) == "client secret (azuread:clientSecret)"
    assert vars(provider) == {}
    assert canary not in serialize_provider(provider)


# -- the real dynamic-provider host -----------------------------------------------------------------------------


def test_the_real_provider_host_hands_the_stack_config_to_our_providers(canary: str) -> None:
    """`python -m pulumi.dynamic`, as the engine starts it: the stack config arrives in Configure (no PULUMI_CONFIG),
    our provider's Graph credential is built from it, and a secret in it never shows in what comes back."""
    import grpc
    from pulumi.runtime import rpc
    from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

    env = {k: v for k, v in os.environ.items() if k not in {TEST_TOKEN_ENV, "PULUMI_CONFIG", "PYTHONPATH"}}
    env = {k: v for k, v in env.items() if not k.startswith(("ARM_", "ACTIONS_ID_TOKEN"))}
    host = subprocess.Popen(
        [sys.executable, "-m", "pulumi.dynamic"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert host.stdout is not None
        port = int(host.stdout.readline().decode().strip())
        stub = provider_pb2_grpc.ResourceProviderStub(grpc.insecure_channel(f"127.0.0.1:{port}"))

        def struct(values: dict[str, Any]) -> Any:
            return asyncio.new_event_loop().run_until_complete(rpc.serialize_properties(values, {}))

        secret = {rpc._special_sig_key: rpc._special_secret_sig, "value": canary}
        stack = {
            "azuread:useOidc": "true",
            "azuread:tenantId": "t",
            "azuread:clientCertificatePassword": secret,  # a secret the chosen method does not even use
            "webex-scim:orgId": "6f1a1d43-2b0e-4a8c-9d5e-0c2b7e9f4a11",
        }
        stub.Configure(provider_pb2.ConfigureRequest(args=struct(stack), acceptSecrets=True), timeout=30)
        with GraphTestServer() as graph:
            properties = {
                "__provider": serialize_provider(SynchronizationTemplateProvider()),
                "servicePrincipalId": graph.sp_id,
                "graphBaseUrl": graph.base_url,
            }
            with pytest.raises(grpc.RpcError) as caught:
                stub.Create(provider_pb2.CreateRequest(urn="urn:x", properties=struct(properties)), timeout=60)
            assert graph.requests() == []  # no credential, so nothing was sent
        details = caught.value.details() or ""
        # The message names the stack config key it came from: the host passed the config to our provider.
        assert "OIDC (azuread:useOidc) needs azuread:clientId / ARM_CLIENT_ID (as for the azuread provider)" in details
        assert canary not in details
    finally:
        host.kill()
        _, stderr = host.communicate(timeout=30)
    assert canary.encode() not in stderr
