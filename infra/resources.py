"""Every resource Insight needs, declared once.

Two readers turn this into resources: ``infra/template.py`` writes the CloudFormation/SAM
merge template for ``make package``; ``insight_local/provision.py`` creates the same
resources in the local runtime. Neither keeps a list of its own.

A resource with a ``setting`` is told to the code through that ``Settings`` field
(environment variable ``INSIGHT_<SETTING>``): its name for buckets, tables and event buses,
its URL for queues, its ARN for topics, secrets, roles and state machines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.settings import MlModel
from infra.images import FrameworkImage, framework_image

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Grant:
    """What a function (or a service role) may do to one declared resource."""

    resource: str  # logical id of a declared resource
    actions: tuple[str, ...]
    objects: str | None = None  # for buckets: the key pattern the actions apply to ("uploads/*")


@dataclass(frozen=True)
class ArnGrant:
    """Actions on resources that are not the stack's: ARN patterns as ``Fn::Sub`` strings
    (``${AWS::Region}``...), e.g. an AWS-owned image repository, Step Functions' managed rules."""

    actions: tuple[str, ...]
    arns: tuple[str, ...]
    #: An IAM condition block, e.g. ``{"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}``.
    condition: dict[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class ModelGrant:
    """Actions on the SageMaker resources of each of the stack's models, by kind: the ARNs
    follow the models of the stack they are made for (``Model.arns``)."""

    actions: tuple[str, ...]
    #: ``model-package-group`` (the group and its packages), ``endpoint``, or a kind of resource
    #: Insight names after the model (``model``, ``endpoint-config``, ``training-job``...).
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class ServiceGrant:
    """Actions on an AWS service whose operations take no resource ARN (Textract, Comprehend)."""

    actions: tuple[str, ...]


AnyGrant = Grant | ServiceGrant | ArnGrant | ModelGrant


@dataclass(frozen=True)
class LambdaNotification:
    function: str
    events: tuple[str, ...] = ("s3:ObjectCreated:*",)
    prefix: str = ""


@dataclass(frozen=True)
class Bucket:
    logical_id: str
    setting: str
    purpose: str
    notifications: tuple[LambdaNotification, ...] = ()
    browser_uploads: bool = False  # CORS for presigned POSTs from the stage's origins
    #: Keep versions: a job reads the version its upload made, whatever is POSTed later.
    #: Replaced versions are deleted after ``noncurrent_days``.
    versioned: bool = False
    noncurrent_days: int = 7


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str


@dataclass(frozen=True)
class Table:
    logical_id: str
    setting: str
    purpose: str
    hash_key: str
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None


def table_definition(table: Table) -> dict[str, Any]:
    """Keys, indexes and billing of a table, in the names that both CloudFormation's
    ``AWS::DynamoDB::Table`` and DynamoDB's ``CreateTable`` use."""
    keys = [table.hash_key, *(k for index in table.indexes for k in (index.hash_key, index.range_key))]
    definition: dict[str, Any] = {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k in dict.fromkeys(keys)],
        "KeySchema": [{"AttributeName": table.hash_key, "KeyType": "HASH"}],
    }
    if table.indexes:
        definition["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.hash_key, "KeyType": "HASH"},
                    {"AttributeName": index.range_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in table.indexes
        ]
    return definition


@dataclass(frozen=True)
class Topic:
    logical_id: str
    setting: str
    purpose: str
    subscribers: tuple[str, ...] = ()  # logical ids of functions


@dataclass(frozen=True)
class Queue:
    """An SQS queue with a dead-letter queue behind it, and the function that consumes it
    (an event source mapping that reports partial batch failures)."""

    logical_id: str
    setting: str
    purpose: str
    consumer: str  # logical id of the function
    fifo: bool = False
    batch_size: int = 10
    #: At least six times the consumer's timeout, as Lambda advises for SQS event sources.
    visibility_timeout: int = 360
    #: Receives before a message moves to the dead-letter queue.
    max_receive_count: int = 5
    retention_days: int = 4
    dead_letter_retention_days: int = 14

    @property
    def dead_letter_id(self) -> str:
        return f"{self.logical_id}DeadLetters"

    def attributes(self) -> dict[str, str]:
        """SQS attributes of the queue (``CreateQueue``'s names; CloudFormation's are the same)."""
        if not self.fifo:
            return {}
        # Each message is its own group (webhooks: the event): FIFO's high-throughput mode.
        return {"FifoQueue": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}


def queue_name(stage: str, logical_id: str, fifo: bool) -> str:
    return physical_name(stage, logical_id) + (".fifo" if fifo else "")


@dataclass(frozen=True)
class Secret:
    """A Secrets Manager secret. ``generated``: the stack makes a random value (a signing key
    Insight owns); otherwise it starts as ``{}`` and the operator puts the real value in."""

    logical_id: str
    setting: str
    purpose: str
    generated: bool = False


@dataclass(frozen=True)
class EventBus:
    """A custom EventBridge bus Insight publishes to."""

    logical_id: str
    setting: str
    purpose: str


@dataclass(frozen=True)
class ServiceRole:
    """A role that an AWS service assumes on Insight's behalf."""

    logical_id: str
    setting: str
    service: str
    grants: tuple[AnyGrant, ...]
    #: Grants on this role's own service logs, for services that write logs under a prefix.
    log_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layer:
    """A Lambda layer of some of requirements.txt's packages, for the functions that name it:
    those packages leave the shared layer (``infra.template.LAYER``), which every function has.
    ``prune`` lists files (globs under the layer's ``python/``) that no function uses: modules
    of the package Insight never imports, and the libraries only they load. Locally the
    packages come from the venv, so the local runtime has nothing to make of a layer."""

    logical_id: str
    purpose: str
    packages: tuple[str, ...]
    prune: tuple[str, ...] = ()


@dataclass(frozen=True)
class Function:
    logical_id: str
    handler: str
    purpose: str
    grants: tuple[AnyGrant, ...] = ()
    timeout: int = 60
    memory: int = 512
    #: Chalice declares and packages this function itself (``app.py``); the template only
    #: adds its environment and permissions.
    chalice: bool = False
    #: Logical ids of declared layers the function needs besides the shared one.
    layers: tuple[str, ...] = ()


@dataclass(frozen=True)
class StateMachine:
    logical_id: str
    setting: str
    definition: Path
    purpose: str
    #: ``${Name}`` in the definition -> logical id of the function whose ARN replaces it.
    substitutions: dict[str, str] = field(default_factory=dict)
    #: ``${Name}`` in the definition -> logical id of a declared resource whose ARN replaces it
    #: (the role SageMaker's jobs run with: Step Functions' parser refuses "RoleArn.$" in Parameters).
    resource_substitutions: dict[str, str] = field(default_factory=dict)
    #: What the workflow's own service integrations need beyond invoking its functions
    #: (SageMaker ``.sync`` jobs: create, describe, stop, the managed rules, passing the role).
    grants: tuple[AnyGrant, ...] = ()


@dataclass(frozen=True)
class EventRule:
    """An EventBridge rule whose target is one of the stack's functions or queues, on the
    default bus or on one of the stack's buses (events of the stack's state machines, of an
    AWS service such as Transcribe, or Insight's own)."""

    logical_id: str
    purpose: str
    target: str  # logical id of a function or a queue
    source: str
    detail_type: str
    detail: dict[str, list[Any]] = field(default_factory=dict)
    #: Logical ids of state machines whose ARNs the rule matches (``detail.stateMachineArn``).
    state_machines: tuple[str, ...] = ()
    bus: str | None = None  # logical id of an EventBus; None: the default bus
    #: ``detail`` fields matched against a name that each of the stack's models has: field ->
    #: the ``Model`` property giving its logical id (``package_group``, ``endpoint``). The
    #: pattern follows the models of the stack it is made for.
    model_names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Schedule:
    """An EventBridge rule that invokes one of the stack's functions every ``minutes``, with
    EventBridge's "Scheduled Event", or ``input`` when it has one (the target's constant input).

    ``per_model``: one rule per model of the stack it is made for (``<Model><logical id>``),
    every ``Model.schedule_minutes`` of that model, giving the function ``{"model": <name>}``
    (``Stack.every_schedule``)."""

    logical_id: str
    purpose: str
    function: str
    minutes: int = 0
    input: dict[str, str] | None = None
    per_model: bool = False

    @property
    def expression(self) -> str:
        return f"rate({self.minutes} minute{'s' if self.minutes > 1 else ''})"

    def of_model(self, model: Model) -> Schedule:
        return Schedule(
            f"{model.logical_id}{self.logical_id}",
            purpose=f"{model.name}: {self.purpose}",
            function=self.function,
            minutes=model.schedule_minutes,
            input={"model": model.name},
        )


SettingResource = Bucket | Table | Topic | ServiceRole | StateMachine | Queue | Secret | EventBus


@dataclass(frozen=True)
class Bot:
    """A Lex V2 bot whose definition is data: ``definition`` holds the ``AWS::Lex::Bot``
    properties but the stage's ``Name`` and ``RoleArn`` (``BotLocales`` with their intents,
    sample utterances, slots and slot types). Functions are told the bot's id and its alias's
    id (settings ``<setting>_id`` and ``<setting>_alias_id``). A grant on a bot is a grant on
    its alias (``lex:RecognizeText``...)."""

    logical_id: str
    setting: str
    definition: Path
    purpose: str
    alias: str = "live"
    #: Logical id of the function the alias runs as the code hook (dialog and fulfillment)
    #: of every locale; the intents that enable hooks in the definition call it.
    code_hook: str | None = None

    def declaration(self) -> dict[str, Any]:
        return dict(json.loads(self.definition.read_text()))


@dataclass(frozen=True)
class Model:
    """A model Insight trains, gates, registers and deploys with SageMaker (issue 5).

    Its scripts live in ``source`` (SageMaker's script-mode contract: processing.py, train.py,
    evaluate.py, inference.py, schema.json); provisioning (locally) or the deploy step (AWS)
    uploads them under ``code/<name>/`` of the model bucket, with ``sourcedir.tar.gz``. New
    data goes under ``training/<name>/``; uploads there within ``settle_seconds`` start one
    training run. The model package group and the endpoint are declared resources; the
    functions are told all of this through the ``ml_models`` setting.
    """

    logical_id: str  # "Churn": the package group is ChurnPackages, the endpoint ChurnEndpoint
    name: str  # "churn": the URL's name (/models/churn), the S3 prefixes
    source: Path
    purpose: str
    #: The gate: evaluation.json's ``binary_classification_metrics`` entry, its direction, the
    #: least acceptable value, and the least gain over the model in production.
    metric: str = "accuracy"
    higher_is_better: bool = True
    threshold: float = 0.75
    min_improvement: float = 0.0
    auto_approve: bool = False
    #: SageMaker's framework container the scripts run in, as the sagemaker SDK names it
    #: (``image_uris.retrieve``): scikit-learn 1.9-0, the line of the scikit-learn that the local
    #: runtime trains and tests the scripts with (requirements-dev.txt), so a model behaves alike
    #: in both places. Packaging resolves its URI in each region through the SDK (infra/images.py).
    framework: str = "sklearn"
    framework_version: str = "1.9-0"
    processing_instance_type: str = "ml.m5.large"
    training_instance_type: str = "ml.m5.large"
    inference_instance_type: str = "ml.m5.large"
    inference_instance_count: int = 1
    max_runtime_seconds: int = 3600
    #: Managed spot training with checkpoints; MaxWaitTimeInSeconds bounds runtime plus waiting.
    spot: bool = True
    max_wait_seconds: int = 7200
    hyperparameters: dict[str, str] = field(default_factory=dict)
    metric_definitions: tuple[tuple[str, str], ...] = (
        ("validation:accuracy", r"validation:accuracy=([0-9.]+);"),
        ("validation:f1", r"validation:f1=([0-9.]+);"),
        ("validation:auc", r"validation:auc=([0-9.]+);"),
        ("train:accuracy", r"train:accuracy=([0-9.]+);"),
    )
    variant: str = "AllTraffic"
    #: Blue/green with canary traffic shifting: the canary's share, its baking, then the
    #: baking of the whole fleet before the old one is terminated; the deployment's time limit.
    canary_percent: int = 10
    canary_wait_seconds: int = 300
    baking_seconds: int = 600
    max_deployment_seconds: int = 3600
    #: Auto-rollback alarms the deployment creates: any 5XX error of the model in a minute,
    #: an average model latency over this many milliseconds in a minute.
    max_errors_per_minute: int = 1
    max_latency_ms: int = 1000
    settle_seconds: int = 300
    schedule_minutes: int = 7 * 24 * 60

    def example(self) -> dict[str, Any]:
        """A record the model answers for, as ``schema.json`` gives it ("example"): what the
        demo, the benchmark and the tests send to ``POST /predict``."""
        return dict(json.loads((self.source / "schema.json").read_text())["example"])

    @property
    def package_group(self) -> str:
        return f"{self.logical_id}Packages"

    @property
    def endpoint(self) -> str:
        return f"{self.logical_id}Endpoint"

    def arns(self, kind: str, stage: str) -> tuple[str, ...]:
        """ARN patterns (``Fn::Sub`` strings) of the model's SageMaker resources of one kind in
        a stage: its package group and packages, its endpoint, or what Insight names after it
        (``churn-v3-...`` models and endpoint configs, ``churn-<run>-...`` jobs)."""
        prefix = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}"
        if kind == "model-package-group":
            group = physical_name(stage, self.package_group)
            return (f"{prefix}:model-package-group/{group}", f"{prefix}:model-package/{group}/*")
        if kind == "endpoint":
            return (f"{prefix}:endpoint/{physical_name(stage, self.endpoint)}",)
        return (f"{prefix}:{kind}/{self.name}-*",)

    @property
    def image(self) -> FrameworkImage:
        """The framework image, as the sagemaker SDK resolves it (about a second, once)."""
        return framework_image(self.framework, self.framework_version, self.training_instance_type)

    def image_uri(self, region: str, account: str, url_suffix: str = "amazonaws.com") -> str:
        return self.image.uri(region, account, url_suffix)

    def setting(self, stage: str, region: str, image_account: str, url_suffix: str = "amazonaws.com") -> dict[str, Any]:
        """What functions are told of the model (one entry of the ``ml_models`` setting): the
        values that differ from ``MlModel``'s defaults. Every function's environment carries the
        setting, within Lambda's 4 KB for all variables: defaults would take half of it."""
        fields = MlModel.model_fields
        return {
            name: value
            for name, value in self.declaration(stage, region, image_account, url_suffix).items()
            if fields[name].is_required() or json.dumps(value) != json.dumps(fields[name].get_default())
        }

    def declaration(
        self, stage: str, region: str, image_account: str, url_suffix: str = "amazonaws.com"
    ) -> dict[str, Any]:
        """Every field of the model as ``MlModel`` (chalicelib/settings.py) reads it."""
        return {
            "name": self.name,
            "package_group": physical_name(stage, self.package_group),
            "endpoint": physical_name(stage, self.endpoint),
            "variant": self.variant,
            "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "threshold": self.threshold,
            "min_improvement": self.min_improvement,
            "auto_approve": self.auto_approve,
            "image_uri": self.image_uri(region, image_account, url_suffix),
            "processing_instance_type": self.processing_instance_type,
            "training_instance_type": self.training_instance_type,
            "inference_instance_type": self.inference_instance_type,
            "inference_instance_count": self.inference_instance_count,
            "max_runtime_seconds": self.max_runtime_seconds,
            "spot": self.spot,
            "max_wait_seconds": self.max_wait_seconds,
            "hyperparameters": self.hyperparameters,
            "metric_definitions": [{"Name": name, "Regex": regex} for name, regex in self.metric_definitions],
            "canary_percent": self.canary_percent,
            "canary_wait_seconds": self.canary_wait_seconds,
            "baking_seconds": self.baking_seconds,
            "max_deployment_seconds": self.max_deployment_seconds,
            "max_errors_per_minute": self.max_errors_per_minute,
            "max_latency_ms": self.max_latency_ms,
            "settle_seconds": self.settle_seconds,
        }


