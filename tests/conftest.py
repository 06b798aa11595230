"""Shared fixtures: the project root on sys.path, and a canary token that must never leave in clear."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CANARY = "canary-7Hq2-SCIM-TOKEN-do-not-leak-91f3"


@pytest.fixture
def canary() -> str:
    return CANARY


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A loopback Graph that the dynamic providers reach as their host would: through the environment (test bearer,
    short backoffs). A module may define its own `server` where it needs another."""
    from graph_server import BEARER, GraphTestServer

    from components.graph.auth import TEST_TOKEN_ENV
    from components.graph.retry import BACKOFF_ENV, MAX_WAIT_ENV

    with GraphTestServer() as srv:
        monkeypatch.setenv(TEST_TOKEN_ENV, BEARER)
        monkeypatch.setenv(BACKOFF_ENV, "0.01")
        monkeypatch.setenv(MAX_WAIT_ENV, "5")
        yield srv
