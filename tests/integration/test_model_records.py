"""The lifecycle's records on DynamoDB (moto): settle windows, the endpoint's lock, one
deployment per package, whatever the repeats; a Failed endpoint made again as SageMaker
deletes it (asynchronously)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib import deployments, services, trainings
from chalicelib.adapters.model_records import ConditionFailed, ModelRecords
from chalicelib.lifecycle_models import DeploymentExecution, DeploymentStatus, RunStatus
from chalicelib.models import ExecutionStatusChange
from infra.resources import STACK, Table, table_definition

TABLE = "insight-test-model-records"


@pytest.fixture
def records(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelRecords]:
    models = [m.setting("test", "us-east-1", m.image.account("us-east-1")) for m in STACK.models]
    # moto in process: no local server's endpoint (another module's runtime may have set one)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("INSIGHT_ML_MODELS", json.dumps(models))
    monkeypatch.setenv("INSIGHT_MODELS_TABLE", TABLE)
    monkeypatch.setenv("INSIGHT_MODEL_BUCKET", "insight-test-model-data")
    monkeypatch.setenv("INSIGHT_TRAINING_WORKFLOW_ARN", "arn:aws:states:us-east-1:123456789012:stateMachine:t")
    monkeypatch.setenv("INSIGHT_DEPLOYMENT_WORKFLOW_ARN", "arn:aws:states:us-east-1:123456789012:stateMachine:d")
    with mock_aws():
        declaration = next(t for t in STACK.tables if t.logical_id == "ModelRecords")
        assert isinstance(declaration, Table)
        boto3.client("dynamodb", region_name="us-east-1").create_table(TableName=TABLE, **table_definition(declaration))
        services.reset()
        yield services.model_records()
    services.reset()


class Starts:
    """Step Functions' StartExecution as Insight uses it: a name starts once."""

    def __init__(self) -> None:
        self.started: dict[str, dict[str, Any]] = {}

    def start(self, _workflows: Any, arn: str, name: str, payload: dict[str, Any]) -> str | None:
        if name in self.started:
            return None
        self.started[name] = payload
        return f"{arn}:{name}"


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> Starts:
    from chalicelib.adapters.workflows import Workflows

    recorder = Starts()
    monkeypatch.setattr(Workflows, "start", lambda self, arn, name, payload: recorder.start(self, arn, name, payload))
    return recorder


def test_uploads_within_the_settle_window_start_one_run(records: ModelRecords, starts: Starts) -> None:
    # Given the churn model's settle window of 300 s
    first = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
    # When uploads land over four minutes, one event delivered twice
    runs = [
        trainings.data_arrived("insight-test-model-data", f"training/churn/part-{i}.csv", first + timedelta(minutes=i))
        for i in range(4)
    ]
    runs.append(trainings.data_arrived("insight-test-model-data", "training/churn/part-0.csv", first))
    # Then they all are one run, started once, waiting until the window ends
    assert len({run.run_id for run in runs if run}) == 1
    assert list(starts.started) == [runs[0].run_id]  # type: ignore[union-attr]
    assert starts.started[runs[0].run_id]["start_after"] == "2026-11-24T12:05:00Z"  # type: ignore[union-attr]


def test_an_upload_after_the_window_starts_another_run_but_a_late_repeat_does_not(
    records: ModelRecords, starts: Starts
) -> None:
    first = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
    one = trainings.data_arrived("insight-test-model-data", "training/churn/a.csv", first)
    two = trainings.data_arrived("insight-test-model-data", "training/churn/b.csv", first + timedelta(minutes=6))
    late = trainings.data_arrived("insight-test-model-data", "training/churn/a.csv", first + timedelta(seconds=1))
    assert one and two and late
    assert one.run_id != two.run_id
    # And the repeat of a's event (its S3 time in the first window) opens no window: it joins
    # the open one, and starts nothing new
    assert late.run_id == two.run_id
    assert len(starts.started) == 2


def stopped(run_id: str, at: datetime) -> ExecutionStatusChange:
    """Step Functions' "Execution Status Change" detail of a stopped execution."""
    arn = f"arn:aws:states:us-east-1:123456789012:execution:insight-test-training-workflow:{run_id}"
    return ExecutionStatusChange.model_validate(
        {"executionArn": arn, "name": run_id, "status": "ABORTED", "stopDate": int(at.timestamp() * 1000)}
    )