@dataclass(frozen=True)
class Stack:
    buckets: tuple[Bucket, ...]
    tables: tuple[Table, ...]
    topics: tuple[Topic, ...]
    roles: tuple[ServiceRole, ...]
    functions: tuple[Function, ...]
    state_machines: tuple[StateMachine, ...]
    rules: tuple[EventRule, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    bots: tuple[Bot, ...] = ()
    queues: tuple[Queue, ...] = ()
    secrets: tuple[Secret, ...] = ()
    buses: tuple[EventBus, ...] = ()
    layers: tuple[Layer, ...] = ()
    models: tuple[Model, ...] = ()

    def function(self, logical_id: str) -> Function:
        return next(f for f in self.functions if f.logical_id == logical_id)

    def every_schedule(self) -> tuple[Schedule, ...]:
        """The schedules to make: the declared ones, a ``per_model`` one once per model."""
        return tuple(
            made
            for schedule in self.schedules
            for made in ([schedule.of_model(m) for m in self.models] if schedule.per_model else [schedule])
        )

    def layer(self, logical_id: str) -> Layer:
        found = next((layer for layer in self.layers if layer.logical_id == logical_id), None)
        if found is None:
            raise ValueError(f"a function names the layer {logical_id!r}, which is not declared")
        return found

    def settings_resources(self) -> list[SettingResource]:
        return [
            *self.buckets,
            *self.tables,
            *self.topics,
            *self.roles,
            *self.state_machines,
            *self.queues,
            *self.secrets,
            *self.buses,
        ]


#: Jobs read their upload's version (HeadObject and GetObject with a VersionId).
READ_UPLOADS = Grant("Uploads", ("s3:GetObject", "s3:GetObjectVersion"), objects="uploads/*")
#: Without ListBucket, S3 answers a HEAD of a missing key with 403 instead of 404.
LIST_UPLOADS = Grant("Uploads", ("s3:ListBucket",))
JOB_RECORDS = Grant("Jobs", ("dynamodb:GetItem", "dynamodb:UpdateItem"))
#: Every function that changes a job publishes the change (chalicelib/job_events.py).
JOB_EVENTS = Grant("JobEvents", ("events:PutEvents",))
#: What an SQS event source mapping needs of its function's role.
CONSUME = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility")
RESULTS = Grant("Results", ("s3:GetObject", "s3:PutObject"), objects="jobs/*")
#: The sweeps read the jobs' list (the by_created index).
JOB_LIST = Grant("Jobs", ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"))
START_WORKFLOWS = tuple(
    Grant(machine, ("states:StartExecution",)) for machine in ("DocumentWorkflow", "ImageWorkflow", "MediaWorkflow")
)
COMPREHEND = ServiceGrant(
    (
        "comprehend:DetectDominantLanguage",
        "comprehend:DetectEntities",
        "comprehend:DetectKeyPhrases",
        "comprehend:DetectSentiment",
        "comprehend:DetectPiiEntities",
    )
)
RESUME_MEDIA = Grant("MediaWorkflow", ("states:SendTaskSuccess", "states:SendTaskFailure"))
IMAGING = "Imaging"
PDF = "PdfReading"
MEDIA_HEADERS = "MediaHeaders"

# --- the SageMaker lifecycle (issue 5) -------------------------------------------------------

MODELS = (
    Model(
        "Churn",
        name="churn",
        source=ROOT / "models" / "churn",
        purpose="The example model: will a customer leave? (scikit-learn, synthetic data).",
        hyperparameters={"n_estimators": "100", "max_depth": "3"},
    ),
)


MODEL_RECORDS = Grant("ModelRecords", ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"))
READ_MODEL_CODE = Grant("ModelData", ("s3:GetObject",), objects="code/*")
LIST_MODEL_DATA = Grant("ModelData", ("s3:ListBucket",))
PACKAGES = "model-package-group"
READ_PACKAGES = ModelGrant(("sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage"), (PACKAGES,))
#: Passing the SageMaker execution role to SageMaker only.
PASS_SAGEMAKER_ROLE = Grant("SageMakerExecution", ("iam:PassRole",))
#: What Step Functions' ``.sync`` integration of each SageMaker job does: create, describe,
#: stop, tag; and the managed EventBridge rule it watches the job with.
SYNC_JOBS = ModelGrant(
    (
        "sagemaker:CreateProcessingJob",
        "sagemaker:DescribeProcessingJob",
        "sagemaker:StopProcessingJob",
        "sagemaker:CreateTrainingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:StopTrainingJob",
        "sagemaker:CreateTransformJob",
        "sagemaker:DescribeTransformJob",
        "sagemaker:StopTransformJob",
        "sagemaker:AddTags",
    ),
    ("processing-job", "training-job", "transform-job"),
)
#: What ending a deployment does (chalicelib.deployments.finish_deployment): free the endpoint's
#: lock; see what the endpoint is on; delete the configs and models left serving nothing.
END_DEPLOYMENTS = (
    Grant("ModelRecords", ("dynamodb:DeleteItem",)),
    ModelGrant(("sagemaker:DescribeEndpoint",), ("endpoint",)),
    ModelGrant(("sagemaker:DeleteEndpointConfig", "sagemaker:DeleteModel"), ("model", "endpoint-config")),
)
SYNC_RULES = ArnGrant(
    ("events:PutTargets", "events:PutRule", "events:DescribeRule"),
    tuple(
        f"arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:rule/"
        f"StepFunctionsGetEventsForSageMaker{kind}JobsRule"
        for kind in ("Processing", "Training", "Transform")
    ),
)

STACK = Stack(
    buckets=(
        Bucket(
            "Uploads",
            setting="upload_bucket",
            purpose="Files uploaded for analysis (presigned POSTs), kept whatever the outcome.",
            notifications=(LambdaNotification("OnUpload", prefix="uploads/"),),
            browser_uploads=True,
            versioned=True,
        ),
        Bucket("Results", setting="results_bucket", purpose="Text, analyses and results documents of jobs."),
        Bucket(
            "ModelData",
            setting="model_bucket",
            purpose="Models' data and artifacts: training/<model>/ (new data starts a training run), "
            "code/<model>/ (the scripts and sourcedir.tar.gz), artifacts/<model>/ (jobs' outputs).",
            notifications=(LambdaNotification("OnTrainingData", prefix="training/"),),
        ),
    ),
    tables=(
        Table(
            "Jobs",
            setting="jobs_table",
            purpose="One record per job: status, step, timestamps, summary, error.",
            hash_key="job_id",
            indexes=(
                Index("by_created", hash_key="list_pk", range_key="created_at"),
                Index("by_file_name", hash_key="file_name", range_key="created_at"),
            ),
            ttl_attribute="expires_at",
        ),
        Table(
            "Idempotency",
            setting="idempotency_table",
            purpose="Powertools idempotency records: each webhook event processed once, by its id.",
            hash_key="id",
            ttl_attribute="expiration",
        ),
        Table(
            "ModelRecords",
            setting="models_table",
            purpose="Training runs, transforms, deployments (one per package), endpoint locks and what is live.",
            hash_key="id",
            indexes=(Index("by_model", hash_key="model", range_key="created_at"),),
        ),
    ),
    topics=(
        Topic(
            "TextDetectionCompletions",
            setting="text_detection_topic_arn",
            purpose="Textract publishes here when an asynchronous text detection ends.",
            subscribers=("TextDetectionCompleted",),
        ),
        Topic(
            "SpeechSynthesisCompletions",
            setting="speech_synthesis_topic_arn",
            purpose="Polly publishes here when a speech synthesis task (a long spoken summary) ends.",
            subscribers=("SpeechSynthesisCompleted",),
        ),
    ),
    roles=(
        ServiceRole(
            "TextractPublisher",
            setting="text_detection_role_arn",
            service="textract.amazonaws.com",
            grants=(Grant("TextDetectionCompletions", ("sns:Publish",)),),
        ),
        ServiceRole(
            "SageMakerExecution",
            setting="sagemaker_role_arn",
            service="sagemaker.amazonaws.com",
            grants=(
                Grant("ModelData", ("s3:GetObject",), objects="training/*"),
                READ_MODEL_CODE,
                Grant("ModelData", ("s3:GetObject", "s3:PutObject"), objects="artifacts/*"),
                Grant("ModelData", ("s3:GetObject",), objects="batch/*"),  # batch transforms' input
                LIST_MODEL_DATA,
                # Pulling each model's framework image from the AWS-owned registry of the region.
                ServiceGrant(("ecr:GetAuthorizationToken",)),
                ArnGrant(
                    ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"),
                    ("arn:${AWS::Partition}:ecr:${AWS::Region}:${ImageAccount}:repository/${ImageRepository}",),
                ),
                ArnGrant(
                    ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
                    ("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/sagemaker/*",),
                ),
                ArnGrant(
                    ("cloudwatch:PutMetricData",),
                    ("*",),
                    condition={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "AWS/SageMaker"]}},
                ),
            ),
        ),
    ),
    functions=(
        Function(
            "APIHandler",
            handler="app.app",
            purpose="The REST API.",
            chalice=True,
            grants=(
                Grant("Uploads", ("s3:PutObject",), objects="uploads/*"),
                Grant("Results", ("s3:GetObject",), objects="jobs/*"),
                Grant("Jobs", ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query")),
                JOB_EVENTS,
                Grant("WebhookEvents", ("sqs:SendMessage",)),
                Grant("WebhookSecrets", ("secretsmanager:GetSecretValue",)),
                Grant("Chatbot", ("lex:RecognizeText",)),
                # Models: trainings, transforms, approvals, predictions, their status.
                Grant("ModelRecords", ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query")),
                READ_MODEL_CODE,
                LIST_MODEL_DATA,  # a transform's input prefix has objects
                Grant("ModelData", ("s3:GetObject",), objects="artifacts/*"),  # versions' evaluation.json
                READ_PACKAGES,
                ModelGrant(("sagemaker:UpdateModelPackage",), (PACKAGES,)),
                ModelGrant(("sagemaker:InvokeEndpoint", "sagemaker:DescribeEndpoint"), ("endpoint",)),
                # A running training run's progress
                ModelGrant(
                    ("sagemaker:DescribeProcessingJob", "sagemaker:DescribeTrainingJob"),
                    ("processing-job", "training-job"),
                ),
                Grant("TrainingWorkflow", ("states:StartExecution",)),
                Grant("TransformWorkflow", ("states:StartExecution",)),
                Grant("DeploymentWorkflow", ("states:StartExecution",)),
            ),
        ),
        Function(
            "OnUpload",
            handler="app.on_upload",
            purpose="Records the job of each upload and starts its workflow.",
            chalice=True,
            grants=(
                READ_UPLOADS,
                LIST_UPLOADS,
                Grant("Jobs", ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem")),
                *START_WORKFLOWS,
                JOB_EVENTS,
            ),
        ),
        Function(
            "ChatFulfillment",
            handler="functions.chat_fulfillment.handler.lambda_handler",
            purpose="The chat bot's code hook: checks job ids and file names, tells statuses and results, "
            "starts analyses of uploads.",
            grants=(
                READ_UPLOADS,
                LIST_UPLOADS,
                # Query: jobs by file name; PutItem: a retry of a failed job; UpdateItem: receiving an upload.
                Grant("Jobs", ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem")),
                Grant("Results", ("s3:GetObject",), objects="jobs/*"),  # the presigned link to a job's results
                *START_WORKFLOWS,
                JOB_EVENTS,
            ),
            timeout=30,
        ),
        Function(
            "ReconcileUploads",
            handler="functions.reconcile_uploads.handler.lambda_handler",
            purpose="Receives uploads whose event was lost, restarts stalled workflows, expires unused forms.",
            grants=(
                READ_UPLOADS,
                LIST_UPLOADS,
                Grant("Jobs", ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query")),
                *START_WORKFLOWS,
                JOB_EVENTS,
            ),
            timeout=300,
        ),
        Function(
            "ValidateDocument",
            handler="functions.validate_document.handler.lambda_handler",
            purpose="Checks type by magic bytes, size and pages.",
            grants=(READ_UPLOADS, LIST_UPLOADS, JOB_RECORDS, JOB_EVENTS),
            layers=(PDF,),
        ),
        Function(
            "DetectText",
            handler="functions.detect_text.handler.lambda_handler",
            purpose="Synchronous Textract text detection.",
            grants=(READ_UPLOADS, JOB_RECORDS, JOB_EVENTS, RESULTS, ServiceGrant(("textract:DetectDocumentText",))),
            timeout=120,
        ),
        Function(
            "StartTextDetection",
            handler="functions.start_text_detection.handler.lambda_handler",
            purpose="Starts asynchronous Textract detection of a multi-page document.",
            grants=(
                READ_UPLOADS,
                JOB_RECORDS,
                JOB_EVENTS,
                ServiceGrant(("textract:StartDocumentTextDetection",)),
                Grant("TextractPublisher", ("iam:PassRole",)),
            ),
        ),
        Function(
            "TextDetectionCompleted",
            handler="functions.text_detection_completed.handler.lambda_handler",
            purpose="Resumes the waiting workflow when Textract's detection ends.",
            grants=(
                JOB_RECORDS,
                RESULTS,
                ServiceGrant(("textract:GetDocumentTextDetection",)),
                Grant("DocumentWorkflow", ("states:SendTaskSuccess", "states:SendTaskFailure")),
            ),
            timeout=300,
            memory=1024,
        ),
        Function(
            "AnalyseText",
            handler="functions.analyse_text.handler.lambda_handler",
            purpose="Comprehend over the extracted text.",
            grants=(JOB_RECORDS, JOB_EVENTS, RESULTS, COMPREHEND),
            timeout=300,
        ),
        Function(
            "RecordSuccess",
            handler="functions.record_success.handler.lambda_handler",
            purpose="Writes the results document and marks the job SUCCEEDED.",
            grants=(JOB_RECORDS, JOB_EVENTS, RESULTS),
        ),
        Function(
            "ExecutionEnded",
            handler="functions.execution_ended.handler.lambda_handler",
            purpose="Marks the job FAILED when its execution fails, times out or is stopped outside any Catch.",
            grants=(JOB_RECORDS, JOB_EVENTS),
        ),
        Function(
            "RecordFailure",
            handler="functions.record_failure.handler.lambda_handler",
            purpose="Marks the job FAILED with the error and reason.",
            grants=(JOB_RECORDS, JOB_EVENTS),
        ),
        Function(
            "ProcessWebhooks",
            handler="functions.webhook_events.handler.lambda_handler",
            purpose="Routes each verified webhook, once, to the workflow its rule names.",
            grants=(
                Grant("WebhookEvents", CONSUME),
                Grant(
                    "Idempotency",
                    ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
                ),
                READ_UPLOADS,
                LIST_UPLOADS,
                Grant("Jobs", ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem")),
                *START_WORKFLOWS,
                JOB_EVENTS,
            ),
        ),
        Function(
            "DeliverCallbacks",
            handler="functions.deliver_callbacks.handler.lambda_handler",
            purpose="POSTs finished jobs' outcomes to their callback URLs, signed, with backoff.",
            grants=(
                Grant("CallbackDeliveries", CONSUME),
                JOB_RECORDS,
                Grant("Results", ("s3:GetObject",), objects="jobs/*"),  # the presigned results link
                Grant("CallbackSigningSecret", ("secretsmanager:GetSecretValue",)),
            ),
            timeout=90,
        ),
        # --- images ---
        Function(
            "ValidateImage",
            handler="functions.validate_image.handler.lambda_handler",
            purpose="Checks an image's type by magic bytes, size and pixels; writes the copy Rekognition reads "
            "when it cannot read the upload as it is (WebP, over-large).",
            grants=(READ_UPLOADS, LIST_UPLOADS, JOB_RECORDS, JOB_EVENTS, RESULTS),
            timeout=120,
            memory=2048,
            layers=(IMAGING,),
        ),
        Function(
            "AnalyseImage",
            handler="functions.analyse_image.handler.lambda_handler",
            purpose="One of Rekognition's analyses of the image: labels, text, faces or moderation labels.",
            grants=(
                READ_UPLOADS,  # Rekognition reads the image with the caller's permissions
                JOB_RECORDS,
                JOB_EVENTS,
                RESULTS,
                ServiceGrant(
                    (
                        "rekognition:DetectLabels",
                        "rekognition:DetectText",
                        "rekognition:DetectFaces",
                        "rekognition:DetectModerationLabels",
                    )
                ),
            ),
            timeout=120,
        ),
        Function(
            "MakeThumbnail",
            handler="functions.make_thumbnail.handler.lambda_handler",
            purpose="The image's thumbnail.",
            grants=(READ_UPLOADS, RESULTS),
            timeout=120,
            memory=1024,
            layers=(IMAGING,),
        ),
        Function(
            "RecordImageSuccess",
            handler="functions.record_image_success.handler.lambda_handler",
            purpose="Writes an image's results document and marks the job SUCCEEDED.",
            grants=(JOB_RECORDS, JOB_EVENTS, RESULTS),
        ),
        # --- audio and video ---
        Function(
            "ValidateMedia",
            handler="functions.validate_media.handler.lambda_handler",
            purpose="Checks audio or video by magic bytes, size and duration (from its headers, by ranged reads).",
            grants=(READ_UPLOADS, LIST_UPLOADS, JOB_RECORDS, JOB_EVENTS),
            layers=(MEDIA_HEADERS,),
        ),
        Function(
            "StartTranscription",
            handler="functions.start_transcription.handler.lambda_handler",
            purpose="Copies the upload's version to the job's files and starts its Transcribe job.",
            grants=(
                READ_UPLOADS,  # the copy's source; Transcribe reads and writes with the caller's permissions
                JOB_RECORDS,
                JOB_EVENTS,
                RESULTS,
                ServiceGrant(("transcribe:StartTranscriptionJob",)),
            ),
            timeout=300,
        ),
        Function(
            "TranscriptionEnded",
            handler="functions.transcription_ended.handler.lambda_handler",
            purpose="Resumes the waiting workflow when Transcribe's job ends.",
            grants=(JOB_RECORDS, RESULTS, ServiceGrant(("transcribe:GetTranscriptionJob",)), RESUME_MEDIA),
            timeout=120,
        ),
        Function(
            "WatchTranscriptions",
            handler="functions.watch_transcriptions.handler.lambda_handler",
            purpose="Heartbeats for workflows waiting on Transcribe; finishes those whose end event was lost.",
            grants=(
                JOB_LIST,
                RESULTS,
                ServiceGrant(("transcribe:GetTranscriptionJob",)),
                Grant("MediaWorkflow", ("states:SendTaskHeartbeat", *RESUME_MEDIA.actions)),
            ),
            timeout=300,
        ),
        Function(
            "AnalyseTranscript",
            handler="functions.analyse_transcript.handler.lambda_handler",
            purpose="Comprehend over the transcript; its redacted copy; the spoken summary's text.",
            grants=(JOB_RECORDS, JOB_EVENTS, RESULTS, COMPREHEND),
            timeout=300,
        ),
        Function(
            "TranslateTranscript",
            handler="functions.translate_transcript.handler.lambda_handler",
            purpose="The redacted transcript translated into one language.",
            # Translate's "auto" source calls Comprehend with the caller's permissions.
            grants=(
                JOB_RECORDS,
                JOB_EVENTS,
                RESULTS,
                ServiceGrant(("translate:TranslateText", "comprehend:DetectDominantLanguage")),
            ),
            timeout=300,
        ),
        Function(
            "SpeakSummary",
            handler="functions.speak_summary.handler.lambda_handler",
            purpose="The summary read aloud by Polly (SynthesizeSpeech).",
            grants=(JOB_RECORDS, JOB_EVENTS, RESULTS, ServiceGrant(("polly:SynthesizeSpeech",))),
            timeout=120,
        ),
        Function(
            "StartSpeechSynthesis",
            handler="functions.start_speech_synthesis.handler.lambda_handler",
            purpose="A long summary read aloud by a Polly synthesis task.",
            grants=(
                JOB_RECORDS,
                JOB_EVENTS,
                RESULTS,  # Polly writes the audio and publishes with the caller's permissions
                ServiceGrant(("polly:StartSpeechSynthesisTask",)),
                Grant("SpeechSynthesisCompletions", ("sns:Publish",)),
            ),
        ),
        Function(
            "SpeechSynthesisCompleted",
            handler="functions.speech_synthesis_completed.handler.lambda_handler",
            purpose="Resumes the waiting workflow when Polly's synthesis task ends.",
            grants=(JOB_RECORDS, RESULTS, RESUME_MEDIA),
        ),
        Function(
            "RecordMediaSuccess",
            handler="functions.record_media_success.handler.lambda_handler",
            purpose="Writes the media's results document and marks the job SUCCEEDED.",
            grants=(JOB_RECORDS, JOB_EVENTS, RESULTS),
        ),
        Function(
            "OnTrainingData",
            handler="functions.on_training_data.handler.lambda_handler",
            purpose="New data under training/<model>/: one training run per settle window.",
            grants=(MODEL_RECORDS, Grant("TrainingWorkflow", ("states:StartExecution",))),
        ),
        Function(
            "ScheduledTrainings",
            handler="functions.scheduled_trainings.handler.lambda_handler",
            purpose="Starts a training run of the model whose schedule fired.",
            grants=(MODEL_RECORDS, Grant("TrainingWorkflow", ("states:StartExecution",))),
        ),
        Function(
            "PrepareTraining",
            handler="functions.prepare_training.handler.lambda_handler",
            purpose="Versions the data and code of a training run and writes its SageMaker job requests.",
            grants=(
                MODEL_RECORDS,
                LIST_MODEL_DATA,
                READ_MODEL_CODE,
                Grant("ModelData", ("s3:GetObject",), objects="training/*"),
            ),
        ),
        Function(
            "JudgeModel",
            handler="functions.judge_model.handler.lambda_handler",
            purpose="The gate: the new model's metric against the threshold and the model in production.",
            grants=(MODEL_RECORDS, Grant("ModelData", ("s3:GetObject",), objects="artifacts/*"), READ_PACKAGES),
        ),
        Function(
            "RegisterModel",
            handler="functions.register_model.handler.lambda_handler",
            purpose="Registers the model package with its metrics, data and code versions.",
            grants=(
                MODEL_RECORDS,
                READ_PACKAGES,
                ModelGrant(("sagemaker:CreateModelPackage", "sagemaker:AddTags"), (PACKAGES,)),
            ),
        ),
        Function(
            "RecordModelFailure",
            handler="functions.record_model_failure.handler.lambda_handler",
            purpose="Marks a training run or a transform FAILED with the error and reason.",
            grants=(MODEL_RECORDS,),
        ),
        Function(
            "ModelExecutionEnded",
            handler="functions.model_execution_ended.handler.lambda_handler",
            purpose="Marks a training run, transform or deployment FAILED when its execution ends outside any Catch.",
            grants=(MODEL_RECORDS, *END_DEPLOYMENTS),
        ),
        Function(
            "OnModelApproved",
            handler="functions.on_model_approved.handler.lambda_handler",
            purpose="An approved model package: its deployment, once.",
            grants=(MODEL_RECORDS, READ_PACKAGES, Grant("DeploymentWorkflow", ("states:StartExecution",))),
        ),
        Function(
            "AcquireEndpoint",
            handler="functions.acquire_endpoint.handler.lambda_handler",
            purpose="One deployment at a time per endpoint: takes the endpoint's lock.",
            grants=(MODEL_RECORDS,),
        ),
        Function(
            "DeployModel",
            handler="functions.deploy_model.handler.lambda_handler",
            purpose="Creates the model, its endpoint config and alarms, and the endpoint or its blue/green update.",
            grants=(
                MODEL_RECORDS,
                READ_PACKAGES,
                PASS_SAGEMAKER_ROLE,
                ModelGrant(
                    (
                        "sagemaker:CreateModel",
                        "sagemaker:CreateEndpointConfig",
                        "sagemaker:CreateEndpoint",
                        "sagemaker:UpdateEndpoint",
                        "sagemaker:DescribeEndpoint",
                        "sagemaker:DescribeEndpointConfig",  # the model a Failed endpoint was made from
                        "sagemaker:DeleteEndpoint",  # a Failed endpoint, made again
                        "sagemaker:AddTags",
                    ),
                    ("model", "endpoint-config", "endpoint"),
                ),
                ArnGrant(
                    ("cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"),
                    ("arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:insight-*",),
                ),
            ),
        ),
        Function(
            "OnEndpointEvent",
            handler="functions.on_endpoint_event.handler.lambda_handler",
            purpose="Resumes the deployment waiting on its endpoint with the outcome.",
            grants=(
                MODEL_RECORDS,
                Grant("DeploymentWorkflow", ("states:SendTaskSuccess", "states:SendTaskFailure")),
                ModelGrant(("sagemaker:DescribeEndpoint",), ("endpoint",)),
            ),
        ),
        Function(
            "FinishDeployment",
            handler="functions.finish_deployment.handler.lambda_handler",
            purpose="Records a deployment's outcome, deletes the configs and models left serving nothing, frees "
            "the endpoint.",
            grants=(MODEL_RECORDS, *END_DEPLOYMENTS),
        ),
        Function(
            "PrepareTransform",
            handler="functions.prepare_transform.handler.lambda_handler",
            purpose="Writes a batch transform's request over the live model.",
            grants=(MODEL_RECORDS,),
        ),
        Function(
            "RecordTransform",
            handler="functions.record_transform.handler.lambda_handler",
            purpose="Marks a batch transform SUCCEEDED with where its output is.",
            grants=(MODEL_RECORDS,),
        ),
    ),
    state_machines=(
        StateMachine(
            "DocumentWorkflow",
            setting="document_workflow_arn",
            definition=ROOT / "statemachines" / "document.asl.json",
            purpose="Validate, detect text, analyse text, record the outcome.",
            substitutions={
                "ValidateDocumentArn": "ValidateDocument",
                "DetectTextArn": "DetectText",
                "StartTextDetectionArn": "StartTextDetection",
                "AnalyseTextArn": "AnalyseText",
                "RecordSuccessArn": "RecordSuccess",
                "RecordFailureArn": "RecordFailure",
            },
        ),
        StateMachine(
            "ImageWorkflow",
            setting="image_workflow_arn",
            definition=ROOT / "statemachines" / "image.asl.json",
            purpose="Validate an image; Rekognition's labels, text, faces and moderation and a thumbnail in "
            "parallel; record the outcome.",
            substitutions={
                "ValidateImageArn": "ValidateImage",
                "AnalyseImageArn": "AnalyseImage",
                "MakeThumbnailArn": "MakeThumbnail",
                "RecordImageSuccessArn": "RecordImageSuccess",
                "RecordFailureArn": "RecordFailure",
            },
        ),
        StateMachine(
            "MediaWorkflow",
            setting="media_workflow_arn",
            definition=ROOT / "statemachines" / "media.asl.json",
            purpose="Validate audio or video; transcribe it; analyse, redact and translate the transcript; "
            "speak a summary; record the outcome.",
            substitutions={
                "ValidateMediaArn": "ValidateMedia",
                "StartTranscriptionArn": "StartTranscription",
                "AnalyseTranscriptArn": "AnalyseTranscript",
                "TranslateTranscriptArn": "TranslateTranscript",
                "SpeakSummaryArn": "SpeakSummary",
                "StartSpeechSynthesisArn": "StartSpeechSynthesis",
                "RecordMediaSuccessArn": "RecordMediaSuccess",
                "RecordFailureArn": "RecordFailure",
            },
        ),
        StateMachine(
            "TrainingWorkflow",
            setting="training_workflow_arn",
            definition=ROOT / "statemachines" / "training.asl.json",
            purpose="Settle, process, train, evaluate, gate, register a model.",
            substitutions={
                "PrepareTrainingArn": "PrepareTraining",
                "JudgeModelArn": "JudgeModel",
                "RegisterModelArn": "RegisterModel",
                "RecordModelFailureArn": "RecordModelFailure",
            },
            resource_substitutions={"SageMakerRoleArn": "SageMakerExecution"},
            grants=(SYNC_JOBS, SYNC_RULES, PASS_SAGEMAKER_ROLE),
        ),
        StateMachine(
            "DeploymentWorkflow",
            setting="deployment_workflow_arn",
            definition=ROOT / "statemachines" / "deployment.asl.json",
            purpose="Deploy an approved model package blue/green with canary and auto-rollback, once per package.",
            substitutions={
                "AcquireEndpointArn": "AcquireEndpoint",
                "DeployModelArn": "DeployModel",
                "FinishDeploymentArn": "FinishDeployment",
            },
        ),
        StateMachine(
            "TransformWorkflow",
            setting="transform_workflow_arn",
            definition=ROOT / "statemachines" / "transform.asl.json",
            purpose="A batch transform of an S3 prefix with the live model.",
            substitutions={
                "PrepareTransformArn": "PrepareTransform",
                "RecordTransformArn": "RecordTransform",
                "RecordModelFailureArn": "RecordModelFailure",
            },
            grants=(SYNC_JOBS, SYNC_RULES, PASS_SAGEMAKER_ROLE),
        ),
    ),
    rules=(
        EventRule(
            "WorkflowsEnded",
            purpose="The safety net: no job stays in progress after its execution has ended.",
            target="ExecutionEnded",
            source="aws.states",
            detail_type="Step Functions Execution Status Change",
            detail={"status": ["FAILED", "TIMED_OUT", "ABORTED"]},
            state_machines=("DocumentWorkflow", "ImageWorkflow", "MediaWorkflow"),
        ),
        EventRule(
            "TranscriptionsEnded",
            purpose="Transcribe's jobs that end resume the media workflows waiting on them.",
            target="TranscriptionEnded",
            source="aws.transcribe",
            detail_type="Transcribe Job State Change",
            detail={"TranscriptionJobStatus": ["COMPLETED", "FAILED"]},
        ),
        EventRule(
            "FinishedJobsWithCallbacks",
            purpose="Queues the callback of every job that ends and was created with a callback URL.",
            target="CallbackDeliveries",
            source="insight",
            detail_type="Job State Change",
            detail={"status": ["SUCCEEDED", "FAILED", "EXPIRED"], "has_callback": [True]},
            bus="JobEvents",
        ),
        EventRule(
            "ModelWorkflowsEnded",
            purpose="The safety net: no training run, transform or deployment stays in progress after its execution.",
            target="ModelExecutionEnded",
            source="aws.states",
            detail_type="Step Functions Execution Status Change",
            detail={"status": ["FAILED", "TIMED_OUT", "ABORTED"]},
            state_machines=("TrainingWorkflow", "TransformWorkflow", "DeploymentWorkflow"),
        ),
        EventRule(
            "ModelPackageApproved",
            purpose="An approved package of one of Insight's groups is deployed (once, whatever the repeats).",
            target="OnModelApproved",
            source="aws.sagemaker",
            detail_type="SageMaker Model Package State Change",
            detail={"ModelApprovalStatus": ["Approved"]},
            model_names={"ModelPackageGroupName": "package_group"},
        ),
        EventRule(
            "EndpointDeploymentChanged",
            purpose="The outcome of a blue/green update resumes the deployment waiting on it.",
            target="OnEndpointEvent",
            source="aws.sagemaker",
            detail_type="SageMaker Endpoint Deployment State Change",
            model_names={"EndpointName": "endpoint"},
        ),
        EventRule(
            "EndpointStateChanged",
            purpose="A new endpoint in service (or failed) resumes the deployment that created it.",
            target="OnEndpointEvent",
            source="aws.sagemaker",
            detail_type="SageMaker Endpoint State Change",
            detail={"EndpointStatus": ["IN_SERVICE", "FAILED"]},
            model_names={"EndpointName": "endpoint"},
        ),
    ),
    schedules=(
        Schedule(
            "UploadsSweep",
            purpose="No upload lost, no job waiting for ever: the sweep behind the S3 events.",
            function="ReconcileUploads",
            minutes=10,
        ),
        Schedule(
            "TranscriptionWatch",
            purpose="Heartbeats for media workflows waiting on Transcribe; the end of any whose event was lost.",
            function="WatchTranscriptions",
            minutes=5,
        ),
        Schedule(
            "TrainingSchedule",
            purpose="Retrains the model every schedule_minutes.",
            function="ScheduledTrainings",
            per_model=True,
        ),
    ),
    layers=(
        Layer(
            PDF,
            purpose="pypdf, for the function that counts an uploaded PDF's pages.",
            packages=("pypdf",),
        ),
        Layer(
            MEDIA_HEADERS,
            purpose="mutagen, for the function that reads audio and video durations from their headers.",
            packages=("mutagen",),
        ),
        Layer(
            IMAGING,
            purpose="Pillow, for the functions that decode, convert and scale images.",
            packages=("pillow",),
            # AVIF, FreeType (text drawing), LittleCMS (colour profiles) and Tk: never used.
            prune=(
                "PIL/_avif*",
                "PIL/_imagingft*",
                "PIL/_imagingcms*",
                "PIL/_imagingtk*",
                "pillow.libs/libavif*",
                "pillow.libs/libfreetype*",
                "pillow.libs/libharfbuzz*",
                "pillow.libs/libbrotli*",
                "pillow.libs/libpng16*",
                "pillow.libs/liblcms2*",
            ),
        ),
    ),
    bots=(
        Bot(
            "Chatbot",
            setting="chat_bot",
            definition=ROOT / "infra" / "bots" / "insight.json",
            purpose="Insight's assistant: job status, job results, new analyses of uploads.",
            code_hook="ChatFulfillment",
        ),
    ),
    queues=(
        Queue(
            "WebhookEvents",
            setting="webhook_queue_url",
            purpose="Verified webhooks waiting to be routed. FIFO: a replay within 5 minutes is dropped.",
            consumer="ProcessWebhooks",
            fifo=True,
        ),
        Queue(
            "CallbackDeliveries",
            setting="callback_queue_url",
            purpose="Finished jobs whose outcome is to be POSTed to their callback URL.",
            consumer="DeliverCallbacks",
            batch_size=5,
            visibility_timeout=540,
            max_receive_count=10,  # above callback_max_attempts: the consumer gives up first
        ),
    ),
    secrets=(
        Secret(
            "WebhookSecrets",
            setting="webhook_secrets_arn",
            purpose="The signing secret of each webhook source, as a JSON object keyed by source name.",
        ),
        Secret(
            "CallbackSigningSecret",
            setting="callback_secret_arn",
            purpose="The Standard Webhooks key Insight signs its callbacks with (receivers verify with it).",
            generated=True,
        ),
    ),
    buses=(EventBus("JobEvents", setting="job_events_bus", purpose="Job State Change events, for users' rules."),),
    models=MODELS,
)


def physical_name(stage: str, logical_id: str) -> str:
    """``insight-dev-detect-text`` for ``DetectText``: the name of a resource in a stage."""
    kebab = "".join(f"-{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(logical_id))
    return f"insight-{stage}-{kebab}"


def env_name(setting: str) -> str:
    return f"INSIGHT_{setting.upper()}"
