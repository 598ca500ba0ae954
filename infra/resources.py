"""Every resource Insight needs, declared once.

Two readers turn this into resources: ``infra/template.py`` writes the CloudFormation/SAM
merge template for ``make package``; ``insight_local/provision.py`` creates the same
resources in the local runtime. Neither keeps a list of its own.

A resource with a ``setting`` is told to the code through that ``Settings`` field
(environment variable ``INSIGHT_<SETTING>``): its name for buckets, tables and queues,
its ARN for topics, roles and state machines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Grant:
    """What a function (or a service role) may do to one declared resource."""

    resource: str  # logical id of a declared resource
    actions: tuple[str, ...]
    objects: str | None = None  # for buckets: the key pattern the actions apply to ("uploads/*")


@dataclass(frozen=True)
class ServiceGrant:
    """Actions on an AWS service whose operations take no resource ARN (Textract, Comprehend)."""

    actions: tuple[str, ...]


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
class ServiceRole:
    """A role that an AWS service assumes on Insight's behalf."""

    logical_id: str
    setting: str
    service: str
    grants: tuple[Grant, ...]


@dataclass(frozen=True)
class Function:
    logical_id: str
    handler: str
    purpose: str
    grants: tuple[Grant | ServiceGrant, ...] = ()
    timeout: int = 60
    memory: int = 512
    #: Chalice declares and packages this function itself (``app.py``); the template only
    #: adds its environment and permissions.
    chalice: bool = False


@dataclass(frozen=True)
class StateMachine:
    logical_id: str
    setting: str
    definition: Path
    purpose: str
    #: ``${Name}`` in the definition -> logical id of the function whose ARN replaces it.
    substitutions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EventRule:
    """An EventBridge rule on the default bus whose target is one of the stack's functions."""

    logical_id: str
    purpose: str
    function: str
    source: str
    detail_type: str
    detail: dict[str, list[str]] = field(default_factory=dict)
    #: Logical ids of state machines whose ARNs the rule matches (``detail.stateMachineArn``).
    state_machines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schedule:
    """An EventBridge rule that invokes one of the stack's functions every ``minutes``."""

    logical_id: str
    purpose: str
    function: str
    minutes: int

    @property
    def expression(self) -> str:
        return f"rate({self.minutes} minute{'s' if self.minutes > 1 else ''})"


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

    def function(self, logical_id: str) -> Function:
        return next(f for f in self.functions if f.logical_id == logical_id)

    def settings_resources(self) -> list[Bucket | Table | Topic | ServiceRole | StateMachine]:
        return [*self.buckets, *self.tables, *self.topics, *self.roles, *self.state_machines]


#: Jobs read their upload's version (HeadObject and GetObject with a VersionId).
READ_UPLOADS = Grant("Uploads", ("s3:GetObject", "s3:GetObjectVersion"), objects="uploads/*")
#: Without ListBucket, S3 answers a HEAD of a missing key with 403 instead of 404.
LIST_UPLOADS = Grant("Uploads", ("s3:ListBucket",))
JOB_RECORDS = Grant("Jobs", ("dynamodb:GetItem", "dynamodb:UpdateItem"))
RESULTS = Grant("Results", ("s3:GetObject", "s3:PutObject"), objects="jobs/*")

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
    ),
    topics=(
        Topic(
            "TextDetectionCompletions",
            setting="text_detection_topic_arn",
            purpose="Textract publishes here when an asynchronous text detection ends.",
            subscribers=("TextDetectionCompleted",),
        ),
    ),
    roles=(
        ServiceRole(
            "TextractPublisher",
            setting="text_detection_role_arn",
            service="textract.amazonaws.com",
            grants=(Grant("TextDetectionCompletions", ("sns:Publish",)),),
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
                Grant("Chatbot", ("lex:RecognizeText",)),
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
                Grant("DocumentWorkflow", ("states:StartExecution",)),
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
                Grant("DocumentWorkflow", ("states:StartExecution",)),
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
                Grant("DocumentWorkflow", ("states:StartExecution",)),
            ),
            timeout=300,
        ),
        Function(
            "ValidateDocument",
            handler="functions.validate_document.handler.lambda_handler",
            purpose="Checks type by magic bytes, size and pages.",
            grants=(READ_UPLOADS, LIST_UPLOADS, JOB_RECORDS),
        ),
        Function(
            "DetectText",
            handler="functions.detect_text.handler.lambda_handler",
            purpose="Synchronous Textract text detection.",
            grants=(READ_UPLOADS, JOB_RECORDS, RESULTS, ServiceGrant(("textract:DetectDocumentText",))),
            timeout=120,
        ),
        Function(
            "StartTextDetection",
            handler="functions.start_text_detection.handler.lambda_handler",
            purpose="Starts asynchronous Textract detection of a multi-page document.",
            grants=(
                READ_UPLOADS,
                JOB_RECORDS,
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
            grants=(
                JOB_RECORDS,
                RESULTS,
                ServiceGrant(
                    (
                        "comprehend:DetectDominantLanguage",
                        "comprehend:DetectEntities",
                        "comprehend:DetectKeyPhrases",
                        "comprehend:DetectSentiment",
                        "comprehend:DetectPiiEntities",
                    )
                ),
            ),
            timeout=300,
        ),
        Function(
            "RecordSuccess",
            handler="functions.record_success.handler.lambda_handler",
            purpose="Writes the results document and marks the job SUCCEEDED.",
            grants=(JOB_RECORDS, RESULTS),
        ),
        Function(
            "ExecutionEnded",
            handler="functions.execution_ended.handler.lambda_handler",
            purpose="Marks the job FAILED when its execution fails, times out or is stopped outside any Catch.",
            grants=(JOB_RECORDS,),
        ),
        Function(
            "RecordFailure",
            handler="functions.record_failure.handler.lambda_handler",
            purpose="Marks the job FAILED with the error and reason.",
            grants=(JOB_RECORDS,),
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
    ),
    rules=(
        EventRule(
            "DocumentWorkflowEnded",
            purpose="The safety net: no job stays in progress after its execution has ended.",
            function="ExecutionEnded",
            source="aws.states",
            detail_type="Step Functions Execution Status Change",
            detail={"status": ["FAILED", "TIMED_OUT", "ABORTED"]},
            state_machines=("DocumentWorkflow",),
        ),
    ),
    schedules=(
        Schedule(
            "UploadsSweep",
            purpose="No upload lost, no job waiting for ever: the sweep behind the S3 events.",
            function="ReconcileUploads",
            minutes=10,
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
)


def physical_name(stage: str, logical_id: str) -> str:
    """``insight-dev-detect-text`` for ``DetectText``: the name of a resource in a stage."""
    kebab = "".join(f"-{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(logical_id))
    return f"insight-{stage}-{kebab}"


def env_name(setting: str) -> str:
    return f"INSIGHT_{setting.upper()}"
