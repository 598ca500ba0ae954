"""Hosting: the four functions SageMaker's scikit-learn serving container calls.

The Model's environment names this file (``SAGEMAKER_PROGRAM=inference.py``) and the source
archive it is in (``SAGEMAKER_SUBMIT_DIRECTORY``); the container unpacks ``model.tar.gz`` into
``model_dir`` and calls ``model_fn`` once, then for each request ``input_fn`` ->
``predict_fn`` -> ``output_fn``.

Requests: ``text/csv`` (one customer a line, the schema's features in order, no header) or
``application/json`` (``{"instances": [{"tenure_months": 3, ...}, ...]}``, one such object,
or a list of them). Answers: ``application/json`` ``{"predictions": [{"churned": 1,
"probability": 0.83}]}`` or ``text/csv`` (``churned,probability`` a line). Input outside
schema.json raises ValueError, which the container answers with a client error (SageMaker
surfaces it as ModelError).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np

SCHEMA = json.loads((Path(__file__).resolve().parent / "schema.json").read_text())
FEATURES: list[dict[str, Any]] = SCHEMA["features"]
MAX_RECORDS = 1000


def model_fn(model_dir: str) -> Any:
    artifact = joblib.load(Path(model_dir) / "model.joblib")
    expected = [feature["name"] for feature in FEATURES]
    if artifact["features"] != expected:
        raise ValueError(f"the model was trained on {artifact['features']}, the schema declares {expected}")
    return artifact["model"]


def coerce(value: Any, feature: dict[str, Any]) -> Any:
    name, kind = feature["name"], feature["type"]
    if kind == "string":
        if not isinstance(value, str):
            raise ValueError(f"{name}: expected a string, got {value!r}")
        result: Any = value.strip().lower()
    else:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{name}: expected a number, got {value!r}")
        try:
            result = float(value)
        except ValueError:
            raise ValueError(f"{name}: expected a number, got {value!r}") from None
        if kind == "integer" and not result.is_integer():
            raise ValueError(f"{name}: expected an integer, got {value!r}")
    if "enum" in feature and result not in feature["enum"]:
        raise ValueError(f"{name}: {value!r} is not one of {feature['enum']}")
    if "minimum" in feature and result < feature["minimum"]:
        raise ValueError(f"{name}: {value!r} is below the minimum {feature['minimum']}")
    if "maximum" in feature and result > feature["maximum"]:
        raise ValueError(f"{name}: {value!r} is above the maximum {feature['maximum']}")
    return result


def record(values: Any) -> list[Any]:
    names = [feature["name"] for feature in FEATURES]
    if isinstance(values, dict):
        unknown = sorted(set(values) - set(names))
        missing = [name for name in names if name not in values]
        if unknown or missing:
            raise ValueError(f"missing features {missing}, unknown features {unknown}")
        values = [values[name] for name in names]
    if not isinstance(values, list) or len(values) != len(names):
        raise ValueError(f"each record needs the {len(names)} features {names}")
    return [coerce(value, feature) for value, feature in zip(values, FEATURES, strict=True)]


def input_fn(body: Any, content_type: str) -> Any:
    text = body.decode("utf-8") if isinstance(body, bytes | bytearray) else str(body)
    media = content_type.split(";")[0].strip().lower()
    if media == "text/csv":
        rows: list[Any] = [row for row in csv.reader(io.StringIO(text)) if row]
    elif media == "application/json":
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"the body is not JSON: {error}") from None
        if isinstance(parsed, dict) and "instances" in parsed:
            parsed = parsed["instances"]
        rows = parsed if isinstance(parsed, list) and parsed and isinstance(parsed[0], dict | list) else [parsed]
    else:
        raise ValueError(f"unsupported content type {content_type!r}: send text/csv or application/json")
    if not rows:
        raise ValueError("no record in the request")
    if len(rows) > MAX_RECORDS:
        raise ValueError(f"{len(rows)} records: at most {MAX_RECORDS} a request")
    parsed_rows = [record(row) for row in rows]
    table = np.empty((len(parsed_rows), len(FEATURES)), dtype=object)
    for index, row in enumerate(parsed_rows):
        table[index] = row
    return table


def predict_fn(data: Any, model: Any) -> list[dict[str, Any]]:
    probabilities = model.predict_proba(data)[:, 1]
    labels = model.predict(data)
    return [
        {"churned": int(label), "probability": round(float(probability), 6)}
        for label, probability in zip(labels, probabilities, strict=True)
    ]


def output_fn(prediction: list[dict[str, Any]], accept: str) -> tuple[str, str]:
    media = (accept or "application/json").split(";")[0].strip().lower()
    if media in ("application/json", "*/*"):
        return json.dumps({"predictions": prediction}), "application/json"
    if media == "text/csv":
        return "".join(f"{p['churned']},{p['probability']}\n" for p in prediction), "text/csv"
    raise ValueError(f"unsupported accept type {accept!r}: ask for application/json or text/csv")
