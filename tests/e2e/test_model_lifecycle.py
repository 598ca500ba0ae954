"""The SageMaker lifecycle end to end in the local runtime, through the real API and S3 events:
the local SageMaker runs the example model's own scripts (models/churn) for every job and
hosts its endpoint.

One story, in order: a first version is trained on request and deployed; new data trains a
better one, which is registered, approved, deployed blue/green, and answers predictions; a
duplicate approval deploys nothing more; a worse model and a crashing script are stopped; a
faulty model is rolled back while the old one keeps serving; bad input is refused; batch
transforms run, or fail with SageMaker's reason; a stopped run fails and ends its settle window.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import tarfile
import tempfile
import time
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from infra.resources import MODELS
from insight_local.runtime import Runtime
from tests.e2e.conftest import AUTO_APPROVED, Client
from tests.e2e.test_callbacks_and_events import wait_for_execution_end
from tests.e2e.test_document_workflow import execution_of

ROOT = Path(__file__).resolve().parents[2]
CHURN = ROOT / "models" / "churn"
MODEL = "churn"
CUSTOMER = MODELS[0].example()  # the example record of the model's schema.json
LOYAL = {"tenure_months": 60, "monthly_charges": 20.0, "support_calls": 0, "contract": "two-year", "has_internet": 0}
#: Above the threshold (0.75) but worse than the default hyperparameters.
MODEST = {"n_estimators": "40", "max_depth": "1"}


def churn(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"churn_{name}_e2e", CHURN / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def data_csv(rows: int, seed: int) -> bytes:
    data = churn("data")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=data.COLUMNS)
    writer.writeheader()
    writer.writerows(data.generate(rows, seed))
    return buffer.getvalue().encode()


def wait_for(api: Client, path: str, done: Any, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: Any = None
    while time.monotonic() < deadline:
        status, body = api.call("GET", path)
        if status == 200 and done(body):
            return dict(body)
        time.sleep(0.3)
    raise AssertionError(f"{path} did not finish in {timeout}s: {body}")


def wait_for_run(
    api: Client, run_id: str, progress: list[dict[str, str]] | None = None, model: str = MODEL
) -> dict[str, Any]:
    """The run once it ended; ``progress`` gets each progress it showed while RUNNING."""

    def ended(run: dict[str, Any]) -> bool:
        if progress is not None and run["progress"] and run["progress"] not in progress:
            progress.append(run["progress"])
        return run["status"] in ("SUCCEEDED", "REJECTED", "FAILED")

    return wait_for(api, f"/models/{model}/trainings/{run_id}", ended)


def wait_for_deployment(api: Client, deployment_id: str) -> dict[str, Any]:
    return wait_for(
        api, f"/deployments/{deployment_id}", lambda d: d["status"] in ("DEPLOYED", "ROLLED_BACK", "FAILED")
    )


def new_run(api: Client, before: set[str], model: str = MODEL) -> dict[str, Any]:
    """The model's one run that is not among ``before`` (run ids), once it is recorded."""
    runs = wait_for(api, f"/models/{model}", lambda body: any(r["run_id"] not in before for r in body["trainings"]))
    [run] = [run for run in runs["trainings"] if run["run_id"] not in before]
    return run


def stop_run(runtime: Runtime, api: Client, run_id: str, model: str = MODEL, **why: str) -> dict[str, Any]:
    """StopExecution of the run's execution (``why``: its error and cause); the run once it ended."""
    states = runtime.aws.client("stepfunctions")
    deadline = time.monotonic() + 10
    while True:  # a run is recorded a moment before its execution starts
        try:
            states.stop_execution(executionArn=execution_of(runtime, run_id, "TrainingWorkflow"), **why)
            return wait_for_run(api, run_id, model=model)
        except states.exceptions.ExecutionDoesNotExist:
            assert time.monotonic() < deadline, f"run {run_id} has no execution"
            time.sleep(0.1)


def in_process_predictions(runtime: Runtime, package_arn: str, instances: list[dict[str, Any]]) -> list[Any]:
    """What the package's model answers when called in this process through inference.py."""
    sagemaker, s3 = runtime.aws.client("sagemaker"), runtime.aws.client("s3")
    container = sagemaker.describe_model_package(ModelPackageName=package_arn)["InferenceSpecification"]["Containers"][
        0
    ]
    bucket, _, key = container["ModelDataUrl"].removeprefix("s3://").partition("/")
    with tempfile.TemporaryDirectory() as directory:
        archive = Path(directory) / "model.tar.gz"
        archive.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        with tarfile.open(archive) as tar:
            tar.extractall(directory, filter="data")
        inference = churn("inference")
        model = inference.model_fn(directory)
        data = inference.input_fn(json.dumps({"instances": instances}), "application/json")
        return list(inference.predict_fn(data, model))


