"""Evaluate Entra mapping expressions: every function of Microsoft's reference, implemented or "not simulated".

An expression is parsed once (expressions.py) and compiled into nested closures, so evaluating it for 100,000 users
costs one call per node and user. A compiled expression takes a user's attributes (engine names: objectId,
telephoneNumber, …) and returns a value, `DROPPED` (IgnoreFlowIfNullOrEmpty said leave it out), or raises
NotSimulated with the reason, for that user only.

Every function listed in Microsoft's "Reference for writing expressions for attribute mappings in Microsoft Entra
ID" (MicrosoftDocs/entra-docs, functions-for-customizing-application-data.md) is in FUNCTIONS below, with the
argument counts its parameter table gives. Five are not simulated, for the reason given with each: their value is
random, or needs what a directory snapshot does not hold (the user's app role assignments, the target directory).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import datetimes as d
from . import functions as f
from .expressions import (
    Attribute,
    Call,
    Compare,
    Constant,
    ExpressionSyntaxError,
    Node,
    Number,
    Text,
    attributes_of,
    parse,
)
from .values import DROPPED, MISSING, REFERENCE, NotSimulated, Value, describe, text, truth

Compiled = Callable[[Mapping[str, Value]], Value]


@dataclass(frozen=True)
class Function:
    min_args: int
    max_args: int | None  # None: repeating
    impl: Callable[[list[Value]], Value] | None = None
    not_simulated: str | None = None


_APP_ROLES = "needs the user's app role assignments, which a directory snapshot does not hold"
FUNCTIONS: dict[str, Function] = {
    "Append": Function(2, 2, f.f_append),
    "AppRoleAssignmentsComplex": Function(1, 1, not_simulated=_APP_ROLES),
    "BitAnd": Function(2, 2, f.f_bit_and),
    "CBool": Function(1, 1, f.f_cbool),
    "CDate": Function(1, 1, d.f_cdate),
    "Coalesce": Function(1, None),  # special form: stops at the first value that is not null
    "ConvertToBase64": Function(1, 1, f.f_convert_to_base64),
    "ConvertToUTF8Hex": Function(1, 1, f.f_convert_to_utf8_hex),
    "Count": Function(1, 1, f.f_count),
    "CStr": Function(1, 1, f.f_cstr),
    "DateAdd": Function(3, 3, d.f_date_add),
    "DateDiff": Function(3, 3, d.f_date_diff),
    "DateFromNum": Function(1, 1, d.f_date_from_num),
    "FormatDateTime": Function(3, 4, d.f_format_datetime),
    "Guid": Function(0, 0, not_simulated="Guid() makes a new random GUID each time: its value cannot be predicted"),
    "IgnoreFlowIfNullOrEmpty": Function(1, 1),  # special form
    "IIF": Function(3, 3),  # special form: only the chosen branch is evaluated
    "InStr": Function(2, 4, f.f_instr),
    "IsNull": Function(1, 1, f.f_is_null),
    "IsNullOrEmpty": Function(1, 1, f.f_is_null_or_empty),
    "IsPresent": Function(1, 1, f.f_is_present),
    "IsString": Function(1, 1, f.f_is_string),
    "Item": Function(2, 2, f.f_item),
    "Join": Function(2, None, f.f_join),
    "Left": Function(2, 2, f.f_left),
    "Mid": Function(3, 3, f.f_mid),
    "NormalizeDiacritics": Function(1, 1, f.f_normalize_diacritics),
    "Not": Function(1, 1, f.f_not),
    "Now": Function(0, 0),  # reads the evaluator's clock
    "NumFromDate": Function(1, 1, d.f_num_from_date),
    "PCase": Function(1, 2, f.f_pcase),
    "RandomString": Function(5, 6, not_simulated="RandomString makes a new random string each time"),
    "Redact": Function(1, 1, f.f_redact),
    "RemoveDuplicates": Function(1, 1, f.f_remove_duplicates),
    "Replace": Function(7, 7, f.f_replace),
    "SelectUniqueValue": Function(
        2,
        None,
        not_simulated="SelectUniqueValue checks values against the target directory and, per the reference, works "
        "only for provisioning to Active Directory",
    ),
    "SingleAppRoleAssignment": Function(1, 1, not_simulated=_APP_ROLES),
    "Split": Function(2, 2, f.f_split),
    "StripSpaces": Function(1, 1, f.f_strip_spaces),
    "Switch": Function(2, None),  # special form
    "ToLower": Function(1, 2, f.f_to_lower),
    "ToUpper": Function(1, 2, f.f_to_upper),
    "Word": Function(3, 3, f.f_word),
}
_BY_LOWER = {name.lower(): name for name in FUNCTIONS}


def simulated_functions() -> list[str]:
    return sorted(name for name, fn in FUNCTIONS.items() if fn.not_simulated is None)


def unsimulated_functions() -> dict[str, str]:
    return {name: fn.not_simulated for name, fn in sorted(FUNCTIONS.items()) if fn.not_simulated is not None}


def _raise(reason: str) -> Compiled:
    def fail(attrs: Mapping[str, Value]) -> Value:
        raise NotSimulated(reason)

    return fail


class Evaluator:
    """Compiles expressions. `attribute_problem(name)` says why an attribute cannot be read from a snapshot (None when
    it can); `clock` is what Now() reads (the simulation's start, in UTC, unless a caller gives another)."""

    def __init__(
        self,
        attribute_problem: Callable[[str], str | None] = lambda name: None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self._attribute_problem = attribute_problem
        started = dt.datetime.now(dt.UTC)
        self._clock = clock or (lambda: started)

    def compile(self, expression: str) -> Compiled:
        """The expression as a function of a user's attributes; an expression that cannot be read compiles to one
        that reports why, per user, as not simulated."""
        try:
            node = parse(expression)
        except ExpressionSyntaxError as exc:
            return _raise(f"cannot read the expression ({exc}); Graph's parseExpression would refuse it too")
        try:
            return self._node(node, top=True)
        except NotSimulated as exc:
            return _raise(str(exc))

    def _node(self, node: Node | None, *, top: bool = False) -> Compiled:
        if node is None:
            return lambda attrs: MISSING
        if isinstance(node, Text | Number):
            value = node.value
            return lambda attrs: value
        if isinstance(node, Constant):
            name = node.name
            return lambda attrs: name
        if isinstance(node, Attribute):
            return self._attribute(node.name)
        if isinstance(node, Compare):
            return self._compare(node)
        return self._call(node, top=top)

    def _attribute(self, name: str) -> Compiled:
        problem = self._attribute_problem(name)
        if problem:
            return _raise(problem)
        return lambda attrs: attrs.get(name)

    def _compare(self, node: Compare) -> Compiled:
        left, right, op = self._node(node.left), self._node(node.right), node.op

        def compare(attrs: Mapping[str, Value]) -> Value:
            a, b = left(attrs), right(attrs)
            if op in ("=", "<>"):
                x, y = text(a, f"the comparison {op}"), text(b, f"the comparison {op}")
                if x != y and x.casefold() == y.casefold():
                    raise NotSimulated(
                        f"{x!r} {op} {y!r} differ only in case, and {REFERENCE} does not say whether = ignores case"
                    )
                return (x == y) == (op == "=")
            try:
                x_num = int(text(a, f"the comparison {op}").strip())
                y_num = int(text(b, f"the comparison {op}").strip())
            except ValueError:
                raise NotSimulated(
                    f"{op} compares numbers; {describe(a)} and {describe(b)} are not both numbers"
                ) from None
            return {">": x_num > y_num, ">=": x_num >= y_num, "<": x_num < y_num, "<=": x_num <= y_num}[op]

        return compare

    def _call(self, node: Call, *, top: bool) -> Compiled:
        name = node.name
        spec = FUNCTIONS.get(name)
        if spec is None:
            known = _BY_LOWER.get(name.lower())
            if known:
                raise NotSimulated(f"{name}() is spelled {known}() in the reference, whose syntax is case-sensitive")
            raise NotSimulated(f"{name}() is not a function of {REFERENCE}")
        count = len(node.args)
        if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            wanted = spec.min_args if spec.max_args == spec.min_args else f"{spec.min_args} or more"
            if spec.max_args not in (None, spec.min_args):
                wanted = f"{spec.min_args} to {spec.max_args}"
            raise NotSimulated(f"{name}() takes {wanted} arguments, not {count}; Graph would refuse the expression")
        if spec.not_simulated:
            raise NotSimulated(f"{name}(): {spec.not_simulated}")
        args = [self._node(a) for a in node.args]
        special = getattr(self, f"_special_{name.lower()}", None)
        if special is not None:
            return special(node, args, top)
        if name == "Now":
            clock = self._clock
            return lambda attrs: d.f_now([], clock=clock)
        impl = spec.impl
        assert impl is not None
        padded = max(0, (spec.max_args or 0) - count)

        def call(attrs: Mapping[str, Value]) -> Value:
            values = [a(attrs) for a in args]
            if padded:
                values += [MISSING] * padded
            return impl(values)

        return call

    def _special_iif(self, node: Call, args: list[Compiled], top: bool) -> Compiled:
        condition, if_true, if_false = args
        # "If the source attribute used within the IIF function is empty or null, the condition check fails."
        watched = sorted(attributes_of(node.args[0]))

        def iif(attrs: Mapping[str, Value]) -> Value:
            empty = [n for n in watched if attrs.get(n) in (None, "")]
            if empty:
                raise NotSimulated(
                    f"IIF's condition reads [{empty[0]}], which is null or empty: the reference says the condition "
                    "check fails then (IIF, known limitations)"
                )
            return if_true(attrs) if truth(condition(attrs), "IIF") else if_false(attrs)

        return iif

    def _special_switch(self, node: Call, args: list[Compiled], top: bool) -> Compiled:
        if len(args) % 2:
            raise NotSimulated("Switch() takes a source, a default and key/value pairs: an even count of arguments")
        source_node = node.args[0]
        if isinstance(source_node, Call) and source_node.name in ("IsPresent", "IsNull", "IsNullOrEmpty"):
            # The reference's caution: "For the source parameter, do not use the nested functions IsPresent, IsNull
            # or IsNullOrEmpty. Instead use a literal empty string as one of the key values."
            raise NotSimulated(
                f"Switch() with {source_node.name}() as its source, which the reference's caution says not to use "
                "(use a literal empty string as a key instead)"
            )
        source, default, pairs = args[0], args[1], list(zip(args[2::2], args[3::2], strict=True))

        def switch(attrs: Mapping[str, Value]) -> Value:
            value = source(attrs)
            # A source that is not set matches the key "": the reference's caution shows `Switch([statusFlag],
            # "Default Value", "true", "1", "", "0")` returning 0 for an empty statusFlag. Keys compare
            # case-sensitively (the reference's note).
            key_text = "" if value is None else text(value, "Switch's source")
            for key, result in pairs:
                if text(key(attrs), "Switch's key") == key_text:
                    return result(attrs)
            chosen = default(attrs)
            return None if chosen is MISSING else chosen

        return switch

    def _special_coalesce(self, node: Call, args: list[Compiled], top: bool) -> Compiled:
        def coalesce(attrs: Mapping[str, Value]) -> Value:
            for arg in args:
                value = arg(attrs)
                if value is not None and value is not MISSING:
                    return value
            return None

        return coalesce

    def _special_ignoreflowifnullorempty(self, node: Call, args: list[Compiled], top: bool) -> Compiled:
        if not top:
            raise NotSimulated("IgnoreFlowIfNullOrEmpty() inside another function: the reference uses it outermost")
        inner = args[0]

        def ignore(attrs: Mapping[str, Value]) -> Value:
            value = inner(attrs)
            return DROPPED if value is None or value == "" or value is MISSING else value

        return ignore


def evaluate(expression: str, attributes: Mapping[str, Any], **kwargs: Any) -> Value:
    """One expression for one set of attributes (a convenience for tests and --check-with-graph)."""
    return Evaluator(**kwargs).compile(expression)(attributes)
