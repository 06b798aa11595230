"""Run the policy pack the way the Pulumi CLI does: a child process speaking the public Analyzer gRPC protocol.

`python -m pulumi.policy <engine address> <pack dir>` starts the pack; it prints the port it serves on. Then,
like the CLI: Handshake and ConfigureStack (both tolerated as UNIMPLEMENTED), GetAnalyzerInfo, Configure with the
reconciled policy config (schema defaults, then the pack's initial config, then `all`, then per-policy entries),
Analyze for every resource registration, and AnalyzeStack once with the whole stack. No private pulumi_policy API.

Starting is separate from analyzing: create `PolicyPack(...)` before running the program, so the pack's import
time overlaps the program, and call `analyze(...)` afterwards. The child never outlives this process: it is in
its own process group and is killed by `close()`, by the context manager, on garbage collection and at exit
(and, on Linux, by the kernel if this process dies first).
"""

from __future__ import annotations

import collections
import ctypes
import json
import os
import pickle
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from .errors import EngineError, UsageError
from .model import PolicyViolation, RecordedResource

PACK_DIR = Path(__file__).resolve().parents[1] / "policies"

# `python -m pulumi.policy` requires an engine address but only dials it to log; with no engine configured the
# SDK logs to stderr instead, so an address nothing listens on is enough (and nothing can call back into us).
ENGINE_ADDRESS = "127.0.0.1:1"

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
_LEVEL_TO_PROTO = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
_PROTO_TO_LEVEL = {v: k for k, v in _LEVEL_TO_PROTO.items()}

_GRPC_OPTIONS = [
    # The same 400 MB the policy SDK allows, so a large stack is refused by neither side.
    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
    ("grpc.max_send_message_length", 400 * 1024 * 1024),
]
_RPC_TIMEOUT = 300.0
_STDERR_TAIL_LINES = 25
_CANT_RUN = "can't run policy "  # how pulumi_policy words a check that needs values unknown during a preview


@dataclass(frozen=True)
class PolicyInfo:
    """One policy as the pack describes itself (GetAnalyzerInfo)."""

    name: str
    description: str
    enforcement_level: str
    kind: str  # "resource" | "stack" | "unknown"
    config_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicyReport:
    """Everything one analysis found.

    `outcomes` follows the CLI's policy summary: "failed" (a diagnostic), "disabled", "not-applicable" (the policy
    reported itself not applicable to every resource it saw, or to the stack) or "passed".
    """

    violations: list[PolicyViolation]
    outcomes: dict[str, str]
    not_applicable: dict[str, str]  # policy name -> the pack's reason, for the "not-applicable" outcomes


class PolicyConfigFile(dict[str, Any]):
    """A parsed --policy-config file that remembers its path, so later errors can name the file."""

    source: str = "policy config"


# ---------------------------------------------------------------------------------------------------------------
# Policy config (the CLI's --policy-pack-config JSON)


def load_policy_config(path: Path) -> dict[str, Any]:
    """Read the CLI's policy-pack config JSON: `{"policy": "mandatory"}` or `{"policy": {"enforcementLevel": ...,
    "prop": ...}}`, plus an optional `"all": level`. Shape errors raise UsageError naming the file and the key;
    unknown policy names and property types are checked against the pack in `PolicyPack.analyze`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--policy-config {path}: no such file") from None
    except OSError as exc:
        raise UsageError(f"--policy-config {path}: cannot read it ({exc.strerror})") from None
    config = PolicyConfigFile()
    config.source = str(path)
    if not text.strip():  # the CLI accepts an empty file as "no config"
        return config
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); expected an object like "
            '{"token-expiry": {"enforcementLevel": "mandatory", "minDaysLeft": 45}}'
        ) from None
    config.update(_check_shape(data, str(path)))
    return config


def _check_shape(data: Any, source: str) -> dict[str, Any]:
    """The CLI's parsePolicyPackConfig checks: an object of level strings or objects with a valid level."""
    if not isinstance(data, Mapping):
        raise UsageError(f"{source}: must be a JSON object mapping policy names to a level or settings")
    for name, value in data.items():
        if isinstance(value, str):
            _check_level(value, source, name)
        elif isinstance(value, Mapping):
            if "enforcementLevel" in value:
                level = value["enforcementLevel"]
                if not isinstance(level, str):
                    raise UsageError(
                        f"{source}: {name}.enforcementLevel: {level!r} must be a string, one of {_levels()}"
                    )
                _check_level(level, source, f"{name}.enforcementLevel")
        else:
            raise UsageError(f"{source}: {name}: {value!r} must be an enforcement level ({_levels()}) or an object")
    return dict(data)