def test_a_run_stopped_while_settling_ends_its_window_so_the_next_upload_starts_a_new_run(
    records: ModelRecords, starts: Starts
) -> None:
    first = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
    # Given an upload whose run settles until 12:05
    dead = trainings.data_arrived("insight-test-model-data", "training/churn/a.csv", first)
    assert dead is not None
    # When its execution is stopped at 12:01, still settling
    assert trainings.execution_ended(stopped(dead.run_id, first + timedelta(minutes=1))) == "training"
    assert records.get(f"run#{dead.run_id}")["status"] == "FAILED"
    # Then a late repeat of its upload's event still joins it, and starts nothing
    repeat = trainings.data_arrived("insight-test-model-data", "training/churn/a.csv", first)
    assert repeat is not None and repeat.run_id == dead.run_id
    # But the next upload, at 12:02, starts a new run instead of joining the dead one
    after = trainings.data_arrived("insight-test-model-data", "training/churn/b.csv", first + timedelta(minutes=2))
    assert after is not None and after.run_id != dead.run_id
    assert after.status == RunStatus.SETTLING
    assert list(starts.started) == [dead.run_id, after.run_id]
    assert starts.started[after.run_id]["start_after"] == "2026-11-24T12:07:00Z"


def test_a_run_stopped_in_the_second_its_window_opened_gives_way_to_a_new_run(
    records: ModelRecords, starts: Starts
) -> None:
    first = datetime(2026, 11, 24, 12, 0, 0, 100000, tzinfo=UTC)
    dead = trainings.data_arrived("insight-test-model-data", "training/churn/a.csv", first)
    assert dead is not None
    # When its execution is stopped within the second the window opened
    trainings.execution_ended(stopped(dead.run_id, first + timedelta(milliseconds=300)))
    # Then an upload later in that second starts a new run (its window opens in the same
    # second, with another run id than the dead run's)
    after = trainings.data_arrived("insight-test-model-data", "training/churn/b.csv", first + timedelta(seconds=0.6))
    assert after is not None and after.run_id != dead.run_id
    assert after.status == RunStatus.SETTLING
    # And uploads in its window join it
    joined = trainings.data_arrived("insight-test-model-data", "training/churn/c.csv", first + timedelta(seconds=2))
    assert joined is not None and joined.run_id == after.run_id
    assert list(starts.started) == [dead.run_id, after.run_id]


def test_a_run_that_ends_after_its_window_leaves_the_next_window_alone(records: ModelRecords, starts: Starts) -> None:
    first = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
    one = trainings.data_arrived("insight-test-model-data", "training/churn/a.csv", first)
    two = trainings.data_arrived("insight-test-model-data", "training/churn/b.csv", first + timedelta(minutes=6))
    assert one and two and one.run_id != two.run_id
    # When the first run's execution ends (it failed while training) inside the second's window
    trainings.execution_ended(stopped(one.run_id, first + timedelta(minutes=7)))
    # Then the second window is still open: an upload in it joins its run
    late = trainings.data_arrived("insight-test-model-data", "training/churn/c.csv", first + timedelta(minutes=8))
    assert late is not None and late.run_id == two.run_id
    assert len(starts.started) == 2


def test_objects_outside_a_models_training_prefix_are_ignored(records: ModelRecords, starts: Starts) -> None:
    moment = datetime(2026, 11, 24, tzinfo=UTC)
    assert trainings.data_arrived("insight-test-model-data", "training/unknown/x.csv", moment) is None
    assert trainings.data_arrived("insight-test-model-data", "training/churn/", moment) is None
    assert trainings.data_arrived("another-bucket", "training/churn/x.csv", moment) is None
    assert not starts.started


