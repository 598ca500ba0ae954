"""Batch transforms (``statemachines/transform.asl.json``): every object under a prefix of the
model bucket through the model now live on the endpoint, as a SageMaker Transform job
(``.sync``); the output lands under ``artifacts/<model>/transforms/<id>/``."""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib import services
from chalicelib.clock import now
from chalicelib.errors import InvalidRequest, NotFound
from chalicelib.lifecycle_models import RunStatus, Transform, TransformExecution, TransformRequest
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.trainings import JOB_TAG, declared_model, live_key


def transform_key(transform_id: str) -> str:
    return f"transform#{transform_id}"


def get_transform(name: str, transform_id: str) -> Transform:
    declared_model(name)
    found = services.model_records().find(transform_key(transform_id)) if len(transform_id) <= 64 else None
    if found is None or found.get("model") != name:
        raise NotFound(f"model {name} has no transform {transform_id[:64]!r}")
    return Transform.model_validate(found)


def start_transform(name: str, request: TransformRequest) -> Transform:
    model = declared_model(name)
    bucket = get_settings().model_bucket
    live = services.model_records().find(live_key(model.endpoint))
    if live is None:
        raise InvalidRequest(f"model {name} has no live version yet: approve and deploy one first")
    if not services.storage().objects(bucket, request.input_prefix):
        raise InvalidRequest(f"there is nothing under s3://{bucket}/{request.input_prefix}")
    transform_id = uuid.uuid4().hex
    moment = now()
    transform = Transform(
        transform_id=transform_id,
        model=name,
        status=RunStatus.RUNNING,
        created_at=moment,
        updated_at=moment,
        input_uri=f"s3://{bucket}/{request.input_prefix}",
        output_uri=f"s3://{bucket}/artifacts/{name}/transforms/{transform_id}/",
        package_arn=str(live["package_arn"]),
        version=int(live["version"]),
        model_name=str(live["model_name"]),
        job_name=f"{name}-{transform_id[:20]}-transform",
    )
    services.model_records().create(transform_key(transform_id), transform.model_dump(mode="json", exclude_none=True))
    services.workflows().start(
        get_settings().transform_workflow_arn,
        transform_id,
        TransformExecution(transform_id=transform_id).model_dump(mode="json"),
    )
    logger.info("transform started", transform_id=transform_id, input=transform.input_uri)
    return transform


def prepare_transform(execution: TransformExecution) -> dict[str, Any]:
    """CreateTransformJob over the transform's input, with the model it was started with."""
    found = services.model_records().get(transform_key(execution.transform_id))
    transform = Transform.model_validate(found)
    model = declared_model(transform.model)
    return {
        "TransformJobName": transform.job_name,
        "ModelName": transform.model_name,
        "MaxPayloadInMB": 6,
        "BatchStrategy": "MultiRecord",
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": transform.input_uri}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {"S3OutputPath": transform.output_uri, "Accept": "text/csv", "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": model.inference_instance_type, "InstanceCount": 1},
        "Tags": [{"Key": JOB_TAG, "Value": transform.transform_id}],
    }


def record_transform(execution: TransformExecution) -> Transform:
    moment = now()
    updated = services.model_records().update(
        transform_key(execution.transform_id),
        {"status": RunStatus.SUCCEEDED.value, "updated_at": moment.isoformat(), "finished_at": moment.isoformat()},
        only_if={"status": RunStatus.RUNNING.value},
    )
    return Transform.model_validate(updated)
