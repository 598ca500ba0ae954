"""The local SageMaker's jobs: the example model's own scripts (models/churn) run as
processing, training and transform jobs, through boto3 against the local AWS, with botocore
validating every request and answer."""

from __future__ import annotations

import io
import json
import re
import tarfile
import time
from collections.abc import Iterator
from typing import Any

import joblib
import pytest

from insight_local import sagemaker as engine
from insight_local.server import LocalAWS
from tests.integration import sagemaker_support as sm

BUCKET = "ml-jobs"
BUCKETS = [BUCKET]


@pytest.fixture(scope="module")
def project(aws: LocalAWS) -> LocalAWS:
    sm.upload_project(aws, BUCKET)
    return aws


def describe_processing(aws: LocalAWS, name: str) -> dict[str, Any]:
    sagemaker = aws.client("sagemaker")
    return sm.wait_for(lambda: sagemaker.describe_processing_job(ProcessingJobName=name), "ProcessingJobStatus")


def describe_training(aws: LocalAWS, name: str) -> dict[str, Any]:
    sagemaker = aws.client("sagemaker")
    return sm.wait_for(lambda: sagemaker.describe_training_job(TrainingJobName=name), "TrainingJobStatus")


def log_lines(aws: LocalAWS, group: str, job: str) -> list[str]:
    logs = aws.client("logs")
    streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=f"{job}/")["logStreams"]
    assert len(streams) == 1, streams
    events = logs.get_log_events(logGroupName=group, logStreamName=streams[0]["logStreamName"])["events"]
    return [event["message"] for event in events]


def s3_keys(aws: LocalAWS, prefix: str) -> list[str]:
    answer = aws.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in answer.get("Contents", []))


@pytest.fixture(scope="module")
def prepared(project: LocalAWS) -> dict[str, Any]:
    """The processing job over the raw data, run once for the module."""
    outputs = {name: f"s3://{BUCKET}/prepared/{name}" for name in ("train", "validation", "test")}
    request = sm.processing_request(
        "prepare-1", BUCKET, "processing.py", {"data": f"s3://{BUCKET}/raw/"}, outputs, ["--min-rows", "500"]
    )
    project.client("sagemaker").create_processing_job(**request)
    return describe_processing(project, "prepare-1")


@pytest.fixture(scope="module")
def trained(prepared: dict[str, Any], project: LocalAWS) -> dict[str, Any]:
    """A spot training job with checkpoints over the prepared sets, run once for the module."""
    assert prepared["ProcessingJobStatus"] == "Completed", prepared.get("FailureReason")
    request = sm.training_request(
        "train-1",
        BUCKET,
        f"s3://{BUCKET}/prepared/train",
        f"s3://{BUCKET}/prepared/validation",
        {"n_estimators": 40, "max_depth": 3, "checkpoint_every": 20},
        spot=True,
    )
    project.client("sagemaker").create_training_job(**request)
    return describe_training(project, "train-1")


def test_processing_splits_the_raw_data_into_the_outputs(prepared: dict[str, Any], project: LocalAWS) -> None:
    # Given raw data and the processing script, When the processing job ran (fixture)
    # Then it completed, and each output was uploaded where its ProcessingOutput said
    assert prepared["ProcessingJobStatus"] == "Completed"
    assert prepared["ProcessingStartTime"] <= prepared["ProcessingEndTime"]
    assert s3_keys(project, "prepared/") == [
        "prepared/test/test.csv",
        "prepared/train/train.csv",
        "prepared/validation/validation.csv",
    ]
    train = project.client("s3").get_object(Bucket=BUCKET, Key="prepared/train/train.csv")["Body"].read().decode()
    assert train.splitlines()[0] == "tenure_months,monthly_charges,support_calls,contract,has_internet,churned"
    assert len(train.splitlines()) == 1 + 840  # 70% of 1200 customers
    # and the script's output is in the job's log stream
    assert "rows: valid=1200 dropped=0; train=840, validation=180, test=180" in log_lines(
        project, "/aws/sagemaker/ProcessingJobs", "prepare-1"
    )


def test_processing_with_too_few_rows_fails_with_the_script_s_reason(project: LocalAWS) -> None:
    # Given raw data of 50 customers
    project.client("s3").put_object(Bucket=BUCKET, Key="few/churn.csv", Body=sm.raw_data_csv(50))
    request = sm.processing_request(
        "prepare-few",
        BUCKET,
        "processing.py",
        {"data": f"s3://{BUCKET}/few/"},
        {"train": f"s3://{BUCKET}/few-out/train"},
    )
    # When processing runs over it
    project.client("sagemaker").create_processing_job(**request)
    done = describe_processing(project, "prepare-few")
    # Then the job failed with the script's error, and uploaded nothing
    assert done["ProcessingJobStatus"] == "Failed"
    assert "InvalidData: only 50 valid rows (0 dropped): at least 100 are needed" in done["FailureReason"]
    assert "InvalidData" in done["ExitMessage"]
    assert s3_keys(project, "few-out/") == []


