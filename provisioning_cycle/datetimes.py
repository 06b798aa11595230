"""The date functions of Entra's expression language: CDate, DateAdd, DateDiff, DateFromNum, FormatDateTime, Now,
NumFromDate. Sources: Microsoft's expression reference (each function's section and its example tables).

Entra evaluates in .NET on servers that keep UTC: CDate "returns a UTC DateTime" ("2021-06-30+08:00" becomes
"6/29/2021 4:00:00 PM"), so every DateTime here is an aware UTC `datetime`, and a time written without an offset is
read as UTC. DateDiff follows Visual Basic's DateDiff, whose interval names (`yyyy m d ww h n s`) the reference
uses: whole units truncated toward zero, months and years by calendar, `ww` by calendar weeks starting on Sunday
(checked against every row of the reference's DateDiff table). FormatDateTime reads and writes .NET custom date and
time format strings (`yyyyMMddHHmmss.fZ`); a standard one-letter format, which depends on a culture, is not
simulated.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable

from .values import MISSING, NotSimulated, Value, describe, number, text

UTC = dt.UTC
FILETIME_EPOCH = dt.datetime(1601, 1, 1, tzinfo=UTC)  # AD dates count 100-ns ticks from here
_ISO = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)
_US = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?\s*$")
INTERVALS = ("yyyy", "m", "d", "ww", "h", "n", "s")
# DateTimeStyles FormatDateTime accepts without changing how it reads: the default the reference names.
_DEFAULT_STYLES = {"", "none", "roundtripkind", "allowleadingwhite", "allowtrailingwhite", "allowwhitespaces"}


def _offset(text_offset: str | None) -> dt.timezone:
    if not text_offset or text_offset == "Z":
        return UTC
    sign = -1 if text_offset[0] == "-" else 1
    digits = text_offset[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0)))


def parse_datetime(value: str, where: str) -> dt.datetime:
    """A date/time string as CDate reads the reference's examples: ISO 8601 (`2009-06-15T01:45:30-07:00`), a date
    with an offset (`2020-03-16-07:00`), or the engine's own `M/d/yyyy h:mm:ss tt`; the result in UTC."""
    match = _ISO.match(value)
    if match:
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        try:
            moment = dt.datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                int((fraction or "0").ljust(7, "0")[:6]),
                tzinfo=_offset(offset),
            )
        except ValueError as exc:
            raise NotSimulated(f"{where}: {value!r} is not a valid date ({exc})") from None
        return moment.astimezone(UTC)
    match = _US.match(value)
    if match:
        month, day, year, hour, minute, second, half = match.groups()
        h = int(hour or 0)
        if half:
            h = h % 12 + (12 if half.upper() == "PM" else 0)
        try:
            return dt.datetime(int(year), int(month), int(day), h, int(minute or 0), int(second or 0), tzinfo=UTC)
        except ValueError as exc:
            raise NotSimulated(f"{where}: {value!r} is not a valid date ({exc})") from None
    raise NotSimulated(
        f"{where}: cannot read {value!r} as a date here (simulated forms: ISO 8601 such as 2009-06-15T01:45:30-07:00, "
        "2020-03-16-07:00, and M/d/yyyy h:mm:ss tt)"
    )


