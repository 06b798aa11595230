"""The values an expression computes with, and the two ways an evaluation stops short.

Entra's engine is .NET: attribute values are strings, Booleans, numbers, multi-valued strings, and the DateTime that
CDate / DateAdd / Now produce. Here they are `None` (null: an attribute that is not set), `str`, `bool`, `int`,
`list[str]` and an aware UTC `datetime`. When a value is used as text it is written as .NET writes it: `True` /
`False` for a Boolean (so `Switch([IsSoftDeleted], , "False", "True", …)` matches the key "False"), digits for a
number, and `M/d/yyyy h:mm:ss tt` for a DateTime (the format the reference gives for CDate, DateAdd and Now).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

Value = Any  # None | str | bool | int | list[str] | datetime; kept loose for speed in the evaluator's hot loop

REFERENCE = "Microsoft's expression reference"


class NotSimulated(Exception):
    """What Entra would do here is not known (undocumented, random, or needs data a snapshot lacks): the attribute is
    reported per user as "not simulated: <reason>", never guessed."""


class Dropped:
    """IgnoreFlowIfNullOrEmpty's verdict: the attribute leaves the flow (it is not sent at all)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DROPPED"


DROPPED = Dropped()


class Missing:
    """An argument left empty, as in `Switch([IsSoftDeleted], , "False", "True")`: not the same as a null value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()


def dotnet_datetime(value: dt.datetime) -> str:
    """`M/d/yyyy h:mm:ss tt` in the invariant culture, e.g. `3/16/2020 7:00:00 AM`."""
    hour = value.hour % 12 or 12
    half = "AM" if value.hour < 12 else "PM"
    return f"{value.month}/{value.day}/{value.year} {hour}:{value.minute:02d}:{value.second:02d} {half}"


def text(value: Value, where: str) -> str:
    """A single value as the text .NET would make of it; a null or a multi-valued value is `where`'s to explain."""
    if isinstance(value, str):
        return value
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return dotnet_datetime(value)
    if value is None:
        raise NotSimulated(f"{where} received a null value; {REFERENCE} does not say what it does then")
    if value is MISSING:
        raise NotSimulated(f"{where} is left empty")
    raise NotSimulated(f"{where} received several values (a multi-valued attribute) where it takes one")


def number(value: Value, where: str) -> int:
    """An integer argument (a literal, or text of digits)."""
    if isinstance(value, bool):
        raise NotSimulated(f"{where} takes a number, not a Boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise NotSimulated(f"{where} takes a whole number, not {value!r}") from None
    raise NotSimulated(f"{where} takes a number, not {describe(value)}")


def describe(value: Value) -> str:
    if value is None:
        return "a null value"
    if isinstance(value, list):
        return "several values"
    if isinstance(value, dt.datetime):
        return f"the DateTime {dotnet_datetime(value)}"
    if value is MISSING:
        return "an empty argument"
    return repr(value)


def truth(value: Value, where: str) -> bool:
    """A condition's value: a Boolean, or the text True / False (as .NET's Boolean.Parse reads it)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise NotSimulated(f"{where} needs a condition that is true or false, not {describe(value)}")