def test_training_parses_the_metrics_the_script_printed(trained: dict[str, Any], project: LocalAWS) -> None:
    # Given the training job ran (fixture)
    assert trained["TrainingJobStatus"] == "Completed", trained.get("FailureReason")
    # Then each metric in FinalMetricDataList is the value the script printed, found by its regex
    lines = log_lines(project, "/aws/sagemaker/TrainingJobs", "train-1")
    printed = {}
    for definition in sm.METRICS:
        values = [float(m.group(1)) for line in lines if (m := re.search(definition["Regex"], line))]
        printed[definition["Name"]] = values[-1]
    assert {metric["MetricName"]: metric["Value"] for metric in trained["FinalMetricDataList"]} == printed
    assert printed["validation:accuracy"] > 0.8
    # and the job went through SageMaker's secondary statuses
    assert [transition["Status"] for transition in trained["SecondaryStatusTransitions"]] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    assert trained["TrainingTimeInSeconds"] >= 1 and trained["BillableTimeInSeconds"] >= 1
    assert trained["AlgorithmSpecification"]["MetricDefinitions"] == sm.METRICS
    # and the engine knows how long the script itself ran
    seconds = engine.script_seconds("Training", "train-1")
    assert seconds is not None and 0 < seconds <= trained["TrainingTimeInSeconds"] + 1