def as_datetime(value: Value, where: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return parse_datetime(value, where)
    raise NotSimulated(f"{where} needs a DateTime (wrap a date string in CDate()), not {describe(value)}")


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    # .NET AddMonths keeps the day, clamped to the last day of the target month.
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    if not 1 <= year <= 9999:
        raise NotSimulated(f"DateAdd: the result falls outside the years 1 to 9999 ({year})")
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def date_add(interval: str, amount: int, moment: dt.datetime) -> dt.datetime:
    if interval == "yyyy":
        return _add_months(moment, 12 * amount)
    if interval == "m":
        return _add_months(moment, amount)
    step = {"d": dt.timedelta(days=1), "ww": dt.timedelta(weeks=1), "h": dt.timedelta(hours=1)}.get(interval)
    step = step or {"n": dt.timedelta(minutes=1), "s": dt.timedelta(seconds=1)}.get(interval)
    if step is None:
        raise NotSimulated(f"DateAdd: interval {interval!r} is not one of {', '.join(INTERVALS)}")
    try:
        return moment + step * amount
    except OverflowError:
        raise NotSimulated("DateAdd: the result falls outside the years 1 to 9999") from None


def date_diff(interval: str, first: dt.datetime, second: dt.datetime) -> int:
    """Visual Basic's DateDiff: positive when `second` is later."""
    seconds = (second - first).total_seconds()
    if interval == "yyyy":
        return second.year - first.year
    if interval == "m":
        return (second.year - first.year) * 12 + second.month - first.month
    if interval == "ww":

        def sunday(moment: dt.datetime) -> dt.date:
            return moment.date() - dt.timedelta(days=(moment.weekday() + 1) % 7)

        return int((sunday(second) - sunday(first)).days / 7)
    per = {"d": 86400, "h": 3600, "n": 60, "s": 1}.get(interval)
    if per is None:
        raise NotSimulated(f"DateDiff: interval {interval!r} is not one of {', '.join(INTERVALS)}")
    return int(seconds / per)  # int() truncates toward zero, as VB's Fix


def from_filetime(ticks: int) -> dt.datetime:
    try:
        return FILETIME_EPOCH + dt.timedelta(microseconds=ticks // 10)
    except OverflowError:
        raise NotSimulated(f"DateFromNum: {ticks} is not an AD date") from None


def to_filetime(moment: dt.datetime) -> int:
    delta = moment - FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


# -- .NET custom date and time format strings -----------------------------------------------------------------------

_TOKEN = re.compile(
    r"'[^']*'|\"[^\"]*\"|\\.|yyyy|yy|MMMM|MMM|MM|M|dddd|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|f{1,7}|F{1,7}|tt|t|zzz|zz|z|K|."
)
_MONTHS = [calendar.month_name[i] for i in range(1, 13)]
_DAYS = list(calendar.day_name)


def _tokens(fmt: str, where: str) -> list[str]:
    if len(fmt) == 1:
        raise NotSimulated(f"{where}: {fmt!r} is a standard .NET format whose result depends on a culture")
    tokens = _TOKEN.findall(fmt)
    for token in tokens:  # .NET throws a FormatException for either
        if token in ("'", '"'):
            raise NotSimulated(f"{where}: the format {fmt!r} opens a quote ({token}) it does not close")
        if token == "\\":
            raise NotSimulated(f"{where}: the format {fmt!r} ends with a backslash, which escapes nothing")
    return tokens


def _literal(token: str) -> str | None:
    if token[0] in "'\"":  # a quoted literal: _tokens refused a quote left open
        return token[1:-1]
    if token[0] == "\\":
        return token[1:]
    if re.fullmatch(_TOKEN.pattern[: -len("|.")], token):
        return None
    return token


_PATTERNS = {
    "yyyy": r"(?P<year>\d{4})",
    "yy": r"(?P<yy>\d{2})",
    "MMMM": "(?P<monthname>" + "|".join(_MONTHS) + ")",
    "MMM": "(?P<monthabbr>" + "|".join(m[:3] for m in _MONTHS) + ")",
    "MM": r"(?P<month>\d{2})",
    "M": r"(?P<month>\d{1,2})",
    "dddd": "(?:" + "|".join(_DAYS) + ")",
    "ddd": "(?:" + "|".join(d[:3] for d in _DAYS) + ")",
    "dd": r"(?P<day>\d{2})",
    "d": r"(?P<day>\d{1,2})",
    "HH": r"(?P<hour>\d{2})",
    "H": r"(?P<hour>\d{1,2})",
    "hh": r"(?P<hour12>\d{2})",
    "h": r"(?P<hour12>\d{1,2})",
    "mm": r"(?P<minute>\d{2})",
    "m": r"(?P<minute>\d{1,2})",
    "ss": r"(?P<second>\d{2})",
    "s": r"(?P<second>\d{1,2})",
    "tt": r"(?P<half>AM|PM)",
    "t": r"(?P<half1>A|P)",
    "zzz": r"(?P<offset>[+-]\d{2}:\d{2})",
    "zz": r"(?P<offset>[+-]\d{2})",
    "z": r"(?P<offset>[+-]\d{1,2})",
    "K": r"(?P<offset>Z|[+-]\d{2}:\d{2})?",
}


def parse_exact(value: str, fmt: str, where: str) -> dt.datetime:
    """DateTime.ParseExact with the invariant culture; an offset converts the result to UTC (the server's zone)."""
    parts: list[str] = []
    seen: set[str] = set()
    for token in _tokens(fmt, where):
        literal = _literal(token)
        if literal is not None:
            parts.append(re.escape(literal))
            continue
        if token[0] in "fF":
            width = f"{len(token)}" if token[0] == "f" else f"0,{len(token)}"  # f: exactly; F: up to
            pattern = "(?P<fraction>\\d{" + width + "})"
        else:
            pattern = _PATTERNS[token]
        name = re.search(r"\?P<(\w+)>", pattern)
        if name and name.group(1) in seen:  # a field written twice: ParseExact would check both agree
            raise NotSimulated(f"{where}: the format {fmt!r} writes a field twice")
        if name:
            seen.add(name.group(1))
        parts.append(pattern)
    match = re.fullmatch(r"\s*" + "".join(parts) + r"\s*", value)
    if not match:
        raise NotSimulated(f"{where}: {value!r} does not match the input format {fmt!r}")
    g = {k: v for k, v in match.groupdict().items() if v is not None}
    if "year" in g:
        year = int(g["year"])
    elif "yy" in g:
        year = int(g["yy"]) + (2000 if int(g["yy"]) < 50 else 1900)  # .NET's default two-digit year window, 1950-2049
    else:
        raise NotSimulated(
            f"{where}: the input format {fmt!r} has no year: .NET then takes the date of the day it runs, which is "
            "not simulated"
        )
    if "monthname" in g:
        month = _MONTHS.index(g["monthname"]) + 1
    elif "monthabbr" in g:
        month = [m[:3] for m in _MONTHS].index(g["monthabbr"]) + 1
    else:
        month = int(g.get("month", 1))
    hour = int(g.get("hour", 0))
    if "hour12" in g:
        hour = int(g["hour12"])  # without an AM/PM designator .NET keeps 12 as 12; with one, 12 AM is 0 (below)
    half = g.get("half") or g.get("half1")
    if half:
        hour = hour % 12 + (12 if half.startswith("P") else 0)
    micro = int((g.get("fraction") or "0").ljust(6, "0")[:6])
    zone = _offset(g.get("offset"))  # none or Z (UTC), +05:30, +05 (zz) or -5 (z)
    try:
        moment = dt.datetime(
            year, month, int(g.get("day", 1)), hour, int(g.get("minute", 0)), int(g.get("second", 0)), micro, zone
        )
    except ValueError as exc:
        raise NotSimulated(f"{where}: {value!r} is not a valid date ({exc})") from None
    return moment.astimezone(UTC)


def format_datetime(moment: dt.datetime, fmt: str, where: str) -> str:
    """DateTime.ToString(fmt) with the invariant culture, for a UTC DateTime."""
    out: list[str] = []
    for token in _tokens(fmt, where):
        literal = _literal(token)
        if literal is not None:
            out.append(literal)
            continue
        if token[0] in "fF":
            digits = f"{moment.microsecond:06d}0"[: len(token)]
            out.append(digits if token[0] == "f" else digits.rstrip("0"))
            continue
        hour12 = moment.hour % 12 or 12
        out.append(
            {
                "yyyy": f"{moment.year:04d}",
                "yy": f"{moment.year % 100:02d}",
                "MMMM": _MONTHS[moment.month - 1],
                "MMM": _MONTHS[moment.month - 1][:3],
                "MM": f"{moment.month:02d}",
                "M": str(moment.month),
                "dddd": _DAYS[moment.weekday()],
                "ddd": _DAYS[moment.weekday()][:3],
                "dd": f"{moment.day:02d}",
                "d": str(moment.day),
                "HH": f"{moment.hour:02d}",
                "H": str(moment.hour),
                "hh": f"{hour12:02d}",
                "h": str(hour12),
                "mm": f"{moment.minute:02d}",
                "m": str(moment.minute),
                "ss": f"{moment.second:02d}",
                "s": str(moment.second),
                "tt": "AM" if moment.hour < 12 else "PM",
                "t": "A" if moment.hour < 12 else "P",
                "zzz": "+00:00",
                "zz": "+00",
                "z": "+0",
                "K": "Z",
            }[token]
        )
    return "".join(out)


# -- the functions ----------------------------------------------------------------------------------------------------


def f_cdate(args: list[Value]) -> Value:
    return as_datetime(args[0], "CDate")


def f_now(args: list[Value], *, clock: Callable[[], dt.datetime]) -> Value:
    return clock().astimezone(UTC).replace(microsecond=0)


def f_date_add(args: list[Value]) -> Value:
    interval = text(args[0], "DateAdd's interval")
    return date_add(interval, number(args[1], "DateAdd's value"), as_datetime(args[2], "DateAdd"))


def f_date_diff(args: list[Value]) -> Value:
    interval = text(args[0], "DateDiff's interval")
    return date_diff(interval, as_datetime(args[1], "DateDiff"), as_datetime(args[2], "DateDiff"))


def f_date_from_num(args: list[Value]) -> Value:
    return from_filetime(number(args[0], "DateFromNum"))


def f_num_from_date(args: list[Value]) -> Value:
    return to_filetime(as_datetime(args[0], "NumFromDate"))


def f_format_datetime(args: list[Value]) -> Value:
    source, styles, input_format, output_format = args
    if styles is not MISSING and styles is not None:
        names = {s.strip().lower() for s in text(styles, "FormatDateTime's dateTimeStyles").split(",")}
        if not names <= _DEFAULT_STYLES:
            raise NotSimulated(f"FormatDateTime: dateTimeStyles {styles!r} is not simulated (only the default)")
    moment = (
        source
        if isinstance(source, dt.datetime)
        else parse_exact(
            text(source, "FormatDateTime's source"),
            text(input_format, "FormatDateTime's inputFormat"),
            "FormatDateTime",
        )
    )
    return format_datetime(moment, text(output_format, "FormatDateTime's outputFormat"), "FormatDateTime")
