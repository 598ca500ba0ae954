"""JSON that comes from outside (request bodies, signed webhooks, page tokens), read as JSON
is defined: a text Python's parser would take but no other should is refused with a reason."""

from __future__ import annotations

import json
from typing import Any


def loads(text: bytes | str) -> Any:
    """``text`` as JSON, or ``ValueError`` saying why it is not: also for ``NaN`` and
    ``Infinity`` (Python's parser takes them, JSON has no such values) and for arrays or
    objects nested deeper than the parser's stack (a ``RecursionError`` otherwise)."""
    try:
        return json.loads(text, parse_constant=_not_json)
    except RecursionError:
        raise ValueError("it is nested too deeply") from None


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")
