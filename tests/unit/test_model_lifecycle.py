"""The SageMaker lifecycle's pure logic: the gate, the requests Insight sends SageMaker and
CloudWatch (checked against botocore's own input shapes), what an endpoint event says of a
deployment, failure reasons, the model's schema, and the workflows' guard rails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib import deployments, predictions, services, trainings
from chalicelib.errors import InvalidRequest
from chalicelib.lifecycle_models import (
    Deployment,
    DeploymentStatus,
    EndpointStateChange,
    RegisterInput,
    TrainingRun,
    TrainingTrigger,
    Verdict,
)
from chalicelib.settings import MlModel, get_settings
from infra.resources import STACK
from tests.botocore_shapes import check_shape

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def declared(monkeypatch: pytest.MonkeyPatch) -> Iterator[MlModel]:
    """The stack's models as a dev deployment tells them to the functions."""
    models = [model.setting("dev", "us-east-1", model.image.account("us-east-1")) for model in STACK.models]
    monkeypatch.setenv("INSIGHT_ML_MODELS", json.dumps(models))
    monkeypatch.setenv("INSIGHT_MODEL_BUCKET", "insight-dev-model-data")
    monkeypatch.setenv("INSIGHT_SAGEMAKER_ROLE_ARN", "arn:aws:iam::123456789012:role/insight-dev-sage-maker-execution")
    services.reset()
    yield get_settings().ml_models[0]
    services.reset()


def input_shape(service: str, operation: str) -> Any:
    return boto3.client(service, region_name="us-east-1").meta.service_model.operation_model(operation).input_shape


def with_(model: MlModel, **changes: Any) -> MlModel:
    return model.model_copy(update=changes)


# --- the gate -----------------------------------------------------------------------------


def test_the_gate_passes_a_model_over_the_threshold_when_nothing_is_in_production(declared: MlModel) -> None:
    verdict = trainings.decide(declared, 0.91, None)
    assert verdict.passed
    assert "no model in production" in verdict.reason


def test_the_gate_stops_a_model_under_the_threshold(declared: MlModel) -> None:
    verdict = trainings.decide(declared, 0.70, None)
    assert not verdict.passed
    assert verdict.reason == "accuracy 0.7000 is below the threshold 0.7500"


def test_the_gate_stops_a_model_no_better_than_production(declared: MlModel) -> None:
    assert not trainings.decide(declared, 0.88, 0.90).passed
    assert not trainings.decide(declared, 0.90, 0.90).passed  # equal is not better
    assert trainings.decide(declared, 0.91, 0.90).passed


def test_the_gate_asks_for_the_declared_improvement(declared: MlModel) -> None:
    model = with_(declared, min_improvement=0.02)
    verdict = trainings.decide(model, 0.91, 0.90)
    assert not verdict.passed
    assert "by at least 0.0200" in verdict.reason
    assert trainings.decide(model, 0.93, 0.90).passed


def test_the_gate_reads_lower_as_better_for_error_metrics(declared: MlModel) -> None:
    model = with_(declared, metric="mse", higher_is_better=False, threshold=0.5)
    assert trainings.decide(model, 0.3, 0.4).passed
    assert not trainings.decide(model, 0.45, 0.4).passed
    assert trainings.decide(model, 0.6, None).reason == "mse 0.6000 is above the threshold 0.5000"


def test_a_missing_metric_stops_the_model(declared: MlModel) -> None:
    assert trainings.decide(declared, None, 0.9).reason == "the evaluation has no accuracy"


# --- the requests ---------------------------------------------------------------------------


def test_the_training_plan_is_what_sagemaker_accepts(declared: MlModel) -> None:
    plan = trainings.plan_training(declared, "a" * 32, {"n_estimators": "50"})
    check_shape(plan.processing, input_shape("sagemaker", "CreateProcessingJob"))
    check_shape(plan.evaluation, input_shape("sagemaker", "CreateProcessingJob"))
    check_shape(plan.training, input_shape("sagemaker", "CreateTrainingJob"))
    training = plan.training
    # Script mode, as the sagemaker SDK writes it: JSON-encoded hyperparameters
    assert training["HyperParameters"]["sagemaker_program"] == '"train.py"'
    assert training["HyperParameters"]["n_estimators"] == '"50"'
    assert json.loads(training["HyperParameters"]["sagemaker_submit_directory"]).endswith("/sourcedir.tar.gz")
    # Spot with checkpoints and a maximum wait, where the model allows it
    assert training["EnableManagedSpotTraining"] is True
    assert training["StoppingCondition"]["MaxWaitTimeInSeconds"] >= training["StoppingCondition"]["MaxRuntimeInSeconds"]
    assert training["CheckpointConfig"]["LocalPath"] == "/opt/ml/checkpoints"
    # The model archive the evaluation reads is where SageMaker writes it
    model_input = next(i for i in plan.evaluation["ProcessingInputs"] if i["InputName"] == "model")
    assert model_input["S3Input"]["S3Uri"] == (
        f"{training['OutputDataConfig']['S3OutputPath']}/{training['TrainingJobName']}/output/model.tar.gz"
    )
    # Every job carries the run id as its job_id tag; names fit SageMaker's 63 characters
    for request, name in ((plan.processing, "ProcessingJobName"), (training, "TrainingJobName")):
        assert {"Key": "job_id", "Value": "a" * 32} in request["Tags"]
        assert len(request[name]) <= 63