def _levels() -> str:
    return ", ".join(LEVELS)


def _check_level(level: str, source: str, key: str) -> None:
    if level not in LEVELS:
        raise UsageError(f"{source}: {key}: {level!r} is not an enforcement level; use one of {_levels()}")


def reconcile_policy_config(
    policies: Sequence[PolicyInfo],
    given: Mapping[str, Any] | None,
    *,
    initial: Mapping[str, tuple[str | None, Mapping[str, Any]]] | None = None,
    source: str = "policy config",
) -> dict[str, tuple[str, dict[str, Any]]]:
    """What the CLI sends to Configure: per policy (level, properties).

    Order as in the CLI's ReconcilePolicyPackConfig: schema defaults and the policy's own level, the pack's initial
    config, then `all`, then per-policy entries; then every policy's properties are validated against its schema.
    Stricter than the CLI (on purpose, these are typos): unknown policy names and unknown properties are errors.
    """
    given = _check_shape(dict(given or {}), source)
    by_name = {p.name: p for p in policies}
    unknown = [name for name in given if name != "all" and name not in by_name]
    if unknown:
        raise UsageError(
            f"{source}: {unknown[0]!r} is not a policy of this pack; its policies are: {', '.join(sorted(by_name))}"
        )

    result: dict[str, tuple[str, dict[str, Any]]] = {}
    for p in policies:
        defaults = {k: s["default"] for k, s in p.config_schema.items() if isinstance(s, Mapping) and "default" in s}
        result[p.name] = (p.enforcement_level, defaults)
    for name, (level, props) in (initial or {}).items():
        if name in result:
            old_level, old_props = result[name]
            result[name] = (level or old_level, {**old_props, **props})

    all_entry = given.get("all")
    all_level = all_entry if isinstance(all_entry, str) else (all_entry or {}).get("enforcementLevel")
    if all_level:
        result = {name: (all_level, props) for name, (_, props) in result.items()}
    for name, value in given.items():
        if name == "all":
            continue
        level, props = result[name]
        if isinstance(value, str):
            level = value
        else:
            level = value.get("enforcementLevel", level)
            props = {**props, **{k: v for k, v in value.items() if k != "enforcementLevel"}}
        result[name] = (level, props)

    for name, (_, props) in result.items():
        policy = by_name[name]
        for prop, value in props.items():
            schema = policy.config_schema.get(prop)
            if schema is None:
                settings = ", ".join(sorted(policy.config_schema)) or "none"
                raise UsageError(f"{source}: {name}.{prop}: not a setting of this policy (its settings: {settings})")
            problem = _schema_problem(schema, value)
            if problem:
                raise UsageError(f"{source}: {name}.{prop}: {problem}")
        for prop in policy.required:
            if prop not in props:
                raise UsageError(f"{source}: {name}.{prop}: required by this policy but not set")
    return result


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def _schema_problem(schema: Mapping[str, Any], value: Any) -> str | None:
    """The JSON-schema subset policy configs use (type, enum, minimum, maximum, items); None when valid."""
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        ok = False
        for t in names:
            # JSON has no int/bool distinction problem, Python does: True is an int but not an "integer" here.
            if t in ("integer", "number") and isinstance(value, bool):
                continue
            if t == "integer" and isinstance(value, float) and value.is_integer():
                ok = True
            elif isinstance(value, _JSON_TYPES.get(t, ())):
                ok = True
        if not ok:
            return f"expected {' or '.join(names)}, got {json.dumps(value)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{json.dumps(value)} is not one of {json.dumps(schema['enum'])}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{value} is below the minimum {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{value} is above the maximum {schema['maximum']}"
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            problem = _schema_problem(schema["items"], item)
            if problem:
                return f"[{index}]: {problem}"
    return None


# ---------------------------------------------------------------------------------------------------------------
# Converting recorded registrations into analyzer requests


