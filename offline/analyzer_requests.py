"""Recorded registrations as the Analyzer protocol's requests, built as the CLI builds them.

Pure conversion, no connection: `analyze_request` for one resource's Analyze, `stack_resource` for its entry in
AnalyzeStack. Internal (`__`-prefixed) keys are dropped as the CLI's SkipInternalKeys does.
"""

from __future__ import annotations

from collections.abc import Mapping

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from .model import RecordedResource


def _strip_internal(struct: struct_pb2.Struct) -> struct_pb2.Struct:
    """Drop `__`-prefixed keys at every level (the CLI marshals with SkipInternalKeys), e.g. a dynamic resource's
    pickled `__provider`."""
    out = struct_pb2.Struct()
    for key, value in struct.fields.items():
        if not key.startswith("__"):
            out.fields[key].CopyFrom(_strip_value(value))
    return out


def _strip_value(value: struct_pb2.Value) -> struct_pb2.Value:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return struct_pb2.Value(struct_value=_strip_internal(value.struct_value))
    if kind == "list_value":
        return struct_pb2.Value(
            list_value=struct_pb2.ListValue(values=[_strip_value(v) for v in value.list_value.values])
        )
    return value


def _options(resource: RecordedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    """The options the engine records (offline/engine.py), as the analyzer takes them."""
    opts = resource.options or {}
    dbr = opts.get("deleteBeforeReplace")
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(opts.get("protect")),
        ignoreChanges=[str(p) for p in opts.get("ignoreChanges") or []],
        deleteBeforeReplace=bool(dbr),
        deleteBeforeReplaceDefined=dbr is not None,
        additionalSecretOutputs=[str(p) for p in opts.get("additionalSecretOutputs") or []],
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


def stack_resource(resource: RecordedResource, by_urn: Mapping[str, RecordedResource]) -> analyzer_pb2.AnalyzerResource:
    """Its AnalyzeStack entry: the engine hands the stack's policies each resource's outputs, not its inputs
    (pkg/resource/deploy/step_generator.go). A preview's custom resource echoes its inputs (its computed outputs
    are unknown); a component's outputs are what it registered, nothing if it registered none."""
    opts = resource.options or {}
    properties = resource.inputs if resource.custom else (resource.outputs or struct_pb2.Struct())
    out = analyzer_pb2.AnalyzerResource(
        type=resource.type,
        urn=resource.urn,
        name=resource.name,
        properties=_strip_internal(properties),
        options=_options(resource),
        parent=resource.parent or "",
        dependencies=[str(d) for d in opts.get("dependencies") or []],
    )
    provider = _provider(resource, by_urn)
    if provider is not None:
        out.provider.CopyFrom(provider)
    return out


def analyze_request(resource: RecordedResource, entry: analyzer_pb2.AnalyzerResource) -> analyzer_pb2.AnalyzeRequest:
    """The Analyze request for one resource: its inputs, with the other pieces of its AnalyzeStack entry."""
    properties = entry.properties if resource.custom else _strip_internal(resource.inputs)
    request = analyzer_pb2.AnalyzeRequest(
        type=entry.type, urn=entry.urn, name=entry.name, properties=properties, options=entry.options
    )
    if entry.HasField("provider"):
        request.provider.CopyFrom(entry.provider)
    return request