@pytest.fixture(scope="module")
def bucket(runtime: Runtime) -> str:
    assert runtime.deployment is not None
    return runtime.deployment.names["ModelData"]


@pytest.fixture(scope="module")
def first_version(runtime: Runtime, api: Client, bucket: str) -> dict[str, Any]:
    """Given data under training/churn/ (its upload trains a version, left unapproved) and a
    first, modest version trained on request and deployed."""
    runtime.aws.client("s3").put_object(Bucket=bucket, Key="training/churn/2026-10.csv", Body=data_csv(1500, 7))
    first = wait_for(api, f"/models/{MODEL}", lambda body: bool(body["trainings"]))["trainings"][0]
    assert wait_for_run(api, first["run_id"])["status"] == "SUCCEEDED"
    status, run = api.call("POST", f"/models/{MODEL}/trainings", {"hyperparameters": MODEST})
    assert status == 202, run
    run = wait_for_run(api, run["run_id"])
    assert run["status"] == "SUCCEEDED", run
    status, accepted = api.call("POST", f"/models/{MODEL}/versions/{run['version']}/approve")
    assert status == 202, accepted
    deployment = wait_for_deployment(api, accepted["deployment"]["deployment_id"])
    assert deployment["status"] == "DEPLOYED", deployment
    assert deployment["strategy"] == "create"
    return {"run": run, "deployment": deployment}


@pytest.fixture(scope="module")
def better_version(runtime: Runtime, api: Client, bucket: str, first_version: dict[str, Any]) -> dict[str, Any]:
    """When a burst of new files lands under training/churn/ (one of them twice)."""
    s3 = runtime.aws.client("s3")
    before = {run["run_id"] for run in api.call("GET", f"/models/{MODEL}")[1]["trainings"]}
    for part in range(3):
        s3.put_object(Bucket=bucket, Key=f"training/churn/2026-11/part-{part}.csv", Body=data_csv(500, 100 + part))
    s3.put_object(Bucket=bucket, Key="training/churn/2026-11/part-0.csv", Body=data_csv(500, 100))
    new = wait_for(api, f"/models/{MODEL}", lambda body: any(run["run_id"] not in before for run in body["trainings"]))[
        "trainings"
    ]
    started = [run for run in new if run["run_id"] not in before]
    run = wait_for_run(api, started[0]["run_id"])
    return {"started": started, "run": run}


def test_new_data_starts_one_training_run_that_registers_a_better_model(
    api: Client, first_version: dict[str, Any], better_version: dict[str, Any]
) -> None:
    # Then the burst started exactly one run, from the data, after its settle window
    started, run = better_version["started"], better_version["run"]
    assert len(started) == 1, started
    assert run["trigger"] == "data"
    # And it beat the model in production at the gate and was registered, pending approval
    assert run["status"] == "SUCCEEDED", run
    assert run["metrics"]["accuracy"] > run["production_metric"] == first_version["run"]["metrics"]["accuracy"]
    assert run["version"] > first_version["run"]["version"]
    detail = api.call("GET", f"/models/{MODEL}")[1]
    version = next(v for v in detail["versions"] if v["version"] == run["version"])
    assert version["approval"] == "PendingManualApproval"
    assert version["data_version"] == run["data_version"] != first_version["run"]["data_version"]
    assert version["code_version"] == run["code_version"]
    assert version["metrics"]["accuracy"] == run["metrics"]["accuracy"]
    assert not version["live"]


def test_approval_deploys_the_better_model_blue_green_and_it_answers_predictions(
    runtime: Runtime, api: Client, first_version: dict[str, Any], better_version: dict[str, Any]
) -> None:
    run = better_version["run"]
    # When its version is approved
    status, accepted = api.call("POST", f"/models/{MODEL}/versions/{run['version']}/approve")
    assert status == 202, accepted
    deployment = wait_for_deployment(api, accepted["deployment"]["deployment_id"])
    # Then it is deployed as a blue/green canary update guarded by two alarms
    assert deployment["status"] == "DEPLOYED", deployment
    assert deployment["strategy"] == "blue_green_canary"
    assert len(deployment["alarms"]) == 2
    # And what it replaced is deleted
    previous = first_version["deployment"]
    assert deployment["superseded"] == [previous["endpoint_config"], previous["model_name"]]
    sagemaker = runtime.aws.client("sagemaker")
    configs = [c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]]
    assert previous["endpoint_config"] not in configs
    detail = api.call("GET", f"/models/{MODEL}")[1]
    assert detail["model"]["live_version"] == run["version"]
    assert detail["endpoint_status"] == "InService"
    # And POST /predict answers what the new model itself predicts
    status, answer = api.call("POST", f"/predict/{MODEL}", {"instances": [CUSTOMER, LOYAL]})
    assert status == 200, answer
    assert answer["predictions"] == in_process_predictions(runtime, run["package_arn"], [CUSTOMER, LOYAL])
    assert answer["variant"] == "AllTraffic"


