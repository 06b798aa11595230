"""Entra's attribute-mapping expression language, parsed into a small tree.

Syntax, from Microsoft's "Reference for writing expressions for attribute mappings in Microsoft Entra ID"
(MicrosoftDocs/entra-docs, docs/identity/app-provisioning/functions-for-customizing-application-data.md):

* a function is a name followed by arguments in parentheses, `FunctionName(<<argument 1>>, <<argument N>>)`, and
  functions nest; an argument may be left empty (`Switch([IsSoftDeleted], , "False", "True")`);
* attributes are enclosed in square brackets, `[attributeName]`;
* string constants are enclosed in double quotes; a backslash or a quotation mark inside one is escaped with a
  backslash (`"Company name: \\"Contoso\\""`): those two are the only escapes the reference gives;
* the documented examples also pass numbers (`Mid([givenName], 1, 3)`, `DateAdd("d", -10, …)`), VB hexadecimal
  literals (`BitAnd(&HF, &HF7)`), the VB constants `vbTextCompare` / `vbBinaryCompare` (InStr), and comparisons in a
  condition (`IIF([country]="USA", …)`, `CBool([attribute1] = [attribute2])`, `DateDiff(…) > 5`): the operators
  `=`, `<>`, `>`, `>=`, `<`, `<=` (IIF's section);
* the syntax is case-sensitive.

Nothing here evaluates: `evaluate.py` does. A text the grammar does not cover raises `ExpressionSyntaxError` with
the column, never a guess at what was meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COMPARISONS = ("<>", ">=", "<=", "=", ">", "<")
# Bare words the reference uses as arguments (InStr's compareType).
CONSTANTS = ("vbTextCompare", "vbBinaryCompare")


class ExpressionSyntaxError(ValueError):
    """The expression is not in the language the reference describes; the message names the column."""


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str


@dataclass(frozen=True, slots=True)
class Text:
    value: str


@dataclass(frozen=True, slots=True)
class Number:
    value: int


@dataclass(frozen=True, slots=True)
class Constant:
    """A bare VB constant such as vbTextCompare."""

    name: str


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node | None, ...]  # None: an argument left empty
    column: int


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Node
    right: Node


Node = Attribute | Text | Number | Constant | Call | Compare

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?[0-9]+")
_HEX = re.compile(r"&[Hh]([0-9A-Fa-f]+)")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str, at: int | None = None) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(f"{what} at column {(self.pos if at is None else at) + 1}")

    def skip(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos].isspace():
            pos += 1
        self.pos = pos

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expression(self) -> Node:
        left = self.operand()
        self.skip()
        for op in COMPARISONS:
            if self.text.startswith(op, self.pos):
                self.pos += len(op)
                right = self.operand()
                return Compare(op, left, right)
        return left

    def operand(self) -> Node:
        char = self.peek()
        start = self.pos
        if not char:
            raise self.fail("the expression ends where a value was expected")
        if char == "[":
            end = self.text.find("]", start)
            if end < 0:
                raise self.fail("'[' is never closed")
            name = self.text[start + 1 : end]
            if not name.strip():
                raise self.fail("an empty attribute name []")
            self.pos = end + 1
            return Attribute(name)
        if char == '"':
            return Text(self.string())
        hexa = _HEX.match(self.text, start)
        if hexa:
            self.pos = hexa.end()
            return Number(int(hexa.group(1), 16))
        number = _NUMBER.match(self.text, start)
        if number:
            self.pos = number.end()
            return Number(int(number.group(0)))
        name = _NAME.match(self.text, start)
        if not name:
            raise self.fail(f"unexpected {char!r}")
        self.pos = name.end()
        if self.peek() != "(":
            if name.group(0) in CONSTANTS:
                return Constant(name.group(0))
            raise self.fail(f"{name.group(0)!r} is neither a function call nor an attribute in brackets", start)
        self.pos += 1
        return Call(name.group(0), self.arguments(), start + 1)

    def arguments(self) -> tuple[Node | None, ...]:
        args: list[Node | None] = []
        if self.peek() == ")":
            self.pos += 1
            return ()
        while True:
            char = self.peek()
            args.append(None if char in (",", ")") else self.expression())
            char = self.peek()
            if char == ",":
                self.pos += 1
                continue
            if char == ")":
                self.pos += 1
                return tuple(args)
            raise self.fail("expected ',' or ')'")

    def string(self) -> str:
        start = self.pos
        out: list[str] = []
        pos = start + 1
        text = self.text
        while pos < len(text):
            char = text[pos]
            if char == "\\":
                escaped = text[pos + 1 : pos + 2]
                if escaped not in ('"', "\\"):
                    # The reference escapes only \\ and \": anything else is not in the language it describes.
                    raise self.fail(f"'\\{escaped}' in a string (only \\\\ and \\\" are escapes)", pos)
                out.append(escaped)
                pos += 2
                continue
            if char == '"':
                self.pos = pos + 1
                return "".join(out)
            out.append(char)
            pos += 1
        raise self.fail("a string is never closed", start)


def parse(text: str) -> Node:
    """The tree of one expression, or ExpressionSyntaxError."""
    parser = _Parser(text)
    node = parser.expression()
    parser.skip()
    if parser.pos != len(text):
        raise parser.fail("unexpected text after the expression")
    return node


def attributes_of(node: Node | None) -> set[str]:
    """Every attribute name the expression reads."""
    if isinstance(node, Attribute):
        return {node.name}
    if isinstance(node, Call):
        return set().union(*(attributes_of(a) for a in node.args)) if node.args else set()
    if isinstance(node, Compare):
        return attributes_of(node.left) | attributes_of(node.right)
    return set()


def functions_of(node: Node | None) -> set[str]:
    """Every function name the expression calls."""
    if isinstance(node, Call):
        return {node.name}.union(*(functions_of(a) for a in node.args))
    if isinstance(node, Compare):
        return functions_of(node.left) | functions_of(node.right)
    return set()