def _strip_internal(struct: struct_pb2.Struct) -> struct_pb2.Struct:
    """Drop `__`-prefixed keys at every level (the CLI marshals with SkipInternalKeys), e.g. a dynamic resource's
    pickled `__provider`. Returns the same object when there is nothing to drop (the common case)."""
    if not _has_internal(struct):
        return struct
    out = struct_pb2.Struct()
    for key, value in struct.fields.items():
        if not key.startswith("__"):
            out.fields[key].CopyFrom(_strip_value(value))
    return out


def _has_internal(struct: struct_pb2.Struct) -> bool:
    for key, value in struct.fields.items():
        if key.startswith("__") or _value_has_internal(value):
            return True
    return False


def _value_has_internal(value: struct_pb2.Value) -> bool:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return _has_internal(value.struct_value)
    if kind == "list_value":
        return any(_value_has_internal(v) for v in value.list_value.values)
    return False


def _strip_value(value: struct_pb2.Value) -> struct_pb2.Value:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return struct_pb2.Value(struct_value=_strip_internal(value.struct_value))
    if kind == "list_value":
        return struct_pb2.Value(
            list_value=struct_pb2.ListValue(values=[_strip_value(v) for v in value.list_value.values])
        )
    return value


_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _seconds(value: Any) -> float:
    """A custom timeout as the SDK records it ("10m", "1h30m", or seconds) -> seconds, as the analyzer wants."""
    if value is None or value == "":
        return 0.0
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    parts = _DURATION_RE.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return 0.0
    return sum(float(n) * _DURATION_UNITS[u] for n, u in parts)


def _options(resource: RecordedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    opts = resource.options or {}
    timeouts = opts.get("customTimeouts") or {}
    if not isinstance(timeouts, Mapping):
        timeouts = {k: getattr(timeouts, k, None) for k in ("create", "update", "delete")}
    dbr = opts.get("deleteBeforeReplace")
    aliases = [a if isinstance(a, str) else a.get("urn") for a in opts.get("aliases") or []]
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(opts.get("protect")),
        ignoreChanges=[str(p) for p in opts.get("ignoreChanges") or []],
        deleteBeforeReplace=bool(dbr),
        deleteBeforeReplaceDefined=dbr is not None,
        additionalSecretOutputs=[str(p) for p in opts.get("additionalSecretOutputs") or []],
        aliases=[a for a in aliases if isinstance(a, str) and a],
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(
            create=_seconds(timeouts.get("create")),
            update=_seconds(timeouts.get("update")),
            delete=_seconds(timeouts.get("delete")),
        ),
        parent=resource.parent or "",
    )


def _urn_parts(urn: str) -> tuple[str, str]:
    """(type, name) from `urn:pulumi:<stack>::<project>::<parent$type>::<name>`."""
    pieces = urn.split("::", 3)
    if len(pieces) < 4:
        return "", ""
    return pieces[2].rsplit("$", 1)[-1], pieces[3]


def _provider(
    resource: RecordedResource, by_urn: Mapping[str, RecordedResource]
) -> analyzer_pb2.AnalyzerProviderResource | None:
    """The resource's provider (a `<urn>::<id>` reference), with its inputs when the run recorded it."""
    if not resource.provider:
        return None
    urn = resource.provider.rsplit("::", 1)[0] if resource.provider.count("::") >= 4 else resource.provider
    recorded = by_urn.get(urn)
    if recorded is not None:
        return analyzer_pb2.AnalyzerProviderResource(
            type=recorded.type, urn=urn, name=recorded.name, properties=_strip_internal(recorded.inputs)
        )
    type_, name = _urn_parts(urn)
    return analyzer_pb2.AnalyzerProviderResource(type=type_, urn=urn, name=name)


def _analyze_request(resource: RecordedResource, by_urn: Mapping[str, RecordedResource]) -> analyzer_pb2.AnalyzeRequest:
    request = analyzer_pb2.AnalyzeRequest(
        type=resource.type,
        urn=resource.urn,
        name=resource.name,
        properties=_strip_internal(resource.inputs),
        options=_options(resource),
    )
    provider = _provider(resource, by_urn)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def _stack_resource(
    resource: RecordedResource, by_urn: Mapping[str, RecordedResource]
) -> analyzer_pb2.AnalyzerResource:
    opts = resource.options or {}
    prop_deps = {
        str(k): analyzer_pb2.AnalyzerPropertyDependencies(urns=[str(u) for u in v])
        for k, v in (opts.get("propertyDependencies") or {}).items()
        if v
    }
    out = analyzer_pb2.AnalyzerResource(
        type=resource.type,
        urn=resource.urn,
        name=resource.name,
        properties=_strip_internal(resource.inputs),
        options=_options(resource),
        parent=resource.parent or "",
        dependencies=[str(d) for d in opts.get("dependencies") or []],
        propertyDependencies=prop_deps,
    )
    provider = _provider(resource, by_urn)
    if provider is not None:
        out.provider.CopyFrom(provider)
    return out