def test_one_deployment_per_package_and_one_at_a_time_per_endpoint(records: ModelRecords, starts: Starts) -> None:
    model = trainings.declared_model("churn")
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/insight-test-churn-packages/{}"
    # When the approval of version 1 comes three times (event, event again, the API)
    first = deployments.start_deployment(model, arn.format(1), 1, "event")
    again = deployments.start_deployment(model, arn.format(1), 1, "event")
    by_api = deployments.start_deployment(model, arn.format(1), 1, "api")
    # Then it is one deployment, started once
    assert first.deployment_id == again.deployment_id == by_api.deployment_id
    assert list(starts.started) == [first.deployment_id]
    # And while it holds the endpoint, version 2's deployment waits
    second = deployments.start_deployment(model, arn.format(2), 2, "event")
    deployments.acquire_endpoint(DeploymentExecution(deployment_id=first.deployment_id))
    deployments.acquire_endpoint(DeploymentExecution(deployment_id=first.deployment_id))  # a retried step
    with pytest.raises(deployments.EndpointBusy):
        deployments.acquire_endpoint(DeploymentExecution(deployment_id=second.deployment_id))
    # Until it ends, whatever its outcome
    from chalicelib.lifecycle_models import DeploymentEnd, DeploymentOutcome

    ended = deployments.finish_deployment(
        DeploymentEnd(
            deployment_id=first.deployment_id,
            outcome=DeploymentOutcome(status=DeploymentStatus.ROLLED_BACK, reason="Rolled back: alarm"),
        )
    )
    assert ended.status == DeploymentStatus.ROLLED_BACK
    deployments.acquire_endpoint(DeploymentExecution(deployment_id=second.deployment_id))
    # And a finished deployment keeps its outcome when its end is recorded again
    repeated = deployments.finish_deployment(
        DeploymentEnd(deployment_id=first.deployment_id, outcome=DeploymentOutcome(status=DeploymentStatus.DEPLOYED))
    )
    assert repeated.status == DeploymentStatus.ROLLED_BACK


def test_a_lock_is_released_only_by_its_holder(records: ModelRecords) -> None:
    records.hold("lock#e", "a", {"endpoint": "e"})
    with pytest.raises(ConditionFailed):
        records.hold("lock#e", "b", {"endpoint": "e"})
    records.release("lock#e", "b")  # not the holder: nothing happens
    assert records.get("lock#e")["holder"] == "a"
    records.release("lock#e", "a")
    assert records.find("lock#e") is None


def test_only_approvals_of_insights_groups_deploy(records: ModelRecords, starts: Starts) -> None:
    from chalicelib.lifecycle_models import ModelPackageStateChange

    def change(group: str, status: str, version: int = 1) -> ModelPackageStateChange:
        return ModelPackageStateChange.model_validate(
            {
                "ModelPackageGroupName": group,
                "ModelPackageArn": f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{group}/{version}",
                "ModelPackageVersion": version,
                "ModelApprovalStatus": status,
                "ModelPackageStatus": "Completed",
                "CreationTime": "2026-11-24T12:00:00Z",
            }
        )

    group = trainings.declared_model("churn").package_group
    # An approval of another team's group, and a registration pending approval, deploy nothing
    assert deployments.package_approved(change("someone-elses-models", "Approved")) is None
    assert deployments.package_approved(change(group, "PendingManualApproval")) is None
    assert not starts.started
    # An approval of the churn model's group (registered Approved by auto-approve) deploys it
    deployment = deployments.package_approved(change(group, "Approved", 3))
    assert deployment is not None
    assert (deployment.version, deployment.trigger, deployment.status) == (3, "event", DeploymentStatus.PENDING)
    assert list(starts.started) == [deployment.deployment_id]


ROLE = "arn:aws:iam::123456789012:role/insight-test-sage-maker"


@pytest.fixture
def sagemaker(records: ModelRecords, monkeypatch: pytest.MonkeyPatch) -> Any:
    """moto's SageMaker with the churn model's package group; deployments run with ROLE."""
    monkeypatch.setenv("INSIGHT_SAGEMAKER_ROLE_ARN", ROLE)
    services.reset()
    client = boto3.client("sagemaker", region_name="us-east-1")
    client.create_model_package_group(ModelPackageGroupName=trainings.declared_model("churn").package_group)
    return client


@pytest.fixture
def described(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any] | None]:
    """What DescribeEndpoint answers, in order (moto's endpoints are InService at once, never
    Failed): the test puts each answer it expects to be asked for."""
    from chalicelib.adapters.sagemaker import Hosting

    answers: list[dict[str, Any] | None] = []
    monkeypatch.setattr(Hosting, "endpoint", lambda self, name: answers.pop(0))
    return answers


def container(model: Any) -> dict[str, Any]:
    return {"Image": model.image_uri, "ModelDataUrl": "s3://insight-test-model-data/artifacts/churn/model.tar.gz"}


