"""The identity bootstrap (bootstrap/) for tests: its program run offline for a stack file written from the example,
and its policy pack judging those registrations in-process through one helper (`violations`), as
tests/policy_support.py does for the main pack."""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format, struct_pb2
from policy_support import evaluate_with

from offline import engine, stackfile
from offline.engine import ProgramRun
from offline.model import PolicyViolation, RecordedResource

REPO = Path(__file__).resolve().parents[1]
BOOTSTRAP = REPO / "bootstrap"
PACK_DIR = BOOTSTRAP / "policies"
EXAMPLE = BOOTSTRAP / "Pulumi.example.yaml"
NAMESPACE = "webex-scim-bootstrap"
WEBEX_SP = "5d1f3a6e-8c42-4b7a-9e0d-2f6b8a1c3e57"  # the example stack's Cisco Webex service principal


def example_config() -> dict[str, Any]:
    """The example stack's settings, keys without their namespace."""
    raw = yaml.safe_load(EXAMPLE.read_text())["config"]
    return {key.split(":", 1)[1]: value for key, value in raw.items()}


def write_stack(tmp_path: Path, name: str = "test", **changes: Any) -> Path:
    """A stack file: the example's settings with top-level keys replaced (None removes one)."""
    values = example_config()
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": {f"{NAMESPACE}:{k}": v for k, v in values.items()}}, sort_keys=False))
    return path


def run(config_file: Path = EXAMPLE) -> ProgramRun:
    """The bootstrap program under the offline engine, as `python -m webex_scim preview --project-dir bootstrap`."""
    return engine.run_program(stackfile.load(BOOTSTRAP, config_file=config_file))


def by_name(resources: list[RecordedResource]) -> dict[str, RecordedResource]:
    return {r.name: r for r in resources}


def inputs(resource: RecordedResource) -> dict[str, Any]:
    return json_format.MessageToDict(resource.inputs)


def changed(
    resources: list[RecordedResource], name: str, change: Callable[[dict[str, Any]], None]
) -> list[RecordedResource]:
    """A copy of the registrations with one resource's inputs changed in place by `change`."""
    out = copy.deepcopy(resources)
    target = by_name(out)[name]
    values = inputs(target)
    change(values)
    target.inputs = struct_pb2.Struct()
    target.inputs.update(values)
    return out


def _servicer() -> Any:
    """A fresh in-process servicer of the bootstrap's pack, imported as the CLI runs it (its folder on sys.path)."""
    if str(PACK_DIR) not in sys.path:
        sys.path.insert(0, str(PACK_DIR))
    from identity_guard import PACK_DESCRIPTION, PACK_NAME, POLICIES
    from pulumi_policy import EnforcementLevel
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    return _PolicyAnalyzerServicer(
        PACK_NAME, "0.0.1", list(POLICIES), EnforcementLevel.MANDATORY, None, PACK_DESCRIPTION
    )


def report(resources: list[RecordedResource]) -> Any:
    return evaluate_with(_servicer(), resources)


def violations(resources: list[RecordedResource], policy: str | None = None) -> list[PolicyViolation]:
    return [v for v in report(resources).violations if policy is None or v.policy == policy]
