"""The text and logic functions of Entra's expression language, one Python function per documented function.

Each follows its section in Microsoft's expression reference (MicrosoftDocs/entra-docs,
functions-for-customizing-application-data.md); the reference's own examples are the tests
(tests/test_simulate_expressions.py). Where the reference leaves a case open (a null source for Append, an IIF
condition on two values that differ only in case, a Split piece with spaces next to the delimiter), the function
raises NotSimulated naming the gap: the simulation reports it per user and never guesses.

`args` holds evaluated values; `MISSING` marks an argument left empty.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from functools import lru_cache

from .diacritics import normalize_diacritics
from .values import MISSING, REFERENCE, NotSimulated, Value, describe, number, text, truth


def _given(value: Value) -> bool:
    return value is not MISSING and value is not None


def _source(value: Value, where: str) -> str:
    if value is None:
        raise NotSimulated(
            f"{where}: the source is null (the attribute is not set); {REFERENCE} does not say what "
            f"{where} returns then"
        )
    return text(value, where)


def f_append(args: list[Value]) -> Value:
    return _source(args[0], "Append") + text(args[1], "Append's suffix")


def f_bit_and(args: list[Value]) -> Value:
    return number(args[0], "BitAnd") & number(args[1], "BitAnd")


def f_cbool(args: list[Value]) -> Value:
    # "If the expression evaluates to a non-zero value, then CBool returns True, else it returns False."
    value = args[0]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        try:
            return int(value.strip()) != 0
        except ValueError:
            return truth(value, "CBool")
    raise NotSimulated(f"CBool of {describe(value)}")


def f_cstr(args: list[Value]) -> Value:
    return _source(args[0], "CStr")


def f_convert_to_base64(args: list[Value]) -> Value:
    # "converts a string to a Unicode base64 string": .NET's Unicode is UTF-16 little-endian ("Hello world!" ->
    # "SABlAGwAbABvACAAdwBvAHIAbABkACEA").
    return base64.b64encode(_source(args[0], "ConvertToBase64").encode("utf-16-le")).decode("ascii")


def f_convert_to_utf8_hex(args: list[Value]) -> Value:
    return _source(args[0], "ConvertToUTF8Hex").encode("utf-8").hex().upper()


def f_count(args: list[Value]) -> Value:
    if isinstance(args[0], list):
        return len(args[0])
    raise NotSimulated(f"Count takes a multi-valued attribute, not {describe(args[0])}")


def f_instr(args: list[Value]) -> Value:
    haystack, needle = _source(args[0], "InStr"), text(args[1], "InStr's value2")
    start = number(args[2], "InStr's start") if _given(args[2]) else 1
    compare = args[3] if _given(args[3]) else "vbBinaryCompare"
    if start < 1:
        raise NotSimulated(f"InStr: start {start} is before the first character")
    if compare == "vbTextCompare":
        haystack, needle = haystack.casefold(), needle.casefold()
    elif compare != "vbBinaryCompare":
        raise NotSimulated(f"InStr: compareType {compare!r} is not vbTextCompare or vbBinaryCompare")
    return haystack.find(needle, start - 1) + 1  # 1-based; 0 when not found


def f_is_null(args: list[Value]) -> Value:
    return args[0] is None


def f_is_null_or_empty(args: list[Value]) -> Value:
    return args[0] is None or args[0] == ""


def f_is_present(args: list[Value]) -> Value:
    return not (args[0] is None or args[0] == "")


def f_is_string(args: list[Value]) -> Value:
    if isinstance(args[0], str):
        return True
    if args[0] is None:
        return False
    raise NotSimulated(f"IsString of {describe(args[0])}: {REFERENCE} does not say")


def f_item(args: list[Value]) -> Value:
    values, index = args[0], number(args[1], "Item's index")
    if not isinstance(values, list):
        raise NotSimulated(f"Item takes a multi-valued attribute, not {describe(values)}")
    if index < 1:
        raise NotSimulated(f"Item: index {index} (the reference says the first item is 1 and 0 shouldn't be used)")
    if index > len(values):
        raise NotSimulated(f"Item: index {index} but the attribute has {len(values)} value(s)")
    return values[index - 1]


def f_join(args: list[Value]) -> Value:
    separator = text(args[0], "Join's separator")
    parts: list[str] = []
    for value in args[1:]:
        # Values that are not set are left out: the reference's `Join(", ", "", [surname], [givenName])` gives
        # "Doe, John", so an empty source adds neither text nor separator.
        for item in value if isinstance(value, list) else [value]:
            if item is None or item is MISSING or item == "":
                continue
            parts.append(text(item, "Join"))
    return separator.join(parts)


def f_left(args: list[Value]) -> Value:
    count = number(args[1], "Left's NumChars")
    if args[0] is None:
        return ""  # "If string is null, return empty string."
    value = text(args[0], "Left")
    return value if count < 0 else value[:count]


def f_mid(args: list[Value]) -> Value:
    value = _source(args[0], "Mid")
    start, length = number(args[1], "Mid's start"), number(args[2], "Mid's length")
    if start < 1 or length < 0:
        raise NotSimulated(f"Mid: start {start} and length {length} (start counts from 1, length is not negative)")
    return value[start - 1 : start - 1 + length]


def f_normalize_diacritics(args: list[Value]) -> Value:
    return normalize_diacritics(_source(args[0], "NormalizeDiacritics"))


def f_not(args: list[Value]) -> Value:
    # "If source value is True, returns False. Otherwise, returns True."
    value = args[0]
    is_true = value is True or (isinstance(value, str) and value.strip().lower() == "true")
    return not is_true


_SEPARATOR_CATEGORIES = frozenset(
    {"Zs", "Zl", "Zp", "Cc", "Cf", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So"}
)


def f_pcase(args: list[Value]) -> Value:
    value = _source(args[0], "PCase")
    custom = text(args[1], "PCase's wordSeparators") if _given(args[1]) else None
    if custom is None and re.search(r"\w['\u2019]\w", value):
        # .NET's ToTitleCase treats an apostrophe inside a word in its own way, which the reference does not give.
        raise NotSimulated("PCase without wordSeparators of a word with an apostrophe in it")

    def separates(char: str) -> bool:
        return char in custom if custom is not None else unicodedata.category(char) in _SEPARATOR_CATEGORIES

    out: list[str] = []
    start = True
    for char in value:
        if separates(char):
            out.append(char)
            start = True
            continue
        out.append(_upper(char) if start else _lower(char))
        start = False
    return "".join(out)


def f_redact(args: list[Value]) -> Value:
    return args[0]  # it only hides the value in the provisioning logs


def f_remove_duplicates(args: list[Value]) -> Value:
    if not isinstance(args[0], list):
        raise NotSimulated(f"RemoveDuplicates takes a multi-valued attribute, not {describe(args[0])}")
    return list(dict.fromkeys(args[0]))


@lru_cache(maxsize=256)
def dotnet_regex(pattern: str) -> re.Pattern[str]:
    """A .NET regular expression in Python's dialect: named groups `(?<name>…)` and back-references `\\k<name>`."""
    converted = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern)
    converted = re.sub(r"\\k<([A-Za-z_]\w*)>", r"(?P=\1)", converted)
    try:
        return re.compile(converted)
    except re.error as exc:
        raise NotSimulated(
            f"the regular expression {pattern!r} is not one Python's re reads the same way ({exc})"
        ) from None


