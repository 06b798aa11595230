"""The bare-SDK floor: register the resources a real offline run recorded, under `pulumi.runtime.set_mocks` and a
trivial Mocks, and nothing else (no settings, no program logic, no recording, no policy pack, no rendering).

`python -m bench.floor [--engine-runtime] SPEC.json` — SPEC comes from bench/record.py: every registration of a
real offline run (type, name, parent, inputs, dependencies; the stack resource excluded). Custom resources of an
installed provider SDK are built with that SDK's class (as a program must), dynamic ones as plain
CustomResources, components as ComponentResources. The dependency graph is the real one: an input that was
unknown in the real run is the `id` of the resource it depended on (unknown in a preview too), and `depends_on`
lists the same resources. Prints {"registered": n} so the bench can check the floor did the same amount of work.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from typing import Any

# `--engine-runtime` (the second floor): the same work under the offline engine's one runtime setting from the
# first import on (offline.collect_garbage_rarely), so a ratio against it is the engine's overhead alone.
if __name__ == "__main__" and sys.argv[1:2] == ["--engine-runtime"]:
    from offline import collect_garbage_rarely

    collect_garbage_rarely()

import pulumi
from pulumi.runtime.mocks import Mocks, set_mocks
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await


class TrivialMocks(Mocks):
    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        return "", dict(args.inputs)

    def call(self, args: Any) -> tuple[dict[str, Any], None]:
        return {}, None


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _value(v: Any, source: pulumi.Resource | None) -> Any:
    if v == "[secret]":
        return pulumi.Output.secret("x")
    if v == "[unknown]" and isinstance(source, pulumi.CustomResource):
        return source.id
    if isinstance(v, list):
        return [_value(x, source) for x in v]
    if isinstance(v, dict):
        return {k: _value(x, source) for k, x in v.items()}
    return v


def _sdk_class(type_token: str) -> Any:
    package, module, cls = type_token.split(":")
    if package in ("pulumi-python", "pulumi") or "/" not in module:
        return None
    try:
        mod = importlib.import_module(f"pulumi_{package.replace('-', '_')}.{_snake(module.rsplit('/', 1)[1])}")
    except ImportError:
        return None
    return getattr(mod, cls, None)


def register(spec: dict[str, Any]) -> int:
    made: dict[str, pulumi.Resource] = {}
    for r in spec["resources"]:
        parent = made.get(r.get("parent") or "")
        deps = [made[u] for u in r.get("dependencies") or [] if u in made]
        custom_deps = [d for d in deps if isinstance(d, pulumi.CustomResource)]
        opts = pulumi.ResourceOptions(parent=parent, depends_on=deps or None)
        source = custom_deps[0] if custom_deps else None
        inputs = {k: _value(v, source) for k, v in (r.get("inputs") or {}).items()}
        if not r["custom"]:
            made[r["urn"]] = pulumi.ComponentResource(r["type"], r["name"], inputs, opts)
            continue
        cls = _sdk_class(r["type"])
        if cls is not None:
            made[r["urn"]] = cls(r["name"], opts=opts, **{_snake(k): v for k, v in inputs.items()})
        else:
            made[r["urn"]] = pulumi.CustomResource(r["type"], r["name"], inputs, opts)
    return len(made)


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    set_mocks(TrivialMocks(), project=spec["project"], stack=spec["stack"], preview=True)
    n = register(spec)
    _sync_await(wait_for_rpcs())
    print(json.dumps({"registered": n + 1}), flush=True)  # + the root stack


if __name__ == "__main__":
    main(sys.argv[-1])
