"""The SageMaker lifecycle's contracts (issue 5): API bodies, the records of training runs,
transforms and deployments, and the data their workflows pass.

Kept apart from ``chalicelib/models.py`` (the document jobs' contracts); the error shape is
shared (``JobError``).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.models import JobError, WorkflowFailure


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Loose(BaseModel):
    """What Insight reads from others (AWS events, Step Functions' state): extra fields ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True, populate_by_name=True)


# --- training runs -------------------------------------------------------------------------


class RunStatus(StrEnum):
    SETTLING = "SETTLING"  # new data is landing: the run starts when the settle window ends
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"  # a model package was registered
    REJECTED = "REJECTED"  # the gate stopped the model: the reason says why
    FAILED = "FAILED"

    @property
    def finished(self) -> bool:
        return self in (RunStatus.SUCCEEDED, RunStatus.REJECTED, RunStatus.FAILED)


class TrainingTrigger(StrEnum):
    DATA = "data"  # new objects under training/<model>/
    API = "api"  # POST /models/{name}/trainings
    SCHEDULE = "schedule"


class TrainingRun(Contract):
    run_id: str
    model: str
    status: RunStatus
    trigger: TrainingTrigger
    created_at: datetime
    updated_at: datetime
    starts_at: datetime = Field(description="When the run leaves its settle window and its jobs start.")
    finished_at: datetime | None = None
    data_version: str | None = Field(default=None, description="A digest of the training data's objects.")
    code_version: str | None = Field(default=None, description="A digest of the model's sourcedir.tar.gz.")
    jobs: dict[str, str] = Field(default={}, description="SageMaker job names: processing, training, evaluation.")
    metrics: dict[str, float] = Field(default={}, description="The evaluation's metrics of the new model.")
    production_metric: float | None = Field(default=None, description="The gate's metric of the live model.")
    verdict: str | None = Field(default=None, description="What the gate decided, and why.")
    package_arn: str | None = None
    version: int | None = None
    error: JobError | None = None
    progress: dict[str, str] = Field(
        default={},
        description="While the run is RUNNING: each SageMaker job's status as SageMaker tells it now "
        "(e.g. InProgress (Training)), or NotStarted.",
    )


class TrainingRequest(Contract):
    """``POST /models/{name}/trainings``: a run now, over the data under training/<model>/."""

    hyperparameters: dict[Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,63}$")], str] = Field(
        default={}, description="Overrides of the model's declared hyperparameters, as strings."
    )


class ScheduledTraining(Loose):
    """What a model's retraining schedule gives its function (the EventBridge rule's input)."""

    model: str


class TrainingExecution(Loose):
    """The training workflow's input."""

    run_id: str
    model: str
    start_after: str = Field(description="ISO timestamp: the Wait of the settle window ends then.")
    hyperparameters: dict[str, str] = {}


class TrainingPlan(Contract):
    """The three SageMaker requests of a run, as the workflow passes them to the .sync tasks."""

    spot: bool
    processing: dict[str, Any]
    training: dict[str, Any]
    evaluation: dict[str, Any]
    evaluation_uri: str


class JudgeInput(Loose):
    run_id: str
    model: str
    evaluation_uri: str
    model_data_url: str


class Verdict(Contract):
    passed: bool
    metric: float | None
    production_metric: float | None = None
    reason: str


class RegisterInput(Loose):
    run_id: str
    model: str
    evaluation_uri: str
    model_data_url: str
    verdict: Verdict


class Registered(Contract):
    package_arn: str
    version: int
    approval: str


class RunFailure(Loose):
    """The Catch output a failure step receives (Error, Cause) and which record it is for."""

    kind: Literal["training", "transform"]
    record_id: str
    failure: WorkflowFailure


# --- deployments ---------------------------------------------------------------------------


class DeploymentStatus(StrEnum):
    PENDING = "PENDING"  # recorded; waits for the endpoint to be free
    DEPLOYING = "DEPLOYING"
    DEPLOYED = "DEPLOYED"
    ROLLED_BACK = "ROLLED_BACK"
    FAILED = "FAILED"

    @property
    def finished(self) -> bool:
        return self in (DeploymentStatus.DEPLOYED, DeploymentStatus.ROLLED_BACK, DeploymentStatus.FAILED)