def test_without_spot_there_is_no_checkpoint_or_maximum_wait(declared: MlModel) -> None:
    training = trainings.plan_training(with_(declared, spot=False), "b" * 32, {}).training
    assert training["EnableManagedSpotTraining"] is False
    assert "CheckpointConfig" not in training
    assert "MaxWaitTimeInSeconds" not in training["StoppingCondition"]


def test_the_model_package_is_what_sagemaker_accepts(declared: MlModel) -> None:
    run = TrainingRun(
        run_id="c" * 32,
        model="churn",
        status="RUNNING",
        trigger=TrainingTrigger.DATA,
        created_at=NOW,
        updated_at=NOW,
        starts_at=NOW,
        data_version="d1",
        code_version="c1",
    )
    registered = RegisterInput(
        run_id=run.run_id,
        model="churn",
        evaluation_uri="s3://insight-dev-model-data/artifacts/churn/c/evaluation/evaluation.json",
        model_data_url="s3://insight-dev-model-data/artifacts/churn/c/models/x/output/model.tar.gz",
        verdict=Verdict(passed=True, metric=0.91, reason="ok"),
    )
    request = trainings.package_request(declared, registered, run)
    check_shape(request, input_shape("sagemaker", "CreateModelPackage"))
    assert request["ModelApprovalStatus"] == "PendingManualApproval"
    assert request["CustomerMetadataProperties"]["data_version"] == "d1"
    assert request["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"] == registered.evaluation_uri
    auto = trainings.package_request(with_(declared, auto_approve=True), registered, run)
    assert auto["ModelApprovalStatus"] == "Approved"


def deployment(**changes: Any) -> Deployment:
    values: dict[str, Any] = {
        "deployment_id": "e" * 32,
        "model": "churn",
        "endpoint": "insight-dev-churn-endpoint",
        "package_arn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/insight-dev-churn-packages/2",
        "version": 2,
        "status": DeploymentStatus.DEPLOYING,
        "trigger": "event",
        "created_at": NOW,
        "updated_at": NOW,
        "endpoint_config": "churn-v2-eeeeeeeeeeee",
        "strategy": "blue_green_canary",
    }
    return Deployment.model_validate({**values, **changes})


