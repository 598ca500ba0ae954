"""Training runs (``statemachines/training.asl.json``): new data, the API or the schedule start
a run; its jobs are SageMaker's (processing, training, evaluation through ``.sync``); the gate
compares the new model with the threshold and with the model in production; a model that
passes is registered in the model's package group.

A run's record is ``run#<run_id>`` in the model records; the execution is named ``run_id``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib import services
from chalicelib.adapters.model_records import ConditionFailed
from chalicelib.clock import now
from chalicelib.errors import InvalidRequest, NotFound
from chalicelib.lifecycle_models import (
    JudgeInput,
    Registered,
    RegisterInput,
    RunFailure,
    RunStatus,
    ScheduledTraining,
    TrainingExecution,
    TrainingPlan,
    TrainingRequest,
    TrainingRun,
    TrainingTrigger,
    Verdict,
)
from chalicelib.models import ExecutionStatusChange, JobError, WorkflowFailure
from chalicelib.observability import logger, metrics
from chalicelib.settings import MlModel, get_settings

TRAINING_PREFIX = "training/"
#: The tag every SageMaker job and package of a run carries (the run's id).
JOB_TAG = "job_id"


def declared_model(name: str) -> MlModel:
    model = get_settings().ml_model(name)
    if model is None:
        names = ", ".join(m.name for m in get_settings().ml_models) or "none"
        raise NotFound(f"no model named {name[:64]!r} (declared: {names})")
    return model


def run_key(run_id: str) -> str:
    return f"run#{run_id}"


def live_key(endpoint: str) -> str:
    """The record of what an endpoint serves (``Live``), as its last successful deployment left it."""
    return f"live#{endpoint}"


def get_run(name: str, run_id: str) -> TrainingRun:
    declared_model(name)
    found = services.model_records().find(run_key(run_id)) if len(run_id) <= 64 else None
    if found is None or found.get("model") != name:
        raise NotFound(f"model {name} has no training run {run_id[:64]!r}")
    run = TrainingRun.model_validate(found)
    if run.status != RunStatus.RUNNING:
        return run
    jobs = services.sagemaker_jobs()
    return run.model_copy(update={"progress": {kind: jobs.status(kind, job) for kind, job in run.jobs.items()}})


def _save_new(run: TrainingRun) -> tuple[TrainingRun, bool]:
    records = services.model_records()
    try:
        records.create(run_key(run.run_id), run.model_dump(mode="json", exclude_none=True))
        return run, True
    except ConditionFailed:
        return TrainingRun.model_validate(records.get(run_key(run.run_id))), False


def _start(run: TrainingRun, hyperparameters: dict[str, str]) -> None:
    execution = TrainingExecution(
        run_id=run.run_id,
        model=run.model,
        start_after=_timestamp(run.starts_at),
        hyperparameters=hyperparameters,
    )
    services.workflows().start(get_settings().training_workflow_arn, run.run_id, execution.model_dump(mode="json"))


def data_arrived(bucket: str, key: str, event_time: datetime) -> TrainingRun | None:
    """An object landed under ``training/<model>/``: the run of the settle window it falls in.

    The first upload opens a window (``window#<model>``, a conditional write) of
    ``settle_seconds``; uploads until it ends join it (and so does a late repeat of an event
    of that window). The run's id and its execution's name
    come from the window, so a burst of uploads, and S3 delivering an event twice, start one
    run; the execution waits for the window to end before its first job reads the data. A
    run whose execution ends while it settles ends its window (``close_window``)."""
    parts = key.split("/")
    settings = get_settings()
    if bucket != settings.model_bucket or len(parts) < 3 or parts[0] != TRAINING_PREFIX.rstrip("/") or not parts[-1]:
        logger.info("not training data; ignored", bucket=bucket, key=key)
        return None
    model = settings.ml_model(parts[1])
    if model is None:
        logger.warning("training data for an undeclared model; ignored", key=key)
        return None
    moment = now()
    # The window is S3's time of the upload: a late repeat of an event whose upload fell in
    # a window that has ended joins that window (its run) instead of opening a new one.
    opened = event_time.astimezone(UTC).replace(microsecond=0)
    starts_at = opened + timedelta(seconds=model.settle_seconds)
    window = services.model_records().claim_window(
        f"window#{model.name}",
        {"run_id": window_run_id(model.name, opened), "starts_at": _timestamp(starts_at), "opened_by": key},
        _timestamp(opened),
    )
    run_id = str(window["run_id"])
    run, created = _save_new(
        TrainingRun(
            run_id=run_id,
            model=model.name,
            status=RunStatus.SETTLING,
            trigger=TrainingTrigger.DATA,
            created_at=moment,
            updated_at=moment,
            starts_at=datetime.fromisoformat(str(window["starts_at"]).replace("Z", "+00:00")),
        )
    )
    if run.status == RunStatus.SETTLING:
        _start(run, {})  # named run_id: a second start of the same window starts nothing
    logger.info("training data arrived", model=model.name, run_id=run_id, new_run=created, key=key)
    return run


def window_run_id(model: str, opened: datetime) -> str:
    """The run id of a window opening at ``opened`` (to the second): the same for every
    upload and repeat that opens it, and never a run that has ended (a window closed in the
    second it opened gives way to the next id)."""
    records, seed, attempt = services.model_records(), f"{model}:{opened.isoformat()}", 0
    while True:
        candidate = hashlib.sha256((f"{seed}:{attempt}" if attempt else seed).encode()).hexdigest()[:32]
        found = records.find(run_key(candidate))
        if found is None or not RunStatus(found["status"]).finished:
            return candidate
        attempt += 1


def _timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC to the second with a Z, as Step Functions' Wait states read it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def start_training(name: str, request: TrainingRequest, trigger: TrainingTrigger = TrainingTrigger.API) -> TrainingRun:
    """A run now, over the data under ``training/<name>/``."""
    model = declared_model(name)
    unknown = sorted(set(request.hyperparameters) - set(model.hyperparameters) - {"seed"})
    if unknown and model.hyperparameters:
        raise InvalidRequest(
            f"unknown hyperparameters {unknown}: the model declares {sorted(model.hyperparameters)} (and seed)"
        )
    moment = now()
    run = TrainingRun(
        run_id=uuid.uuid4().hex,
        model=model.name,
        status=RunStatus.SETTLING,
        trigger=trigger,
        created_at=moment,
        updated_at=moment,
        starts_at=moment,
    )
    _save_new(run)
    _start(run, request.hyperparameters)
    metrics.add_metric(name="TrainingRunsStarted", unit=MetricUnit.Count, value=1)
    return run


def scheduled_training(schedule: ScheduledTraining) -> TrainingRun:
    """A run of the model whose schedule fired (each model has its own, every ``schedule_minutes``)."""
    return start_training(schedule.model, TrainingRequest(), TrainingTrigger.SCHEDULE)


# --- the workflow's steps ------------------------------------------------------------------


def _uri(key: str) -> str:
    return f"s3://{get_settings().model_bucket}/{key}"


def versions(model: MlModel) -> tuple[str, str]:
    """(data version, code version): digests of the training data's objects and of the
    source archive, so a registered package says what it was trained on and with."""
    storage = services.storage()
    bucket = get_settings().model_bucket
    data = storage.objects(bucket, f"{TRAINING_PREFIX}{model.name}/")
    if not data:
        raise InvalidRequest(f"there is no training data under s3://{bucket}/{TRAINING_PREFIX}{model.name}/")
    code = storage.objects(bucket, f"code/{model.name}/sourcedir.tar.gz")
    if not code:
        raise InvalidRequest(f"the model's source archive s3://{bucket}/code/{model.name}/sourcedir.tar.gz is missing")
    digest = hashlib.sha256("\n".join(f"{key} {etag} {size}" for key, etag, size in data).encode()).hexdigest()
    return digest[:16], code[0][1][:32]


def _processing(
    name: str, model: MlModel, script: str, inputs: dict[str, str], outputs: dict[str, str], tags: list[dict[str, str]]
) -> dict[str, Any]:
    """CreateProcessingJob for one of the model's scripts, as the sagemaker SDK's
    ScriptProcessor writes it: the code as an input, inputs at /opt/ml/processing/input/NAME."""
    settings = get_settings()

    def source(input_name: str, uri: str) -> dict[str, Any]:
        return {
            "InputName": input_name,
            "S3Input": {
                "S3Uri": uri,
                "LocalPath": f"/opt/ml/processing/input/{input_name}",
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
                "S3DataDistributionType": "FullyReplicated",
            },
        }

    return {
        "ProcessingJobName": name,
        "RoleArn": settings.sagemaker_role_arn,  # the workflow passes its own (the same role)
        "AppSpecification": {
            "ImageUri": model.image_uri,
            "ContainerEntrypoint": ["python3", f"/opt/ml/processing/input/code/{script}"],
        },
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": model.processing_instance_type, "VolumeSizeInGB": 10}
        },
        "ProcessingInputs": [
            source("code", _uri(f"code/{model.name}/{script}")),
            *(source(input_name, uri) for input_name, uri in inputs.items()),
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": output_name,
                    "S3Output": {
                        "S3Uri": uri,
                        "LocalPath": f"/opt/ml/processing/output/{output_name}",
                        "S3UploadMode": "EndOfJob",
                    },
                }
                for output_name, uri in outputs.items()
            ]
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": model.max_runtime_seconds},
        "Tags": tags,
    }


def job_names(model: MlModel, run_id: str) -> dict[str, str]:
    """SageMaker job names (at most 63 characters), named after the model and the run."""
    return {kind: f"{model.name}-{run_id[:20]}-{kind}" for kind in ("processing", "training", "evaluation")}


def plan_training(model: MlModel, run_id: str, hyperparameters: dict[str, str]) -> TrainingPlan:
    """The three requests of a run, in the shapes SageMaker's API (and the sagemaker SDK) use."""
    settings = get_settings()
    names = job_names(model, run_id)
    artifacts = f"artifacts/{model.name}/{run_id}"
    tags = [{"Key": JOB_TAG, "Value": run_id}, {"Key": "insight:model", "Value": model.name}]
    processing = _processing(
        names["processing"],
        model,
        "processing.py",
        {"data": _uri(f"{TRAINING_PREFIX}{model.name}/")},
        {split: _uri(f"{artifacts}/data/{split}") for split in ("train", "validation", "test")},
        tags,
    )
    chosen = {**model.hyperparameters, **hyperparameters}
    stopping: dict[str, Any] = {"MaxRuntimeInSeconds": model.max_runtime_seconds}
    training: dict[str, Any] = {
        "TrainingJobName": names["training"],
        "RoleArn": settings.sagemaker_role_arn,
        "AlgorithmSpecification": {
            "TrainingImage": model.image_uri,
            "TrainingInputMode": "File",
            "MetricDefinitions": list(model.metric_definitions),
        },
        # JSON-encoded strings, exactly as the sagemaker SDK writes a script-mode estimator's.
        "HyperParameters": {
            **{name: json.dumps(value) for name, value in chosen.items()},
            "sagemaker_program": json.dumps("train.py"),
            "sagemaker_submit_directory": json.dumps(_uri(f"code/{model.name}/sourcedir.tar.gz")),
            "sagemaker_region": json.dumps(settings.region),
        },
        "InputDataConfig": [
            {
                "ChannelName": channel,
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": _uri(f"{artifacts}/data/{channel}"),
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
            for channel in ("train", "validation")
        ],
        "OutputDataConfig": {"S3OutputPath": _uri(f"{artifacts}/models")},
        "ResourceConfig": {"InstanceType": model.training_instance_type, "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": stopping,
        "EnableManagedSpotTraining": model.spot,
        "Tags": tags,
    }
    if model.spot:
        stopping["MaxWaitTimeInSeconds"] = max(model.max_wait_seconds, model.max_runtime_seconds)
        training["CheckpointConfig"] = {
            "S3Uri": _uri(f"{artifacts}/checkpoints"),
            "LocalPath": "/opt/ml/checkpoints",
        }
    model_data = _uri(f"{artifacts}/models/{names['training']}/output/model.tar.gz")
    evaluation = _processing(
        names["evaluation"],
        model,
        "evaluate.py",
        {"model": model_data, "test": _uri(f"{artifacts}/data/test")},
        {"evaluation": _uri(f"{artifacts}/evaluation")},
        tags,
    )
    return TrainingPlan(
        spot=model.spot,
        processing=processing,
        training=training,
        evaluation=evaluation,
        evaluation_uri=_uri(f"{artifacts}/evaluation/evaluation.json"),
    )


def prepare_training(execution: TrainingExecution) -> TrainingPlan:
    """The settle window is over: version the data and code, record the run RUNNING, plan its jobs."""
    model = declared_model(execution.model)
    data_version, code_version = versions(model)
    plan = plan_training(model, execution.run_id, execution.hyperparameters)
    moment = now()
    services.model_records().update(
        run_key(execution.run_id),
        {
            "status": RunStatus.RUNNING.value,
            "updated_at": moment.isoformat(),
            "data_version": data_version,
            "code_version": code_version,
            "jobs": {kind: name for kind, name in job_names(model, execution.run_id).items()},
        },
    )
    logger.info("training run started", run_id=execution.run_id, data_version=data_version, spot=model.spot)
    return plan


def _s3_ref(uri: str) -> Any:
    from chalicelib.models import ObjectRef

    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return ObjectRef(bucket=bucket, key=key)


def evaluation_metrics(uri: str) -> dict[str, float]:
    """The metrics of an ``evaluation.json`` in SageMaker's model-quality format."""
    document = services.storage().read_json(_s3_ref(uri))
    found = document.get("binary_classification_metrics") or document.get("regression_metrics") or {}
    return {
        name: float(entry["value"]) for name, entry in found.items() if isinstance(entry, dict) and "value" in entry
    }


def live_package(model: MlModel) -> str | None:
    live = services.model_records().find(live_key(model.endpoint))
    return str(live["package_arn"]) if live else None


def production_metric(model: MlModel) -> float | None:
    """The gate's metric of the model in production: the live package's, read from the
    registry (its ModelMetrics' evaluation.json), if that package is still Approved."""
    package_arn = live_package(model)
    if package_arn is None:
        return None
    package = services.registry().describe(package_arn)
    if package.get("ModelApprovalStatus") != "Approved":
        return None
    uri = package.get("ModelMetrics", {}).get("ModelQuality", {}).get("Statistics", {}).get("S3Uri")
    if not uri:
        return None
    return evaluation_metrics(uri).get(model.metric)


def decide(model: MlModel, metric: float | None, production: float | None) -> Verdict:
    """The gate, pure: the threshold first, then the model in production."""
    name = model.metric
    if metric is None:
        return Verdict(passed=False, metric=None, production_metric=production, reason=f"the evaluation has no {name}")
    acceptable = metric >= model.threshold if model.higher_is_better else metric <= model.threshold
    if not acceptable:
        word = "below" if model.higher_is_better else "above"
        return Verdict(
            passed=False,
            metric=metric,
            production_metric=production,
            reason=f"{name} {metric:.4f} is {word} the threshold {model.threshold:.4f}",
        )
    if production is not None:
        gain = (metric - production) if model.higher_is_better else (production - metric)
        if gain <= 0 or gain < model.min_improvement:
            needed = f" by at least {model.min_improvement:.4f}" if model.min_improvement else ""
            return Verdict(
                passed=False,
                metric=metric,
                production_metric=production,
                reason=f"{name} {metric:.4f} is not better than the production model's {production:.4f}{needed}",
            )
    versus = f", production {production:.4f}" if production is not None else ", no model in production"
    return Verdict(
        passed=True,
        metric=metric,
        production_metric=production,
        reason=f"{name} {metric:.4f} passes the threshold {model.threshold:.4f}{versus}",
    )


def judge_model(judged: JudgeInput) -> Verdict:
    """The gate. A model that fails it ends the run REJECTED with the reason."""
    model = declared_model(judged.model)
    found = evaluation_metrics(judged.evaluation_uri)
    verdict = decide(model, found.get(model.metric), production_metric(model))
    moment = now()
    values: dict[str, Any] = {
        "updated_at": moment.isoformat(),
        "metrics": found,
        "verdict": verdict.reason,
        "production_metric": verdict.production_metric,
    }
    if not verdict.passed:
        values.update(status=RunStatus.REJECTED.value, finished_at=moment.isoformat())
        metrics.add_metric(name="ModelsRejected", unit=MetricUnit.Count, value=1)
    services.model_records().update(run_key(judged.run_id), {k: v for k, v in values.items() if v is not None})
    logger.info("model judged", run_id=judged.run_id, passed=verdict.passed, reason=verdict.reason)
    return verdict


def package_request(model: MlModel, registered: RegisterInput, run: TrainingRun) -> dict[str, Any]:
    settings = get_settings()
    metadata = {
        "run_id": registered.run_id,
        "data_version": run.data_version or "",
        "code_version": run.code_version or "",
        model.metric: f"{registered.verdict.metric}",
    }
    return {
        "ModelPackageGroupName": model.package_group,
        "ModelPackageDescription": f"{model.name}: {registered.verdict.reason}"[:1024],
        "InferenceSpecification": {
            "Containers": [
                {
                    "Image": model.image_uri,
                    "ModelDataUrl": registered.model_data_url,
                    "Environment": {
                        "SAGEMAKER_PROGRAM": "inference.py",
                        "SAGEMAKER_SUBMIT_DIRECTORY": _uri(f"code/{model.name}/sourcedir.tar.gz"),
                        "SAGEMAKER_REGION": settings.region,
                    },
                }
            ],
            "SupportedContentTypes": ["text/csv", "application/json"],
            "SupportedResponseMIMETypes": ["application/json", "text/csv"],
            "SupportedRealtimeInferenceInstanceTypes": [model.inference_instance_type],
            "SupportedTransformInstanceTypes": [model.inference_instance_type],
        },
        "ModelMetrics": {
            "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": registered.evaluation_uri}}
        },
        "CustomerMetadataProperties": {k: v for k, v in metadata.items() if v},
        "ModelApprovalStatus": "Approved" if model.auto_approve else "PendingManualApproval",
        "Tags": [{"Key": JOB_TAG, "Value": registered.run_id}],
    }


def register_model(registered: RegisterInput) -> Registered:
    """Register the model package (approved at once where the model says auto-approve) and
    end the run SUCCEEDED with it."""
    model = declared_model(registered.model)
    run = TrainingRun.model_validate(services.model_records().get(run_key(registered.run_id)))
    if run.package_arn:  # a retried step: the package exists already
        return Registered(package_arn=run.package_arn, version=run.version or 0, approval="unchanged")
    request = package_request(model, registered, run)
    registry = services.registry()
    package_arn = registry.create(request)
    version = int(registry.describe(package_arn).get("ModelPackageVersion") or 0)
    moment = now()
    services.model_records().update(
        run_key(registered.run_id),
        {
            "status": RunStatus.SUCCEEDED.value,
            "updated_at": moment.isoformat(),
            "finished_at": moment.isoformat(),
            "package_arn": package_arn,
            "version": version,
        },
    )
    metrics.add_metric(name="ModelsRegistered", unit=MetricUnit.Count, value=1)
    logger.info("model registered", run_id=registered.run_id, package_arn=package_arn, version=version)
    return Registered(package_arn=package_arn, version=version, approval=request["ModelApprovalStatus"])


ENDED_ERRORS = {"TIMED_OUT": "States.Timeout", "ABORTED": "ExecutionAborted", "FAILED": "ExecutionFailed"}


def execution_ended(ended: ExecutionStatusChange) -> str | None:
    """The safety net of the three workflows: a run, transform or deployment whose execution
    (named by its id) ended without recording an outcome is marked FAILED, and a run's settle
    window, if still open, ends with it; the record says which it was, or None when the name
    is no record's."""
    name, status = ended.name, ended.status
    failure = WorkflowFailure(
        Error=ended.error or ENDED_ERRORS.get(status, status),
        Cause=ended.cause or f"the workflow's execution ended {status} before recording an outcome",
    )
    records = services.model_records()
    for kind, key in (("training", run_key(name)), ("transform", f"transform#{name}")):
        if records.find(key) is not None:
            record = record_failure(RunFailure(kind=kind, record_id=name, failure=failure))  # type: ignore[arg-type]
            if kind == "training":
                close_window(name, str(record["model"]), ended.stopDate or now())
            return kind
    if records.find(f"deployment#{name}") is not None:
        from chalicelib.deployments import finish_deployment
        from chalicelib.lifecycle_models import DeploymentEnd

        finish_deployment(DeploymentEnd(deployment_id=name, failure=failure))
        return "deployment"
    logger.info("execution is no record's; ignored", name=name)
    return None


def close_window(run_id: str, model: str, ended_at: datetime) -> None:
    """A run whose execution ended while its settle window was open (stopped, timed out)
    ends the window then: the next upload opens a new one and starts a new run instead of
    joining the dead one (a late repeat of an event from before still joins it)."""
    end = _timestamp(ended_at)
    if services.model_records().end_window(f"window#{model}", run_id, end):
        logger.info("settle window closed with its run", model=model, run_id=run_id, ended_at=end)


def failure_reason(error: str, cause: str | None) -> str:
    """The reason in words: a failed SageMaker job's FailureReason (the .sync task's cause is
    the job's Describe answer), a Lambda's errorMessage, or the cause as it is."""
    if not cause:
        return error
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(parsed, dict):
        for field in ("FailureReason", "errorMessage", "ExitMessage"):
            if parsed.get(field):
                name = (
                    parsed.get("TrainingJobName") or parsed.get("ProcessingJobName") or parsed.get("TransformJobName")
                )
                return f"{name}: {parsed[field]}" if name and field == "FailureReason" else str(parsed[field])
    return cause


def record_failure(failed: RunFailure) -> dict[str, Any]:
    """A run or a transform FAILED with the error and the reason; a finished one keeps its outcome."""
    key = run_key(failed.record_id) if failed.kind == "training" else f"transform#{failed.record_id}"
    moment = now()
    reason = failure_reason(failed.failure.error, failed.failure.cause)
    try:
        record = services.model_records().update(
            key,
            {
                "status": RunStatus.FAILED.value,
                "updated_at": moment.isoformat(),
                "finished_at": moment.isoformat(),
                "error": JobError(type=failed.failure.error, reason=reason[:4000]).model_dump(mode="json"),
            },
            only_if_in=("status", (RunStatus.SETTLING.value, RunStatus.RUNNING.value)),
        )
    except ConditionFailed:
        return services.model_records().get(key)
    metrics.add_metric(name="ModelRunsFailed", unit=MetricUnit.Count, value=1)
    logger.warning(
        "model run failed", kind=failed.kind, record_id=failed.record_id, error=failed.failure.error, reason=reason
    )
    return record