def model_and_config(sagemaker: Any, name: str) -> None:
    """A SageMaker Model and an endpoint config of the churn model, both called ``name``."""
    model = trainings.declared_model("churn")
    sagemaker.create_model(
        ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={**container(model), "Environment": {}}
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": model.variant,
                "ModelName": name,
                "InitialInstanceCount": 1,
                "InstanceType": model.inference_instance_type,
            }
        ],
    )


def approved_deployment(sagemaker: Any, version: int) -> Any:
    """An Approved package of the churn model, its deployment holding the endpoint."""
    model = trainings.declared_model("churn")
    package_arn = sagemaker.create_model_package(
        ModelPackageGroupName=model.package_group,
        InferenceSpecification={
            "Containers": [container(model)],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        ModelApprovalStatus="Approved",
    )["ModelPackageArn"]
    deployment = deployments.start_deployment(model, package_arn, version, "event")
    deployments.acquire_endpoint(DeploymentExecution(deployment_id=deployment.deployment_id))
    return deployment


def failed_endpoint(config: str) -> dict[str, Any]:
    return {"EndpointStatus": "Failed", "EndpointConfigName": config, "FailureReason": "model_fn raised"}


def made(sagemaker: Any) -> tuple[list[str], list[str]]:
    """The endpoint configs and models SageMaker holds."""
    configs = [c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]]
    return sorted(configs), sorted(m["ModelName"] for m in sagemaker.list_models()["Models"])


def end(deployment: Any, status: Any, reason: str | None = None) -> Any:
    from chalicelib.lifecycle_models import DeploymentEnd, DeploymentOutcome

    outcome = DeploymentOutcome(status=status, reason=reason)
    return deployments.finish_deployment(DeploymentEnd(deployment_id=deployment.deployment_id, outcome=outcome))


def test_a_failed_endpoint_is_made_again_once_sagemaker_has_deleted_it(
    records: ModelRecords, starts: Starts, sagemaker: Any, described: list[dict[str, Any] | None]
) -> None:
    from chalicelib.lifecycle_models import DeploymentStart

    model = trainings.declared_model("churn")
    # Given the endpoint Failed on version 1's config (its model did not load)
    model_and_config(sagemaker, "churn-v1-broken")
    # And version 2 approved, its deployment holding the endpoint
    deployment = approved_deployment(sagemaker, 2)
    # SageMaker describes the endpoint Failed, then Deleting while it deletes it, then not at all
    described += [failed_endpoint("churn-v1-broken"), {"EndpointStatus": "Deleting", "EndpointConfigName": "x"}, None]
    # When the step deletes it, and is retried while SageMaker deletes it
    with pytest.raises(deployments.EndpointBusy):
        deployments.deploy_model(DeploymentStart(deployment_id=deployment.deployment_id, task_token="first"))
    deployments.deploy_model(DeploymentStart(deployment_id=deployment.deployment_id, task_token="retried"))
    # Then the endpoint is created again from version 2's config (never updated)
    remade = deployments.get_deployment(deployment.deployment_id)
    assert remade.strategy == "create"
    endpoint = sagemaker.describe_endpoint(EndpointName=model.endpoint)
    assert endpoint["EndpointConfigName"] == remade.endpoint_config
    # And once it is in service, version 1's config and model, which serve nothing, are deleted
    ended = end(deployment, DeploymentStatus.DEPLOYED)
    assert ended.superseded == ["churn-v1-broken", "churn-v1-broken"]
    assert made(sagemaker) == ([remade.endpoint_config], [remade.model_name])


