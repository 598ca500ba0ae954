"""The local SageMaker's endpoints: the example model hosted through its inference script,
InvokeEndpoint answered by it, and blue/green canary updates that deploy a good model and roll
a faulty one back on a CloudWatch alarm, through boto3 against the local AWS."""

from __future__ import annotations

import io
import json
import tarfile
import threading
import time
from typing import Any

import joblib
import pytest
from botocore.exceptions import ClientError

from insight_local.server import LocalAWS
from tests.integration import sagemaker_support as sm

BUCKET = "ml-endpoints"
BUCKETS = [BUCKET]
CUSTOMERS = [
    {"tenure_months": 2, "monthly_charges": 99.5, "support_calls": 5, "contract": "month-to-month", "has_internet": 1},
    {"tenure_months": 120, "monthly_charges": 20.0, "support_calls": 0, "contract": "two-year", "has_internet": 0},
    {"tenure_months": 14, "monthly_charges": 70.25, "support_calls": 2, "contract": "one-year", "has_internet": 1},
]
#: The example model's inference script, but its predict_fn crashes: a faulty model.
BROKEN_INFERENCE = (sm.CHURN / "inference.py").read_text() + (
    "\n\ndef predict_fn(data, model):\n    raise RuntimeError('the model server ran out of memory')\n"
)


def train(aws: LocalAWS, name: str, hyperparameters: dict[str, Any]) -> str:
    sagemaker = aws.client("sagemaker")
    request = sm.training_request(
        name, BUCKET, f"s3://{BUCKET}/prepared/train", f"s3://{BUCKET}/prepared/validation", hyperparameters
    )
    sagemaker.create_training_job(**request)
    done = sm.wait_for(lambda: sagemaker.describe_training_job(TrainingJobName=name), "TrainingJobStatus")
    assert done["TrainingJobStatus"] == "Completed", done.get("FailureReason")
    return str(done["ModelArtifacts"]["S3ModelArtifacts"])


@pytest.fixture(scope="module")
def models(aws: LocalAWS) -> dict[str, str]:
    """Two trained churn models (a good one, a deliberately shallow one) and three Models:
    ``good``, ``shallow`` and ``faulty`` (the good archive served by a crashing script)."""
    sm.upload_project(aws, BUCKET)
    s3 = aws.client("s3")
    s3.put_object(
        Bucket=BUCKET,
        Key="code/broken/sourcedir.tar.gz",
        Body=sm.source_archive(extra={"inference.py": BROKEN_INFERENCE}, skip=("inference.py",)),
    )
    sagemaker = aws.client("sagemaker")
    outputs = {name: f"s3://{BUCKET}/prepared/{name}" for name in ("train", "validation", "test")}
    sagemaker.create_processing_job(
        **sm.processing_request("prepare", BUCKET, "processing.py", {"data": f"s3://{BUCKET}/raw/"}, outputs)
    )
    sm.wait_for(lambda: sagemaker.describe_processing_job(ProcessingJobName="prepare"), "ProcessingJobStatus")
    good = train(aws, "train-good", {"n_estimators": 40})
    shallow = train(aws, "train-shallow", {"n_estimators": 3, "max_depth": 1})
    sagemaker.create_model(**sm.model_request("good", BUCKET, good))
    sagemaker.create_model(**sm.model_request("shallow", BUCKET, shallow))
    sagemaker.create_model(**sm.model_request("faulty", BUCKET, good, f"s3://{BUCKET}/code/broken/sourcedir.tar.gz"))
    return {"good": good, "shallow": shallow}