# ---------------------------------------------------------------------------------------------------------------
# The pack process


_LIVE: weakref.WeakSet[PolicyPack] = weakref.WeakSet()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the pack and anything it started (its own process group), and reap it. Safe to call twice."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        except OSError:
            proc.kill()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _parent_death_signal() -> Any:
    """On Linux, a preexec hook asking the kernel to SIGKILL the pack when its parent dies (even by SIGKILL).

    Resolved in the parent so the child only makes one prctl call between fork and exec. The kernel ties this to
    the *thread* that forked, so it is only used from the main thread (a worker thread ending must not kill it).
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGKILL)

    return hook


def _read_port(stdout: Any, port_box: list[int | None], ready: threading.Event) -> None:
    """The pack's first stdout line is its port; the rest (a rule's print) is drained so the pack never blocks."""
    line = stdout.readline()
    try:
        port_box[0] = int(line.strip())
    except ValueError:
        port_box[0] = None
    ready.set()
    for _ in iter(lambda: stdout.read(65536), b""):
        pass


class PolicyPack:
    """A running policy pack. Start it early; `analyze` waits for it to be ready.

    with PolicyPack(PACK_DIR) as pack:        # starts the process and returns at once
        resources = run_program()             # the pack imports meanwhile, on the other core
        violations = pack.analyze(resources, project="webex-scim", stack="dev", policy_config=None)
    """

    def __init__(self, pack_dir: Path = PACK_DIR, python: str = sys.executable, *, start_timeout: float = 60.0) -> None:
        self.pack_dir = Path(pack_dir).resolve()
        self.start_timeout = start_timeout
        if not (self.pack_dir / "PulumiPolicy.yaml").is_file():
            raise EngineError(f"policy pack {self.pack_dir}: no PulumiPolicy.yaml there, so it is not a policy pack")
        self._ready = threading.Event()
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._info: tuple[analyzer_pb2.AnalyzerInfo, list[PolicyInfo]] | None = None
        self._closed = False
        # stderr goes to a file: nothing can block on a full pipe, and on failure we can read the pack's own words.
        self._stderr = tempfile.TemporaryFile()
        # The pack must not see the program's config (it may hold the SCIM token): the CLI passes stack config via
        # PULUMI_CONFIG, which these rules do not read, so it is left out entirely.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_CONFIG")}
        env["PYTHONUNBUFFERED"] = "1"
        try:
            self._proc = subprocess.Popen(
                [python, "-m", "pulumi.policy", ENGINE_ADDRESS, str(self.pack_dir)],
                cwd=self.pack_dir,  # as the CLI: the plugin runs in the pack directory
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=env,
                start_new_session=True,  # own process group: Ctrl-C reaches us, and we kill the whole group
                preexec_fn=_parent_death_signal(),
            )
        except OSError as exc:
            self._stderr.close()
            raise EngineError(f"policy pack {self.pack_dir}: cannot start {python}: {exc.strerror}") from None
        self._finalizer = weakref.finalize(self, _kill_group, self._proc)
        _LIVE.add(self)
        # The reader gets only what it needs (not `self`), so an unused pack can still be garbage collected.
        self._port_box: list[int | None] = [None]
        self._reader = threading.Thread(
            target=_read_port,
            args=(self._proc.stdout, self._port_box, self._ready),
            name="policy-pack-stdout",
            daemon=True,
        )
        self._reader.start()

    # -- lifecycle ------------------------------------------------------------------------------------------------

    def __enter__(self) -> PolicyPack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def close(self) -> None:
        """Stop the pack process (and its process group). Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._channel is not None:
            self._channel.close()
        self._finalizer()  # kills and reaps once; later calls (GC, exit) do nothing
        self._reader.join(timeout=2)
        self._stderr.close()

    def _stderr_tail(self) -> str:
        try:
            self._stderr.flush()
            self._stderr.seek(0)
            text = self._stderr.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        lines = collections.deque((line.rstrip() for line in text.splitlines() if line.strip()), _STDERR_TAIL_LINES)
        return "\n".join(lines)

    def _failure(self, what: str, detail: str = "") -> EngineError:
        rc = self._proc.poll()
        state = f"exited with code {rc}" if rc is not None else "is running"
        tail = self._stderr_tail()
        message = f"policy pack {self.pack_dir.name!r} {what} (the pack {state})"
        if detail:
            message += f": {detail}"
        if tail:
            message += f"\n--- the pack's stderr (last lines) ---\n{tail}"
        return EngineError(message)

    def _connect(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._closed:
            raise EngineError(f"policy pack {self.pack_dir.name!r} is closed")
        if self._stub is not None:
            return self._stub
        if not self._ready.wait(self.start_timeout):
            error = self._failure(f"did not report its port within {self.start_timeout:.0f} s")
            self.close()
            raise error
        port = self._port_box[0]
        if port is None:
            try:
                self._proc.wait(timeout=5)  # it closed stdout without a port: it is exiting, let it say why
            except subprocess.TimeoutExpired:
                pass
            error = self._failure("failed to start")
            self.close()
            raise error
        global _GRPC_STARTED
        _GRPC_STARTED = True
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
            try:
                self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        details = exc.details() if isinstance(exc, grpc.Call) else str(exc)
        return self._failure(f"failed while {what}", details or "")

    # -- protocol ---------------------------------------------------------------------------------------------------

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
            kinds = {analyzer_pb2.POLICY_TYPE_RESOURCE: "resource", analyzer_pb2.POLICY_TYPE_STACK: "stack"}
            policies = [
                PolicyInfo(
                    name=p.name,
                    description=p.description,
                    enforcement_level=_PROTO_TO_LEVEL.get(p.enforcementLevel, "advisory"),
                    kind=kinds.get(p.policy_type, "unknown"),
                    config_schema=json_format.MessageToDict(p.configSchema.properties),
                    required=tuple(p.configSchema.required),
                )
                for p in info.policies
            ]
            self._info = (info, policies)
        return self._info

    def analyze(
        self,
        resources: Sequence[RecordedResource],
        *,
        project: str,
        stack: str,
        policy_config: Mapping[str, Any] | None = None,
        dry_run: bool = True,
    ) -> list[PolicyViolation]:
        """Every policy violation for these registrations, per resource (Analyze) then stack-wide (AnalyzeStack)."""
        return self.evaluate(
            resources, project=project, stack=stack, policy_config=policy_config, dry_run=dry_run
        ).violations

    def evaluate(
        self,
        resources: Sequence[RecordedResource],
        *,
        project: str,
        stack: str,
        policy_config: Mapping[str, Any] | None = None,
        dry_run: bool = True,
    ) -> PolicyReport:
        """`analyze`, plus each policy's outcome (passed / failed / not applicable / disabled)."""
        stream = self.stream(project=project, stack=stack, policy_config=policy_config, dry_run=dry_run)
        for resource in resources:
            stream.submit(resource)
        return stream.finish(resources)

    def stream(
        self,
        *,
        project: str,
        stack: str,
        policy_config: Mapping[str, Any] | None = None,
        dry_run: bool = True,
    ) -> AnalysisStream:
        """Analyze resources as the program registers them, as the engine does: `submit` each, then `finish`.

        The pack works on the other core while the program goes on registering, so policy analysis does not add
        to the preview's wall time; the stack-wide analysis runs once at `finish`.
        """
        return AnalysisStream(self, project=project, stack=stack, policy_config=policy_config, dry_run=dry_run)

    def _configure(
        self, project: str, stack: str, policy_config: Mapping[str, Any] | None, dry_run: bool
    ) -> tuple[list[PolicyInfo], dict[str, tuple[str, dict[str, Any]]]]:
        """GetAnalyzerInfo, ConfigureStack and Configure: the pack's policies and the levels in force."""
        info, policies = self._analyzer_info()
        stub = self._connect()
        source = getattr(policy_config, "source", "policy config")
        initial = {
            name: (_PROTO_TO_LEVEL.get(c.enforcementLevel), json_format.MessageToDict(c.properties))
            for name, c in info.initialConfig.items()
        }
        levels = reconcile_policy_config(policies, policy_config, initial=initial, source=source)
        self._call(
            stub.ConfigureStack,
            analyzer_pb2.AnalyzerStackConfigureRequest(project=project, stack=stack, dry_run=dry_run),
            "configuring the stack",
            optional=True,
        )
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, (level, props) in levels.items():
            entry = request.policyConfig[name]
            entry.enforcementLevel = _LEVEL_TO_PROTO[level]
            entry.properties.update(props)
        self._call(stub.Configure, request, "applying the policy config")
        return policies, levels

    def _conclude(
        self,
        resources: Sequence[RecordedResource],
        responses: Iterable[tuple[RecordedResource, analyzer_pb2.AnalyzeResponse]],
        policies: list[PolicyInfo],
        levels: Mapping[str, tuple[str, dict[str, Any]]],
        dry_run: bool,
    ) -> PolicyReport:
        """Per-resource responses, then AnalyzeStack, into violations and each policy's outcome."""
        stub = self._connect()
        by_urn = {r.urn: r for r in resources}
        violations: list[PolicyViolation] = []
        failed: set[str] = set()
        unknown: set[str] = set()
        evaluated: collections.Counter[str] = collections.Counter()
        reasons: dict[str, str] = {}
        resource_policies = [p.name for p in policies if p.kind != "stack" and levels[p.name][0] != "disabled"]

        for resource, response in responses:
            skipped = {na.policy_name: na.reason for na in response.not_applicable}
            reasons.update(skipped)
            evaluated.update(name for name in resource_policies if name not in skipped)
            for d in response.diagnostics:
                # The SDK's "can't run policy ... during preview" advisory: unknown until deploy, not a failure.
                (unknown if d.message.startswith(_CANT_RUN) else failed).add(d.policyName)
                # As the CLI: a resource diagnostic always belongs to the resource analyzed, whatever urn it names.
                violations.append(_violation(d, resource.urn))

        if not dry_run and any(v.enforcement_level == "mandatory" for v in violations):
            # As the CLI: in an update a mandatory resource violation stops the deployment, so the stack-wide
            # analysis never runs; in a preview it runs regardless.
            stack_response = analyzer_pb2.AnalyzeResponse(
                not_applicable=[
                    analyzer_pb2.PolicyNotApplicable(policy_name=p.name, reason="not run: the update stops first")
                    for p in policies
                    if p.kind == "stack"
                ]
            )
        else:
            stack_response = self._call(
                stub.AnalyzeStack,
                analyzer_pb2.AnalyzeStackRequest(resources=[_stack_resource(r, by_urn) for r in resources]),
                "analyzing the stack",
            )
        stack_skipped = {na.policy_name: na.reason for na in stack_response.not_applicable}
        for d in stack_response.diagnostics:
            (unknown if d.message.startswith(_CANT_RUN) else failed).add(d.policyName)
            # A stack diagnostic names a resource of the stack, or the stack as a whole (None).
            violations.append(_violation(d, d.urn if d.urn in by_urn else None))

        outcomes: dict[str, str] = {}
        not_applicable: dict[str, str] = {}
        for p in policies:
            if levels[p.name][0] == "disabled":
                outcomes[p.name] = "disabled"
            elif p.name in failed:
                outcomes[p.name] = "failed"
            elif p.name in unknown:
                outcomes[p.name] = "unknown-at-preview"
            elif p.kind == "stack" and p.name in stack_skipped:
                outcomes[p.name] = "not-applicable"
                not_applicable[p.name] = stack_skipped[p.name]
            elif p.kind != "stack" and evaluated[p.name] == 0:
                outcomes[p.name] = "not-applicable"
                reason = reasons.get(p.name)
                not_applicable[p.name] = f"no resource it applies to ({reason})" if reason else "no resource to check"
            else:
                outcomes[p.name] = "passed"
        return PolicyReport(violations=violations, outcomes=outcomes, not_applicable=not_applicable)

    def _result(self, resource: RecordedResource, future: Any) -> tuple[RecordedResource, analyzer_pb2.AnalyzeResponse]:
        try:
            return resource, future.result()
        except grpc.RpcError as exc:
            raise self._rpc_failure(exc, f"analyzing {resource.urn}") from None


class AnalysisStream:
    """Analyze calls issued as resources are registered; `finish` collects them and adds AnalyzeStack.

    A worker thread configures the pack (waiting for it to start) while the program runs; registrations before
    that are buffered. After it, `submit` sends each Analyze at once as a gRPC future and never waits: a thread
    that blocked on each answer would queue for the GIL behind the program's own threads and fall far behind.
    """

    def __init__(
        self,
        pack: PolicyPack,
        *,
        project: str,
        stack: str,
        policy_config: Mapping[str, Any] | None,
        dry_run: bool,
    ) -> None:
        self._pack = pack
        self._dry_run = dry_run
        self._lock = threading.Lock()
        self._by_urn: dict[str, RecordedResource] = {}
        self._buffer: list[RecordedResource] = []
        self._sent: list[tuple[RecordedResource, Any]] = []
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._config: tuple[list[PolicyInfo], dict[str, tuple[str, dict[str, Any]]]] | None = None
        self._error: BaseException | None = None
        self._worker = threading.Thread(
            target=self._configure, args=(project, stack, policy_config), name="policy-configure", daemon=True
        )
        self._worker.start()

    def submit(self, resource: RecordedResource) -> None:
        """Analyze one registration (parents register, and so arrive, before their children)."""
        with self._lock:
            self._by_urn[resource.urn] = resource
            if self._stub is None:
                self._buffer.append(resource)
            else:
                self._send(resource)

    def finish(self, resources: Sequence[RecordedResource]) -> PolicyReport:
        """Wait for every Analyze, run AnalyzeStack over `resources`, and report."""
        self._worker.join()
        if self._error is not None:
            raise self._error
        assert self._config is not None
        policies, levels = self._config
        try:
            responses = [self._pack._result(resource, future) for resource, future in self._sent]
        finally:
            for _, future in self._sent:
                future.cancel()
        return self._pack._conclude(resources, responses, policies, levels, self._dry_run)

    def _send(self, resource: RecordedResource) -> None:
        assert self._stub is not None
        request = _analyze_request(resource, self._by_urn)
        self._sent.append((resource, self._stub.Analyze.future(request, timeout=_RPC_TIMEOUT)))

    def _configure(self, project: str, stack: str, policy_config: Mapping[str, Any] | None) -> None:
        try:
            self._config = self._pack._configure(project, stack, policy_config, self._dry_run)
            stub = self._pack._connect()
            with self._lock:
                self._stub = stub
                for resource in self._buffer:
                    self._send(resource)
                self._buffer.clear()
        except BaseException as exc:  # handed to the caller by finish()
            self._error = exc


def _violation(d: analyzer_pb2.AnalyzeDiagnostic, urn: str | None) -> PolicyViolation:
    level = _PROTO_TO_LEVEL.get(d.enforcementLevel, "advisory")
    # A remediate-level policy that still reports is mandatory, as in the CLI.
    return PolicyViolation(
        policy=d.policyName,
        enforcement_level="mandatory" if level == "remediate" else level,
        urn=urn,
        message=d.message,
    )


class _InProcessAnalysis:
    """The pack's gRPC client in this process (where fork is unavailable)."""

    def __init__(self, pack_dir: Path, *, project: str, stack: str, policy_config: Mapping[str, Any] | None) -> None:
        self._pack = PolicyPack(pack_dir)
        self._stream = self._pack.stream(project=project, stack=stack, policy_config=policy_config)

    def submit(self, resource: RecordedResource) -> None:
        self._stream.submit(resource)

    def finish(self, resources: Sequence[RecordedResource]) -> PolicyReport:
        return self._stream.finish(resources)

    def close(self) -> None:
        self._pack.close()


class _ForkedAnalysis:
    """The pack and its gRPC client in a forked child process, fed the registrations through a pipe.

    The client's own work (building requests, gRPC futures and their callbacks) then runs outside this process:
    in it, that work competed with the program for the GIL and added ~0.3 ms to each registration. Here each
    registration costs one pickle and one pipe write. The child owns the pack, so killing the child (or this
    process dying) takes the pack with it (the pack's parent-death signal).
    """

    def __init__(self, pack_dir: Path, *, project: str, stack: str, policy_config: Mapping[str, Any] | None) -> None:
        request_r, request_w = os.pipe()
        result_r, result_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            code = 0
            try:
                os.close(request_w)
                os.close(result_r)
                _serve_analysis(request_r, result_w, pack_dir, project, stack, policy_config)
            except BaseException:  # the parent reports a child that wrote no result
                code = 70
            finally:
                os._exit(code)
        os.close(request_r)
        os.close(result_w)
        self._pid: int | None = pid
        self._requests = os.fdopen(request_w, "wb")
        self._results = os.fdopen(result_r, "rb")
        # Registrations come in bursts on the SDK's worker threads, faster than the child analyzes them: a full
        # pipe must never stall a registration, so a writer thread owns the pipe and the program only queues.
        self._queue: queue.SimpleQueue[RecordedResource | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_all, name="policy-pipe", daemon=True)
        self._writer.start()

    def submit(self, resource: RecordedResource) -> None:
        self._queue.put(resource)

    def _write_all(self) -> None:
        try:
            while (resource := self._queue.get()) is not None:
                frame = pickle.dumps(resource, protocol=pickle.HIGHEST_PROTOCOL)
                self._requests.write(len(frame).to_bytes(4, "little") + frame)
                if self._queue.empty():
                    self._requests.flush()
            self._requests.write(_END_OF_RESOURCES)
            self._requests.close()
        except (OSError, ValueError):  # the child is gone: finish() reports what it left
            pass

    def finish(self, resources: Sequence[RecordedResource]) -> PolicyReport:
        self._queue.put(None)
        self._writer.join()
        payload = self._results.read()
        code = self._reap()
        try:
            kind, value = pickle.loads(payload)
        except Exception:  # nothing (or garbage) came back: the child died
            raise EngineError(f"the policy analysis process ended with code {code} and no result") from None
        if kind == "report":
            return value
        error = UsageError if kind == "usage" else EngineError
        raise error(value)

    def close(self) -> None:
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)  # the pack dies with it (its parent-death signal)
            except ProcessLookupError:
                pass
            self._reap()
        self._queue.put(None)  # a writer still running stops on the closed pipe or on this
        for stream in (self._requests, self._results):
            try:
                stream.close()
            except OSError:
                pass

    def _reap(self) -> int | None:
        if self._pid is None:
            return None
        pid, self._pid = self._pid, None
        try:
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        except ChildProcessError:
            return None


