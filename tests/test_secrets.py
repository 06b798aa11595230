"""A canary token never leaves in clear: terminal, JSON, outputs, errors, pickled providers."""

from __future__ import annotations

import base64
import json

from offline import engine, render
from offline.engine import SECRET_SIG, SIG_KEY
from tests.support import by_name, config, inputs, run


def test_token_input_is_a_secret_on_the_wire(canary):
    result = run(config(), token=canary)
    creds = by_name(result)["credentials"].inputs.fields["credentials"].list_value.values
    token = next(c for c in creds if c.struct_value.fields["key"].string_value == "SecretToken")
    wrapped = token.struct_value.fields["value"].struct_value.fields
    assert wrapped[SIG_KEY].string_value == SECRET_SIG  # the engine stores it encrypted, the pack sees it as secret
    # Only the token is secret: reviewers still see the tenant URL, recipients and scope.
    shown = {c["key"]: c["value"] for c in inputs(result, "credentials")["credentials"]}
    assert shown["SecretToken"] == "[secret]"
    assert shown["BaseAddress"].startswith("https://")
    assert "webex-admins@contoso.com" in shown["SyncNotificationSettings"]


def test_the_wire_sentinels_are_the_sdks() -> None:
    # The engine spells the wire format's sentinels itself (the SDK keeps them private): they must be the SDK's.
    from pulumi.runtime import rpc

    sdk = (rpc._special_sig_key, rpc._special_secret_sig, rpc._special_resource_sig, rpc._special_output_value_sig)
    assert (engine.SIG_KEY, engine.SECRET_SIG, engine.RESOURCE_SIG, engine.OUTPUT_SIG) == sdk


def test_canary_never_in_json_terminal_or_outputs(canary, capsys):
    result = run(config(rollout="full", assignments=[{"user": "a@contoso.com"}]), token=canary)
    doc = render.document(result, [])
    assert canary not in json.dumps(doc)
    lines = render.tree_lines(result, [])
    render.print_tree(lines, color=False)
    assert canary not in capsys.readouterr().out
    assert canary not in json.dumps(render.display_inputs(result.outputs))


def test_canary_never_in_pickled_dynamic_providers(canary):
    result = run(config(), token=canary)
    for r in result.resources:
        provider = r.inputs.fields.get("__provider")
        if provider is not None:
            blob = base64.b64decode(provider.string_value)
            assert canary.encode() not in blob, r.name