class Deployment(Contract):
    deployment_id: str
    model: str
    endpoint: str
    package_arn: str
    version: int
    status: DeploymentStatus
    trigger: Literal["event", "api"]
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    model_name: str | None = Field(
        default=None, description="The SageMaker Model made from the package (recorded before it is made)."
    )
    endpoint_config: str | None = None
    strategy: Literal["create", "blue_green_canary"] | None = None
    alarms: list[str] = Field(default=[], description="The auto-rollback alarms of a blue/green update.")
    previous_config: str | None = Field(
        default=None, description="The endpoint config a blue/green update replaces: it serves until the update ends."
    )
    previous_model: str | None = None
    failed_config: str | None = Field(
        default=None,
        description="The config of the Failed endpoint this deployment deleted to make it again: it serves "
        "nothing since, and is deleted when the deployment ends, whatever the outcome.",
    )
    failed_model: str | None = None
    superseded: list[str] = Field(
        default=[],
        description="Endpoint configs and models deleted when the deployment ended: those of a Failed endpoint "
        "it made again; deployed, those it replaced; not deployed, its own, unless the endpoint is on them.",
    )
    reason: str | None = None


class Live(Contract):
    """What an endpoint serves (``live#<endpoint>``), as the last successful deployment left it."""

    endpoint: str
    model: str
    package_arn: str
    version: int
    model_name: str
    endpoint_config: str
    deployment_id: str
    deployed_at: datetime


class DeploymentExecution(Loose):
    deployment_id: str


class DeploymentStart(Loose):
    """The input of the step that deploys and waits (``.waitForTaskToken``)."""

    deployment_id: str
    task_token: str


class DeploymentOutcome(Contract):
    status: DeploymentStatus
    reason: str | None = None


class DeploymentEnd(Loose):
    deployment_id: str
    outcome: DeploymentOutcome | None = None
    failure: WorkflowFailure | None = None


class ModelPackageStateChange(Loose):
    """The detail of SageMaker's "SageMaker Model Package State Change" event."""

    ModelPackageGroupName: str
    ModelPackageArn: str
    ModelPackageVersion: int | None = None
    ModelApprovalStatus: str


class EndpointStateChange(Loose):
    """The detail of "SageMaker Endpoint State Change" and "... Endpoint Deployment State Change"."""

    EndpointName: str
    EndpointStatus: str
    EndpointConfigName: str | None = None
    FailureReason: str | None = None


# --- transforms ----------------------------------------------------------------------------

BATCH_PREFIX = re.compile(r"^batch/[\w\-./=]+/$")


class TransformRequest(Contract):
    """``POST /models/{name}/transforms``: every CSV object under a prefix of the model bucket,
    one customer a line, through the live model."""

    input_prefix: Annotated[
        str, Field(max_length=512, examples=["batch/churn/2026-11/"], description="A prefix under batch/, ending /.")
    ]

    @field_validator("input_prefix")
    @classmethod
    def under_batch(cls, value: str) -> str:
        if not BATCH_PREFIX.fullmatch(value) or ".." in value:
            raise ValueError("input_prefix must be a prefix of the model bucket under batch/, ending with /")
        return value


class Transform(Contract):
    transform_id: str
    model: str
    status: RunStatus
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    input_uri: str
    output_uri: str
    package_arn: str
    version: int
    model_name: str
    job_name: str
    error: JobError | None = None


class TransformExecution(Loose):
    transform_id: str


# --- registry views, predictions -------------------------------------------------------------


class ModelVersion(Contract):
    version: int
    package_arn: str
    approval: str
    status: str
    created_at: datetime | None = None
    metrics: dict[str, float] = {}
    data_version: str | None = None
    code_version: str | None = None
    run_id: str | None = None
    live: bool = False


class ModelSummary(Contract):
    name: str
    endpoint: str
    package_group: str
    live_version: int | None = None
    metric: str
    threshold: float


class ModelList(Contract):
    models: list[ModelSummary]


class ModelDetail(Contract):
    model: ModelSummary
    endpoint_status: str | None = Field(default=None, description="The endpoint's SageMaker status, if it exists.")
    versions: list[ModelVersion]
    trainings: list[TrainingRun] = Field(default=[], description="The most recent training runs, newest first.")


class ApprovalAccepted(Contract):
    model: str
    version: int
    package_arn: str
    deployment: Deployment


class PredictRequest(Contract):
    instances: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=1000)]


class PredictReply(Contract):
    endpoint: str
    variant: str | None = Field(default=None, description="The production variant that answered.")
    predictions: list[dict[str, Any]]