def test_an_endpoint_made_again_that_fails_again_leaves_nothing_of_the_first_failure(
    records: ModelRecords, starts: Starts, sagemaker: Any, described: list[dict[str, Any] | None]
) -> None:
    from chalicelib.lifecycle_models import DeploymentStart

    # Given the endpoint Failed on version 1's config
    model_and_config(sagemaker, "churn-v1-broken")
    # When version 2 makes it again, and its model fails to load too
    second = approved_deployment(sagemaker, 2)
    described += [failed_endpoint("churn-v1-broken"), None]
    deployments.deploy_model(DeploymentStart(deployment_id=second.deployment_id, task_token="t2"))
    remade = deployments.get_deployment(second.deployment_id)
    assert remade.endpoint_config and remade.model_name
    described.append(failed_endpoint(remade.endpoint_config))
    ended = end(second, DeploymentStatus.FAILED, "model_fn raised")
    # Then version 1's config and model, which serve nothing since, are deleted all the same
    assert ended.status == DeploymentStatus.FAILED
    assert ended.superseded == ["churn-v1-broken", "churn-v1-broken"]
    assert (ended.failed_config, ended.failed_model) == ("churn-v1-broken", "churn-v1-broken")
    # But version 2's stay with the Failed endpoint that is on them
    assert made(sagemaker) == ([remade.endpoint_config], [remade.model_name])
    # Until version 3 makes the endpoint again and is deployed: only what serves is left
    third = approved_deployment(sagemaker, 3)
    described += [failed_endpoint(remade.endpoint_config), None]
    deployments.deploy_model(DeploymentStart(deployment_id=third.deployment_id, task_token="t3"))
    deployed = end(third, DeploymentStatus.DEPLOYED)
    assert deployed.superseded == [remade.endpoint_config, remade.model_name]
    assert made(sagemaker) == ([deployed.endpoint_config], [deployed.model_name])
    assert described == []


def test_a_deployment_that_fails_before_its_endpoint_is_made_deletes_what_it_made(
    records: ModelRecords,
    starts: Starts,
    sagemaker: Any,
    described: list[dict[str, Any] | None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib.adapters.sagemaker import Hosting
    from chalicelib.errors import ServiceUnavailable
    from chalicelib.lifecycle_models import DeploymentEnd, DeploymentStart
    from chalicelib.models import WorkflowFailure

    # Given a deployment whose CreateEndpoint fails, its model and config made
    deployment = approved_deployment(sagemaker, 1)

    def refused(self: Hosting, name: str, config: str, tags: list[dict[str, str]]) -> None:
        raise ServiceUnavailable("SageMaker: ResourceLimitExceeded")

    monkeypatch.setattr(Hosting, "create_endpoint", refused)
    described += [None, None]
    with pytest.raises(ServiceUnavailable):
        deployments.deploy_model(DeploymentStart(deployment_id=deployment.deployment_id, task_token="t"))
    assert made(sagemaker) != ([], [])
    # When the workflow's Catch ends it FAILED
    failure = WorkflowFailure(Error="ServiceUnavailable", Cause="SageMaker: ResourceLimitExceeded")
    ended = deployments.finish_deployment(DeploymentEnd(deployment_id=deployment.deployment_id, failure=failure))
    # Then the model and config it made, which no endpoint is on, are deleted
    assert ended.status == DeploymentStatus.FAILED
    assert ended.superseded == [ended.endpoint_config, ended.model_name]
    assert made(sagemaker) == ([], [])


def test_a_deployment_that_does_not_end_live_never_deletes_what_the_live_record_names(
    records: ModelRecords, starts: Starts, sagemaker: Any, described: list[dict[str, Any] | None]
) -> None:
    from chalicelib.lifecycle_models import DeploymentStart

    model = trainings.declared_model("churn")
    # Given version 1 live, and its endpoint Failed since, on version 1's config
    model_and_config(sagemaker, "churn-v1-live")
    records.put(
        f"live#{model.endpoint}",
        {
            "endpoint": model.endpoint,
            "model": "churn",
            "package_arn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1",
            "version": 1,
            "model_name": "churn-v1-live",
            "endpoint_config": "churn-v1-live",
            "deployment_id": "d1",
            "deployed_at": "2026-11-24T12:00:00+00:00",
        },
    )
    # When version 2 makes the endpoint again and fails
    second = approved_deployment(sagemaker, 2)
    described += [failed_endpoint("churn-v1-live"), None]
    deployments.deploy_model(DeploymentStart(deployment_id=second.deployment_id, task_token="t"))
    remade = deployments.get_deployment(second.deployment_id)
    described.append(failed_endpoint(str(remade.endpoint_config)))
    ended = end(second, DeploymentStatus.FAILED, "model_fn raised")
    # Then the live version's config and model are kept, as are the failed endpoint's own
    assert ended.superseded == []
    assert made(sagemaker) == (
        sorted(["churn-v1-live", str(remade.endpoint_config)]),
        sorted(["churn-v1-live", str(remade.model_name)]),
    )