def test_a_duplicate_approval_event_deploys_nothing_more(
    runtime: Runtime, api: Client, better_version: dict[str, Any]
) -> None:
    run = better_version["run"]
    assert runtime.deployment is not None
    sagemaker = runtime.aws.client("sagemaker")
    package = sagemaker.describe_model_package(ModelPackageName=run["package_arn"])
    assert package["ModelApprovalStatus"] == "Approved"
    deployment_id = api.call("POST", f"/models/{MODEL}/versions/{run['version']}/approve")[1]["deployment"][
        "deployment_id"
    ]
    before = api.call("GET", f"/deployments/{deployment_id}")[1]
    # When SageMaker's approval event arrives again (EventBridge delivers at least once)
    detail = {
        "ModelPackageGroupName": package["ModelPackageGroupName"],
        "ModelPackageArn": package["ModelPackageArn"],
        "ModelPackageVersion": package["ModelPackageVersion"],
        "ModelApprovalStatus": "Approved",
        "ModelPackageStatus": "Completed",
    }
    events = runtime.aws.client("events")
    for _ in range(2):
        events.put_events(
            Entries=[
                {
                    "Source": "aws.sagemaker",
                    "DetailType": "SageMaker Model Package State Change",
                    "Detail": json.dumps(detail),
                    "Resources": [package["ModelPackageArn"]],
                }
            ]
        )
    time.sleep(2)
    # Then there is still one deployment of the package, untouched, and one execution of it
    assert api.call("GET", f"/deployments/{deployment_id}")[1] == before
    states = runtime.aws.client("stepfunctions")
    executions = states.list_executions(stateMachineArn=runtime.deployment.arns["DeploymentWorkflow"])["executions"]
    assert [e["name"] for e in executions].count(deployment_id) == 1


def test_a_worse_model_is_stopped_at_the_gate_with_the_reason(api: Client, better_version: dict[str, Any]) -> None:
    versions_before = len(api.call("GET", f"/models/{MODEL}")[1]["versions"])
    # When a model worse than the one in production is trained
    status, run = api.call("POST", f"/models/{MODEL}/trainings", {"hyperparameters": MODEST})
    assert status == 202, run
    progress: list[dict[str, str]] = []
    run = wait_for_run(api, run["run_id"], progress)
    # Then, while it ran, its record told each job's progress as SageMaker did
    assert any(p["processing"].startswith("InProgress") or p["training"] != "NotStarted" for p in progress), progress
    assert any(p["training"].startswith(("InProgress", "Completed")) for p in progress), progress
    assert run["progress"] == {}
    # And the gate rejects it with the reason, and nothing is registered
    assert run["status"] == "REJECTED", run
    assert "not better than the production model" in run["verdict"]
    assert run["production_metric"] == better_version["run"]["metrics"]["accuracy"]
    assert run["package_arn"] is None
    assert len(api.call("GET", f"/models/{MODEL}")[1]["versions"]) == versions_before


def test_a_crashing_training_script_fails_the_run_with_the_scripts_error(
    api: Client, first_version: dict[str, Any]
) -> None:
    # When the training script exits with an error (hyperparameters it refuses)
    status, run = api.call("POST", f"/models/{MODEL}/trainings", {"hyperparameters": {"max_depth": "-5"}})
    assert status == 202, run
    run = wait_for_run(api, run["run_id"])
    # Then the run is FAILED, and its record names the job and gives the script's own message
    assert run["status"] == "FAILED", run
    assert run["error"]["type"] == "States.TaskFailed"
    assert run["jobs"]["training"] in run["error"]["reason"]
    assert "max_depth must be at least 1" in run["error"]["reason"]


