"""NormalizeDiacritics, exactly as the table in Microsoft's expression reference gives it.

Source: MicrosoftDocs/entra-docs functions-for-customizing-application-data.md, "NormalizeDiacritics": each row maps
characters with diacritics (some written as a letter plus combining marks) to a plain letter or two. Text is compared
in Unicode NFC, longest entry first. A Latin letter with a diacritic that the table does not list (`ǹ`, `đ`) is not
guessed at: the caller reports it as not simulated.
"""

from __future__ import annotations

import unicodedata

from .values import NotSimulated

# (characters, replacement) per the reference's rows, lower case then upper case.
_ROWS: tuple[tuple[str, str], ...] = (
    ("ä à â ã å á ą ă ā ā́ ā̀ ā̂ ā̃ ǟ ā̈ ǡ a̱ å̄", "a"),
    ("Ä À Â Ã Å Á Ą Ă Ā Ā́ Ā̀ Ā̂ Ā̃ Ǟ Ā̈ Ǡ A̱ Å̄", "A"),
    ("æ ǣ", "ae"),
    ("Æ Ǣ", "AE"),
    ("ç č ć c̄ c̱", "c"),
    ("Ç Č Ć C̄ C̱", "C"),
    ("ď d̄ ḏ", "d"),
    ("Ď D̄ Ḏ", "D"),
    ("ë è é ê ę ě ė ē ḗ ḕ ē̂ ē̃ ê̄ e̱ ë̄ e̊̄", "e"),
    ("Ë È É Ê Ę Ě Ė Ē Ḗ Ḕ Ē̂ Ē̃ Ê̄ E̱ Ë̄ E̊̄", "E"),
    ("ğ ḡ g̱", "g"),
    ("Ğ Ḡ G̱", "G"),
    ("ï î ì í \u0131 ī ī́ ī̀ ī̂ ī̃ i̱", "i"),  # \u0131: dotless i
    ("Ï Î Ì Í İ Ī Ī́ Ī̀ Ī̂ Ī̃ I̱", "I"),
    ("ľ ł l̄ ḹ ḻ", "l"),
    ("Ł Ľ L̄ Ḹ Ḻ", "L"),
    ("ñ ń ň n̄ ṉ", "n"),
    ("Ñ Ń Ň N̄ Ṉ", "N"),
    ("ö ò ő õ ô ó ō ṓ ṑ ō̂ ō̃ ȫ ō̈ ǭ ȭ ȱ o̱", "o"),
    ("Ö Ò Ő Õ Ô Ó Ō Ṓ Ṑ Ō̂ Ō̃ Ȫ Ō̈ Ǭ Ȭ Ȱ O̱", "O"),
    ("ø ø̄ œ̄", "oe"),
    ("Ø Ø̄ Œ̄", "OE"),
    ("ř r̄ ṟ ṝ", "r"),
    ("Ř R̄ Ṟ Ṝ", "R"),
    ("ß", "ss"),
    ("š ś ș ş s̄ s̱", "s"),
    ("Š Ś Ș Ş S̄ S̱", "S"),
    ("ť ț t̄ ṯ", "t"),
    ("Ť Ț T̄ Ṯ", "T"),
    ("ü ù û ú ů ű ū ū́ ū̀ ū̂ ū̃ u̇̄ ǖ ṻ ṳ̄ u̱", "u"),
    ("Ü Ù Û Ú Ů Ű Ū Ū́ Ū̀ Ū̂ Ū̃ U̇̄ Ǖ Ṻ Ṳ̄ U̱", "U"),
    ("ÿ ý ȳ ȳ́ ȳ̀ ȳ̃ y̱", "y"),
    ("Ÿ Ý Ȳ Ȳ́ Ȳ̀ Ȳ̃ Y̱", "Y"),
    ("ź ž ż z̄ ẕ", "z"),
    ("Ź Ž Ż Z̄ Ẕ", "Z"),
)

TABLE: dict[str, str] = {
    unicodedata.normalize("NFC", chars): plain for row, plain in _ROWS for chars in row.split(" ") if chars
}
_LONGEST = max(len(k) for k in TABLE)


def normalize_diacritics(value: str) -> str:
    if value.isascii():
        return value
    source = unicodedata.normalize("NFC", value)
    out: list[str] = []
    pos = 0
    while pos < len(source):
        for size in range(min(_LONGEST, len(source) - pos), 0, -1):
            plain = TABLE.get(source[pos : pos + size])
            if plain is not None:
                out.append(plain)
                pos += size
                break
        else:
            char = source[pos]
            if not char.isascii() and (
                unicodedata.combining(char)
                or unicodedata.normalize("NFD", char) != char
                or "LATIN" in unicodedata.name(char, "")
            ):
                raise NotSimulated(
                    f"NormalizeDiacritics: {char!r} (U+{ord(char):04X}) is not in the table of Microsoft's "
                    "expression reference"
                )
            out.append(char)
            pos += 1
    return "".join(out)
