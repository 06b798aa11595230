"""What one offline run records: every resource registration as the engine would receive it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only a type here: importing protobuf is left to the code that builds these
    from google.protobuf import struct_pb2


@dataclass
class RecordedResource:
    """One RegisterResource call, kept as the SDK serialized it.

    `inputs` is the protobuf Struct the SDK sent, so secret and unknown markers are exactly what the real engine
    (and therefore the policy pack) would see; `options` holds the camelCase resource options. `outputs` is what a
    component (or the stack) registered as its outputs: what the engine hands AnalyzeStack for it.
    """

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: struct_pb2.Struct
    options: dict[str, Any] = field(default_factory=dict)
    provider: str = ""
    outputs: struct_pb2.Struct | None = None


@dataclass(frozen=True)
class PolicyViolation:
    policy: str
    enforcement_level: str  # "advisory" | "mandatory"
    urn: str | None
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "enforcementLevel": self.enforcement_level,
            "urn": self.urn,
            "message": self.message,
        }


@dataclass(frozen=True)
class PolicyReport:
    """Everything one analysis found.

    `outcomes` follows the CLI's policy summary: "failed" (a diagnostic), "unknown-at-preview" (it needs values only
    a deployment knows), "disabled", "not-applicable" (the policy reported itself not applicable to every resource it
    saw, or to the stack) or "passed".
    """

    violations: list[PolicyViolation]
    outcomes: dict[str, str]
    not_applicable: dict[str, str]  # policy name -> the pack's reason, for the "not-applicable" outcomes
    # The SDK's "can't run during preview" diagnostics, with the level each rule will have at `pulumi up`: not
    # violations (they decide nothing now), reported apart, one line per rule.
    checked_at_up: list[PolicyViolation] = field(default_factory=list)
    pack: str = ""  # the pack's name, as GetAnalyzerInfo gives it
