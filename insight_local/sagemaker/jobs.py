"""Processing, training and transform jobs, run for real: the job's own scripts in a
subprocess of this venv's Python under the container contract (see container.py).

moto keeps each job's record (its Describe answer); ``start_*`` take that record just after
moto made it, mark it InProgress and run the job on a background thread, which moves the
record through SageMaker's statuses (InProgress -> Completed | Failed | Stopped, with the
training job's secondary statuses), keeps the output in CloudWatch Logs, publishes the
"SageMaker ... Job State Change" events and, for training, parses the job's
MetricDefinitions from the output into FinalMetricDataList (and CloudWatch metrics).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from insight_local.sagemaker import requirements, storage
from insight_local.sagemaker.aws import client, emit, split_s3_uri, tags_as_map
from insight_local.sagemaker.container import Container, pack, unpack
from insight_local.sagemaker.logs import JobLog

HOST = "algo-1"
KINDS = {
    "Training": ("/aws/sagemaker/TrainingJobs", "SageMaker Training Job State Change"),
    "Processing": ("/aws/sagemaker/ProcessingJobs", "SageMaker Processing Job State Change"),
    "Transform": ("/aws/sagemaker/TransformJobs", "SageMaker Transform Job State Change"),
}


class JobFailed(Exception):
    """The job ends Failed with this reason (SageMaker's FailureReason)."""


class JobStopped(Exception):
    """The job ends Stopped (StopX, or MaxRuntimeInSeconds)."""

    def __init__(self, secondary: str, message: str) -> None:
        super().__init__(message)
        self.secondary = secondary


@dataclass
class Run:
    """What the engine knows of a job beyond its Describe answer."""

    kind: str
    name: str
    region: str
    job: Any
    describe: Callable[[], dict[str, Any]]
    stop_requested: threading.Event = field(default_factory=threading.Event)
    process: subprocess.Popen[str] | None = None
    script_seconds: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    log: JobLog | None = None
    thread: threading.Thread | None = None
    #: the job's Environment (CreateTrainingJob's, CreateProcessingJob's)
    environment: dict[str, str] | None = None

    @property
    def status(self) -> str:
        return str(getattr(self.job, f"{self.kind.lower()}_job_status"))


RUNS: dict[tuple[str, str], Run] = {}
_runs_lock = threading.Lock()


def run_of(kind: str, name: str) -> Run | None:
    with _runs_lock:
        return RUNS.get((kind, name))


def script_seconds(kind: str, name: str) -> float | None:
    """How long the job's own script ran (the subprocess, from start to exit), in seconds:
    the rest of a job's time is the engine's (downloads, uploads, bookkeeping)."""
    run = run_of(kind, name)
    return run.script_seconds if run else None


def metrics_so_far(name: str) -> dict[str, float]:
    """The training job's metrics parsed so far (the last value of each), while it runs."""
    run = run_of("Training", name)
    return dict(run.metrics) if run else {}


def now() -> datetime:
    return datetime.now(UTC)


def region_of(arn: str) -> str:
    return arn.split(":")[3]


# --- the lifecycle shared by every kind ------------------------------------------------------


def _register(kind: str, job: Any, describe: Callable[[], dict[str, Any]]) -> Run:
    name = getattr(job, f"{kind.lower()}_job_name")
    run = Run(kind=kind, name=name, region=region_of(job.arn), job=job, describe=describe)
    with _runs_lock:
        RUNS[(kind, name)] = run
    return run


def _set_status(run: Run, status: str, reason: str | None = None) -> None:
    setattr(run.job, f"{run.kind.lower()}_job_status", status)
    if reason is not None:
        run.job.failure_reason = reason
    run.job.last_modified_time = now()
    _emit(run)


def _emit(run: Run) -> None:
    detail = dict(run.describe())
    detail["Tags"] = tags_as_map(detail.get("Tags"))
    try:
        emit(run.region, KINDS[run.kind][1], run.job.arn, detail)
    except Exception as error:  # an event that cannot be put must not stop the job
        if run.log:
            run.log.write(f"[local runtime] could not put the state change event: {error}")


def _start(run: Run, body: Callable[[Run, Container], None], finish: Callable[[Run, str], None]) -> None:
    def work() -> None:
        container = Container(run.name)
        outcome = "Completed"
        try:
            body(run, container)
        except JobStopped as stopped:
            outcome = "Stopped"
            finish(run, outcome)
            if run.kind == "Training":
                _secondary(run, stopped.secondary, str(stopped))
            _set_status(run, "Stopped")
        except JobFailed as failed:
            outcome = "Failed"
            finish(run, outcome)
            if run.kind == "Training":
                _secondary(run, "Failed", f"Training job failed. Reason: {failed}")
            _set_status(run, "Failed", str(failed))
        except Exception as error:  # the engine's own fault: the job still ends, and says why
            outcome = "Failed"
            finish(run, outcome)
            _set_status(run, "Failed", f"InternalServerError: the local runtime failed the job: {error!r}")
        else:
            finish(run, outcome)
            if run.kind == "Training":
                _secondary(run, "Completed", "Training job completed")
            _set_status(run, "Completed")
        finally:
            if run.log:
                run.log.write(f"[local runtime] {run.kind.lower()} job {run.name} ended {outcome}")
                run.log.flush()
            container.remove()

    run.thread = threading.Thread(target=work, name=f"sagemaker-{run.kind.lower()}:{run.name}", daemon=True)
    run.thread.start()


def _execute(run: Run, command: list[str], environment: dict[str, str], cwd: Path, timeout: float | None) -> None:
    """Run the script, its output line by line into the log (and the metric parser); a
    non-zero exit is the job's failure, with the script's error as the reason."""
    assert run.log is not None
    started = time.monotonic()
    stderr_tail: list[str] = []
    process = subprocess.Popen(  # noqa: S603 (the job's own command, as SageMaker runs it)
        command,
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    run.process = process

    def pump(stream: Any, keep: list[str] | None) -> None:
        for raw in stream:
            line = raw.rstrip("\n")
            run.log.write(line)  # type: ignore[union-attr]
            if keep is not None:
                keep.append(line)
                del keep[:-40]
            _parse_metrics(run, line)

    readers = [
        threading.Thread(target=pump, args=(process.stdout, None), daemon=True),
        threading.Thread(target=pump, args=(process.stderr, stderr_tail), daemon=True),
    ]
    for reader in readers:
        reader.start()
    timed_out = False
    while process.poll() is None:
        if run.stop_requested.is_set():
            process.kill()
        elif timeout is not None and time.monotonic() - started > timeout:
            timed_out = True
            process.kill()
        time.sleep(0.05)
    for reader in readers:
        reader.join(5)
    run.script_seconds = time.monotonic() - started
    if run.stop_requested.is_set():
        raise JobStopped("Stopped", "Training job stopped by the user")
    if timed_out:
        raise JobStopped("MaxRuntimeExceeded", f"Training job stopped: it ran past MaxRuntimeInSeconds ({timeout:.0f})")
    if process.returncode != 0:
        raise JobFailed(_reason(run, command, process.returncode, stderr_tail))


def _reason(run: Run, command: list[str], code: int, stderr_tail: list[str]) -> str:
    """SageMaker's FailureReason: the script's /opt/ml/output/failure if it wrote one, else
    its last error lines."""
    lines = [line for line in stderr_tail if line.strip()]
    error = next((line for line in reversed(lines) if re.match(r"^[\w.]+(Error|Exception|Exit)\b", line)), None)
    message = error or " ".join(lines[-3:]) or f"the script exited with code {code} and printed no error"
    shown = " ".join(Path(part).name if os.sep in part else part for part in command)
    if run.kind == "Training":
        return (
            f'AlgorithmError: ExecuteUserScriptError:\nExitCode {code}\nErrorMessage "{message}"\n'
            f'Command "{shown}", exit code: {code}'
        )
    return f"AlgorithmError: {message} (exit code {code})"


def _parse_metrics(run: Run, line: str) -> None:
    if run.kind != "Training":
        return
    for definition in getattr(run.job, "_metric_definitions", []):
        match = re.search(definition["Regex"], line)
        if not match:
            continue
        try:
            value = float(match.group(1))
        except (IndexError, ValueError):
            continue
        run.metrics[definition["Name"]] = value
        with contextlib.suppress(Exception):  # a metric CloudWatch refuses is still in FinalMetricDataList
            client("cloudwatch", run.region).put_metric_data(
                Namespace="/aws/sagemaker/TrainingJobs",
                MetricData=[
                    {
                        "MetricName": definition["Name"],
                        "Dimensions": [{"Name": "Host", "Value": f"{run.name}/{HOST}"}],
                        "Value": value,
                    }
                ],
            )


def _stopped_check(run: Run) -> None:
    if run.stop_requested.is_set():
        raise JobStopped("Stopped", "Training job stopped by the user")


# --- training ---------------------------------------------------------------------------------


def _secondary(run: Run, status: str, message: str) -> None:
    """A new secondary status. The transitions are replaced, never changed in place: a
    Describe may be reading them on the server's thread."""
    moment = now()
    transitions = list(run.job.secondary_status_transitions or [])
    if transitions and "EndTime" not in transitions[-1]:
        transitions[-1] = {**transitions[-1], "EndTime": moment}
    latest = {"Status": status, "StartTime": moment, "StatusMessage": message}
    if status in ("Completed", "Failed", "Stopped", "MaxRuntimeExceeded"):
        latest["EndTime"] = moment
    run.job.secondary_status_transitions = [*transitions, latest]
    run.job.secondary_status = status
    run.job.last_modified_time = moment


def hyperparameter_value(raw: str) -> Any:
    """A hyperparameter as the training toolkit reads it: JSON-decoded when it is JSON."""
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return raw


def start_training(
    job: Any,
    metric_definitions: list[dict[str, str]],
    describe: Callable[[], dict[str, Any]],
    environment: dict[str, str] | None = None,
) -> Run:
    job._metric_definitions = metric_definitions
    job.algorithm_specification["MetricDefinitions"] = metric_definitions
    job.training_job_status = "InProgress"
    job.secondary_status = "Starting"
    job.secondary_status_transitions = []
    job.final_metric_data_list = None
    job.training_start_time = None
    job.training_end_time = None
    job.failure_reason = None
    job.training_time_in_seconds = None
    job.billable_time_in_seconds = None
    artifacts = job.model_artifacts
    job.model_artifacts = None
    run = _register("Training", job, describe)
    run.environment = environment
    job.environment = environment or None
    run.log = JobLog(KINDS["Training"][0], f"{run.name}/{HOST}-{int(time.time())}", run.region)
    _secondary(run, "Starting", "Launching requested ML instances")
    _emit(run)

    def body(run: Run, container: Container) -> None:
        _train(run, container, artifacts["S3ModelArtifacts"])

    def finish(run: Run, outcome: str) -> None:
        run.job.training_end_time = now()
        if run.job.training_start_time:
            seconds = max(1, int((run.job.training_end_time - run.job.training_start_time).total_seconds()))
            run.job.training_time_in_seconds = seconds
            run.job.billable_time_in_seconds = seconds
        run.job.final_metric_data_list = [
            {"MetricName": name, "Value": value, "Timestamp": run.job.training_end_time}
            for name, value in run.metrics.items()
        ]

    _start(run, body, finish)
    return run


def _train(run: Run, container: Container, model_uri: str) -> None:
    job = run.job
    assert run.log is not None
    hyperparameters = {name: hyperparameter_value(value) for name, value in (job.hyper_parameters or {}).items()}
    program = hyperparameters.get("sagemaker_program")
    submit = hyperparameters.get("sagemaker_submit_directory")
    if not program or not submit:
        raise JobFailed(
            "ClientError: the local runtime runs script-mode training only: HyperParameters must name "
            "sagemaker_program and sagemaker_submit_directory (JSON-encoded strings, as the sagemaker SDK writes them)"
        )
    user = {name: value for name, value in hyperparameters.items() if not name.startswith("sagemaker_")}
    channels = [channel["ChannelName"] for channel in job.input_data_config or []]
    _secondary(run, "Downloading", "Downloading input data")
    _stopped_check(run)
    try:
        for channel in job.input_data_config or []:
            source = channel["DataSource"].get("S3DataSource")
            if not source or source.get("S3DataType", "S3Prefix") != "S3Prefix":
                raise JobFailed(
                    f"ClientError: channel {channel['ChannelName']}: only S3Prefix data sources run locally"
                )
            storage.download(
                source["S3Uri"], container.path(f"/opt/ml/input/data/{channel['ChannelName']}"), run.region
            )
        code = container.path("/opt/ml/code")
        archive = container.path("/opt/ml/input/sourcedir.tar.gz")
        storage.download(str(submit), archive.parent / "source", run.region)
        unpack(next((archive.parent / "source").rglob("*.tar.gz")), code)
        checkpoint = job.checkpoint_config or {}
        local_checkpoints = container.path(checkpoint.get("LocalPath") or "/opt/ml/checkpoints")
        if checkpoint.get("S3Uri"):
            local_checkpoints.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(storage.MissingData):  # the first run of a job: nothing to resume from
                storage.download(checkpoint["S3Uri"], local_checkpoints, run.region)
    except storage.MissingData as missing:
        raise JobFailed(str(missing)) from None
    if not (code / str(program)).is_file():
        raise JobFailed(f"ClientError: the source directory {submit} has no {program}")
    unmet = requirements.explain(code)
    if unmet:  # what SageMaker's container would have failed to pip install, said before the script runs
        raise JobFailed(f'AlgorithmError: InstallRequirementsError:\nExitCode 1\nErrorMessage "{unmet}"')
    for name in ("model", "output/data", "output/intermediate"):
        container.path(f"/opt/ml/{name}").mkdir(parents=True, exist_ok=True)
    resource = job.resource_config or {}
    container.write_json("/opt/ml/input/config/hyperparameters.json", job.hyper_parameters or {})
    container.write_json("/opt/ml/input/config/resourceconfig.json", {"current_host": HOST, "hosts": [HOST]})
    container.write_json(
        "/opt/ml/input/config/inputdataconfig.json",
        {channel["ChannelName"]: {"TrainingInputMode": "File"} for channel in job.input_data_config or []},
    )
    args: list[str] = []
    for name, value in user.items():
        args += [f"--{name}", value if isinstance(value, str) else json.dumps(value)]
    environment = {
        **(run.environment or {}),
        "SM_MODEL_DIR": "/opt/ml/model",
        "SM_OUTPUT_DIR": "/opt/ml/output",
        "SM_OUTPUT_DATA_DIR": "/opt/ml/output/data",
        "SM_OUTPUT_INTERMEDIATE_DIR": "/opt/ml/output/intermediate",
        "SM_INPUT_DIR": "/opt/ml/input",
        "SM_INPUT_CONFIG_DIR": "/opt/ml/input/config",
        "SM_MODULE_DIR": str(submit),
        "SM_MODULE_NAME": Path(str(program)).stem,
        "SM_USER_ENTRY_POINT": str(program),
        "SM_HPS": json.dumps(user),
        "SM_USER_ARGS": json.dumps(args),
        "SM_CHANNELS": json.dumps(channels),
        "SM_HOSTS": json.dumps([HOST]),
        "SM_CURRENT_HOST": HOST,
        "SM_NUM_CPUS": str(os.cpu_count() or 1),
        "SM_NUM_GPUS": "0",
        "SM_LOG_LEVEL": "20",
        "SM_CURRENT_INSTANCE_TYPE": str(resource.get("InstanceType", "ml.m5.large")),
        "SAGEMAKER_REGION": run.region,
        "TRAINING_JOB_NAME": run.name,
        "TRAINING_JOB_ARN": job.arn,
        **{f"SM_CHANNEL_{channel.upper()}": f"/opt/ml/input/data/{channel}" for channel in channels},
        **{
            f"SM_HP_{name.upper()}": value if isinstance(value, str) else json.dumps(value)
            for name, value in user.items()
        },
    }
    _secondary(run, "Training", "Training image download completed. Training in progress.")
    job.training_start_time = now()
    _emit(run)
    timeout = (job.stopping_condition or {}).get("MaxRuntimeInSeconds")
    run.log.write(f"Invoking script with the following command: python {program} {' '.join(args)}")
    try:
        _execute(
            run,
            container.command(["python3", str(code / str(program)), *args]),
            container.environment(environment),
            code,
            float(timeout) if timeout else None,
        )
    except JobStopped as stopped:
        if stopped.secondary == "MaxRuntimeExceeded":
            _upload_training_outputs(run, container, model_uri)
        raise
    finally:
        if checkpoint.get("S3Uri") and local_checkpoints.is_dir():
            storage.upload_directory(local_checkpoints, checkpoint["S3Uri"], run.region)
    _secondary(run, "Uploading", "Uploading generated training model")
    _upload_training_outputs(run, container, model_uri)
    job.model_artifacts = {"S3ModelArtifacts": model_uri}


def _upload_training_outputs(run: Run, container: Container, model_uri: str) -> None:
    """model.tar.gz from SM_MODEL_DIR, output.tar.gz from SM_OUTPUT_DATA_DIR, beside it."""
    scratch = container.root / "_archives"
    pack(container.path("/opt/ml/model"), scratch / "model.tar.gz")
    storage.upload_file(scratch / "model.tar.gz", model_uri, run.region)
    pack(container.path("/opt/ml/output/data"), scratch / "output.tar.gz")
    storage.upload_file(scratch / "output.tar.gz", model_uri.rsplit("/", 1)[0] + "/output.tar.gz", run.region)


# --- processing -------------------------------------------------------------------------------


def start_processing(job: Any, environment: dict[str, str], describe: Callable[[], dict[str, Any]]) -> Run:
    job.processing_job_status = "InProgress"
    job.processing_end_time = None
    job.processing_start_time = None
    job.failure_reason = None
    job.exit_message = None
    job.environment = environment or None
    run = _register("Processing", job, describe)
    run.log = JobLog(KINDS["Processing"][0], f"{run.name}/{HOST}-{int(time.time())}", run.region)
    _emit(run)

    def finish(run: Run, outcome: str) -> None:
        run.job.processing_end_time = now()
        if outcome != "Completed" and run.log:
            run.job.exit_message = "\n".join(run.log.tail(10))[-1024:]

    _start(run, lambda run, container: _process(run, container, environment or {}), finish)
    return run


def _process(run: Run, container: Container, environment: dict[str, str]) -> None:
    job = run.job
    app = job.app_specification or {}
    entrypoint = list(app.get("ContainerEntrypoint") or [])
    if not entrypoint:
        raise JobFailed(
            "ClientError: the local runtime runs script processing only: AppSpecification.ContainerEntrypoint "
            'must name the script, e.g. ["python3", "/opt/ml/processing/input/code/processing.py"]'
        )
    try:
        for item in job.processing_inputs or []:
            source = item.get("S3Input")
            if not source:
                raise JobFailed(f"ClientError: input {item.get('InputName')}: only S3Input runs locally")
            storage.download(source["S3Uri"], container.path(source["LocalPath"]), run.region)
    except storage.MissingData as missing:
        raise JobFailed(str(missing)) from None
    except ValueError as outside:
        raise JobFailed(f"ClientError: {outside}") from None
    outputs = (job.processing_output_config or {}).get("Outputs", [])
    for output in outputs:
        container.path(output["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)
    container.write_json(
        "/opt/ml/config/processingjobconfig.json",
        {
            "ProcessingJobArn": job.arn,
            "ProcessingJobName": run.name,
            "AppSpecification": app,
            "ProcessingInputs": job.processing_inputs,
            "ProcessingOutputConfig": job.processing_output_config,
            "Environment": environment,
        },
    )
    container.write_json("/opt/ml/config/resourceconfig.json", {"current_host": HOST, "hosts": [HOST]})
    job.processing_start_time = now()
    timeout = (job.stopping_condition or {}).get("MaxRuntimeInSeconds")
    _execute(
        run,
        container.command([*entrypoint, *(app.get("ContainerArguments") or [])]),
        container.environment(environment),
        container.root,
        float(timeout) if timeout else None,
    )
    for output in outputs:
        target = output["S3Output"]
        storage.upload_directory(container.path(target["LocalPath"]), target["S3Uri"], run.region)


# --- transform --------------------------------------------------------------------------------


def start_transform(job: Any, model: dict[str, Any], describe: Callable[[], dict[str, Any]]) -> Run:
    job.transform_job_status = "InProgress"
    job.transform_start_time = now()
    job.transform_end_time = None
    job.failure_reason = None
    run = _register("Transform", job, describe)
    run.log = JobLog(KINDS["Transform"][0], f"{run.name}/{HOST}-{int(time.time())}", run.region)
    _emit(run)

    def finish(run: Run, outcome: str) -> None:
        run.job.transform_end_time = now()

    _start(run, lambda run, container: _transform(run, container, model), finish)
    return run


def _transform(run: Run, container: Container, model: dict[str, Any]) -> None:
    """Each input object through the model's inference script: split by line when SplitType
    is Line, the answers joined by line into ``{S3OutputPath}/{relative key}.out``."""
    from insight_local.sagemaker import hosting

    job = run.job
    assert run.log is not None
    source = (job.transform_input or {}).get("DataSource", {}).get("S3DataSource", {})
    content_type = (job.transform_input or {}).get("ContentType") or "text/csv"
    split = (job.transform_input or {}).get("SplitType") or "None"
    accept = (job.transform_output or {}).get("Accept") or content_type
    inputs = container.path("/opt/ml/transform/input")
    try:
        files = storage.download(source.get("S3Uri", ""), inputs, run.region)
    except (storage.MissingData, ValueError) as missing:
        raise JobFailed(str(missing)) from None
    started = time.monotonic()
    try:
        loaded = hosting.load_model(model, container.path("/opt/ml/model"), run.region, f"transform-{run.name}")
    except hosting.ModelLoadError as error:
        raise JobFailed(f"ClientError: {error}") from None
    outputs = container.path("/opt/ml/transform/output")
    try:
        _transform_files(run, loaded, files, inputs, outputs, content_type, accept, split)
    finally:
        if str(loaded.code_dir) in sys.path:
            sys.path.remove(str(loaded.code_dir))
    run.script_seconds = time.monotonic() - started
    storage.upload_directory(outputs, job.transform_output["S3OutputPath"], run.region)


def _transform_files(
    run: Run, loaded: Any, files: list[Path], inputs: Path, outputs: Path, content_type: str, accept: str, split: str
) -> None:
    from insight_local.sagemaker import hosting

    assert run.log is not None
    for path in files:
        body = path.read_bytes()
        records = [line for line in body.splitlines() if line.strip()] if split == "Line" else [body]
        answers = []
        for record in records:
            _stopped_check(run)
            try:
                answer, _ = loaded.invoke(record, content_type, accept)
            except hosting.InvocationError as error:
                run.log.write(f"record failed: {error.message}")
                raise JobFailed(f"ClientError: See job logs for more information. {error.message}") from None
            answers.append(answer.rstrip(b"\n"))
        target = outputs / f"{path.relative_to(inputs)}.out"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"\n".join(answers) + b"\n")
        run.log.write(f"transformed {path.relative_to(inputs)}: {len(records)} record(s)")


def stop(kind: str, name: str) -> bool:
    """StopX: the script is killed and the job ends Stopped. False when it is not running."""
    run = run_of(kind, name)
    if run is None or run.status != "InProgress":
        return False
    setattr(run.job, f"{kind.lower()}_job_status", "Stopping")
    run.stop_requested.set()
    if run.process is not None and run.process.poll() is None:
        run.process.kill()
    return True


def wait(kind: str, name: str, timeout: float = 120) -> str:
    """Block until the job ends (tests and tools); its final status."""
    run = run_of(kind, name)
    if run is None or run.thread is None:
        raise KeyError(f"no local {kind} job {name}")
    run.thread.join(timeout)
    return run.status


def s3_model_uri(output_path: str, job_name: str) -> str:
    bucket, prefix = split_s3_uri(output_path.rstrip("/"))
    return f"s3://{bucket}/{prefix + '/' if prefix else ''}{job_name}/output/model.tar.gz"
