"""Shared fixtures: the project root on sys.path, and a canary token that must never leave in clear."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CANARY = "canary-7Hq2-SCIM-TOKEN-do-not-leak-91f3"


@pytest.fixture
def canary() -> str:
    return CANARY