def _dotnet_replacement(value: str) -> str:
    """A .NET substitution string (`${name}`, `$1`, `$$`) as a Python replacement template."""
    out = value.replace("\\", "\\\\")
    out = re.sub(r"\$\{([A-Za-z_]\w*)\}", r"\\g<\1>", out)
    out = re.sub(r"\$(\d+)", r"\\g<\1>", out)
    out = out.replace("$&", r"\g<0>")
    return out.replace("$$", "$")


def f_replace(args: list[Value]) -> Value:
    source, old, pattern, group, replacement, attribute, template = args
    given = {
        name
        for name, value in zip(
            ("old", "pattern", "group", "replacement", "attribute", "template"),
            (old, pattern, group, replacement, attribute, template),
            strict=True,
        )
        if value is not MISSING
    }
    if given == {"pattern", "group", "attribute"}:
        # "If source has a value, source is returned; if not, the regexPattern is applied to the
        # replacementAttributeName and the value matching regexGroupName is returned."
        if source not in (None, ""):
            return text(source, "Replace")
        if attribute in (None, ""):
            raise NotSimulated("Replace: neither the source nor the replacement attribute has a value")
        found = dotnet_regex(text(pattern, "Replace's regexPattern")).search(text(attribute, "Replace"))
        if not found:
            raise NotSimulated("Replace: the pattern does not match the replacement attribute")
        return found.group(text(group, "Replace's regexGroupName"))
    value = _source(source, "Replace")
    if given == {"old", "replacement"}:
        return value.replace(text(old, "Replace's oldValue"), text(replacement, "Replace's replacementValue"))
    if given == {"old", "template"}:
        return text(template, "Replace's template").replace(text(old, "Replace's oldValue"), value)
    if given == {"pattern", "replacement"}:
        regex = dotnet_regex(text(pattern, "Replace's regexPattern"))
        return regex.sub(_dotnet_replacement(text(replacement, "Replace's replacementValue")), value)
    if given == {"pattern", "group", "replacement"}:
        regex, name = dotnet_regex(text(pattern, "Replace's regexPattern")), text(group, "Replace's regexGroupName")
        new = text(replacement, "Replace's replacementValue")
        pieces, last = [], 0
        for found in regex.finditer(value):
            if found.group(name) is None:
                continue
            pieces += [value[last : found.start(name)], new]
            last = found.end(name)
        return "".join(pieces) + value[last:]
    raise NotSimulated(
        f"Replace with {', '.join(sorted(given)) or 'no'} parameters: not one of the combinations the reference "
        "describes"
    )


