"""Same cloud as the provider (issue 17 part 4): `azuread:metadataHost` / `ARM_METADATA_HOSTNAME` make this project's
Graph calls take Graph and sign-in from the host's metadata document, as the azuread provider does, or refuse with one
message. The metadata host is a real HTTP server on 127.0.0.1 serving the 2022-09-01 document's shape
(go-azure-sdk sdk/internal/metadata/client.go)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from graph_server import BEARER
from loopback import LoopbackServer

from components.graph.auth import TEST_TOKEN_ENV, login_host
from components.graph.auth_settings import AuthSettings, CredentialError
from components.graph.client import GraphClient
from components.graph.cloud_metadata import METADATA_API_VERSION


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        body = json.dumps(self.server.document).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class MetadataHost(LoopbackServer):
    def __init__(self, document: Any, status: int = 200) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.document, server.status, server.seen = document, status, []  # type: ignore[attr-defined]
        super().__init__(server, "metadata-host")

    @property
    def host(self) -> str:
        return urlsplit(self.origin).netloc

    @property
    def seen(self) -> list[str]:
        return self._server.seen  # type: ignore[attr-defined]


def document(graph_resource: str, login: str = "https://login.contoso-sovereign.test") -> dict[str, Any]:
    """The 2022-09-01 answer, shortened to what the provider reads plus a few neighbours."""
    return {
        "name": "ContosoSovereign",
        "portal": "https://portal.contoso-sovereign.test",
        "authentication": {
            "loginEndpoint": login,
            "audiences": ["https://management.contoso-sovereign.test/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "resourceManager": "https://management.contoso-sovereign.test/",
        "microsoftGraphResourceId": graph_resource,
        "suffixes": {"keyVaultDns": "vault.contoso-sovereign.test", "storage": "core.contoso-sovereign.test"},
    }


@pytest.fixture
def graph(server: Any) -> Any:
    return server


@pytest.fixture
def metadata(graph: Any) -> Iterator[MetadataHost]:
    with MetadataHost(document(f"{graph.origin}/")) as host:
        yield host


def test_the_graph_the_metadata_names_is_used_and_signed_in_at_its_login_host(graph, metadata, monkeypatch) -> None:
    monkeypatch.setenv("ARM_METADATA_HOSTNAME", metadata.host)
    with GraphClient.from_environment(graph.base_url) as client:
        assert [t["id"] for t in client.list_templates(graph.sp_id)] == ["ciscowebex"]
    assert metadata.seen == [f"/metadata/endpoints?api-version={METADATA_API_VERSION}"]
    settings = AuthSettings.resolve({"ARM_METADATA_HOSTNAME": metadata.host}, {})
    assert login_host(graph.base_url, settings) == "login.contoso-sovereign.test"


def test_the_stack_config_key_wins_and_the_environment_is_ignored(graph, metadata) -> None:
    # The provider ignores `environment` when a metadata host is set: so does this.
    settings = AuthSettings.resolve({"ARM_ENVIRONMENT": "china"}, {"metadataHost": metadata.host})
    assert login_host(graph.base_url, settings) == "login.contoso-sovereign.test"


def test_another_graph_than_the_metadatas_is_refused_with_the_fix(graph, monkeypatch) -> None:
    with MetadataHost(document("https://graph.contoso-sovereign.test/")) as host:
        monkeypatch.setenv("ARM_METADATA_HOSTNAME", host.host)
        with pytest.raises(CredentialError) as caught:
            GraphClient.from_environment(graph.base_url)
    message = str(caught.value)
    assert message.startswith(f"ARM_METADATA_HOSTNAME={host.host!r} says Microsoft Graph is at ")
    assert "`pulumi config set webex-scim:graphBaseUrl https://graph.contoso-sovereign.test/v1.0`" in message
    assert graph.requests() == []  # nothing was sent to the other Graph


@pytest.mark.parametrize(
    ("answer", "status", "why"),
    [
        ({"name": "x", "authentication": {"loginEndpoint": "https://login.x"}}, 200, "microsoftGraphResourceId"),
        ({"name": "x", "microsoftGraphResourceId": "https://graph.x/"}, 200, "authentication.loginEndpoint"),
        ({"error": "unrecognized api-version"}, 400, "HTTP 400"),
        ("not an object", 200, "not a JSON object"),
    ],
)
def test_a_document_that_does_not_locate_graph_is_refused(graph, monkeypatch, answer, status, why) -> None:
    with MetadataHost(answer, status) as host:
        monkeypatch.setenv("ARM_METADATA_HOSTNAME", host.host)
        with pytest.raises(CredentialError, match="ARM_METADATA_HOSTNAME=") as caught:
            GraphClient.from_environment(graph.base_url)
    assert why in str(caught.value) and "/metadata/endpoints?api-version=2022-09-01" in str(caught.value)


def test_a_host_that_does_not_answer_is_one_message(graph, monkeypatch) -> None:
    with MetadataHost({}) as host:
        gone = host.host
    monkeypatch.setenv("ARM_METADATA_HOSTNAME", gone)
    with pytest.raises(CredentialError, match=r"could not be read \(ConnectError\)"):
        GraphClient.from_environment(graph.base_url)


def test_status_refuses_a_graph_the_metadata_does_not_name_with_exit_2(graph, monkeypatch, tmp_path, capsys) -> None:
    from tests.status_demo import stack_text
    from webex_scim.cli import main

    stack = tmp_path / "Pulumi.sovereign.yaml"
    stack.write_text(stack_text(graph.base_url, graph.sp_id, 100) + "  azuread:metadataHost: HOST\n")
    with MetadataHost(document("https://graph.contoso-sovereign.test/")) as host:
        stack.write_text(stack.read_text().replace("HOST", host.host))
        monkeypatch.setenv(TEST_TOKEN_ENV, BEARER)
        code = main(["status", "--config-file", str(stack)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"azuread:metadataHost={host.host!r}" in err and "webex-scim:graphBaseUrl" in err