def test_a_faulty_model_is_rolled_back_and_the_old_one_keeps_serving(
    runtime: Runtime, api: Client, bucket: str, better_version: dict[str, Any]
) -> None:
    run = better_version["run"]
    sagemaker, s3 = runtime.aws.client("sagemaker"), runtime.aws.client("s3")
    # Given a version whose inference script fails on every prediction
    faulty = io.BytesIO()
    with tarfile.open(fileobj=faulty, mode="w:gz") as archive:
        for path in [*sorted(CHURN.glob("*.py")), CHURN / "schema.json"]:
            text = path.read_text()
            if path.name == "inference.py":
                text += "\n\ndef predict_fn(data, model):\n    raise RuntimeError('faulty model: out of memory')\n"
            info = tarfile.TarInfo(path.name)
            info.size = len(text.encode())
            archive.addfile(info, io.BytesIO(text.encode()))
    s3.put_object(Bucket=bucket, Key="code/churn-faulty/sourcedir.tar.gz", Body=faulty.getvalue())
    good = sagemaker.describe_model_package(ModelPackageName=run["package_arn"])
    container = dict(good["InferenceSpecification"]["Containers"][0])
    container["Environment"] = {
        **container["Environment"],
        "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{bucket}/code/churn-faulty/sourcedir.tar.gz",
    }
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=good["ModelPackageGroupName"],
        ModelPackageDescription="a faulty model",
        InferenceSpecification={**good["InferenceSpecification"], "Containers": [container]},
        ModelApprovalStatus="PendingManualApproval",
    )["ModelPackageArn"]
    version = sagemaker.describe_model_package(ModelPackageName=arn)["ModelPackageVersion"]
    # When it is approved, while clients keep predicting
    status, accepted = api.call("POST", f"/models/{MODEL}/versions/{version}/approve")
    assert status == 202, accepted
    deployment_id = accepted["deployment"]["deployment_id"]
    answers = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answers.append(api.call("POST", f"/predict/{MODEL}", {"instances": [CUSTOMER]})[0])
        if api.call("GET", f"/deployments/{deployment_id}")[1]["status"] not in ("PENDING", "DEPLOYING"):
            break
        time.sleep(0.05)
    deployment = wait_for_deployment(api, deployment_id)
    # Then the canary's errors set off the alarm and the update is rolled back
    assert 502 in answers, answers
    assert deployment["status"] == "ROLLED_BACK", deployment
    assert "alarm" in deployment["reason"].lower()
    # And the faulty model and its endpoint config, serving nothing, are deleted
    assert deployment["superseded"] == [deployment["endpoint_config"], deployment["model_name"]]
    assert deployment["model_name"] not in [m["ModelName"] for m in sagemaker.list_models()["Models"]]
    # And the old model still serves, and is still the live version
    status, answer = api.call("POST", f"/predict/{MODEL}", {"instances": [CUSTOMER]})
    assert status == 200, answer
    assert answer["predictions"] == in_process_predictions(runtime, run["package_arn"], [CUSTOMER])
    assert api.call("GET", f"/models/{MODEL}")[1]["model"]["live_version"] == run["version"]
    # And approving the rolled-back version again says what became of it, not 202 with its old deployment
    status, refused = api.call("POST", f"/models/{MODEL}/versions/{version}/approve")
    assert status == 409, refused
    assert f"ended ROLLED_BACK; version {run['version']} is live" in refused["message"]


def test_malformed_predict_input_is_refused_with_the_schema_error(api: Client, first_version: dict[str, Any]) -> None:
    # When a prediction is asked for with values the schema does not allow
    bad = {**CUSTOMER, "contract": "weekly", "tenure_months": "three"}
    del bad["has_internet"]
    status, answer = api.call("POST", f"/predict/{MODEL}", {"instances": [bad, CUSTOMER]})
    # Then the answer is 400 naming each problem, and the model was not called
    assert status == 400, answer
    problems = {(d["instance"], d["field"]) for d in answer["details"]}
    assert problems == {(0, "contract"), (0, "tenure_months"), (0, "has_internet")}
    assert "schema" in answer["message"]
    # And an unknown feature or no instance at all are refused too
    assert api.call("POST", f"/predict/{MODEL}", {"instances": [{**CUSTOMER, "age": 40}]})[0] == 400
    assert api.call("POST", f"/predict/{MODEL}", {"instances": []})[0] == 422
    assert api.call("POST", "/predict/no-such-model", {"instances": [CUSTOMER]})[0] == 404


