"""Run the real `__main__.py` under the Pulumi SDK's mock monitor, with preview semantics, and record everything.

Preview semantics, as `pulumi preview` shows a first deployment: every resource is a create, ids and computed
outputs are unknown, lookups that only the tenant can answer (users, groups, the gallery template) are unknown,
nothing is invented. Inputs are recorded exactly as the SDK serialized them for the engine.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import config as runtime_config
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockEngine, MockMonitor, Mocks, MockSettings
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.settings import get_project, get_stack
from pulumi.runtime.stack import run_in_stack

from webex_scim.errors import EngineError, UsageError

from .model import PolicyReport, RecordedResource
from .pack_process import PackProcess
from .stackfile import UNDECRYPTED, StackConfig
from .trees import given_up, project_on_path

# The Pulumi wire format's sentinels (sdk/go/common/resource/sig/sig.go, plugin/rpc.go): the key that marks a
# special object, its values for a secret, a resource reference and an output value, and the unknown value.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
UNKNOWN = rpc.UNKNOWN
_NO_SIG = struct_pb2.Value(string_value="")  # what an ordinary object has under SIG_KEY
STACK_TYPE = "pulumi:pulumi:Stack"
PRINTED_LIMIT = 200  # characters of a program's stray stdout quoted in a warning
_KEPT_WRITES = 10_000  # writes of it kept: a program printing in a loop must not fill memory


@dataclass
class ProgramRun:
    project: str
    stack: str
    resources: list[RecordedResource] = field(default_factory=list)
    outputs: struct_pb2.Struct = field(default_factory=struct_pb2.Struct)
    warnings: list[str] = field(default_factory=list)
    stack_urn: str = ""
    printed: str = ""  # what the program wrote to stdout (`_ProgramStdout`)


class _PreviewMocks(Mocks):
    """A first preview: providers echo inputs back, every id and computed output stays unknown."""

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        return "", dict(args.inputs)

    def call(self, args: Any) -> tuple[dict[str, Any], None]:  # not reached: Invoke is answered below
        return {}, None


class _RecordingMonitor(MockMonitor):
    def __init__(self, run: ProgramRun) -> None:
        super().__init__(_PreviewMocks())
        self.run = run
        self.recorded: dict[str, RecordedResource] = {}  # by URN

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine qualifies a type with every ancestor's type below the stack (`A$B$type`); the SDK's mock
        # monitor only with the parent's own. Same URNs as `pulumi preview`, so the two engines can be compared.
        if parent and parent != self.run.stack_urn:
            type_ = parent.split("::")[2] + "$" + type_
        return "urn:pulumi:" + "::".join([get_stack(), get_project(), type_, name])

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == STACK_TYPE:
            self.run.stack_urn = response.urn
        inputs = struct_pb2.Struct()
        inputs.CopyFrom(request.object)
        _mark_undecrypted_unknown(inputs)
        recorded = RecordedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=bool(request.custom),
            inputs=inputs,
            options=_options(request),
            provider=request.provider,
        )
        self.run.resources.append(recorded)
        self.recorded[recorded.urn] = recorded
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        outputs = struct_pb2.Struct()
        outputs.CopyFrom(request.outputs)
        _mark_undecrypted_unknown(outputs)
        if request.urn == self.run.stack_urn:
            self.run.outputs = outputs
        recorded = self.recorded.get(request.urn)
        if recorded is not None:
            recorded.outputs = outputs
        return empty_pb2.Empty()

    def Invoke(self, request: Any) -> Any:
        # Lookups (get_user, get_group, get_application_template, ...) are the tenant's to answer: unknown.
        return resource_pb2.ResourceInvokeResponse(unknown=True)


def _options(request: Any) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "protect": bool(request.protect) if request.HasField("protect") else False,
        "retainOnDelete": bool(request.retainOnDelete) if request.HasField("retainOnDelete") else False,
        "deleteBeforeReplace": bool(request.deleteBeforeReplace),
        "dependencies": list(request.dependencies),
        "ignoreChanges": list(request.ignoreChanges),
        "replaceOnChanges": list(request.replaceOnChanges),
        "additionalSecretOutputs": list(request.additionalSecretOutputs),
    }
    if request.deletedWith:
        opts["deletedWith"] = request.deletedWith
    if request.importId:
        opts["importId"] = request.importId
    return opts


def _mark_undecrypted_unknown(struct: struct_pb2.Struct) -> None:
    """A secret built from an undecrypted `secure:` value is a secret whose value is unknown: marked so, in place."""
    for value in struct.fields.values():
        _mark(value)


def _mark(value: struct_pb2.Value) -> bool:
    """Mark each secret in `value` that holds the undecrypted stand-in as unknown; whether `value` holds it."""
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return UNDECRYPTED in value.string_value
    if kind not in ("struct_value", "list_value"):
        return False
    fields = value.struct_value.fields if kind == "struct_value" else {}
    children = fields.values() if kind == "struct_value" else value.list_value.values
    found = [_mark(child) for child in children]  # every child, so nested secrets are marked too
    if any(found) and fields.get(SIG_KEY, _NO_SIG).string_value == SECRET_SIG and "value" in fields:
        fields["value"].string_value = UNKNOWN
    return any(found)


class _WarningCollector(logging.Handler):
    """pulumi.log.warn/error from the program become preview warnings, as the CLI shows them."""

    def __init__(self, run: ProgramRun) -> None:
        super().__init__(level=logging.WARNING)
        self.run = run

    def emit(self, record: logging.LogRecord) -> None:
        self.run.warnings.append(record.getMessage())


@contextmanager
def _as_main_module(path: Path) -> Iterator[types.ModuleType]:
    """A fresh `__main__` module for the program file, installed as runpy.run_path installs it, and restored."""
    module = types.ModuleType("__main__")
    # The globals runpy.run_path gives a script (its _run_code): no loader, spec or bytecode, no package.
    module.__dict__.update(__file__=str(path), __cached__=None, __loader__=None, __package__="", __spec__=None)
    saved_main, saved_argv0 = sys.modules.get("__main__"), sys.argv[0] if sys.argv else None
    sys.modules["__main__"] = module
    if sys.argv:
        sys.argv[0] = str(path)
    try:
        yield module
    finally:
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
        else:
            sys.modules.pop("__main__", None)
        if saved_argv0 is not None:
            sys.argv[0] = saved_argv0


def _event_loop() -> asyncio.AbstractEventLoop:
    """This thread's event loop, which the SDK's futures use, made if it has none yet (a diff's side runs in a
    thread of its own). What pulumi.runtime.sync_await does too, in a private function."""
    try:
        return asyncio.get_event_loop()
    except RuntimeError:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        return loop


async def _run_and_settle(cfg: StackConfig) -> None:
    """Run the program file as `__main__` (as runpy.run_path does), then wait for all of its Outputs at once.

    The program runs in this very frame, not under runpy's: the SDK records the whole call stack of every resource
    it registers, so each frame under the program costs time per resource (see `make bench`, 5,000 assignments).

    The SDK's own final wait takes the pending Outputs one at a time, re-scanning the set after each: quadratic
    in the number of resources (5,000 assignments: 690k callbacks). Settling them in one `asyncio.wait` first
    leaves that loop nothing to do.
    """
    code = compile(cfg.main.read_bytes(), str(cfg.main), "exec", dont_inherit=True)  # not this file's __future__
    with _as_main_module(cfg.main) as module:
        exec(code, module.__dict__)
    tasks = runtime_settings.SETTINGS.outputs
    while True:
        with runtime_settings.SETTINGS.lock:
            pending = [t for t in tasks if not t.done()]
        if not pending:
            return
        await asyncio.wait(pending)


def run_program(cfg: StackConfig) -> ProgramRun:
    """Run the project's program once for `cfg`; raise UsageError on bad config, EngineError on a failed program."""
    run = ProgramRun(project=cfg.project, stack=cfg.stack, warnings=list(cfg.warnings))
    logger = logging.getLogger(f"webex-scim.offline.{id(run)}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(_WarningCollector(run))

    monitor = _RecordingMonitor(run)
    stdout = _ProgramStdout(sys.stdout)
    runtime_settings.ROOT.set(None)
    runtime_settings.configure(
        MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(empty_pb2.Empty()).supportedFeatures),
            engine=MockEngine(logger),
            project=cfg.project,
            stack=cfg.stack,
            dry_run=True,
            organization="organization",
            callbacks=None,
            # MockSettings skips Settings.__init__: without a fresh set, Outputs of an earlier run in this
            # process (and their failures) would be awaited again by this one.
            outputs=set(),
        )
    )
    runtime_config.set_all_config(dict(cfg.config), list(cfg.secret_keys))
    sys.stdout = stdout
    error: UsageError | EngineError | None = None
    try:
        with project_on_path(cfg.project_dir):
            # The tree's own error type for bad config (exit 2): a diff runs two trees, each with its components/.
            from components.settings import SettingsError

            try:
                _event_loop().run_until_complete(run_in_stack(lambda: _run_and_settle(cfg)))
            except SettingsError as exc:
                error = UsageError(str(exc))
    except SystemExit as exc:
        # The language host (pulumi-language-python-exec) catches only Exception: sys.exit ends the program's
        # process with its code, and the CLI goes on with what was registered until then (0) or fails (any other).
        if exc.code not in (None, 0):
            error = EngineError(f"the program called sys.exit({exc.code!r}), which fails a `pulumi preview`")
        else:
            run.warnings.append(
                "the program called sys.exit(0) before it finished: only what it registered until then is previewed, "
                "as the Pulumi CLI would do (and `pulumi up` would delete every other resource of the stack)"
            )
    except pulumi.RunError as exc:
        error = EngineError(f"the program failed: {exc}")
    except Exception as exc:  # a bug in the program: say what and where, in one line, never its locals
        error = EngineError(f"the program failed: {type(exc).__name__}: {exc}")
    finally:
        if not given_up():  # even if the program installed a stdout of its own
            sys.stdout = stdout.real
        run.printed = "".join(stdout.kept)
        runtime_settings.ROOT.set(None)
        runtime_config.set_all_config({}, [])
    if error is not None:
        if run.printed.strip():  # a failed program's prints: said with its error, not lost
            error.args = (f"{error}\n(it printed to stdout before it failed: {quote_printed(run.printed)})",)
        raise error
    return run


