"""Checking a response against botocore's output shape: what the local engines answer must
be what AWS would (no unknown keys, no wrong types, enums and bounds respected)."""

from __future__ import annotations

from typing import Any

import pytest


def check_shape(value: Any, shape: Any, path: str = "$") -> None:
    """Fail if ``value`` does not fit the botocore ``shape`` (unknown keys, wrong types, bad enums)."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), f"{path}: expected an object, got {type(value).__name__}"
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{path}: unknown keys {sorted(unknown)} for {shape.name}"
        missing = set(shape.required_members) - set(value)
        assert not missing, f"{path}: missing required {sorted(missing)}"
        for key, item in value.items():
            check_shape(item, shape.members[key], f"{path}.{key}")
    elif kind == "list":
        assert isinstance(value, list), f"{path}: expected a list, got {type(value).__name__}"
        assert len(value) >= shape.metadata.get("min", 0), f"{path}: fewer items than {shape.metadata['min']}"
        for index, item in enumerate(value):
            check_shape(item, shape.member, f"{path}[{index}]")
    elif kind == "map":
        assert isinstance(value, dict), f"{path}: expected a map, got {type(value).__name__}"
        for key, item in value.items():
            check_shape(key, shape.key, f"{path}.<key>")
            if item is not None:  # Lex sends null for an unfilled slot
                check_shape(item, shape.value, f"{path}[{key!r}]")
    elif kind == "string":
        assert isinstance(value, str), f"{path}: expected a string, got {type(value).__name__}"
        assert len(value) >= shape.metadata.get("min", 0), f"{path}: shorter than {shape.metadata['min']}"
        if shape.enum:
            assert value in shape.enum, f"{path}: {value!r} not in {shape.enum}"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: expected an integer, got {value!r}"
    elif kind in ("float", "double"):
        assert isinstance(value, float), f"{path}: expected a float, got {value!r}"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{path}: expected a boolean, got {value!r}"
    else:  # pragma: no cover - not used by these operations
        pytest.fail(f"{path}: unsupported shape type {kind}")
    if kind in ("integer", "long", "float", "double"):
        if "min" in shape.metadata:
            assert value >= shape.metadata["min"], f"{path}: {value} < {shape.metadata['min']}"
        if "max" in shape.metadata:
            assert value <= shape.metadata["max"], f"{path}: {value} > {shape.metadata['max']}"