def test_training_archives_the_model_the_script_wrote(trained: dict[str, Any], project: LocalAWS) -> None:
    # Given the training job's model archive, at {S3OutputPath}/{job}/output/model.tar.gz
    assert trained["ModelArtifacts"]["S3ModelArtifacts"] == f"s3://{BUCKET}/models/train-1/output/model.tar.gz"
    archive = project.client("s3").get_object(Bucket=BUCKET, Key="models/train-1/output/model.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        assert tar.getnames() == ["model.joblib"]
        artifact = joblib.load(tar.extractfile("model.joblib"))  # type: ignore[arg-type]
    # Then it is the trained classifier, on the schema's features
    schema = json.loads((sm.CHURN / "schema.json").read_text())
    assert artifact["features"] == [feature["name"] for feature in schema["features"]]
    assert artifact["model"].named_steps["classifier"].n_estimators == 40
    # and the spot job's checkpoints reached its CheckpointConfig's S3Uri
    assert s3_keys(project, "checkpoints/train-1/") == ["checkpoints/train-1/model.joblib"]
    # and SM_OUTPUT_DATA_DIR was archived beside the model
    assert "models/train-1/output/output.tar.gz" in s3_keys(project, "models/train-1/")


def test_a_crashing_training_script_fails_the_job_with_its_error(prepared: dict[str, Any], project: LocalAWS) -> None:
    # Given hyperparameters the script refuses
    request = sm.training_request(
        "train-bad", BUCKET, f"s3://{BUCKET}/prepared/train", f"s3://{BUCKET}/prepared/validation", {"max_depth": 0}
    )
    # When the job runs
    project.client("sagemaker").create_training_job(**request)
    done = describe_training(project, "train-bad")
    # Then it failed with the script's own message and exit code, as SageMaker reports it
    assert done["TrainingJobStatus"] == "Failed"
    assert done["FailureReason"].startswith("AlgorithmError: ExecuteUserScriptError:\nExitCode 2\n")
    assert "n_estimators and max_depth must be at least 1" in done["FailureReason"]
    assert done["SecondaryStatus"] == "Failed"
    assert "ModelArtifacts" not in done


def test_a_missing_channel_fails_the_job_before_the_script_runs(project: LocalAWS) -> None:
    request = sm.training_request("train-nodata", BUCKET, f"s3://{BUCKET}/nothing/", f"s3://{BUCKET}/nothing/")
    project.client("sagemaker").create_training_job(**request)
    done = describe_training(project, "train-nodata")
    assert done["TrainingJobStatus"] == "Failed"
    assert f'No S3 objects found under S3 URL "s3://{BUCKET}/nothing/"' in done["FailureReason"]


def test_requests_sagemaker_refuses_are_refused(project: LocalAWS) -> None:
    sagemaker = project.client("sagemaker")
    # Spot training without a maximum wait
    request = sm.training_request("train-spot", BUCKET, f"s3://{BUCKET}/raw/", f"s3://{BUCKET}/raw/", spot=True)
    del request["StoppingCondition"]["MaxWaitTimeInSeconds"]
    with pytest.raises(sagemaker.exceptions.ClientError, match="MaxWaitTimeInSeconds"):
        sagemaker.create_training_job(**request)
    # A job name used before
    again = sm.processing_request("prepare-1", BUCKET, "processing.py", {"data": f"s3://{BUCKET}/raw/"}, {})
    with pytest.raises(sagemaker.exceptions.ResourceInUse):
        sagemaker.create_processing_job(**again)


def test_a_running_job_can_be_stopped(prepared: dict[str, Any], project: LocalAWS) -> None:
    # Given a long training job
    request = sm.training_request(
        "train-long",
        BUCKET,
        f"s3://{BUCKET}/prepared/train",
        f"s3://{BUCKET}/prepared/validation",
        {"n_estimators": 100000, "checkpoint_every": 100000},
    )
    sagemaker = project.client("sagemaker")
    sagemaker.create_training_job(**request)
    sm.wait_for(
        lambda: sagemaker.describe_training_job(TrainingJobName="train-long"), "SecondaryStatus", ("Training",), 30
    )
    # When it is stopped
    sagemaker.stop_training_job(TrainingJobName="train-long")
    done = describe_training(project, "train-long")
    # Then it ends Stopped, and a second stop is refused
    assert done["TrainingJobStatus"] == "Stopped" and done["SecondaryStatus"] == "Stopped"
    with pytest.raises(sagemaker.exceptions.ClientError, match="status Stopped"):
        sagemaker.stop_training_job(TrainingJobName="train-long")


def test_evaluation_writes_evaluation_json(trained: dict[str, Any], project: LocalAWS) -> None:
    # Given the trained model and the test set
    request = sm.processing_request(
        "evaluate-1",
        BUCKET,
        "evaluate.py",
        {"model": trained["ModelArtifacts"]["S3ModelArtifacts"], "test": f"s3://{BUCKET}/prepared/test"},
        {"evaluation": f"s3://{BUCKET}/evaluation/train-1"},
    )
    # When the evaluation job runs
    project.client("sagemaker").create_processing_job(**request)
    done = describe_processing(project, "evaluate-1")
    # Then evaluation.json holds the model-quality metrics of the 180 test customers
    assert done["ProcessingJobStatus"] == "Completed", done.get("FailureReason")
    body = project.client("s3").get_object(Bucket=BUCKET, Key="evaluation/train-1/evaluation.json")["Body"].read()
    metrics = json.loads(body)["binary_classification_metrics"]
    assert 0.8 < metrics["accuracy"]["value"] <= 1 and metrics["accuracy"]["standard_deviation"] == "NaN"
    assert sum(sum(row.values()) for row in metrics["confusion_matrix"].values()) == 180


def test_a_transform_job_predicts_every_line_as_the_model_does(trained: dict[str, Any], project: LocalAWS) -> None:
    # Given a model of the trained archive, and customers to score (features only, no header)
    sagemaker = project.client("sagemaker")
    sagemaker.create_model(**sm.model_request("churn-transform", BUCKET, trained["ModelArtifacts"]["S3ModelArtifacts"]))
    customers = ["2,99.5,5,month-to-month,1", "120,20.0,0,two-year,0", "14,70.25,2,one-year,1"]
    project.client("s3").put_object(Bucket=BUCKET, Key="batch/in/customers.csv", Body="\n".join(customers).encode())
    # When a transform job runs over them
    sagemaker.create_transform_job(
        TransformJobName="score-1",
        ModelName="churn-transform",
        TransformInput={
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/batch/in/"}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={"S3OutputPath": f"s3://{BUCKET}/batch/out", "Accept": "text/csv", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
    )
    done = sm.wait_for(lambda: sagemaker.describe_transform_job(TransformJobName="score-1"), "TransformJobStatus")
    # Then each line's answer is the model's own prediction for it
    assert done["TransformJobStatus"] == "Completed", done.get("FailureReason")
    out = project.client("s3").get_object(Bucket=BUCKET, Key="batch/out/customers.csv.out")["Body"].read().decode()
    archive = project.client("s3").get_object(Bucket=BUCKET, Key="models/train-1/output/model.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        model = joblib.load(tar.extractfile("model.joblib"))["model"]  # type: ignore[arg-type]
    inference = sm.churn_module("inference")
    expected = inference.predict_fn(inference.input_fn("\n".join(customers), "text/csv"), model)
    assert out.splitlines() == [f"{p['churned']},{p['probability']}" for p in expected]


def test_job_state_changes_are_published(project: LocalAWS) -> None:
    # Given a rule that sends processing job state changes to a queue
    sqs = project.client("sqs")
    queue = sqs.create_queue(QueueName="job-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = project.client("events")
    pattern = {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Processing Job State Change"],
        "detail": {"ProcessingJobName": ["prepare-events"]},
    }
    events.put_rule(Name="job-events", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="job-events", Targets=[{"Id": "queue", "Arn": arn}])
    # When a processing job runs
    request = sm.processing_request(
        "prepare-events", BUCKET, "processing.py", {"data": f"s3://{BUCKET}/raw/"}, {"train": f"s3://{BUCKET}/ev/train"}
    )
    project.client("sagemaker").create_processing_job(**request)
    describe_processing(project, "prepare-events")
    # Then its state changes arrived, InProgress then Completed, with the job's Describe answer
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while len(received) < 2 and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        received += [json.loads(message["Body"]) for message in answer.get("Messages", [])]
    assert [event["detail"]["ProcessingJobStatus"] for event in received] == ["InProgress", "Completed"]
    assert received[-1]["detail"]["Tags"] == {"job_id": "prepare-events"}
    assert isinstance(received[-1]["detail"]["ProcessingEndTime"], int)


@pytest.fixture(autouse=True)
def no_job_left_running() -> Iterator[None]:
    yield
    for run in list(engine.jobs.RUNS.values()):
        if run.thread is not None:
            run.thread.join(60)


#: What a model's source asks its container to pip install: one package the venv has, one it
#: has not, and one only for another platform.
REQUIREMENTS = (
    "# the model's own needs\nnumpy>=1.20\nno-such-package-for-insight==1.0\npywin32>=300; sys_platform == 'win32'\n"
)


def test_a_requirement_the_local_runtime_lacks_fails_the_training_before_the_script(project: LocalAWS) -> None:
    # Given a training script that would run, shipped with a requirements.txt naming a package
    # this environment does not have (SageMaker's container would pip install it; offline, nothing is)
    s3 = project.client("s3")
    s3.put_object(Bucket=BUCKET, Key="tiny/train/numbers.txt", Body=b"1 2 3 4")
    source = sm.tiny_source(BUCKET, s3, "tiny/needs.tar.gz", {"requirements.txt": REQUIREMENTS})
    project.client("sagemaker").create_training_job(**sm.tiny_training("train-needs", BUCKET, source, scale=2))
    done = describe_training(project, "train-needs")
    # Then the job failed as an install failure, naming only what is missing, and the script never ran
    assert done["TrainingJobStatus"] == "Failed"
    reason = done["FailureReason"]
    assert reason.startswith("AlgorithmError: InstallRequirementsError:\nExitCode 1\n")
    assert "no-such-package-for-insight==1.0 (not installed)" in reason
    assert "numpy" not in reason and "pywin32" not in reason
    assert "add these to requirements-dev.txt" in reason
    assert not any("loss=" in line for line in log_lines(project, "/aws/sagemaker/TrainingJobs", "train-needs"))


def test_a_model_whose_requirements_are_met_trains(project: LocalAWS) -> None:
    s3 = project.client("s3")
    s3.put_object(Bucket=BUCKET, Key="tiny/train/numbers.txt", Body=b"1 2 3 4")
    met = "numpy>=1.20\nscikit-learn\n"
    source = sm.tiny_source(BUCKET, s3, "tiny/met.tar.gz", {"requirements.txt": met})
    project.client("sagemaker").create_training_job(**sm.tiny_training("train-met", BUCKET, source, scale=2))
    assert describe_training(project, "train-met")["TrainingJobStatus"] == "Completed"


def test_an_endpoint_whose_model_lacks_a_requirement_fails_naming_it(project: LocalAWS) -> None:
    s3 = project.client("s3")
    source = sm.tiny_source(BUCKET, s3, "tiny/needs-hosting.tar.gz", {"requirements.txt": REQUIREMENTS})
    model = sm.tiny_model(BUCKET, s3, "tiny/needs-model.tar.gz", {"mean": 2, "scale": 3})
    sagemaker = project.client("sagemaker")
    sm.tiny_endpoint(sagemaker, "needs-hosted", BUCKET, source, model)
    failed = sm.wait_for(
        lambda: sagemaker.describe_endpoint(EndpointName="needs-hosted"), "EndpointStatus", ("InService", "Failed"), 30
    )
    assert failed["EndpointStatus"] == "Failed"
    assert "no-such-package-for-insight==1.0 (not installed)" in failed["FailureReason"]
