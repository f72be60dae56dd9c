"""Text as people typed it, made safe to store and show. One policy for every domain:

- **single-line** values (titles, names, subjects, labels, identifiers): line breaks, tabs
  and the other spacing controls become spaces; every other control character (C0, C1, DEL:
  NUL, ESC, ...), bidi control and lone surrogate is removed, on save; runs of whitespace
  become one space. A title pasted with a line break becomes one line; nothing is refused
  for it. Identifiers (e-mail,
  ORCID iD, DOI, ...) are then checked against their own format, so what is left must fit it.
- **multi-line** values (descriptions, notes, comments): the same, except that newlines and
  tabs stay (CR LF and CR become LF).

Bidi controls (U+202E and friends) are dropped because they make text read differently from
what it is (a file "exe.tif" shown as "fit.exe"); browsers lay out mixed scripts without them.
Lone surrogates cannot be stored as UTF-8, and PostgreSQL refuses NUL in text, so both would
otherwise turn a typo into a server error.
"""

from __future__ import annotations

import re
from typing import Any

# U+061C ARABIC LETTER MARK, U+200E/F LRM/RLM, U+202A-E embeddings and overrides,
# U+2066-9 isolates; U+D800-DFFF surrogates (only ever lone ones in a Python str).
_DROPPED = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\x85]")
# C0 controls but tab and newline, DEL, C1 controls but NEL (a line break, handled above).
_MULTI_LINE_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f]")
_SPACING_CONTROLS = re.compile("[\t\n\x0b\x0c\r\x1c-\x1f\x85\u2028\u2029]")
_OTHER_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def single_line(value: Any) -> str:
    """`value` as one clean line: no control, separator or bidi character, single spaces."""
    text = _DROPPED.sub("", str(value))
    text = _OTHER_CONTROLS.sub("", _SPACING_CONTROLS.sub(" ", text))
    return " ".join(text.split())


def multi_line(value: Any) -> str:
    """`value` with its line breaks (as LF) and tabs, and no other control or bidi character;
    surrounding blank space removed."""
    text = _DROPPED.sub("", str(value))
    text = _LINE_BREAKS.sub("\n", text)
    return _MULTI_LINE_CONTROLS.sub("", text).strip()
