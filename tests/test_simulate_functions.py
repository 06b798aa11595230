"""Each function of Entra's expression language at its edges: the result a mapping gets, and, where the reference
leaves the case open, the reason a user reads in the simulation's report ("not simulated: <reason>"), word for word.
The reference's own examples are in test_simulate_expressions.py; these pin what lies between and around them."""

from __future__ import annotations

import datetime as dt

import pytest

from provisioning_cycle.evaluate import Evaluator
from provisioning_cycle.values import DROPPED, MISSING, NotSimulated, text
from tests.simulate_support import case_id

CLOCK = dt.datetime(2021, 7, 2, 15, 33, 38, tzinfo=dt.UTC)
NULL = "received a null value; Microsoft's expression reference does not say what it does then"
SEVERAL = "received several values (a multi-valued attribute) where it takes one"


def source_null(function: str) -> str:
    return (
        f"{function}: the source is null (the attribute is not set); Microsoft's expression reference does not say "
        f"what {function} returns then"
    )


def run(expression: str, **attrs):
    value = Evaluator(clock=lambda: CLOCK).compile(expression)(attrs)
    return text(value, "test") if isinstance(value, dt.datetime | bool) else value


RESULTS = [
    # CBool: "non-zero" is true, for numbers and for text of digits
    ("CBool(0)", {}, "False"),
    ("CBool(1)", {}, "True"),
    ("CBool(2)", {}, "True"),
    ('CBool("0")', {}, "False"),
    ('CBool(" 1 ")', {}, "True"),
    ('CBool("true")', {}, "True"),
    ("CBool([flag])", {"flag": False}, "False"),
    # Count
    ("Count([proxyAddresses])", {"proxyAddresses": ["a", "b", "a"]}, 3),
    # InStr: 1-based, the first match from start on, 0 when absent; vbTextCompare ignores case
    ('InStr("abab", "a")', {}, 1),
    ('InStr("abab", "b")', {}, 2),
    ('InStr("abab", "b", 2)', {}, 2),
    ('InStr("abab", "b", 3)', {}, 4),
    ('InStr("abab", "c")', {}, 0),
    ('InStr("ABAB", "b", 1, vbTextCompare)', {}, 2),
    ('InStr("ABAB", "b", 1, vbBinaryCompare)', {}, 0),
    ('InStr("ABAB", "b", , vbTextCompare)', {}, 2),
    # IsPresent / IsString
    ("IsPresent([a])", {"a": ""}, "False"),
    ("IsPresent([a])", {}, "False"),
    ("IsString([a])", {}, "False"),
    # Item: the last item is its count
    ("Item([proxyAddresses], 2)", {"proxyAddresses": ["a", "b"]}, "b"),
    ('Item([proxyAddresses], "1")', {"proxyAddresses": ["a", "b"]}, "a"),
    # Join: a multi-valued attribute joins its values; values that are not set add nothing, wherever they are
    ('Join(",", [proxyAddresses])', {"proxyAddresses": ["a", "", "b"]}, "a,b"),
    ('Join(",", [a], "x", , "y")', {}, "x,y"),
    ('Join("", 1, [flag])', {"flag": True}, "1True"),
    # Mid: a length of 0 is the empty text
    ('Mid("abc", 1, 0)', {}, ""),
    ('Mid("abc", 2, 5)', {}, "bc"),
    # PCase: wordSeparators replace the default separators, they do not add to them
    ('PCase("hello world-wide", "-")', {}, "Hello world-Wide"),
    ('PCase("hello world-wide")', {}, "Hello World-Wide"),
    ('PCase("o\'neil", "\'")', {}, "O'Neil"),
    # RemoveDuplicates keeps the first of each
    ("RemoveDuplicates([proxyAddresses])", {"proxyAddresses": ["b", "a", "b"]}, ["b", "a"]),
    # Replace: .NET substitutions ($1, ${name}, $&, $$; a backslash is itself) and every match of a named group
    ('Replace("ab", , "(a)(b)", , "$2$1", , )', {}, "ba"),
    ('Replace("ab", , "(?<X>a)", , "[${X}]", , )', {}, "[a]b"),
    ('Replace("ab", , "a", , "<$&>", , )', {}, "<a>b"),
    ('Replace("ab", , "a", , "$$", , )', {}, "$b"),
    ('Replace("ab", , "a", , "\\\\", , )', {}, "\\b"),
    ('Replace("a1b2", , "(?<d>\\\\d)", "d", "#", , )', {}, "a#b#"),
    ('Replace("x1x", , "(?<d>\\\\d)?x", "d", "#", , )', {}, "x#x"),  # a match without the group changes nothing
    ('Replace([s], , "(?<d>\\\\d+)", "d", , [m], )', {"s": "kept", "m": "tel 42"}, "kept"),
    # StripSpaces only removes spaces
    ('StripSpaces(" a\tb ")', {}, "a\tb"),
    # ToLower / ToUpper: Turkic cultures map I and i in their own way, others as the invariant culture
    ('ToLower("ISTANBUL İ", "tr-TR")', {}, "\u0131stanbul i"),
    ('ToLower("IZMIR", "az-Latn-AZ")', {}, "\u0131zm\u0131r"),
    ('ToLower("IZMIR", "en-US")', {}, "izmir"),
    ('ToLower("ÀÉ Z")', {}, "àé z"),
    ('ToLower("ABC")', {}, "abc"),
    ('ToUpper("\u0131i", "TR")', {}, "Iİ"),
    ('ToUpper("izmir", "az")', {}, "İZMİR"),
    ('ToUpper("abc")', {}, "ABC"),
    ('ToUpper("àé z")', {}, "ÀÉ Z"),
    # Word: numbers below 1 and null text give the empty text; a number past the last word too
    ('Word("a b", 2, " ")', {}, "b"),
    ('Word("a b", 3, " ")', {}, ""),
    ('Word("a b", 0, " ")', {}, ""),
    ('Word([a], 1, " ")', {}, ""),
    ('Word("a,,b", 2, ",")', {}, "b"),
    # A condition reads True / False as .NET's Boolean.Parse does: either case, spaces around
    ('IIF(" FALSE ", "yes", "no")', {}, "no"),
    ('IIF("false", "yes", "no")', {}, "no"),
    ('IIF(" true", "yes", "no")', {}, "yes"),
    # NormalizeDiacritics: the longest entry of the table first; what is not a letter with a diacritic stays
    ('NormalizeDiacritics("\u0100\u0301dam")', {}, "Adam"),
    ('NormalizeDiacritics("\u20ac \u65e5\u672c")', {}, "\u20ac \u65e5\u672c"),
    ('NormalizeDiacritics("a\ue000")', {}, "a\ue000"),  # a character without a Unicode name (private use) too
    # Switch and Coalesce over the values a snapshot holds
    ('Coalesce([a], "", "x")', {}, ""),
]