def local_predictions(aws: LocalAWS, archive_uri: str, customers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the model in the archive predicts, called in this process."""
    key = archive_uri.split(f"s3://{BUCKET}/", 1)[1]
    body = aws.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        model = joblib.load(tar.extractfile("model.joblib"))["model"]  # type: ignore[arg-type]
    inference = sm.churn_module("inference")
    result: list[dict[str, Any]] = inference.predict_fn(
        inference.input_fn(json.dumps({"instances": customers}), "application/json"), model
    )
    return result


def config(aws: LocalAWS, name: str, variants: dict[str, str]) -> str:
    aws.client("sagemaker").create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": variant,
                "ModelName": model,
                "InitialInstanceCount": 2,
                "InstanceType": "ml.m5.large",
                "InitialVariantWeight": 1.0,
            }
            for variant, model in variants.items()
        ],
    )
    return name


def endpoint(aws: LocalAWS, name: str, endpoint_config: str) -> dict[str, Any]:
    sagemaker = aws.client("sagemaker")
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=endpoint_config)
    return settled(aws, name)


def settled(aws: LocalAWS, name: str, timeout: float = 60) -> dict[str, Any]:
    sagemaker = aws.client("sagemaker")
    return sm.wait_for(
        lambda: sagemaker.describe_endpoint(EndpointName=name), "EndpointStatus", ("InService", "Failed"), timeout
    )


def predict(aws: LocalAWS, name: str, customers: list[dict[str, Any]], **extra: Any) -> tuple[list[Any], str]:
    answer = aws.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=name, ContentType="application/json", Body=json.dumps({"instances": customers}), **extra
    )
    return json.loads(answer["Body"].read())["predictions"], answer["InvokedProductionVariant"]


def queue_for(aws: LocalAWS, name: str, pattern: dict[str, Any]) -> str:
    sqs = aws.client("sqs")
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.client("events").put_rule(Name=name, EventPattern=json.dumps(pattern))
    aws.client("events").put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])
    return str(queue)


def drain(aws: LocalAWS, queue: str, seconds: float = 2) -> list[dict[str, Any]]:
    sqs = aws.client("sqs")
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        received += [json.loads(message["Body"]) for message in answer.get("Messages", [])]
    return received


def error_alarm(aws: LocalAWS, endpoint_name: str) -> str:
    """An alarm on the variant's 5XX errors, as a deployment's auto-rollback alarm."""
    name = f"{endpoint_name}-5xx"
    aws.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Dimensions=[{"Name": "EndpointName", "Value": endpoint_name}, {"Name": "VariantName", "Value": "AllTraffic"}],
        Statistic="Sum",
        Period=10,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
    )
    return name


def canary(alarm: str, wait: int = 3, termination: int = 2) -> dict[str, Any]:
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                "WaitIntervalInSeconds": wait,
            },
            "TerminationWaitInSeconds": termination,
            "MaximumExecutionTimeoutInSeconds": 600,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": alarm}]},
    }


class Traffic:
    """Requests sent to an endpoint on a thread while a deployment runs."""

    def __init__(self, aws: LocalAWS, name: str) -> None:
        self.aws, self.name = aws, name
        self.answers: list[list[Any]] = []
        self.errors: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.answers.append(predict(self.aws, self.name, CUSTOMERS[:1])[0])
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ModelError", error
                self.errors.append(error.response)
            time.sleep(0.05)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join(10)


def test_an_endpoint_answers_as_the_model_predicts_in_process(aws: LocalAWS, models: dict[str, str]) -> None:
    # Given an endpoint of the good model, and a rule sending its state changes to a queue
    queue = queue_for(
        aws,
        "endpoint-states",
        {
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker Endpoint State Change"],
            "detail": {"EndpointName": ["churn"]},
        },
    )
    described = endpoint(aws, "churn", config(aws, "churn-v1", {"AllTraffic": "good"}))
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    # When customers are scored as JSON and as CSV
    predictions, variant = predict(aws, "churn", CUSTOMERS)
    csv = aws.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="churn", ContentType="text/csv", Accept="text/csv", Body=b"2,99.5,5,month-to-month,1\n"
    )
    # Then the answers are the model's own predictions
    expected = local_predictions(aws, models["good"], CUSTOMERS)
    assert predictions == expected and variant == "AllTraffic"
    assert csv["ContentType"] == "text/csv"
    assert csv["Body"].read().decode() == f"{expected[0]['churned']},{expected[0]['probability']}\n"
    # and the endpoint went Creating -> InService, as its events say
    statuses = [event["detail"]["EndpointStatus"] for event in drain(aws, queue)]
    assert statuses == ["CREATING", "IN_SERVICE"]


def test_input_outside_the_schema_is_a_model_error_with_the_reason(aws: LocalAWS, models: dict[str, str]) -> None:
    endpoint(aws, "churn-strict", config(aws, "churn-strict-v1", {"AllTraffic": "good"}))
    runtime = aws.client("sagemaker-runtime")
    with pytest.raises(runtime.exceptions.ModelError) as refused:
        runtime.invoke_endpoint(
            EndpointName="churn-strict", ContentType="application/json", Body=b'{"instances": [{"tenure_months": 3}]}'
        )
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert refused.value.response["OriginalStatusCode"] == 400
    assert "missing features" in refused.value.response["OriginalMessage"]
    assert refused.value.response["LogStreamArn"].endswith("/aws/sagemaker/Endpoints/churn-strict")
    with pytest.raises(runtime.exceptions.ValidationError, match="not found"):
        runtime.invoke_endpoint(EndpointName="no-such-endpoint", ContentType="text/csv", Body=b"1")


def test_target_variant_chooses_the_model(aws: LocalAWS, models: dict[str, str]) -> None:
    # Given an endpoint of two variants: the good model and the shallow one
    endpoint(aws, "churn-ab", config(aws, "churn-ab-v1", {"Good": "good", "Shallow": "shallow"}))
    # When each is asked by name
    good, good_variant = predict(aws, "churn-ab", CUSTOMERS, TargetVariant="Good")
    shallow, shallow_variant = predict(aws, "churn-ab", CUSTOMERS, TargetVariant="Shallow")
    # Then each answers with its own model
    assert good == local_predictions(aws, models["good"], CUSTOMERS) and good_variant == "Good"
    assert shallow == local_predictions(aws, models["shallow"], CUSTOMERS) and shallow_variant == "Shallow"
    assert good != shallow
    # and an unknown variant is refused
    with pytest.raises(ClientError, match="Target variant Other not found") as refused:
        predict(aws, "churn-ab", CUSTOMERS, TargetVariant="Other")
    assert refused.value.response["Error"]["Code"] == "ValidationError"


def test_invocations_are_counted_in_cloudwatch(aws: LocalAWS, models: dict[str, str]) -> None:
    from insight_local.sagemaker import hosting

    endpoint(aws, "churn-counted", config(aws, "churn-counted-v1", {"AllTraffic": "good"}))
    for _ in range(3):
        predict(aws, "churn-counted", CUSTOMERS)
    hosting.METRICS.flush()
    statistics = aws.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName="Invocations",
        Dimensions=[{"Name": "EndpointName", "Value": "churn-counted"}, {"Name": "VariantName", "Value": "AllTraffic"}],
        StartTime=time.time() - 600,
        EndTime=time.time() + 60,
        Period=60,
        Statistics=["Sum"],
    )
    assert sum(point["Sum"] for point in statistics["Datapoints"]) == 3


def test_a_canary_of_a_better_model_takes_all_traffic(aws: LocalAWS, models: dict[str, str]) -> None:
    # Given an endpoint serving the shallow model, its 5XX alarm, and a rule on its deployments
    endpoint(aws, "churn-deploy", config(aws, "churn-deploy-v1", {"AllTraffic": "shallow"}))
    alarm = error_alarm(aws, "churn-deploy")
    queue = queue_for(
        aws,
        "deploy-events",
        {
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker Endpoint Deployment State Change"],
            "detail": {"EndpointName": ["churn-deploy"]},
        },
    )
    new_config = config(aws, "churn-deploy-v2", {"AllTraffic": "good"})
    old_answer = local_predictions(aws, models["shallow"], CUSTOMERS[:1])
    new_answer = local_predictions(aws, models["good"], CUSTOMERS[:1])
    sagemaker = aws.client("sagemaker")
    # When the good model is deployed as a 50% canary while traffic flows
    with Traffic(aws, "churn-deploy") as traffic:
        sagemaker.update_endpoint(
            EndpointName="churn-deploy", EndpointConfigName=new_config, DeploymentConfig=canary(alarm)
        )
        during = sagemaker.describe_endpoint(EndpointName="churn-deploy")
        time.sleep(0.5)
        done = settled(aws, "churn-deploy")
    # Then while it baked both models answered, and then the new one took all traffic
    assert during["EndpointStatus"] == "Updating"
    assert during["PendingDeploymentSummary"]["EndpointConfigName"] == new_config
    assert old_answer in traffic.answers and new_answer in traffic.answers and not traffic.errors
    assert done["EndpointStatus"] == "InService" and "FailureReason" not in done
    assert done["EndpointConfigName"] == new_config
    assert done["LastDeploymentConfig"] == canary(alarm)
    assert "PendingDeploymentSummary" not in done
    assert [predict(aws, "churn-deploy", CUSTOMERS[:1])[0] for _ in range(5)] == [new_answer] * 5
    # and the deployment's steps were published, ending in service on the new config
    events = [event["detail"] for event in drain(aws, queue)]
    steps = [
        (
            detail["EndpointStatus"],
            detail.get("PendingDeploymentSummary", {})
            .get("ProductionVariants", [{}])[0]
            .get("VariantStatus", [{}])[0]
            .get("Status"),
        )
        for detail in events
    ]
    assert steps[0] == ("UPDATING", "Creating")
    assert ("UPDATING", "Baking") in steps
    assert steps[-1] == ("IN_SERVICE", None)
    assert events[-1]["EndpointConfigName"] == new_config


def test_a_canary_of_a_faulty_model_is_rolled_back_by_its_alarm(aws: LocalAWS, models: dict[str, str]) -> None:
    # Given an endpoint serving the good model, and a new config whose model crashes on every request
    endpoint(aws, "churn-guarded", config(aws, "churn-guarded-v1", {"AllTraffic": "good"}))
    alarm = error_alarm(aws, "churn-guarded")
    queue = queue_for(
        aws,
        "rollback-events",
        {
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker Endpoint Deployment State Change"],
            "detail": {"EndpointName": ["churn-guarded"]},
        },
    )
    faulty = config(aws, "churn-guarded-v2", {"AllTraffic": "faulty"})
    sagemaker = aws.client("sagemaker")
    # When it is deployed as a canary while traffic flows
    with Traffic(aws, "churn-guarded") as traffic:
        sagemaker.update_endpoint(
            EndpointName="churn-guarded", EndpointConfigName=faulty, DeploymentConfig=canary(alarm, wait=30)
        )
        time.sleep(0.5)
        done = settled(aws, "churn-guarded")
    # Then the canary's errors put the alarm in ALARM, and the deployment was rolled back before the wait ended
    assert traffic.errors and all(error["OriginalStatusCode"] == 500 for error in traffic.errors)
    state = aws.client("cloudwatch").describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]
    assert state["StateValue"] == "ALARM"
    assert done["EndpointStatus"] == "InService"
    assert done["EndpointConfigName"] == "churn-guarded-v1"
    assert done["FailureReason"].startswith(f"Rolled back: the auto-rollback alarm(s) {alarm} went into ALARM")
    # and the old model still serves every request
    expected = local_predictions(aws, models["good"], CUSTOMERS)
    assert [predict(aws, "churn-guarded", CUSTOMERS)[0] for _ in range(5)] == [expected] * 5
    # and the deployment's end was published: rolling back, then in service on the old config with the reason
    events = [event["detail"] for event in drain(aws, queue)]
    assert [detail["EndpointStatus"] for detail in events][-2:] == ["ROLLING_BACK", "IN_SERVICE"]
    assert events[-1]["EndpointConfigName"] == "churn-guarded-v1"
    assert events[-1]["FailureReason"] == done["FailureReason"]


def test_an_update_whose_model_cannot_load_fails_and_the_old_model_serves(
    aws: LocalAWS, models: dict[str, str]
) -> None:
    sagemaker = aws.client("sagemaker")
    sagemaker.create_model(**sm.model_request("missing", BUCKET, f"s3://{BUCKET}/models/none/model.tar.gz"))
    endpoint(aws, "churn-keep", config(aws, "churn-keep-v1", {"AllTraffic": "good"}))
    sagemaker.update_endpoint(
        EndpointName="churn-keep", EndpointConfigName=config(aws, "churn-keep-v2", {"AllTraffic": "missing"})
    )
    time.sleep(0.3)
    done = settled(aws, "churn-keep")
    assert done["EndpointConfigName"] == "churn-keep-v1"
    assert done["FailureReason"].startswith("Failed to deploy churn-keep-v2")
    assert "No S3 objects found" in done["FailureReason"]
    assert predict(aws, "churn-keep", CUSTOMERS)[0] == local_predictions(aws, models["good"], CUSTOMERS)


def test_updates_sagemaker_refuses_are_refused(aws: LocalAWS, models: dict[str, str]) -> None:
    sagemaker = aws.client("sagemaker")
    endpoint(aws, "churn-busy", config(aws, "churn-busy-v1", {"AllTraffic": "good"}))
    alarm = error_alarm(aws, "churn-busy")
    # A blue/green update to a config whose variant is named differently
    renamed = config(aws, "churn-busy-renamed", {"Other": "good"})
    with pytest.raises(sagemaker.exceptions.ClientError, match="must keep the endpoint's variant names"):
        sagemaker.update_endpoint(EndpointName="churn-busy", EndpointConfigName=renamed, DeploymentConfig=canary(alarm))
    # A second update while one is in progress
    sagemaker.update_endpoint(
        EndpointName="churn-busy",
        EndpointConfigName=config(aws, "churn-busy-v2", {"AllTraffic": "shallow"}),
        DeploymentConfig=canary(alarm, wait=2, termination=0),
    )
    with pytest.raises(sagemaker.exceptions.ClientError, match="Cannot update in-progress endpoint"):
        sagemaker.update_endpoint(EndpointName="churn-busy", EndpointConfigName="churn-busy-v1")
    time.sleep(0.3)
    assert settled(aws, "churn-busy")["EndpointConfigName"] == "churn-busy-v2"


def test_progress_shows_jobs_and_endpoints(aws: LocalAWS, models: dict[str, str]) -> None:
    from insight_local.sagemaker import progress

    endpoint(aws, "churn-progress", config(aws, "churn-progress-v1", {"AllTraffic": "good"}))
    lines = [job.line() for job in progress.jobs_snapshot()]
    good = next(line for line in lines if line.startswith("Training job train-good: Completed"))
    assert "validation:accuracy=" in good
    assert "endpoint churn-progress: churn-progress-v1 serving" in [
        endpoint.line() for endpoint in progress.endpoints_snapshot()
    ]


def test_linear_traffic_shifting_reaches_the_new_model_step_by_step(aws: LocalAWS, models: dict[str, str]) -> None:
    # Given an endpoint serving the shallow model
    endpoint(aws, "churn-linear", config(aws, "churn-linear-v1", {"AllTraffic": "shallow"}))
    alarm = error_alarm(aws, "churn-linear")
    linear = canary(alarm, wait=1, termination=0)
    linear["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] = {
        "Type": "LINEAR",
        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
        "WaitIntervalInSeconds": 1,
    }
    queue = queue_for(
        aws,
        "linear-events",
        {
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker Endpoint Deployment State Change"],
            "detail": {"EndpointName": ["churn-linear"]},
        },
    )
    # When the good model is deployed in steps of half the capacity
    sagemaker = aws.client("sagemaker")
    sagemaker.update_endpoint(
        EndpointName="churn-linear",
        EndpointConfigName=config(aws, "churn-linear-v2", {"AllTraffic": "good"}),
        DeploymentConfig=linear,
    )
    time.sleep(0.3)
    done = settled(aws, "churn-linear")
    # Then it baked at 50% then 100% of the traffic, and serves alone
    assert done["EndpointConfigName"] == "churn-linear-v2"
    messages = [
        detail["PendingDeploymentSummary"]["ProductionVariants"][0]["VariantStatus"][0]["StatusMessage"]
        for detail in (event["detail"] for event in drain(aws, queue))
        if "PendingDeploymentSummary" in detail
    ]
    assert any("on 50% of the capacity" in message for message in messages)
    assert any("on 100% of the capacity" in message for message in messages)
    expected = local_predictions(aws, models["good"], CUSTOMERS)
    assert predict(aws, "churn-linear", CUSTOMERS)[0] == expected
