"""What the pack says about itself (GetAnalyzerInfo), the Configure request for the levels in force, and the pack's
answers (Analyze, AnalyzeStack responses) into violations and each policy's outcome, as the CLI reports them.
Pure: no connection, so a test can drive a pack's servicer in-process with the very same conversions."""

from __future__ import annotations

import collections
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from .model import PolicyReport, PolicyViolation
from .policy_config import LEVELS, PolicyInfo, reconcile_policy_config

LEVEL_TO_PROTO = {level: analyzer_pb2.EnforcementLevel.Value(level.upper()) for level in LEVELS}
PROTO_TO_LEVEL = {v: k for k, v in LEVEL_TO_PROTO.items()}
_CANT_RUN = "can't run policy "  # how pulumi_policy words a check that needs values unknown during a preview


def stack_message(d: analyzer_pb2.AnalyzeDiagnostic) -> str:
    """What a violation says about this stack. pulumi_policy sends the rule's description, a newline, then what the
    rule reported; the description says what the rule wants (the opposite of what is wrong), so it is left out."""
    head = f"{d.description}\n"
    return d.message[len(head) :] if d.description and d.message.startswith(head) else d.message


def is_checked_at_up(message: str) -> bool:
    """Whether a verdict is the SDK's "can't run ... during preview": no verdict until `pulumi up`."""
    return message.startswith(_CANT_RUN)


def policy_infos(info: analyzer_pb2.AnalyzerInfo) -> list[PolicyInfo]:
    """The pack's policies, as GetAnalyzerInfo describes them."""
    kinds = {analyzer_pb2.POLICY_TYPE_RESOURCE: "resource", analyzer_pb2.POLICY_TYPE_STACK: "stack"}
    return [
        PolicyInfo(
            name=p.name,
            description=p.description,
            enforcement_level=PROTO_TO_LEVEL.get(p.enforcementLevel, "advisory"),
            kind=kinds.get(p.policy_type, "unknown"),
            config_schema=json_format.MessageToDict(p.configSchema.properties),
            required=tuple(p.configSchema.required),
        )
        for p in info.policies
    ]


def levels_in_force(
    info: analyzer_pb2.AnalyzerInfo, policies: Sequence[PolicyInfo], policy_config: Mapping[str, Any] | None
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each policy's level and properties: the pack's initial config, then the user's --policy-config."""
    initial = {
        name: (PROTO_TO_LEVEL.get(c.enforcementLevel), json_format.MessageToDict(c.properties))
        for name, c in info.initialConfig.items()
    }
    source = getattr(policy_config, "source", "policy config")
    return reconcile_policy_config(list(policies), policy_config, initial=initial, source=source)


def configure_request(levels: Mapping[str, tuple[str, dict[str, Any]]]) -> analyzer_pb2.ConfigureAnalyzerRequest:
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, (level, props) in levels.items():
        entry = request.policyConfig[name]
        entry.enforcementLevel = LEVEL_TO_PROTO[level]
        entry.properties.update(props)
    return request


class Tally:
    """Responses added as they are read; `report()` gives the violations and the CLI's policy summary: "failed"
    (a diagnostic), "unknown-at-preview", "disabled", "not-applicable" (to every resource it saw, or to the
    stack) or "passed"."""

    def __init__(self, policies: Sequence[PolicyInfo], levels: Mapping[str, tuple[str, dict[str, Any]]]) -> None:
        self._policies = policies
        self._levels = levels
        self.violations: list[PolicyViolation] = []
        self.checked_at_up: list[PolicyViolation] = []
        self._failed: set[str] = set()
        self._unknown: set[str] = set()
        self._evaluated: collections.Counter[str] = collections.Counter()
        self._reasons: dict[str, str] = {}
        self._stack_skipped: dict[str, str] = {}
        self._resource_policies = [p.name for p in policies if p.kind != "stack" and levels[p.name][0] != "disabled"]

    def _diagnostic(self, d: analyzer_pb2.AnalyzeDiagnostic, urn: str | None) -> None:
        if d.message.startswith(_CANT_RUN):
            # The SDK's "can't run policy ... during preview" advisory: no verdict yet, checked at `pulumi up`. It
            # is kept apart, with the level the rule will have then, so it is never counted as an advisory.
            self._unknown.add(d.policyName)
            level = self._levels.get(d.policyName, ("advisory", {}))[0]
            self.checked_at_up.append(PolicyViolation(d.policyName, level, urn, d.message))
            return
        self._failed.add(d.policyName)
        level = PROTO_TO_LEVEL.get(d.enforcementLevel, "advisory")
        level = "mandatory" if level == "remediate" else level  # a remediating policy that still reports, as the CLI
        self.violations.append(
            PolicyViolation(policy=d.policyName, enforcement_level=level, urn=urn, message=stack_message(d))
        )

    def add_resource(self, urn: str, response: analyzer_pb2.AnalyzeResponse) -> None:
        skipped = {na.policy_name: na.reason for na in response.not_applicable}
        self._reasons.update(skipped)
        self._evaluated.update(name for name in self._resource_policies if name not in skipped)
        for d in response.diagnostics:
            # As the CLI: a resource diagnostic always belongs to the resource analyzed, whatever urn it names.
            self._diagnostic(d, urn)

    def add_stack(self, response: analyzer_pb2.AnalyzeResponse, urns: Collection[str]) -> None:
        self._stack_skipped = {na.policy_name: na.reason for na in response.not_applicable}
        for d in response.diagnostics:
            # A stack diagnostic names a resource of the stack, or the stack as a whole (None).
            self._diagnostic(d, d.urn if d.urn in urns else None)

    def report(self) -> PolicyReport:
        outcomes: dict[str, str] = {}
        not_applicable: dict[str, str] = {}
        for p in self._policies:
            if self._levels[p.name][0] == "disabled":
                outcomes[p.name] = "disabled"
            elif p.name in self._failed:
                outcomes[p.name] = "failed"
            elif p.name in self._unknown:
                outcomes[p.name] = "unknown-at-preview"
            elif p.kind == "stack" and p.name in self._stack_skipped:
                outcomes[p.name] = "not-applicable"
                not_applicable[p.name] = self._stack_skipped[p.name]
            elif p.kind != "stack" and self._evaluated[p.name] == 0:
                outcomes[p.name] = "not-applicable"
                reason = self._reasons.get(p.name)
                not_applicable[p.name] = f"no resource it applies to ({reason})" if reason else "no resource to check"
            else:
                outcomes[p.name] = "passed"
        return PolicyReport(
            violations=self.violations,
            outcomes=outcomes,
            not_applicable=not_applicable,
            checked_at_up=self.checked_at_up,
        )
