"""The date functions at their edges: every .NET format token FormatDateTime writes and reads, CDate's three forms
and their boundaries (12 AM and 12 PM, fractions, offsets), DateAdd's month clamping and its year range, DateDiff's
calendar weeks, AD dates to the tick; and, where .NET would refuse or the reference is silent, the reason a user reads,
word for word. The reference's own examples are in test_simulate_expressions.py."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from provisioning_cycle.evaluate import Evaluator
from provisioning_cycle.values import NotSimulated, text
from tests.simulate_support import case_id

CLOCK = dt.datetime(2021, 7, 2, 15, 33, 38, 250_000, tzinfo=dt.UTC)
NULL = "received a null value; Microsoft's expression reference does not say what it does then"
FORMS = "(simulated forms: ISO 8601 such as 2009-06-15T01:45:30-07:00, 2020-03-16-07:00, and M/d/yyyy h:mm:ss tt)"


def run(expression: str, **attrs):
    value = Evaluator(clock=lambda: CLOCK).compile(expression)(attrs)
    return text(value, "test") if isinstance(value, dt.datetime | bool) else value


def written(moment: str, fmt: str) -> str:
    """FormatDateTime of a DateTime (CDate of `moment`) with the output format `fmt`."""
    return run(f'FormatDateTime(CDate([d]), , "", "{fmt}")', d=moment)


def read(value: str, fmt: str) -> str:
    """FormatDateTime of a text read with the input format `fmt`, written back in full."""
    return run(f'FormatDateTime([s], , "{fmt}", "yyyy-MM-dd HH:mm:ss.fffffff")', s=value)


@pytest.mark.parametrize(
    ("moment", "fmt", "expected"),
    [
        (
            "2009-06-05T03:04:05.06Z",
            "yyyy yy MMMM MMM MM M dddd ddd dd d HH H hh h mm m ss s",
            "2009 09 June Jun 06 6 Friday Fri 05 5 03 3 03 3 04 4 05 5",
        ),
        (
            "2009-06-05T03:04:05.06Z",
            "fffffff FFFFFFF fff FFF f F tt t zzz zz z K",
            "0600000 06 060 06 0  AM A +00:00 +00 +0 Z",
        ),
        ("2009-12-25T15:07:08Z", "hh h tt t HH H", "03 3 PM P 15 15"),
        ("2009-12-25T12:00:00Z", "hh h tt t", "12 12 PM P"),
        ("2009-12-25T00:00:00Z", "hh h tt t H F", "12 12 AM A 0 "),
        ("2009-12-25T11:59:59Z", "tt t", "AM A"),
        ("1999-11-30T00:00:00Z", "yy MMMM MMM dddd ddd", "99 November Nov Tuesday Tue"),
        # literals: quoted text, an escaped character, anything that is not a token
        ("2009-12-25T00:00:00Z", "yyyy'-at-'HH \\\\T \\\"MM\\\"", "2009-at-00 T MM"),
        ("2009-12-25T00:00:00Z", "yyyyXMM", "2009X12"),
    ],
    ids=case_id,
)
def test_formatdatetime_writes_each_token_as_dotnet_does(moment, fmt, expected):
    assert written(moment, fmt) == expected


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        ("June 5, 2009", "MMMM d, yyyy", "2009-06-05 00:00:00.0000000"),
        ("Nov 05 09", "MMM dd yy", "2009-11-05 00:00:00.0000000"),
        ("49", "yy", "2049-01-01 00:00:00.0000000"),  # .NET's two-digit years: 1950 to 2049
        ("50", "yy", "1950-01-01 00:00:00.0000000"),
        ("2009 7 3 9 8 7", "yyyy M d H m s", "2009-07-03 09:08:07.0000000"),
        ("2009 12:30 AM", "yyyy hh:mm tt", "2009-01-01 00:30:00.0000000"),
        ("2009 12:30 PM", "yyyy hh:mm tt", "2009-01-01 12:30:00.0000000"),
        ("2009 01:30 PM", "yyyy hh:mm tt", "2009-01-01 13:30:00.0000000"),
        ("2009 12", "yyyy hh", "2009-01-01 12:00:00.0000000"),  # no designator: 12 stays 12
        ("2009 3 P", "yyyy h t", "2009-01-01 15:00:00.0000000"),
        ("2009 3 A", "yyyy h t", "2009-01-01 03:00:00.0000000"),
        ("2009 05.123", "yyyy ss.fff", "2009-01-01 00:00:05.1230000"),
        ("2009 05.1234567", "yyyy ss.fffffff", "2009-01-01 00:00:05.1234560"),  # to the microsecond
        ("2009 05.1", "yyyy ss.FFF", "2009-01-01 00:00:05.1000000"),
        ("2009 05.", "yyyy ss.FFF", "2009-01-01 00:00:05.0000000"),
        ("2009-06-05T03:04:05+05:30", "yyyy-MM-ddTHH:mm:sszzz", "2009-06-04 21:34:05.0000000"),
        ("2009-06-05 03 +05", "yyyy-MM-dd HH zz", "2009-06-04 22:00:00.0000000"),
        ("2009-06-05 03 -5", "yyyy-MM-dd HH z", "2009-06-05 08:00:00.0000000"),
        ("2009-06-05 03Z", "yyyy-MM-dd HHK", "2009-06-05 03:00:00.0000000"),
        ("2009-06-05 03+02:00", "yyyy-MM-dd HHK", "2009-06-05 01:00:00.0000000"),
        ("2009-06-05 03", "yyyy-MM-dd HHK", "2009-06-05 03:00:00.0000000"),
        ("Friday 2009 06 05", "dddd yyyy MM dd", "2009-06-05 00:00:00.0000000"),
        ("Fri 2009", "ddd yyyy", "2009-01-01 00:00:00.0000000"),
        ("  2009 ", "yyyy", "2009-01-01 00:00:00.0000000"),
        ("2009T", "yyyy'T'", "2009-01-01 00:00:00.0000000"),
        ("2009T", "yyyy\\\\T", "2009-01-01 00:00:00.0000000"),
    ],
    ids=case_id,
)
def test_formatdatetime_reads_each_token_as_dotnet_parseexact_does(value, fmt, expected):
    assert read(value, fmt) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('CDate("2009-06-15T01:45+0530")', "6/14/2009 8:15:00 PM"),
        ('CDate("2009-06-15 01:45:30-07:00")', "6/15/2009 8:45:30 AM"),
        ('CDate("6/15/2009 1:45:30 PM")', "6/15/2009 1:45:30 PM"),
        ('CDate("6/15/2009 12:00:00 AM")', "6/15/2009 12:00:00 AM"),
        ('CDate("6/15/2009 12:05 PM")', "6/15/2009 12:05:00 PM"),
        ('CDate("6/15/2009 13:05")', "6/15/2009 1:05:00 PM"),
        ('CDate("6/15/2009")', "6/15/2009 12:00:00 AM"),
        ('FormatDateTime(CDate("2009-06-15T01:45:30.5Z"), , "", "fffffff")', "5000000"),
        ('FormatDateTime(CDate("2009-06-15T01:45:30.1234567Z"), , "", "fffffff")', "1234560"),
        ('DateAdd("d", 1, "2021-01-01")', "1/2/2021 12:00:00 AM"),  # a date string is read as CDate reads it
        # DateAdd: months keep the day, clamped to the month's last; the years 1 to 9999 are .NET's range
        ('DateAdd("m", 1, CDate("2021-01-31"))', "2/28/2021 12:00:00 AM"),
        ('DateAdd("m", 1, CDate("2024-01-31"))', "2/29/2024 12:00:00 AM"),
        ('DateAdd("m", -1, CDate("2021-03-31"))', "2/28/2021 12:00:00 AM"),
        ('DateAdd("yyyy", 7978, CDate("2021-01-01"))', "1/1/9999 12:00:00 AM"),
        ('DateAdd("yyyy", -2020, CDate("2021-01-01"))', "1/1/1 12:00:00 AM"),
        ('DateAdd("h", 2, CDate("2021-01-01"))', "1/1/2021 2:00:00 AM"),
        ('DateAdd("n", 2, CDate("2021-01-01"))', "1/1/2021 12:02:00 AM"),
        ('DateAdd("s", 2, CDate("2021-01-01"))', "1/1/2021 12:00:02 AM"),
        # DateDiff: calendar weeks start on Sunday; whole units truncate toward zero
        ('DateDiff("ww", CDate("2021-07-03"), CDate("2021-07-04"))', 1),
        ('DateDiff("ww", CDate("2021-07-04"), CDate("2021-07-10"))', 0),
        ('DateDiff("ww", CDate("2021-07-04"), CDate("2021-07-11"))', 1),
        ('DateDiff("h", CDate("2021-07-04T10:00:00Z"), CDate("2021-07-04T08:30:00Z"))', -1),
        # AD dates count 100-nanosecond ticks: a microsecond is ten
        ('FormatDateTime(DateFromNum(129699324000000019), , "", "fffffff")', "0000010"),
        ('NumFromDate("2009-06-15T01:45:30.5Z")', 128895039305000000),
        ('NumFromDate("2009-06-15T01:45:30.000001Z")', 128895039300000010),
        # Now() is the simulation's start, to the second
        ('FormatDateTime(Now(), , "", "yyyy-MM-dd HH:mm:ss.fffffff")', "2021-07-02 15:33:38.0000000"),
        ('FormatDateTime("2009", "None, AllowWhiteSpaces", "yyyy", "yyyy")', "2009"),
        (
            'FormatDateTime("2009", ",None,RoundtripKind,AllowLeadingWhite,AllowTrailingWhite,AllowWhiteSpaces", '
            '"yyyy", "yyyy")',
            "2009",
        ),
        ('FormatDateTime("2009", [styles], "yyyy", "yyyy")', "2009"),  # a null dateTimeStyles is the default
    ],
    ids=case_id,
)
def test_a_date_function_at_its_edges(expression, expected):
    assert run(expression) == expected


def test_dates_do_not_depend_on_the_machines_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        assert run('CDate("2009-06-15T01:45:30-07:00")') == "6/15/2009 8:45:30 AM"
        assert run('FormatDateTime("2009-06-05 03", , "yyyy-MM-dd HH", "yyyy-MM-dd HH:mm")') == "2009-06-05 03:00"
        now = Evaluator(clock=lambda: dt.datetime(2021, 7, 2, 21, 3, 38, tzinfo=dt.timezone(dt.timedelta(hours=5.5))))
        assert text(now.compile("Now()")({}), "test") == "7/2/2021 3:33:38 PM"
    finally:
        monkeypatch.undo()
        time.tzset()


REASONS = [
    ('CDate("2009-02-30")', {}, "CDate: '2009-02-30' is not a valid date (day is out of range for month)"),
    ('CDate("2/30/2009")', {}, "CDate: '2/30/2009' is not a valid date (day is out of range for month)"),
    ('CDate("tomorrow")', {}, f"CDate: cannot read 'tomorrow' as a date here {FORMS}"),
    ("CDate([a])", {"a": True}, "CDate needs a DateTime (wrap a date string in CDate()), not True"),
    ("CDate([a])", {}, "CDate needs a DateTime (wrap a date string in CDate()), not a null value"),
    (
        "NumFromDate([a])",
        {"a": ["x"]},
        "NumFromDate needs a DateTime (wrap a date string in CDate()), not several values",
    ),
    ('NumFromDate("bad")', {}, f"NumFromDate: cannot read 'bad' as a date here {FORMS}"),
    ('DateAdd("yyyy", 7979, CDate("2021-01-01"))', {}, "DateAdd: the result falls outside the years 1 to 9999 (10000)"),
    ('DateAdd("yyyy", -2021, CDate("2021-01-01"))', {}, "DateAdd: the result falls outside the years 1 to 9999 (0)"),
    ('DateAdd("d", 4000000, CDate("2021-01-01"))', {}, "DateAdd: the result falls outside the years 1 to 9999"),
    ('DateAdd("q", 2, CDate("2021-01-01"))', {}, "DateAdd: interval 'q' is not one of yyyy, m, d, ww, h, n, s"),
    ('DateAdd("d", "x", CDate("2021-01-01"))', {}, "DateAdd's value takes a whole number, not 'x'"),
    ('DateAdd([i], 1, CDate("2021-01-01"))', {}, f"DateAdd's interval {NULL}"),
    ('DateAdd("d", 1, "bad")', {}, f"DateAdd: cannot read 'bad' as a date here {FORMS}"),
    (
        'DateDiff("q", CDate("2021-07-03"), CDate("2021-07-04"))',
        {},
        "DateDiff: interval 'q' is not one of yyyy, m, d, ww, h, n, s",
    ),
    ('DateDiff([i], CDate("2021-07-03"), CDate("2021-07-04"))', {}, f"DateDiff's interval {NULL}"),
    ('DateDiff("d", "bad", CDate("2021-07-04"))', {}, f"DateDiff: cannot read 'bad' as a date here {FORMS}"),
    ('DateDiff("d", CDate("2021-07-04"), "worse")', {}, f"DateDiff: cannot read 'worse' as a date here {FORMS}"),
    ("DateFromNum(999999999999999999999)", {}, "DateFromNum: 999999999999999999999 is not an AD date"),
    ('DateFromNum("x")', {}, "DateFromNum takes a whole number, not 'x'"),
    (
        'FormatDateTime("2009", "AdjustToUniversal", "yyyy", "yyyy")',
        {},
        "FormatDateTime: dateTimeStyles 'AdjustToUniversal' is not simulated (only the default)",
    ),
    (
        'FormatDateTime("2009", "None AllowWhiteSpaces", "yyyy", "yyyy")',
        {},
        "FormatDateTime: dateTimeStyles 'None AllowWhiteSpaces' is not simulated (only the default)",
    ),
    (
        'FormatDateTime("2009", [st], "yyyy", "yyyy")',
        {"st": ["a"]},
        "FormatDateTime's dateTimeStyles received several values (a multi-valued attribute) where it takes one",
    ),
    ('FormatDateTime([s], , "yyyy", "yyyy")', {}, f"FormatDateTime's source {NULL}"),
    ('FormatDateTime("2009", , [f], "yyyy")', {}, f"FormatDateTime's inputFormat {NULL}"),
    ('FormatDateTime("2009", , "yyyy", [f])', {}, f"FormatDateTime's outputFormat {NULL}"),
    ('FormatDateTime("2009", , "yyyy")', {}, "FormatDateTime's outputFormat is left empty"),
    (
        'FormatDateTime("2009 2009", , "yyyy yyyy", "yyyy")',
        {},
        "FormatDateTime: the format 'yyyy yyyy' writes a field twice",
    ),
    (
        'FormatDateTime("2009", , "yyyyMMdd", "yyyy")',
        {},
        "FormatDateTime: '2009' does not match the input format 'yyyyMMdd'",
    ),
    (  # f: exactly as many digits, F: up to as many
        'FormatDateTime("2009 05.1", , "yyyy ss.ff", "yyyy")',
        {},
        "FormatDateTime: '2009 05.1' does not match the input format 'yyyy ss.ff'",
    ),
    (
        'FormatDateTime("20090230", , "yyyyMMdd", "yyyy")',
        {},
        "FormatDateTime: '20090230' is not a valid date (day is out of range for month)",
    ),
    (
        'FormatDateTime("12:30 AM", , "hh:mm tt", "HH")',
        {},
        "FormatDateTime: the input format 'hh:mm tt' has no year: "
        ".NET then takes the date of the day it runs, which is not simulated",
    ),
    (
        'FormatDateTime("2009", , "yyyy\'", "yyyy")',
        {},
        "FormatDateTime: the format \"yyyy'\" opens a quote (') it does not close",
    ),
    (
        'FormatDateTime(CDate("2009-01-01"), , "", "yyyy\\"")',
        {},
        "FormatDateTime: the format 'yyyy\"' opens a quote (\") it does not close",
    ),
    (
        'FormatDateTime("2009", , "yyyy", "yyyy\\\\")',
        {},
        "FormatDateTime: the format 'yyyy\\\\' ends with a backslash, which escapes nothing",
    ),
    (
        'FormatDateTime("2009", , "yyyy", "y")',
        {},
        "FormatDateTime: 'y' is a standard .NET format whose result depends on a culture",
    ),
]


@pytest.mark.parametrize(("expression", "attrs", "reason"), REASONS, ids=[case_id(f"{c[0]} {c[1]}") for c in REASONS])
def test_the_reason_a_date_function_gives_when_it_cannot_say(expression, attrs, reason):
    with pytest.raises(NotSimulated) as caught:
        Evaluator(clock=lambda: CLOCK).compile(expression)(attrs)
    assert str(caught.value) == reason