_END_OF_RESOURCES = (0).to_bytes(4, "little")
_GRPC_STARTED = False  # set once this process opens a gRPC channel


def _serve_analysis(
    request_fd: int,
    result_fd: int,
    pack_dir: Path,
    project: str,
    stack: str,
    policy_config: Mapping[str, Any] | None,
) -> None:
    """The forked child: start the pack, analyze each registration read from the pipe, write back the report."""
    for inherited in list(_LIVE):  # the parent's packs are the parent's: never kill them from here
        inherited._finalizer.detach()
    _LIVE.clear()
    result: tuple[str, Any]
    pack = PolicyPack(pack_dir)
    try:
        stream = pack.stream(project=project, stack=stack, policy_config=policy_config)
        resources: list[RecordedResource] = []
        with os.fdopen(request_fd, "rb") as requests:
            while len(head := requests.read(4)) == 4 and head != _END_OF_RESOURCES:
                resource = pickle.loads(requests.read(int.from_bytes(head, "little")))
                resources.append(resource)
                stream.submit(resource)
        result = ("report", stream.finish(resources))
    except UsageError as exc:
        result = ("usage", str(exc))
    except EngineError as exc:
        result = ("engine", str(exc))
    except Exception as exc:
        result = ("engine", f"the policy analysis failed: {type(exc).__name__}: {exc}")
    finally:
        pack.close()
    with os.fdopen(result_fd, "wb") as out:
        out.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


def start_analysis(
    pack_dir: Path = PACK_DIR,
    *,
    project: str,
    stack: str,
    policy_config: Mapping[str, Any] | None = None,
) -> _ForkedAnalysis | _InProcessAnalysis:
    """Start the pack and its client before the program runs; `submit` each registration, then `finish`.

    Where the platform can fork, the client runs in a child process so its work does not slow the program down;
    otherwise it runs here, on a background thread (`PolicyPack.stream`).
    """
    # gRPC's core does not survive a fork once it has started (threads, pollers): only fork a process that has
    # opened no channel yet, as the CLI's is. A process that has (a test session) keeps the client in-process.
    if hasattr(os, "fork") and sys.platform.startswith("linux") and not _GRPC_STARTED:
        return _ForkedAnalysis(pack_dir, project=project, stack=stack, policy_config=policy_config)
    return _InProcessAnalysis(pack_dir, project=project, stack=stack, policy_config=policy_config)
