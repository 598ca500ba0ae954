"""``POST /predict/{endpoint}``: the body checked against the model's declared schema
(``schema.json`` beside its scripts), then InvokeEndpoint."""

from __future__ import annotations

import json
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from chalicelib import services
from chalicelib.adapters.sagemaker import ModelFailed
from chalicelib.errors import DependencyFailed, InvalidRequest, NotFound
from chalicelib.lifecycle_models import PredictReply, PredictRequest
from chalicelib.models import ObjectRef
from chalicelib.settings import MlModel, get_settings

_schemas: dict[str, tuple[float, type[BaseModel], list[str]]] = {}


class SchemaMismatch(InvalidRequest):
    """Instances that do not match the model's schema: each problem in ``details``."""

    def __init__(self, message: str, details: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.details = details


class ModelAnswerFailed(DependencyFailed):
    """The model's own code refused or failed the request (ModelError)."""


def model_for(endpoint: str) -> MlModel:
    """The model served at ``endpoint``: named by the model's name or the endpoint's."""
    for model in get_settings().ml_models:
        if endpoint in (model.name, model.endpoint):
            return model
    raise NotFound(f"no endpoint {endpoint[:64]!r}: use a model's name or its endpoint's")


def record_model(schema: dict[str, Any]) -> tuple[type[BaseModel], list[str]]:
    """A pydantic model of one record from ``schema.json``'s features (types, enums, ranges)."""
    fields: dict[str, Any] = {}
    names = []
    for feature in schema["features"]:
        kind: Any = {"integer": int, "number": float, "string": str, "boolean": bool}[feature["type"]]
        constraints: dict[str, Any] = {"ge": feature.get("minimum"), "le": feature.get("maximum")}
        if "enum" in feature:
            kind = Literal[tuple(feature["enum"])]
        elif feature["type"] in ("integer", "string", "boolean"):
            constraints["strict"] = True  # "3" is not an integer, 1 is not a string
        fields[feature["name"]] = (kind, Field(..., **{k: v for k, v in constraints.items() if v is not None}))
        names.append(feature["name"])
    created: type[BaseModel] = create_model(
        f"{schema.get('name', 'model').title()}Record", __config__=ConfigDict(extra="forbid"), **fields
    )
    return created, names


def schema_of(model: MlModel) -> tuple[type[BaseModel], list[str]]:
    """The model's record schema, read from ``code/<model>/schema.json`` and cached."""
    cached = _schemas.get(model.name)
    ttl = get_settings().model_schema_cache_seconds
    if cached and time.monotonic() - cached[0] < ttl:
        return cached[1], cached[2]
    document = services.storage().read_json(
        ObjectRef(bucket=get_settings().model_bucket, key=f"code/{model.name}/schema.json")
    )
    record, names = record_model(document)
    _schemas[model.name] = (time.monotonic(), record, names)
    return record, names


def validate(record: type[BaseModel], instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
    checked, problems = [], []
    for index, instance in enumerate(instances):
        try:
            checked.append(record.model_validate(instance).model_dump())
        except ValidationError as error:
            for problem in error.errors(include_url=False, include_context=False, include_input=False):
                where = ".".join(str(part) for part in problem["loc"])
                problems.append({"instance": index, "field": where, "problem": problem["msg"]})
    if problems:
        summary = "; ".join(f"instances[{p['instance']}].{p['field']}: {p['problem']}" for p in problems[:5])
        raise SchemaMismatch(f"the instances do not match the model's schema: {summary}", problems)
    return checked


def predict(endpoint: str, request: PredictRequest) -> PredictReply:
    model = model_for(endpoint)
    record, _ = schema_of(model)
    instances = validate(record, request.instances)
    body = json.dumps({"instances": instances}).encode()
    try:
        answer, variant = services.model_runtime().invoke(model.endpoint, body, "application/json")
    except ModelFailed as failed:
        raise ModelAnswerFailed(f"the model could not answer ({failed.status}): {failed}") from failed
    except Exception as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        if code == "ValidationException":
            raise NotFound(f"endpoint {model.endpoint} is not serving: {error}") from error
        raise
    found = answer.get("predictions") if isinstance(answer, dict) else None
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise ModelAnswerFailed(f"the model answered without a list of predictions: {str(answer)[:200]}")
    return PredictReply(endpoint=model.endpoint, variant=variant, predictions=found)
