"""The example model's pipeline as a Step Functions state machine in the local engine:
processing, training and evaluation jobs through the ``.sync`` integrations, a Catch on a
failed training job, and a prediction through ``aws-sdk:sagemakerruntime:invokeEndpoint``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from insight_local.server import LocalAWS
from tests.integration import sagemaker_support as sm

BUCKET = "ml-pipeline"
BUCKETS = [BUCKET]


def processing(name: str, script: str, inputs: dict[str, str], outputs: dict[str, str]) -> dict[str, Any]:
    """A processing task's Parameters: the contract's request, its job name from the run id."""
    request = sm.processing_request("x", BUCKET, script, inputs, outputs)
    del request["ProcessingJobName"], request["Tags"]
    return {
        **request,
        "ProcessingJobName.$": f"States.Format('{name}-{{}}', $.run)",
        "Tags": [{"Key": "job_id", "Value.$": "$.run"}],
    }


def evaluation() -> dict[str, Any]:
    """The evaluation task's Parameters: its model input is the training task's archive, its
    output goes under the run's id."""
    parameters = processing("evaluate", "evaluate.py", {"test": f"s3://{BUCKET}/prepared/test"}, {})
    parameters["ProcessingInputs"].append(
        {
            "InputName": "model",
            "S3Input": {
                "S3Uri.$": "$.training.model",
                "LocalPath": "/opt/ml/processing/input/model",
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
            },
        }
    )
    parameters["ProcessingOutputConfig"]["Outputs"] = [
        {
            "OutputName": "evaluation",
            "S3Output": {
                "S3Uri.$": f"States.Format('s3://{BUCKET}/evaluation/{{}}', $.run)",
                "LocalPath": "/opt/ml/processing/output/evaluation",
                "S3UploadMode": "EndOfJob",
            },
        }
    ]
    return parameters


def definition() -> dict[str, Any]:
    training = sm.training_request("x", BUCKET, f"s3://{BUCKET}/prepared/train", f"s3://{BUCKET}/prepared/validation")
    del training["TrainingJobName"], training["Tags"]
    training["HyperParameters"] = {
        **training["HyperParameters"],
        "n_estimators.$": "$.n_estimators",
        "max_depth.$": "$.max_depth",
    }
    retry = [{"ErrorEquals": ["SageMaker.AmazonSageMakerException"], "IntervalSeconds": 1, "MaxAttempts": 2}]
    return {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createProcessingJob.sync",
                "Parameters": processing(
                    "prepare",
                    "processing.py",
                    {"data": f"s3://{BUCKET}/raw/"},
                    {name: f"s3://{BUCKET}/prepared/{name}" for name in ("train", "validation", "test")},
                ),
                "ResultPath": None,
                "Retry": retry,
                "Next": "Train",
            },
            "Train": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                "Parameters": {
                    **training,
                    "TrainingJobName.$": "States.Format('train-{}', $.run)",
                    "Tags": [{"Key": "job_id", "Value.$": "$.run"}],
                },
                "ResultSelector": {
                    "model.$": "$.ModelArtifacts.S3ModelArtifacts",
                    "metrics.$": "$.FinalMetricDataList",
                },
                "ResultPath": "$.training",
                "Retry": retry,
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.failure", "Next": "TrainingFailed"}],
                "Next": "Evaluate",
            },
            "Evaluate": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createProcessingJob.sync",
                "Parameters": evaluation(),
                "ResultSelector": {"status.$": "$.ProcessingJobStatus"},
                "ResultPath": "$.evaluation",
                "End": True,
            },
            "TrainingFailed": {"Type": "Pass", "End": True},
        },
    }


def run(aws: LocalAWS, machine: str, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    sfn = aws.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(payload))["executionArn"]
    return sm.wait_for(
        lambda: sfn.describe_execution(executionArn=execution), "status", ("SUCCEEDED", "FAILED", "ABORTED"), 120
    )


@pytest.fixture(scope="module")
def machine(aws: LocalAWS) -> str:
    sm.upload_project(aws, BUCKET)
    sfn = aws.client("stepfunctions")
    return str(
        sfn.create_state_machine(name="churn-pipeline", roleArn=sm.ROLE, definition=json.dumps(definition()))[
            "stateMachineArn"
        ]
    )


def test_the_pipeline_prepares_trains_and_evaluates(aws: LocalAWS, machine: str) -> None:
    # When the pipeline runs with good hyperparameters
    done = run(aws, machine, "run-good", {"run": "sfn-good", "n_estimators": "40", "max_depth": "3"})
    # Then every job ran to completion, each task waiting for its job
    assert done["status"] == "SUCCEEDED", done.get("cause")
    output = json.loads(done["output"])
    assert "failure" not in output, output["failure"]
    assert output["training"]["model"] == f"s3://{BUCKET}/models/train-sfn-good/output/model.tar.gz"
    metrics = {metric["MetricName"]: metric["Value"] for metric in output["training"]["metrics"]}
    assert metrics["validation:accuracy"] > 0.8
    assert output["evaluation"] == {"status": "Completed"}
    report = aws.client("s3").get_object(Bucket=BUCKET, Key="evaluation/sfn-good/evaluation.json")["Body"].read()
    assert json.loads(report)["binary_classification_metrics"]["accuracy"]["value"] > 0.8
    # and every job carries the run's id as a tag
    sagemaker = aws.client("sagemaker")
    arn = sagemaker.describe_training_job(TrainingJobName="train-sfn-good")["TrainingJobArn"]
    assert {"Key": "job_id", "Value": "sfn-good"} in sagemaker.list_tags(ResourceArn=arn)["Tags"]


def test_a_failed_training_job_is_caught_with_its_reason(aws: LocalAWS, machine: str) -> None:
    # When the pipeline runs with hyperparameters the training script refuses
    done = run(aws, machine, "run-bad", {"run": "sfn-bad", "n_estimators": "40", "max_depth": "0"})
    # Then the Catch received States.TaskFailed, the failed job's Describe answer as the cause
    assert done["status"] == "SUCCEEDED", done.get("cause")
    failure = json.loads(done["output"])["failure"]
    assert failure["Error"] == "States.TaskFailed"
    cause = json.loads(failure["Cause"])
    assert cause["TrainingJobName"] == "train-sfn-bad" and cause["TrainingJobStatus"] == "Failed"
    assert "max_depth must be at least 1" in cause["FailureReason"]