@pytest.mark.parametrize(("expression", "attrs", "expected"), RESULTS, ids=[case_id(f"{c[0]} {c[1]}") for c in RESULTS])
def test_a_function_at_its_edges(expression, attrs, expected):
    assert run(expression, **attrs) == expected


REASONS = [
    ('Append([a], "x")', {}, source_null("Append")),
    ('Append("a", [b])', {}, f"Append's suffix {NULL}"),
    ("BitAnd([a], 1)", {"a": "x"}, "BitAnd takes a whole number, not 'x'"),
    ("BitAnd(1, [b])", {"b": "y"}, "BitAnd takes a whole number, not 'y'"),
    ('CBool("maybe")', {}, "CBool needs a condition that is true or false, not 'maybe'"),
    ("CBool([a])", {}, "CBool of a null value"),
    ("CBool([proxyAddresses])", {"proxyAddresses": ["a"]}, "CBool of several values"),
    ("ConvertToBase64([a])", {}, source_null("ConvertToBase64")),
    ("ConvertToUTF8Hex([a])", {}, source_null("ConvertToUTF8Hex")),
    ("Count([a])", {"a": "x"}, "Count takes a multi-valued attribute, not 'x'"),
    ("CStr([a])", {}, source_null("CStr")),
    ('Append([proxyAddresses], "x")', {"proxyAddresses": ["a"]}, f"Append {SEVERAL}"),
    ("NormalizeDiacritics([a])", {}, source_null("NormalizeDiacritics")),
    (
        "NormalizeDiacritics([a])",
        {"a": "\u0111"},
        "NormalizeDiacritics: '\u0111' (U+0111) is not in the table of Microsoft's expression reference",
    ),
    (
        "NormalizeDiacritics([a])",
        {"a": "\u03ac"},
        "NormalizeDiacritics: '\u03ac' (U+03AC) is not in the table of Microsoft's expression reference",
    ),  # a Greek letter with an accent: not guessed either
    (
        "NormalizeDiacritics([a])",
        {"a": "x\u0301"},
        "NormalizeDiacritics: '\u0301' (U+0301) is not in the table of Microsoft's expression reference",
    ),  # a combining mark the table does not compose
    (
        'Replace([s], , "x", "g", , [m], )',
        {"s": ""},
        "Replace: neither the source nor the replacement attribute has a value",
    ),
    ('Replace([s], , "x", "g", , "", )', {}, "Replace: neither the source nor the replacement attribute has a value"),
    (
        'Replace([s], , "x", "g", , [m], )',
        {"m": "abc"},
        "Replace: the pattern does not match the replacement attribute",
    ),
    ('Replace([s], , "x", "g", , [m], )', {"s": ["a"]}, f"Replace {SEVERAL}"),
    ('Replace([s], , [p], "g", , [m], )', {"m": "abc"}, f"Replace's regexPattern {NULL}"),
    ('Replace([s], , "(?<g>b)", [g], , [m], )', {"m": "abc"}, f"Replace's regexGroupName {NULL}"),
    ('Replace([s], , "b", "g", , [m], )', {"m": ["abc"]}, f"Replace {SEVERAL}"),
    ('Replace("abc", [o], , , "x", , )', {}, f"Replace's oldValue {NULL}"),
    ('Replace("abc", "b", , , [r], , )', {}, f"Replace's replacementValue {NULL}"),
    ('Replace("abc", [o], , , , , "t")', {}, f"Replace's oldValue {NULL}"),
    ('Replace("abc", "b", , , , , [t])', {}, f"Replace's template {NULL}"),
    ('Replace("abc", , [p], , "x", , )', {}, f"Replace's regexPattern {NULL}"),
    ('Replace("abc", , "b", , [r], , )', {}, f"Replace's replacementValue {NULL}"),
    ('Replace("abc", , [p], "g", "x", , )', {}, f"Replace's regexPattern {NULL}"),
    ('Replace("abc", , "(?<g>b)", [g], "x", , )', {}, f"Replace's regexGroupName {NULL}"),
    ('Replace("abc", , "(?<g>b)", "g", [r], , )', {}, f"Replace's replacementValue {NULL}"),
    (
        'Replace("abc", "a", "b", , , , )',
        {},
        "Replace with old, pattern parameters: not one of the combinations the reference describes",
    ),
    (
        'Replace("abc", , , , , , )',
        {},
        "Replace with no parameters: not one of the combinations the reference describes",
    ),
    ('Count(CDate("2021-01-01"))', {}, "Count takes a multi-valued attribute, not the DateTime 1/1/2021 12:00:00 AM"),
    ('Left("abc", )', {}, "Left's NumChars takes a number, not an empty argument"),
    ('Left("abc", [n])', {"n": True}, "Left's NumChars takes a number, not a Boolean"),
    ('Left("abc", [n])', {}, "Left's NumChars takes a number, not a null value"),
    ('InStr([a], "b")', {}, source_null("InStr")),
    ('InStr("abc", [b])', {}, f"InStr's value2 {NULL}"),
    ('InStr("abc", "b", "x")', {}, "InStr's start takes a whole number, not 'x'"),
    ('InStr("abc", "b", 0)', {}, "InStr: start 0 is before the first character"),
    ('InStr("abc", "b", 1, "x")', {}, "InStr: compareType 'x' is not vbTextCompare or vbBinaryCompare"),
    (
        "IsString([proxyAddresses])",
        {"proxyAddresses": ["a"]},
        "IsString of several values: Microsoft's expression reference does not say",
    ),
    ("Item([a], 1)", {"a": "x"}, "Item takes a multi-valued attribute, not 'x'"),
    ('Item([proxyAddresses], "x")', {"proxyAddresses": ["a"]}, "Item's index takes a whole number, not 'x'"),
    ("Item([proxyAddresses], 3)", {"proxyAddresses": ["a", "b"]}, "Item: index 3 but the attribute has 2 value(s)"),
    ('Join([a], "x", "y")', {}, f"Join's separator {NULL}"),
    ("Left([proxyAddresses], 1)", {"proxyAddresses": ["a"]}, f"Left {SEVERAL}"),
    ('Left("abc", "x")', {}, "Left's NumChars takes a whole number, not 'x'"),
    ("Mid([a], 1, 1)", {}, source_null("Mid")),
    ('Mid("abc", "x", 1)', {}, "Mid's start takes a whole number, not 'x'"),
    ('Mid("abc", 1, "y")', {}, "Mid's length takes a whole number, not 'y'"),
    ('Mid("abc", 1, -1)', {}, "Mid: start 1 and length -1 (start counts from 1, length is not negative)"),
    ("PCase([a])", {}, source_null("PCase")),
    ('PCase("JOHN O\'NEIL")', {}, "PCase without wordSeparators of a word with an apostrophe in it"),
    ('PCase("JOHN O\u2019NEIL")', {}, "PCase without wordSeparators of a word with an apostrophe in it"),
    ('PCase("a", [proxyAddresses])', {"proxyAddresses": ["a"]}, f"PCase's wordSeparators {SEVERAL}"),
    ("RemoveDuplicates([a])", {"a": "x"}, "RemoveDuplicates takes a multi-valued attribute, not 'x'"),
    ('Split([a], ",")', {}, source_null("Split")),
    ('Split("a,b", [b])', {}, f"Split's delimiter {NULL}"),
    ('Split("a,b", "")', {}, "Split with an empty delimiter"),
    (
        'Split("a ,b", ",")',
        {},
        "Split: a piece has spaces next to the delimiter, and the reference is unclear whether they are kept",
    ),
    ("StripSpaces([a])", {}, source_null("StripSpaces")),
    ("ToLower([a])", {}, source_null("ToLower")),
    ('ToLower("A", [proxyAddresses])', {"proxyAddresses": ["tr"]}, f"ToLower's culture {SEVERAL}"),
    ("ToUpper([a])", {}, source_null("ToUpper")),
    ('ToUpper("a", [proxyAddresses])', {"proxyAddresses": ["tr"]}, f"ToUpper's culture {SEVERAL}"),
    ('Word("a b", 1, [d])', {}, f"Word's delimiters {NULL}"),
    ('Word([proxyAddresses], 1, " ")', {"proxyAddresses": ["a b"]}, f"Word {SEVERAL}"),
    ('Word("a b", "x", " ")', {}, "Word's WordNumber takes a whole number, not 'x'"),
]


@pytest.mark.parametrize(("expression", "attrs", "reason"), REASONS, ids=[case_id(f"{c[0]} {c[1]}") for c in REASONS])
def test_the_reason_a_function_gives_when_the_reference_leaves_the_case_open(expression, attrs, reason):
    with pytest.raises(NotSimulated) as caught:
        Evaluator(clock=lambda: CLOCK).compile(expression)(attrs)
    assert str(caught.value) == reason


def test_a_failing_assertion_names_the_two_markers_readably():
    assert (repr(DROPPED), repr(MISSING)) == ("DROPPED", "MISSING")
