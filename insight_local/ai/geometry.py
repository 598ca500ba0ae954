"""Geometry as Textract and Rekognition answer it: ratios of the page or image (0..1), origin at
the top left, a ``BoundingBox`` and its four-point ``Polygon``."""

from __future__ import annotations

import math
from typing import Any


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value)) if math.isfinite(value) else 0.0


def box_geometry(left: float, top: float, right: float, bottom: float) -> dict[str, Any]:
    """The geometry of an upright box, clamped to the page (never a negative width or height)."""
    left, top = _clamp(left), _clamp(top)
    right, bottom = max(_clamp(right), left), max(_clamp(bottom), top)
    return {
        "BoundingBox": {"Width": right - left, "Height": bottom - top, "Left": left, "Top": top},
        "Polygon": [
            {"X": left, "Y": top},
            {"X": right, "Y": top},
            {"X": right, "Y": bottom},
            {"X": left, "Y": bottom},
        ],
    }