def test_the_guarded_update_is_what_sagemaker_and_cloudwatch_accept(declared: MlModel) -> None:
    alarms = deployments.alarm_requests(declared, deployment())
    for alarm in alarms:
        check_shape(alarm, input_shape("cloudwatch", "PutMetricAlarm"))
        assert alarm["Namespace"] == "AWS/SageMaker"
        assert {"Name": "VariantName", "Value": declared.variant} in alarm["Dimensions"]
    assert {a["MetricName"] for a in alarms} == {"Invocation5XXErrors", "ModelLatency"}
    config = deployments.deployment_config(declared, [a["AlarmName"] for a in alarms])
    request = {"EndpointName": declared.endpoint, "EndpointConfigName": "churn-v2-x", "DeploymentConfig": config}
    check_shape(request, input_shape("sagemaker", "UpdateEndpoint"))
    routing = config["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing["Type"] == "CANARY"
    assert routing["CanarySize"] == {"Type": "CAPACITY_PERCENT", "Value": declared.canary_percent}


# --- endpoint events ------------------------------------------------------------------------


def event(status: str, config: str | None, reason: str | None = None) -> EndpointStateChange:
    detail: dict[str, Any] = {"EndpointName": "insight-dev-churn-endpoint", "EndpointStatus": status}
    if config:
        detail["EndpointConfigName"] = config
    if reason:
        detail["FailureReason"] = reason
    return EndpointStateChange.model_validate(detail)


def test_an_endpoint_in_service_on_the_new_config_is_deployed() -> None:
    outcome = deployments.outcome_of(event("IN_SERVICE", "churn-v2-eeeeeeeeeeee"), deployment())
    assert outcome is not None and outcome.status == DeploymentStatus.DEPLOYED


def test_an_endpoint_back_on_the_old_config_after_an_alarm_is_rolled_back() -> None:
    reason = "Rolled back: the auto-rollback alarm(s) x-5xx-errors went into ALARM"
    outcome = deployments.outcome_of(event("IN_SERVICE", "churn-v1-old", reason), deployment())
    assert outcome is not None
    assert (outcome.status, outcome.reason) == (DeploymentStatus.ROLLED_BACK, reason)


def test_steps_of_the_update_and_a_failed_endpoint() -> None:
    assert deployments.outcome_of(event("UPDATING", "churn-v1-old"), deployment()) is None
    assert deployments.outcome_of(event("IN_SERVICE", "churn-v1-old"), deployment()) is None  # not its end
    failed = deployments.outcome_of(event("FAILED", "churn-v2-eeeeeeeeeeee", "model_fn raised"), deployment())
    assert failed is not None and failed.status == DeploymentStatus.FAILED


def test_a_late_failure_of_the_endpoint_made_again_tells_nothing() -> None:
    # Given a deployment that made again an endpoint Failed on another version's config
    made_again = deployment(strategy="create")
    # When the old endpoint's FAILED event comes again (EventBridge delivers at least once)
    stale = event("FAILED", "churn-v1-broken", "model_fn raised")
    # Then it is not this deployment's outcome; its own endpoint's failure is
    assert deployments.outcome_of(stale, made_again) is None
    own = deployments.outcome_of(event("FAILED", "churn-v2-eeeeeeeeeeee", "model_fn raised"), made_again)
    assert own is not None and own.status == DeploymentStatus.FAILED


def test_the_deployment_id_is_the_packages() -> None:
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/insight-dev-churn-packages/2"
    assert deployments.deployment_id(arn) == deployments.deployment_id(arn)
    assert deployments.deployment_id(arn) != deployments.deployment_id(arn[:-1] + "3")


# --- failures ----------------------------------------------------------------------------------


def test_a_failed_jobs_reason_is_its_failure_reason() -> None:
    cause = json.dumps({"TrainingJobName": "churn-x-training", "FailureReason": "AlgorithmError: boom"})
    assert trainings.failure_reason("States.TaskFailed", cause) == "churn-x-training: AlgorithmError: boom"
    lambda_cause = json.dumps({"errorMessage": "no data", "errorType": "InvalidRequest"})
    assert trainings.failure_reason("InvalidRequest", lambda_cause) == "no data"
    assert trainings.failure_reason("States.Timeout", None) == "States.Timeout"


# --- predictions --------------------------------------------------------------------------------


def test_instances_are_checked_against_the_models_schema() -> None:
    record, names = predictions.record_model(json.loads((ROOT / "models" / "churn" / "schema.json").read_text()))
    good = {"tenure_months": 3, "monthly_charges": 80, "support_calls": 1, "contract": "one-year", "has_internet": 0}
    assert predictions.validate(record, [good]) == [{**good, "monthly_charges": 80.0}]
    with pytest.raises(InvalidRequest) as refused:
        predictions.validate(record, [good, {**good, "tenure_months": "3", "contract": "weekly", "age": 3}])
    fields = {(p["instance"], p["field"]) for p in refused.value.details}  # type: ignore[attr-defined]
    assert fields == {(1, "tenure_months"), (1, "contract"), (1, "age")}
    assert names[0] == "tenure_months"


# --- the workflows ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["training", "deployment", "transform"])
def test_every_task_retries_and_every_failure_is_recorded(name: str) -> None:
    states = json.loads((ROOT / "statemachines" / f"{name}.asl.json").read_text())["States"]
    for state_name, state in states.items():
        if state["Type"] != "Task":
            continue
        assert state.get("Retry"), f"{name}.{state_name} has no Retry"
        if state_name != "RecordFailure":
            assert state.get("Catch"), f"{name}.{state_name} has no Catch"
            assert state["Catch"][0]["Next"] == "RecordFailure"
    assert states["RecordFailure"]["Next"] in states and states[states["RecordFailure"]["Next"]]["Type"] == "Fail"


def describing(monkeypatch: pytest.MonkeyPatch, answer: dict[str, Any]) -> None:
    """DescribeEndpoint answers ``answer``, as SageMaker would now."""
    from chalicelib.adapters.sagemaker import Hosting

    monkeypatch.setattr(Hosting, "endpoint", lambda self, name: answer)


def test_an_event_without_a_reason_is_checked_against_the_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an IN_SERVICE event on the old config that names no reason
    change = event("IN_SERVICE", "churn-v1-old")
    # When the endpoint is still updating (the event is of the state before the update)
    describing(monkeypatch, {"EndpointStatus": "Updating", "EndpointConfigName": "churn-v1-old"})
    # Then it tells nothing
    assert deployments.confirmed_outcome(change, deployment()) is None
    # And when the update has ended with the endpoint back on the old config, it was rolled back
    describing(monkeypatch, {"EndpointStatus": "InService", "EndpointConfigName": "churn-v1-old"})
    outcome = deployments.confirmed_outcome(change, deployment())
    assert outcome is not None and outcome.status == DeploymentStatus.ROLLED_BACK
    # And a creation is never second-guessed
    assert deployments.confirmed_outcome(change, deployment(strategy="create")) is None