def transformed(runtime: Runtime, api: Client, bucket: str, prefix: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The transform of ``rows`` (put under ``prefix`` as CSV, the schema's features in order), once it ended."""
    body = "".join(",".join(str(row[name]) for name in CUSTOMER) + "\n" for row in rows)
    runtime.aws.client("s3").put_object(Bucket=bucket, Key=f"{prefix}customers.csv", Body=body.encode())
    status, transform = api.call("POST", f"/models/{MODEL}/transforms", {"input_prefix": prefix})
    assert status == 202, transform
    return wait_for(
        api,
        f"/models/{MODEL}/transforms/{transform['transform_id']}",
        lambda t: t["status"] in ("SUCCEEDED", "FAILED"),
    )


def test_a_batch_transform_runs_over_a_prefix_with_the_live_model(
    runtime: Runtime, api: Client, bucket: str, better_version: dict[str, Any]
) -> None:
    # Given customers to score under batch/
    rows = [CUSTOMER, LOYAL]
    s3 = runtime.aws.client("s3")
    # When a transform is asked for
    done = transformed(runtime, api, bucket, "batch/churn/2026-11/", rows)
    # Then it ran with the live model and its output holds one answer per customer
    assert done["status"] == "SUCCEEDED", done
    live = api.call("GET", f"/models/{MODEL}")[1]["model"]["live_version"]
    assert done["version"] == live
    out_bucket, _, prefix = done["output_uri"].removeprefix("s3://").partition("/")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=out_bucket, Prefix=prefix).get("Contents", [])]
    assert keys, done
    text = s3.get_object(Bucket=out_bucket, Key=keys[0])["Body"].read().decode()
    expected = in_process_predictions(runtime, done["package_arn"], rows)
    assert [line.split(",")[0] for line in text.split()] == [str(p["churned"]) for p in expected]


def test_a_batch_transform_whose_input_the_model_refuses_ends_failed_with_sagemakers_reason(
    runtime: Runtime, api: Client, bucket: str, better_version: dict[str, Any]
) -> None:
    # Given customers to score under batch/, one of them with a contract the schema does not know
    rows = [CUSTOMER, {**CUSTOMER, "contract": "weekly"}]
    s3, sagemaker = runtime.aws.client("s3"), runtime.aws.client("sagemaker")
    # When a transform is asked for
    done = transformed(runtime, api, bucket, "batch/churn/refused/", rows)
    # Then the transform is FAILED with the workflow's error and SageMaker's FailureReason,
    # which names the job and gives the inference script's own message
    assert done["status"] == "FAILED", done
    assert done["finished_at"]
    job = sagemaker.describe_transform_job(TransformJobName=done["job_name"])
    assert job["TransformJobStatus"] == "Failed"
    assert done["error"] == {"type": "States.TaskFailed", "reason": f"{done['job_name']}: {job['FailureReason']}"}
    assert "contract: 'weekly' is not one of" in done["error"]["reason"]
    # And nothing of it is left in progress: its execution ended in the failure path, no output written
    execution = wait_for_execution_end(runtime, execution_of(runtime, done["transform_id"], "TransformWorkflow"))
    assert execution == "FAILED"
    out_bucket, _, prefix = done["output_uri"].removeprefix("s3://").partition("/")
    assert s3.list_objects_v2(Bucket=out_bucket, Prefix=prefix)["KeyCount"] == 0
    assert api.call("GET", f"/models/{MODEL}/transforms/{done['transform_id']}")[1] == done


def test_a_run_whose_execution_is_stopped_does_not_stay_in_progress(
    runtime: Runtime, api: Client, bucket: str, better_version: dict[str, Any]
) -> None:
    # Given new data whose run is settling
    before = {run["run_id"] for run in api.call("GET", f"/models/{MODEL}")[1]["trainings"]}
    runtime.aws.client("s3").put_object(Bucket=bucket, Key="training/churn/2026-12.csv", Body=data_csv(300, 300))
    run = new_run(api, before)
    assert run["status"] == "SETTLING"
    # When its execution is stopped (outside any Catch)
    run = stop_run(runtime, api, run["run_id"], error="Operator", cause="stopped by the test")
    # Then the safety net marks the run FAILED with why
    assert run["status"] == "FAILED", run
    # (with StopExecution's error and cause where the event carries them, as AWS's does;
    # moto's execution keeps none, and the run says it was aborted)
    assert (run["error"]["type"], run["error"]["reason"]) in (
        ("Operator", "stopped by the test"),
        ("ExecutionAborted", "the workflow's execution ended ABORTED before recording an outcome"),
    )


