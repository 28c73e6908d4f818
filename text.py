"""Names as every output shows them: control characters, line separators, bidirectional overrides and lone
surrogates escaped.

A leaf: it imports nothing of the project, so errors.py (whose one-line messages name files) and every layer
above can use the one definition.
"""

from __future__ import annotations

import re

# Control characters (Unicode category Cc), the line and paragraph separators (Zl, Zp: one character each), the
# bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069: they reorder what a terminal or a
# browser shows, so a name could pass for another), lone surrogates (a file name that is not UTF-8 decodes to them;
# no output can encode them) and the two noncharacters XML 1.0 excludes. The one class: every output and the charts
# use it. tests/test_real_world_names.py checks it against unicodedata over every code point.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
# The bytes of a file name the locale could not decode (Python's surrogateescape): kept by a message to the console,
# whose error handler (errors.py CONSOLE_ERRORS) writes them back as the bytes they were.
UNDECODED_BYTES = "".join(map(chr, range(0xDC80, 0xDD00)))
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_char(char: str) -> str:
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: str, keep: str = "") -> str:
    """`text` with every unsafe character escaped, except those in `keep` (a whole output keeps its own "\\n")."""
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub(lambda found: found[0] if found[0] in keep else escape_char(found[0]), text)
