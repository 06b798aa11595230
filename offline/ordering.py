"""One order for resources and policy verdicts, so identical runs print identical reports.

The SDK registers resources in the order their inputs resolve, which varies between runs of the same program
(sibling components, resources created in `apply` callbacks), and the pack reports verdicts in the order it
analyzed them. Reports are reviewed as text (a PR comment edited in place), so they follow the resource tree
instead: parents before their children, siblings by name, then type, then URN; a resource whose parent is not in
the list is a root. Verdicts follow their resource's place in that order, stack-wide verdicts first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def tree_order(
    items: Iterable[T],
    *,
    urn: Callable[[T], str],
    parent: Callable[[T], str | None],
    key: Callable[[T], Any],
) -> list[T]:
    """`items` depth first from the roots, children right after their parent, siblings sorted by `key`."""
    items = list(items)
    known = {urn(i) for i in items}
    children: dict[str | None, list[T]] = {}
    for item in items:
        p = parent(item)
        children.setdefault(p if p in known and p != urn(item) else None, []).append(item)
    out: list[T] = []
    seen: set[int] = set()

    def walk(at: str | None) -> None:
        for item in sorted(children.get(at, []), key=key):
            if id(item) not in seen:  # a parent cycle (not produced by any engine) cannot loop forever
                seen.add(id(item))
                out.append(item)
                walk(urn(item))

    walk(None)
    # Items only reachable through a cycle: still listed, in key order, after the tree.
    out += sorted((i for i in items if id(i) not in seen), key=key)
    return out


def _step_key(step: Mapping[str, Any]) -> tuple[str, str, str]:
    return str(step.get("name") or ""), str(step.get("type") or ""), str(step.get("urn") or "")


def ordered_steps(steps: Iterable[Mapping[str, Any]]) -> list[Any]:
    """Steps of a JSON document (dicts with urn, parent, type, name) in tree order."""
    return tree_order(steps, urn=lambda s: str(s.get("urn")), parent=lambda s: s.get("parent"), key=_step_key)


def verdict_key(place: Mapping[str, int], urn: str | None, policy: str, message: str) -> tuple[int, str, str, str]:
    """Where a verdict goes: after its resource's place (-1, first, for the stack or an unknown resource), then
    by policy and message."""
    return place.get(str(urn), -1), policy, message, str(urn or "")


def ordered_violations(violations: Iterable[Mapping[str, Any]], steps: Sequence[Mapping[str, Any]]) -> list[Any]:
    """Verdicts of a JSON document (dicts with policy, urn, message) in `verdict_key` order for `steps`."""
    place = {str(s.get("urn")): i for i, s in enumerate(steps)}
    return sorted(
        violations,
        key=lambda v: verdict_key(place, v.get("urn"), str(v.get("policy") or ""), str(v.get("message") or "")),
    )
