"""Requests to the local SageMaker in the shapes of SageMaker's contract (the sagemaker SDK's
script mode), over the example model in models/churn, and the waits around them.

moto keeps its records per process, not per server: a job name used by one test module is
taken for every later one (SageMaker refuses a job name used before), so each module names
its jobs its own way."""

from __future__ import annotations

import importlib.util
import io
import json
import tarfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from insight_local.server import LocalAWS

ROOT = Path(__file__).resolve().parents[2]
CHURN = ROOT / "models" / "churn"
ROLE = "arn:aws:iam::123456789012:role/sagemaker"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3"
METRICS = [
    {"Name": "validation:accuracy", "Regex": "validation:accuracy=([0-9.]+);"},
    {"Name": "validation:auc", "Regex": "validation:auc=([0-9.]+);"},
    {"Name": "train:accuracy", "Regex": "train:accuracy=([0-9.]+);"},
]


def churn_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"churn_{name}", CHURN / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def source_archive(directory: Path = CHURN, extra: dict[str, str] | None = None, skip: tuple[str, ...] = ()) -> bytes:
    """sourcedir.tar.gz: the directory's files at the archive's root (but ``skip``; plus ``extra``)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(directory.iterdir()):
            if path.is_file() and path.suffix in (".py", ".json") and path.name not in skip:
                archive.add(path, arcname=path.name)
        for name, text in (extra or {}).items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def raw_data_csv(rows: int = 1200, seed: int = 7) -> bytes:
    data = churn_module("data")
    buffer = io.StringIO()
    import csv

    writer = csv.DictWriter(buffer, fieldnames=data.COLUMNS)
    writer.writeheader()
    writer.writerows(data.generate(rows, seed))
    return buffer.getvalue().encode()


def processing_request(
    name: str,
    bucket: str,
    script: str,
    inputs: dict[str, str],
    outputs: dict[str, str],
    arguments: list[str] | None = None,
) -> dict[str, Any]:
    """CreateProcessingJob as the sagemaker SDK's ScriptProcessor writes it: the script as the
    ``code`` input, every input at /opt/ml/processing/input/NAME, outputs at .../output/NAME."""
    processing_inputs = [
        {
            "InputName": "code",
            "S3Input": {
                "S3Uri": f"s3://{bucket}/code/{script}",
                "LocalPath": "/opt/ml/processing/input/code",
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
            },
        }
    ]
    for input_name, uri in inputs.items():
        processing_inputs.append(
            {
                "InputName": input_name,
                "S3Input": {
                    "S3Uri": uri,
                    "LocalPath": f"/opt/ml/processing/input/{input_name}",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        )
    return {
        "ProcessingJobName": name,
        "RoleArn": ROLE,
        "AppSpecification": {
            "ImageUri": IMAGE,
            "ContainerEntrypoint": ["python3", f"/opt/ml/processing/input/code/{script}"],
            **({"ContainerArguments": arguments} if arguments else {}),
        },
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
        },
        "ProcessingInputs": processing_inputs,
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
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
        "Tags": [{"Key": "job_id", "Value": name}],
    }


def training_request(
    name: str,
    bucket: str,
    train: str,
    validation: str,
    hyperparameters: dict[str, Any] | None = None,
    spot: bool = False,
    program: str = "train.py",
    source: str | None = None,
) -> dict[str, Any]:
    """CreateTrainingJob as the sagemaker SDK writes a script-mode estimator's."""
    hps = {name: json.dumps(value) for name, value in (hyperparameters or {}).items()}
    hps["sagemaker_program"] = json.dumps(program)
    hps["sagemaker_submit_directory"] = json.dumps(source or f"s3://{bucket}/code/sourcedir.tar.gz")
    hps["sagemaker_region"] = json.dumps("us-east-1")
    request: dict[str, Any] = {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File", "MetricDefinitions": METRICS},
        "HyperParameters": hps,
        "InputDataConfig": [
            {
                "ChannelName": channel,
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": uri,
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
                "ContentType": "text/csv",
            }
            for channel, uri in (("train", train), ("validation", validation))
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
        "Tags": [{"Key": "job_id", "Value": name}],
    }
    if spot:
        request["EnableManagedSpotTraining"] = True
        request["StoppingCondition"]["MaxWaitTimeInSeconds"] = 600
        request["CheckpointConfig"] = {"S3Uri": f"s3://{bucket}/checkpoints/{name}"}
    return request


def wait_for(
    describe: Any, field: str, done: tuple[str, ...] = ("Completed", "Failed", "Stopped"), timeout: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        answer: dict[str, Any] = describe()
        if answer[field] in done:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{field} is still {answer[field]} after {timeout}s")
        time.sleep(0.1)


def upload_project(aws: LocalAWS, bucket: str) -> None:
    """The model's scripts, its source archive and 1200 customers of raw data."""
    s3 = aws.client("s3")
    for script in ("processing.py", "evaluate.py"):
        s3.put_object(Bucket=bucket, Key=f"code/{script}", Body=(CHURN / script).read_bytes())
    s3.put_object(Bucket=bucket, Key="code/sourcedir.tar.gz", Body=source_archive())
    s3.put_object(Bucket=bucket, Key="raw/churn.csv", Body=raw_data_csv())


def model_request(name: str, bucket: str, model_data: str, source: str | None = None) -> dict[str, Any]:
    return {
        "ModelName": name,
        "ExecutionRoleArn": ROLE,
        "PrimaryContainer": {
            "Image": IMAGE,
            "ModelDataUrl": model_data,
            "Environment": {
                "SAGEMAKER_PROGRAM": "inference.py",
                "SAGEMAKER_SUBMIT_DIRECTORY": source or f"s3://{bucket}/code/sourcedir.tar.gz",
                "SAGEMAKER_REGION": "us-east-1",
            },
        },
    }


#: A training script in a few lines: prints its loss as the job's metric definition expects,
#: writes its "model" (the mean of its train channel's numbers and the hyperparameter scale).
TINY_TRAIN = """
import argparse, json, os, pathlib, sys
parser = argparse.ArgumentParser()
parser.add_argument("--scale", type=float, default=1.0)
parser.add_argument("--fail", default="")
args = parser.parse_args()
if args.fail:
    raise RuntimeError(args.fail)
channel = pathlib.Path(os.environ["SM_CHANNEL_TRAIN"])
numbers = [float(x) for f in sorted(channel.iterdir()) for x in f.read_text().split()]
mean = sum(numbers) / len(numbers)
print(f"loss={abs(mean - 2) * args.scale:.4f};")
pathlib.Path(os.environ["SM_MODEL_DIR"], "model.json").write_text(json.dumps({"mean": mean, "scale": args.scale}))
"""

#: Its inference script: answers ``mean * scale * x`` for each number of the request.
TINY_INFERENCE = """
import json, pathlib
def model_fn(model_dir):
    model = json.loads(pathlib.Path(model_dir, "model.json").read_text())
    if model.get("broken_at_load"):
        raise RuntimeError("the weights are corrupt")
    return model
def input_fn(body, content_type):
    return [float(x) for x in body.decode().split(",")]
def predict_fn(data, model):
    if model.get("broken"):
        raise RuntimeError("the model crashed")
    return [model["mean"] * model["scale"] * x for x in data]
def output_fn(prediction, accept):
    return json.dumps(prediction), "application/json"
"""


def tiny_source(bucket: str, s3: Any, key: str = "tiny/sourcedir.tar.gz", extra: dict[str, str] | None = None) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in {"train.py": TINY_TRAIN, "inference.py": TINY_INFERENCE, **(extra or {})}.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())
    return f"s3://{bucket}/{key}"


def tiny_model(bucket: str, s3: Any, key: str, model: dict[str, Any]) -> str:
    """A model.tar.gz holding model.json, as the tiny training script writes it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = json.dumps(model).encode()
        info = tarfile.TarInfo("model.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())
    return f"s3://{bucket}/{key}"


def tiny_training(name: str, bucket: str, source: str, **hyperparameters: Any) -> dict[str, Any]:
    request = training_request(
        name, bucket, f"s3://{bucket}/tiny/train/", f"s3://{bucket}/tiny/train/", hyperparameters, source=source
    )
    request["AlgorithmSpecification"]["MetricDefinitions"] = [{"Name": "loss", "Regex": "loss=([0-9.]+);"}]
    return request


def tiny_endpoint(
    sagemaker: Any,
    name: str,
    bucket: str,
    source: str,
    model_uri: str,
    variant: str = "AllTraffic",
    config: str | None = None,
    create: bool = True,
) -> str:
    """A model, an endpoint config of one variant, and (``create``) the endpoint."""
    config = config or f"{name}-config"
    sagemaker.create_model(**model_request(f"{config}-model", bucket, model_uri, source))
    sagemaker.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[
            {
                "VariantName": variant,
                "ModelName": f"{config}-model",
                "InitialInstanceCount": 2,
                "InstanceType": "ml.m5.large",
                "InitialVariantWeight": 1.0,
            }
        ],
    )
    if create:
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config)
    return config
