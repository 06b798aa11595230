"""Run the policy pack the way the Pulumi CLI does: a child process speaking the public Analyzer gRPC protocol.

`python -m pulumi.policy <engine address> <pack dir>` starts the pack; it prints the port it serves on. Then,
like the CLI: Handshake and ConfigureStack (both tolerated as UNIMPLEMENTED), GetAnalyzerInfo, Configure with the
reconciled policy config (schema defaults, then the pack's initial config, then `all`, then per-policy entries),
Analyze for every resource registration, and AnalyzeStack once with the whole stack. No private pulumi_policy API.

Starting is separate from analyzing: the pack is started (offline/pack_process.py) before the program runs, so its
start-up overlaps the program's; `evaluate` then judges what the program registered. Requests are built by
offline/analyzer_requests.py, answers read by offline/verdicts.py.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from webex_scim.errors import EngineError

from .analyzer_requests import analyze_request, stack_resource
from .model import PolicyReport, RecordedResource
from .pack_process import ENGINE_ADDRESS, PACK_DIR, PackProcess
from .policy_config import PolicyInfo, load_policy_config  # noqa: F401  (re-exported: read with the client)
from .verdicts import Tally, configure_request, levels_in_force, policy_infos

_GRPC_OPTIONS = [
    # The same 400 MB the policy SDK allows, so a large stack is refused by neither side.
    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
    ("grpc.max_send_message_length", 400 * 1024 * 1024),
]
_RPC_TIMEOUT = 300.0
_START_TIMEOUT = 60.0  # seconds for the pack to report its port
_IN_FLIGHT = 64


class PolicyPack:
    """A client of a running policy pack; `evaluate` waits for the pack to be ready.

    with PolicyPack(PACK_DIR) as pack:        # starts the process and returns at once
        run = run_program(cfg)                # the pack starts up meanwhile, in its own process
        report = pack.evaluate(run.resources, project="webex-scim", stack="dev")

    `process` adopts a pack the caller started (`PackProcess`) instead of starting one: the caller stops it, so one
    pack can serve several runs in turn (a diff's two sides, when their packs are the same).
    """

    def __init__(self, pack_dir: Path = PACK_DIR, *, process: PackProcess | None = None) -> None:
        self._owns_process = process is None
        self._process = process if process is not None else PackProcess(pack_dir)
        self.pack_dir = self._process.pack_dir
        self.pid = self._process.pid
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._info: tuple[analyzer_pb2.AnalyzerInfo, list[PolicyInfo]] | None = None
        self._closed = False

    def __enter__(self) -> PolicyPack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection, and stop the pack process (and its group) if this client started it. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._channel is not None:
            self._channel.close()
        if self._owns_process:
            self._process.kill()

    def _failure(self, what: str, detail: str = "") -> EngineError:
        tail = self._process.stderr_tail()
        message = f"policy pack {self.pack_dir.name!r} {what} (the pack {self._process.state()})"
        if detail:
            message += f": {detail}"
        if tail:
            message += f"\n--- the pack's stderr (last lines) ---\n{tail}"
        return EngineError(message)

    def _connect(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._stub is not None:
            return self._stub
        try:
            port = self._process.wait_for_port(_START_TIMEOUT)
        except TimeoutError:
            error = self._failure(f"did not report its port within {_START_TIMEOUT:.0f} s")
            self.close()
            raise error from None
        if port is None:
            self._process.wait(5)  # it closed stdout without a port: it is exiting, let it say why
            error = self._failure("failed to start")
            self.close()
            raise error
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_GRPC_OPTIONS)
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self._stub

    def _call(self, method: Any, request: Any, what: str, *, optional: bool = False) -> Any:
        try:
            return method(request, timeout=_RPC_TIMEOUT)
        except grpc.RpcError as exc:
            code = exc.code() if isinstance(exc, grpc.Call) else None
            if optional and code == grpc.StatusCode.UNIMPLEMENTED:
                return None  # older packs (and the Python SDK's Handshake): the CLI carries on too
            raise self._rpc_failure(exc, what) from None

    def _rpc_failure(self, exc: grpc.RpcError, what: str) -> EngineError:
        code = exc.code() if isinstance(exc, grpc.Call) else None
        if code == grpc.StatusCode.UNAVAILABLE:
            # The connection dropped: the pack is most likely exiting. Let it finish, so the message can say how.
            self._process.wait(2)
        details = exc.details() if isinstance(exc, grpc.Call) else str(exc)
        return self._failure(f"failed while {what}", details or "")

    def policies(self) -> list[PolicyInfo]:
        """The pack's policies (GetAnalyzerInfo), waiting for the pack to start if needed."""
        return self._analyzer_info()[1]

    def _analyzer_info(self) -> tuple[analyzer_pb2.AnalyzerInfo, list[PolicyInfo]]:
        if self._closed:
            raise EngineError(f"policy pack {self.pack_dir.name!r} is closed")
        if self._info is None:
            stub = self._connect()
            self._call(
                stub.Handshake,
                analyzer_pb2.AnalyzerHandshakeRequest(
                    engine_address=ENGINE_ADDRESS,
                    root_directory=str(self.pack_dir),
                    program_directory=str(self.pack_dir),
                ),
                "handshaking",
                optional=True,
            )
            info = self._call(stub.GetAnalyzerInfo, empty_pb2.Empty(), "describing its policies")
            self._info = (info, policy_infos(info))
        return self._info

    def evaluate(
        self,
        resources: Sequence[RecordedResource],
        *,
        project: str,
        stack: str,
        policy_config: Mapping[str, Any] | None = None,
    ) -> PolicyReport:
        """Every policy violation for these registrations, per resource (Analyze) then stack-wide (AnalyzeStack), and
        each policy's outcome (passed / failed / not applicable / disabled), as a preview reports them.

        Requests go out as gRPC futures, at most `_IN_FLIGHT` unanswered at a time (thousands at once make gRPC
        cancel some), and AnalyzeStack after them (as in a preview, whatever the resources' verdicts).
        """
        info, policies = self._analyzer_info()
        stub = self._connect()
        levels = levels_in_force(info, policies, policy_config)
        self._call(
            stub.ConfigureStack,
            analyzer_pb2.AnalyzerStackConfigureRequest(project=project, stack=stack, dry_run=True),
            "configuring the stack",
            optional=True,
        )
        self._call(stub.Configure, configure_request(levels), "applying the policy config")
        by_urn = {r.urn: r for r in resources}
        entries = [stack_resource(r, by_urn) for r in resources]
        tally = Tally(policies, levels)
        in_flight: collections.deque[tuple[str, Any]] = collections.deque()
        try:
            for resource, entry in zip(resources, entries, strict=True):
                request = analyze_request(resource, entry)
                in_flight.append((entry.urn, stub.Analyze.future(request, timeout=_RPC_TIMEOUT)))
                if len(in_flight) > _IN_FLIGHT:
                    tally.add_resource(*self._answer(*in_flight.popleft()))
            request = analyzer_pb2.AnalyzeStackRequest(resources=entries)
            in_flight.append(("", stub.AnalyzeStack.future(request, timeout=_RPC_TIMEOUT)))
            while len(in_flight) > 1:
                tally.add_resource(*self._answer(*in_flight.popleft()))
            tally.add_stack(self._answer(*in_flight.popleft())[1], by_urn)
        finally:
            for _, future in in_flight:
                future.cancel()
        return dataclasses.replace(tally.report(), pack=info.name)

    def _answer(self, urn: str, future: Any) -> tuple[str, Any]:
        try:
            return urn, future.result()
        except grpc.RpcError as exc:
            raise self._rpc_failure(exc, f"analyzing {urn}" if urn else "analyzing the stack") from None
