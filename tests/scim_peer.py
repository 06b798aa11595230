"""Webex's stand-in for replay tests: scim2-server (a SCIM 2.0 server) on 127.0.0.1, port 0, in a thread.

It serves RFC 7643's User with the enterprise extension and Webex's own extension schema (the scim2-models Extension
the simulation declares, provisioning_cycle/models.py), refuses any request without the bearer token, and keeps what
it is sent in memory, so a test reads the resulting directory back. Nothing here listens beyond loopback.
"""

from __future__ import annotations

from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from scim2_models import SchemaExtension, ScimProvider
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
from scim2_server.testserver.cli import ThreadingWSGIServer
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)

from provisioning_cycle.models import WEBEX_SCHEMA, WebexUser
from tests.loopback import LoopbackServer
from tests.scim_faults import Faults


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the test reads the storage, not an access log
        return


class ScimPeer(LoopbackServer):
    """`with ScimPeer(token) as peer:` then `peer.base_url` (…/v2), `peer.users()`, `peer.requests`."""

    def __init__(self, token: str, faults: Faults | None = None) -> None:
        schemas = [*load_default_schemas().values(), WebexUser.to_schema()]
        resource_types = load_default_resource_types()
        user_type = resource_types["User"]
        user_type.schema_extensions = [
            *(user_type.schema_extensions or []),
            SchemaExtension(schema_=WEBEX_SCHEMA, required=False),
        ]
        config = load_default_service_provider_config()
        config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
        provider = ScimProvider.from_discovery(schemas, resource_types.values(), config=config)
        self.storage = InMemoryStorage()
        self.requests: list[tuple[str, str]] = []
        app = BearerTokenApplication(
            self.storage, provider, service=ScimService(provider, secret="test-cursor-secret"), bearer_tokens=[token]
        )

        served = faults.wrap(app) if faults is not None else app

        def recording(environ: dict[str, Any], start_response: Any) -> Any:
            self.requests.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
            return served(environ, start_response)

        server = make_server("127.0.0.1", 0, recording, server_class=ThreadingWSGIServer, handler_class=_QuietHandler)
        super().__init__(server, "scim-peer")

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v2"

    def users(self) -> list[dict[str, Any]]:
        """Every stored user as SCIM JSON (what a GET would return), by userName."""
        found = [r.model_dump() for r in self.storage.resources if "User" in type(r).__name__]
        return sorted(found, key=lambda u: str(u.get("userName")))