class _ProgramStdout:
    """sys.stdout while a program runs: what the program writes (print(), from any of its threads) is kept, to be
    reported as a warning, so it cannot mix with a report on stdout (`--json -`). When the program runs in a worker
    thread (a diff's side), the main thread's writes are the command's own and go to the real stdout, even if the
    diff gave up on the side and left this installed. Every other attribute is the real stdout's."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.kept: list[str] = []
        main = threading.main_thread()
        self._command = main if threading.current_thread() is not main else None

    def write(self, text: str) -> Any:
        if not isinstance(text, str):  # as a text stream: a program may catch this and write bytes to .buffer
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if threading.current_thread() is self._command:
            return self.real.write(text)
        if len(self.kept) < _KEPT_WRITES:
            self.kept.append(text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def printed_warning(who: str, printed: str) -> str:
    """The warning that says what a program printed to stdout (kept off it: `--json -` goes there)."""
    return f"{who} printed to stdout: {quote_printed(printed)} (a program reports through pulumi.log)"


def quote_printed(text: str, limit: int = PRINTED_LIMIT) -> str:
    """A program's stray stdout for a one-line report: whitespace runs as one space, at most `limit` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return repr(flat)
    return f"{flat[: limit - 1]!r}… ({len(flat) - limit + 1:,} more characters)"


def preview_tree(
    cfg: StackConfig, pack: PackProcess | None, policy_config: Mapping[str, Any] | None = None
) -> tuple[ProgramRun, PolicyReport | None]:
    """One preview: the program of `cfg` run, then judged by the started `pack` (it started up on the other core
    while the program ran, as with the CLI). The caller starts and stops the pack, so a diff's two sides can take
    turns on one."""
    run = run_program(cfg)
    if pack is None:
        return run, None
    from .policy import PolicyPack

    with PolicyPack(process=pack) as client:
        return run, client.evaluate(run.resources, project=cfg.project, stack=cfg.stack, policy_config=policy_config)