def test_a_run_stopped_while_settling_ends_its_window_so_the_next_upload_starts_a_new_run(
    runtime: Runtime, api: Client, bucket: str
) -> None:
    assert runtime.deployment is not None
    model, key = AUTO_APPROVED.name, f"training/{AUTO_APPROVED.name}/stopped/"
    s3, dynamodb = runtime.aws.client("s3"), runtime.aws.client("dynamodb")
    table = runtime.deployment.names["ModelRecords"]

    def window_end() -> str:
        item = dynamodb.get_item(TableName=table, Key={"id": {"S": f"window#{model}"}}, ConsistentRead=True)["Item"]
        return str(item["starts_at"]["S"])

    before = {run["run_id"] for run in api.call("GET", f"/models/{model}")[1]["trainings"]}
    try:
        # Given new data of the second model (its uploads settle 6 s) whose run is settling
        s3.put_object(Bucket=bucket, Key=f"{key}a.csv", Body=data_csv(300, 301))
        dead = new_run(api, before, model)
        assert dead["status"] == "SETTLING"
        opened = window_end()
        # When its execution is stopped
        assert stop_run(runtime, api, dead["run_id"], model)["status"] == "FAILED"
        # Then its window ends with it
        deadline = time.monotonic() + 10
        while window_end() >= opened:
            assert time.monotonic() < deadline, f"the window still ends at {opened}"
            time.sleep(0.1)
        # And more data landing within what was its window starts a run of its own
        s3.put_object(Bucket=bucket, Key=f"{key}b.csv", Body=data_csv(300, 302))
        landed = s3.head_object(Bucket=bucket, Key=f"{key}b.csv")["LastModified"]
        assert landed < datetime.fromisoformat(dead["starts_at"]), "the test was too slow to upload within the window"
        after = new_run(api, before | {dead["run_id"]}, model)
        assert (after["status"], after["trigger"]) == ("SETTLING", "data")
        stop_run(runtime, api, after["run_id"], model)  # (this test trains nothing)
    finally:  # nor leaves data that later runs of the model would train on
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"{key}a.csv"}, {"Key": f"{key}b.csv"}]})


def test_each_models_schedule_trains_it(runtime: Runtime, api: Client, better_version: dict[str, Any]) -> None:
    assert runtime.scheduler is not None
    runs = {}
    for model in runtime.stack.models:
        # When the model's retraining schedule fires
        before = {run["run_id"] for run in api.call("GET", f"/models/{model.name}")[1]["trainings"]}
        fired = runtime.scheduler.fire(f"{model.logical_id}TrainingSchedule")
        # Then it starts one run, of that model, over its data (one without data fails saying so)
        [run_id] = fired["runs"]
        after = {run["run_id"] for run in api.call("GET", f"/models/{model.name}")[1]["trainings"]}
        assert after - before == {run_id}
        runs[model.name] = wait_for_run(api, run_id, model=model.name)
    # And the example model's run is judged at the gate like any other
    assert {run["trigger"] for run in runs.values()} == {"schedule"}
    run = runs[MODEL]
    assert run["status"] in ("SUCCEEDED", "REJECTED"), run
    assert run["verdict"]


def test_requests_about_models_that_cannot_be_met_get_clear_answers(api: Client) -> None:
    # Unknown models, versions, runs and deployments are 404 with what exists
    status, answer = api.call("GET", "/models/fraud")
    assert (status, answer["code"]) == (404, "NotFound")
    assert "declared: churn" in answer["message"]
    assert api.call("POST", f"/models/{MODEL}/versions/999/approve")[0] == 404
    assert api.call("POST", f"/models/{MODEL}/versions/latest/approve")[0] == 404
    assert api.call("GET", f"/models/{MODEL}/trainings/{'0' * 32}")[0] == 404
    assert api.call("GET", f"/deployments/{'0' * 32}")[0] == 404
    # Hyperparameters the model does not declare are refused before anything runs
    status, answer = api.call("POST", f"/models/{MODEL}/trainings", {"hyperparameters": {"epochs": "3"}})
    assert status == 400
    assert "unknown hyperparameters ['epochs']" in answer["message"]
    # A transform reads only under batch/, with a live model, and a prefix that holds something
    assert api.call("POST", f"/models/{MODEL}/transforms", {"input_prefix": "training/churn/"})[0] == 422
    status, answer = api.call("POST", f"/models/{MODEL}/transforms", {"input_prefix": "batch/churn/empty/"})
    assert status == 400
    assert "there is nothing under" in answer["message"] or "no live version yet" in answer["message"]
