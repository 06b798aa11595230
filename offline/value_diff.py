"""Property-level differences between two displayed values (JSON documents' inputs and outputs).

Records in lists are paired by what identifies them, not by position: {key, value} pairs by key, mappings by
target, principals by kind:ref (case-folded, as Entra compares them). Secrets ("[secret]") compare equal; an
unknown ("[unknown]") on both sides is no claim of a change. A string holding a JSON object on both sides (Graph's
SyncNotificationSettings) is compared key by key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

_MISSING = object()


def top_property(path: str) -> str:
    """`credentials[SecretToken]` → `credentials`; `userMappings[userName].source` → `userMappings`."""
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _principal_label(item: Mapping[str, Any]) -> str | None:
    kind, ref = item.get("kind"), item.get("ref")
    return f"{kind}:{ref}" if isinstance(kind, str) and isinstance(ref, str) else None


def _principal_pairing(item: Mapping[str, Any]) -> str | None:
    # Entra matches UPNs, group names and object ids without regard to case (and so do the resource names, see
    # components/assignments.py): `bob@contoso.com` → `BOB@contoso.com` is one principal whose ref changed.
    label = _principal_label(item)
    return label.casefold() if label is not None else None


# How list items are paired: {key, value} pairs by key, mappings by target, principals by kind:ref (case-folded).
# Each: (pairing key, label shown in the path).
_LIST_KEYS: tuple[tuple[Callable[[Mapping[str, Any]], Any], Callable[[Mapping[str, Any]], Any]], ...] = (
    (lambda i: i.get("key"), lambda i: i.get("key")),
    (lambda i: i.get("target"), lambda i: i.get("target")),
    (_principal_pairing, _principal_label),
)


def _list_key(old: list[Any], new: list[Any]) -> tuple[Callable[[Any], Any], Callable[[Any], Any]] | None:
    """(pairing key, label) for two lists of records that a unique key pairs; None for other lists."""
    items = old + new
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key, label in _LIST_KEYS:
        if all(isinstance(key(i), str) for i in items):
            if len({key(i) for i in old}) == len(old) and len({key(i) for i in new}) == len(new):
                return key, label
    return None


def _shown(value: Any) -> Any:
    return None if value is _MISSING else value


def diff_values(old: Any, new: Any, path: str = "") -> dict[str, dict[str, Any]]:
    """Property-level changes between two displayed values, as {path: {"old", "new"}}.

    Secrets are "[secret]" on both sides and compare equal (a changed token is found from the stack files instead);
    "[unknown]" on both sides is no claim of a change, "[unknown]" against a known value is shown as it is, the way
    `pulumi preview` shows `output<string>` (the tenant may or may not answer the same).
    """
    out: dict[str, dict[str, Any]] = {}
    _diff(old, new, path, out)
    return out


def _json_object(value: Any) -> dict[str, Any] | None:
    """A string holding a JSON object (Graph keeps SyncNotificationSettings as one), parsed; None otherwise."""
    if not (isinstance(value, str) and value.startswith("{")):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _diff(old: Any, new: Any, path: str, out: dict[str, dict[str, Any]]) -> None:
    if old == new:
        return
    old_object, new_object = _json_object(old), _json_object(new)
    if old_object is not None and new_object is not None:  # the keys that changed, not two long strings
        keys: dict[str, dict[str, Any]] = {}
        _diff(old_object, new_object, path, keys)
        # Equal as JSON but not as text (spacing, key order): still a new value for the provider, so shown whole.
        out.update(keys or {path: {"old": old, "new": new}})
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            _diff(old.get(k, _MISSING), new.get(k, _MISSING), _join(path, k), out)
        return
    if isinstance(old, list) and isinstance(new, list):
        pairing = _list_key(old, new)
        if pairing is not None:
            key, label = pairing
            olds = {key(i): i for i in old}
            news = {key(i): i for i in new}
            pairs = all(set(i) == {"key", "value"} for i in old + new)
            for k in list(olds) + [k for k in news if k not in olds]:
                o, n = olds.get(k, _MISSING), news.get(k, _MISSING)
                where = f"{path}[{label(n if n is not _MISSING else o)}]"  # as the head spells it
                if pairs:
                    _diff(
                        o.get("value") if o is not _MISSING else _MISSING,
                        n.get("value") if n is not _MISSING else _MISSING,
                        where,
                        out,
                    )
                elif o is _MISSING or n is _MISSING:
                    out[where] = {"old": _shown(o), "new": _shown(n)}
                else:
                    _diff(o, n, where, out)
            return
        if len(old) == len(new):
            for i, (o, n) in enumerate(zip(old, new, strict=True)):
                _diff(o, n, f"{path}[{i}]", out)
            return
    out[path] = {"old": _shown(old), "new": _shown(new)}