def f_split(args: list[Value]) -> Value:
    value, delimiter = _source(args[0], "Split"), text(args[1], "Split's delimiter")
    if not delimiter:
        raise NotSimulated("Split with an empty delimiter")
    pieces = value.split(delimiter)
    if any(p != p.strip() for p in pieces):
        # The reference's example splits "PermissionSetOne, PermissionSetTwo" on "," into "PermissionSetTwo" without
        # its leading space, though the description only splits: which one the service does is not known.
        raise NotSimulated(
            "Split: a piece has spaces next to the delimiter, and the reference is unclear whether they are kept"
        )
    return pieces


def f_strip_spaces(args: list[Value]) -> Value:
    return _source(args[0], "StripSpaces").replace(" ", "")


def _upper(char: str) -> str:
    # .NET maps case one character to one (simple case mapping): "ß".ToUpper() stays "ß", where Python's "SS".
    upper = char.upper()
    return upper if len(upper) == 1 else char


def _lower(char: str) -> str:
    lower = char.lower()
    return lower if len(lower) == 1 else char


DOTLESS_I, DOTTED_I = "\u0131", "\u0130"  # Turkic casing: I <-> dotless i, dotted I <-> i


def _culture(args: list[Value], where: str) -> str:
    if not _given(args[1]):
        return ""
    culture = text(args[1], where).strip().lower()
    return culture.split("-", 1)[0]


def f_to_lower(args: list[Value]) -> Value:
    value, language = _source(args[0], "ToLower"), _culture(args, "ToLower's culture")
    if language in ("tr", "az"):  # Turkic cultures: I -> dotless i, dotted I -> i
        value = value.replace("I", DOTLESS_I).replace(DOTTED_I, "i")
    return value.lower() if value.isascii() else "".join(_lower(c) for c in value)


def f_to_upper(args: list[Value]) -> Value:
    value, language = _source(args[0], "ToUpper"), _culture(args, "ToUpper's culture")
    if language in ("tr", "az"):
        value = value.replace("i", DOTTED_I).replace(DOTLESS_I, "I")
    return value.upper() if value.isascii() else "".join(_upper(c) for c in value)


def f_word(args: list[Value]) -> Value:
    which = number(args[1], "Word's WordNumber")
    delimiters = text(args[2], "Word's delimiters")
    if args[0] is None or which < 1:
        return ""  # "If number < 1, returns empty string. If string is null, returns empty string."
    value = text(args[0], "Word")
    if not delimiters or not any(d in value for d in delimiters):
        # "…or string doesn't contain any words identified by delimiters, an empty string is returned": whether a
        # text without any delimiter is one word or none is not clear from that sentence.
        raise NotSimulated(f"Word: {value!r} contains none of the delimiters {delimiters!r}")
    words = [w for w in re.split("[" + re.escape(delimiters) + "]", value) if w]
    return words[which - 1] if which <= len(words) else ""
