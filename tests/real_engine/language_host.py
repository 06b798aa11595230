"""The one job of `pulumi-language-python` that the real CLI cannot do without: start a Python policy pack.

Since v3.2xx the CLI starts a policy pack only through its language host's `RunPlugin` (the old
`pulumi-analyzer-policy-python` shim is gone: pkg/resource/plugin/plugin.go), and the Go module proxy does not
serve the Python language host. This test host does what the real one does for `kind == analyzer`
(sdk/python/cmd/pulumi-language-python/main.go, RunPlugin): run `<virtualenv>/bin/python -u -m pulumi.policy
<engine> <pack dir>` with the pack's folder as working directory and the virtualenv that `PulumiPolicy.yaml` names,
and stream its output back. The real host puts a policy proxy in front for packs that predate `ConfigureStack`;
pulumi_policy 1.21 implements `ConfigureStack` itself, so the CLI configures our pack directly.

Programs do not come here: they run through the Automation API's inline path (`real_engine.run`). Every other
call answers UNIMPLEMENTED, so a CLI path this host does not cover fails loudly instead of doing something else.
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

from real_engine.plugin import serve

VERSION = "3.274.1"


class PolicyPackHost(language_pb2_grpc.LanguageRuntimeServicer):
    def GetPluginInfo(self, request: Any, context: Any) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=VERSION)

    def RunPlugin(self, request: language_pb2.RunPluginRequest, context: grpc.ServicerContext) -> Iterator[Any]:
        if request.kind != "analyzer":
            context.abort(
                grpc.StatusCode.UNIMPLEMENTED, f"the test language host runs policy packs only, not {request.kind}"
            )
        pack_dir = Path(request.info.program_directory)
        options = json_format.MessageToDict(request.info.options) if request.info.HasField("options") else {}
        python = "python3"
        if options.get("virtualenv"):
            venv = Path(options["virtualenv"])
            venv = venv if venv.is_absolute() else pack_dir / venv
            if not (venv / "bin" / "python").exists():
                context.abort(
                    grpc.StatusCode.FAILED_PRECONDITION, f"the policy pack's virtualenv {venv} does not exist"
                )
            python = str(venv / "bin" / "python")
        env = dict(os.environ)
        env.update(e.split("=", 1) for e in request.env if "=" in e)
        proc = subprocess.Popen(
            [python, "-u", "-m", "pulumi.policy", *request.args, str(pack_dir)],
            cwd=pack_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        chunks: queue.Queue[tuple[str, bytes] | None] = queue.Queue()

        def pump(stream: Any, name: str) -> None:
            for line in iter(stream.readline, b""):
                chunks.put((name, line))
            chunks.put(None)

        for stream, name in ((proc.stdout, "stdout"), (proc.stderr, "stderr")):
            threading.Thread(target=pump, args=(stream, name), daemon=True).start()
        context.add_callback(proc.kill)  # the CLI cancels the stream when it is done with the pack
        open_streams = 2
        while open_streams:
            item = chunks.get()
            if item is None:
                open_streams -= 1
                continue
            yield language_pb2.RunPluginResponse(**{item[0]: item[1]})
        yield language_pb2.RunPluginResponse(exitcode=proc.wait())


def main() -> None:
    serve(lambda s: language_pb2_grpc.add_LanguageRuntimeServicer_to_server(PolicyPackHost(), s))


if __name__ == "__main__":
    main()
