"""Text hygiene applied to every string a client sends before it is stored."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

import nh3
from pydantic import AfterValidator, StringConstraints

# C0/C1 control characters except tab and newline; also the Unicode bidi overrides.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str) -> str:
    """NFC-normalize, strip control characters and surrounding space; reject HTML markup."""
    value = _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip()
    if nh3.is_html(value):
        raise ValueError("HTML markup is not allowed")
    return value


def _one_line(value: str) -> str:
    value = clean_text(value)
    if "\n" in value or "\t" in value:
        raise ValueError("must be a single line")
    return value


def _non_empty(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


# A short single-line name (channels, campaigns, creatives, keys...).
Name = Annotated[
    str,
    StringConstraints(max_length=200),
    AfterValidator(_one_line),
    AfterValidator(_non_empty),
]
# An identifier coming from another system (external account ids, order ids).
ExternalId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(_one_line),
    AfterValidator(_non_empty),
]
# A short label such as a call to action or an objective.
Label = Annotated[str, StringConstraints(max_length=100), AfterValidator(_one_line)]
# Free text (descriptions, notes).
Text = Annotated[str, StringConstraints(max_length=5000), AfterValidator(clean_text)]
