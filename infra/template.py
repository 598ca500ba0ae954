"""The declarations of ``infra/resources.py`` as the merge template of ``chalice package``.

``merge_template`` is pure: declarations and stage options in, a template dict out. Chalice
writes the REST API and its two functions (``APIHandler``, ``OnUpload``); the merge adds
everything else, and sets those two functions' role, environment, runtime, timeout and
memory as it does for the others, from their declarations. ``finish_template`` runs on Chalice's merged
output: it checks the two sides agree and applies the stage's authorizer.

Names: buckets and state machines get names computed with ``Fn::Sub`` so that nothing
refers to them with ``Ref``/``GetAtt``. That breaks two cycles: the upload bucket's
notification needs the OnUpload function, which needs the bucket's name and ARN; the
state machine needs the workflow functions, which are told the state machine's ARN.
Functions get fixed names so that their log groups (and the grants on them) are known
in advance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from infra.images import FrameworkImage
from infra.resources import (
    AnyGrant,
    ArnGrant,
    Bot,
    Bucket,
    EventBus,
    EventRule,
    Function,
    Grant,
    LambdaNotification,
    Layer,
    Model,
    ModelGrant,
    Queue,
    Schedule,
    Secret,
    ServiceGrant,
    ServiceRole,
    SettingResource,
    Stack,
    StateMachine,
    Table,
    Topic,
    env_name,
    physical_name,
    queue_name,
    table_definition,
)

Json = dict[str, Any]

#: The Lambda runtime. Not python3.11: it runs on Amazon Linux 2, and Lambda blocked creating
#: (2026-07-31) and updating (2026-08-31) python3.11 functions; cfn-lint's E2533 says so.
#: python3.12 is the nearest runtime open (on Amazon Linux 2023, deprecation planned 2028-10-31).
LAMBDA_PYTHON = "3.12"
RUNTIME = f"python{LAMBDA_PYTHON}"
ARCHITECTURE = "x86_64"
#: The Lambda layer holding requirements.txt, shared by every function (built by infra/package.py).
LAYER = "Dependencies"
LAYER_DIR = "layer"
#: Where infra/package.py puts each declared layer (``layers/<LogicalId>``): the packages of
#: requirements.txt that only some functions need.
LAYERS_DIR = "layers"
#: Where infra/package.py puts the bundle of each function Chalice does not package.
FUNCTIONS_DIR = "functions"

#: Actions that IAM only grants on "*": X-Ray has no resource-level permissions, and
#: Step Functions' log delivery goes through account-wide CloudWatch Logs APIs.
TRACING = ServiceGrant(
    ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets")
)
LOG_DELIVERY = ServiceGrant(
    (
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    )
)
PLATFORM_GRANTS = (TRACING, LOG_DELIVERY)


@dataclass(frozen=True)
class StageOptions:
    """What varies per stage: the ``"insight"`` block of the stage in ``.chalice/config.json``."""

    stage: str
    #: Chalice's environment variables for the stage (POWERTOOLS_*, INSIGHT_STAGE, ...).
    environment: dict[str, str] = field(default_factory=dict)
    #: Origins allowed to POST to the upload bucket from a browser (presigned POSTs).
    cors_origins: tuple[str, ...] = ()
    #: "iam" (SigV4) or "cognito" (a user pool's ID tokens, needs ``user_pool_arn``).
    auth: str = "iam"
    user_pool_arn: str | None = None
    log_retention_days: int = 30
    #: Keep buckets and tables when the stack is deleted or they are replaced.
    retain_data: bool = False

    def __post_init__(self) -> None:
        if self.auth not in ("iam", "cognito"):
            raise ValueError(f"auth must be 'iam' or 'cognito', not {self.auth!r}")
        if self.auth == "cognito" and not self.user_pool_arn:
            raise ValueError("auth 'cognito' needs user_pool_arn")
        object.__setattr__(self, "cors_origins", tuple(self.cors_origins))


# --- intrinsic functions ------------------------------------------------------------------


def ref(logical_id: str) -> Json:
    return {"Ref": logical_id}


def arn(logical_id: str) -> Json:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def sub(text: str) -> Json:
    return {"Fn::Sub": text}


# --- names --------------------------------------------------------------------------------


def bucket_name(bucket: Bucket, stage: str) -> str:
    """A ``Fn::Sub`` string: bucket names are global, so account and region are part of it."""
    return physical_name(stage, bucket.logical_id) + "-${AWS::AccountId}-${AWS::Region}"


def bucket_arn(bucket: Bucket, stage: str, objects: str | None = None) -> Json:
    return sub(f"arn:${{AWS::Partition}}:s3:::{bucket_name(bucket, stage)}" + (f"/{objects}" if objects else ""))


def state_machine_arn(machine: StateMachine, stage: str) -> Json:
    name = physical_name(stage, machine.logical_id)
    return sub(f"arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:stateMachine:{name}")


def role_id(owner: str) -> str:
    return f"{owner}Role"


def logs_id(owner: str) -> str:
    return f"{owner}Logs"


def setting_value(resource: SettingResource, stage: str) -> Json:
    """What a function is told about a resource: a bucket's, table's or bus's name, a queue's
    URL, otherwise an ARN."""
    if isinstance(resource, Bucket):
        return sub(bucket_name(resource, stage))
    if isinstance(resource, Table | Topic | Queue | Secret | EventBus):
        # Ref: a table's and a bus's name, a topic's and a secret's ARN, a queue's URL
        return ref(resource.logical_id)
    if isinstance(resource, ServiceRole):
        return arn(resource.logical_id)
    return state_machine_arn(resource, stage)


def environment(stack: Stack, options: StageOptions) -> Json:
    """The same variables for every function, as the local runtime does."""
    settings = {env_name(r.setting): setting_value(r, options.stage) for r in stack.settings_resources()}
    if stack.models:
        settings[env_name("ml_models")] = ml_models_setting(stack.models, options.stage)
    for bot in stack.bots:
        settings[env_name(f"{bot.setting}_id")] = ref(bot.logical_id)  # a bot's Ref is its id
        settings[env_name(f"{bot.setting}_alias_id")] = {"Fn::GetAtt": [bot_alias_id(bot), "BotAliasId"]}
    return {**options.environment, **settings}


# --- SageMaker models ----------------------------------------------------------------------


def ml_models_setting(models: tuple[Model, ...], stage: str) -> Json:
    """The ``ml_models`` setting: each model's declaration with the region's image URI."""
    declared_models = [
        model.setting(stage, "${AWS::Region}", image_account_variable(model), "${AWS::URLSuffix}") for model in models
    ]
    text = json.dumps(declared_models, separators=(",", ":"))
    return {
        "Fn::Sub": [text, {name: value for model in models for name, value in image_account_variables(model).items()}]
    }


def model_resources(model: Model, options: StageOptions) -> Json:
    """The model's package group (its registry); the endpoint, its configs and alarms are the
    deployment workflow's, made per approved package."""
    return {
        model.package_group: {
            "Type": "AWS::SageMaker::ModelPackageGroup",
            **data_policies(options),
            "Properties": {
                "ModelPackageGroupName": physical_name(options.stage, model.package_group),
                "ModelPackageGroupDescription": model.purpose,
            },
        }
    }


# --- Lex ------------------------------------------------------------------------------------


def bot_alias_id(bot: Bot) -> str:
    return f"{bot.logical_id}Alias"


def function_arn(stage: str, logical_id: str) -> Json:
    """A function's ARN from its fixed name, for what the function itself refers to (no cycle)."""
    name = physical_name(stage, logical_id)
    return sub(f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{name}")


def bot_resources(bot: Bot, options: StageOptions) -> Json:
    """The bot built from its declaration, a numbered version of its locales, the alias that
    points at it (and at its code hook function, for every locale), and the role Lex assumes
    (no permissions: a text bot calls nothing but its code hook, which a resource policy on the
    function allows).

    The code hook function is told the alias's id, so the alias names the function by its fixed
    name (``Fn::Sub``) rather than by ``GetAtt``, which would make a cycle."""
    declaration = bot.declaration()
    version = f"{bot.logical_id}Version"
    alias: Json = {
        "BotId": ref(bot.logical_id),
        "BotAliasName": bot.alias,
        "BotVersion": {"Fn::GetAtt": [version, "BotVersion"]},
    }
    hook: Json = {}
    if bot.code_hook:
        alias["BotAliasLocaleSettings"] = [
            {
                "LocaleId": locale["LocaleId"],
                "BotAliasLocaleSetting": {
                    "Enabled": True,
                    "CodeHookSpecification": {
                        "LambdaCodeHook": {
                            "CodeHookInterfaceVersion": "1.0",
                            "LambdaArn": function_arn(options.stage, bot.code_hook),
                        }
                    },
                },
            }
            for locale in declaration["BotLocales"]
        ]
        hook[f"{bot.logical_id}CodeHookPermission"] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": ref(bot.code_hook),
                "Principal": "lexv2.amazonaws.com",
                "SourceAccount": ref("AWS::AccountId"),
                "SourceArn": {"Fn::GetAtt": [bot_alias_id(bot), "Arn"]},
            },
        }
    return {
        **hook,
        role_id(bot.logical_id): {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": trust("lexv2.amazonaws.com")},
        },
        bot.logical_id: {
            "Type": "AWS::Lex::Bot",
            "Properties": {
                "Name": physical_name(options.stage, bot.logical_id),
                "RoleArn": arn(role_id(bot.logical_id)),
                **declaration,
            },
        },
        version: {
            "Type": "AWS::Lex::BotVersion",
            "Properties": {
                "BotId": ref(bot.logical_id),
                "BotVersionLocaleSpecification": [
                    {"LocaleId": locale["LocaleId"], "BotVersionLocaleDetails": {"SourceBotVersion": "DRAFT"}}
                    for locale in declaration["BotLocales"]
                ],
            },
        },
        bot_alias_id(bot): {"Type": "AWS::Lex::BotAlias", "Properties": alias},
    }


# --- IAM ------------------------------------------------------------------------------------


def trust(service: str) -> Json:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def declared(stack: Stack, logical_id: str) -> SettingResource | Function | Bot:
    resources = [*stack.settings_resources(), *stack.functions, *stack.bots]
    found = next((r for r in resources if r.logical_id == logical_id), None)
    if found is None:
        raise ValueError(f"a grant names {logical_id!r}, which is not declared")
    return found


def grant_resources(grant: Grant, stack: Stack, stage: str) -> list[Json]:
    """The ARNs a grant applies to."""
    target = declared(stack, grant.resource)
    if isinstance(target, Bucket):
        return [bucket_arn(target, stage, grant.objects)]
    if isinstance(target, Table):
        indexes = [sub(f"${{{target.logical_id}.Arn}}/index/*")] if target.indexes else []
        return [arn(target.logical_id), *indexes]
    if isinstance(target, Topic | Secret):
        return [ref(target.logical_id)]
    if isinstance(target, ServiceRole | Function | Queue | EventBus):
        return [arn(target.logical_id)]
    if isinstance(target, Bot):  # the runtime's actions are on the alias
        return [{"Fn::GetAtt": [bot_alias_id(target), "Arn"]}]
    # StartExecution and SendTaskSuccess/Failure both take the state machine's ARN.
    return [state_machine_arn(target, stage)]


def service_statement(grant: ServiceGrant) -> Json:
    return {"Effect": "Allow", "Action": list(grant.actions), "Resource": "*"}


#: The template's mapping of each region to the account of the registry that holds each
#: model's framework image there, as the sagemaker SDK lists them (infra/images.py).
IMAGE_ACCOUNTS = "FrameworkImageAccounts"


def image_accounts(models: tuple[Model, ...]) -> Json:
    """``{region: {model's logical id: account}}`` for every region the SDK knows a model's image in."""
    mapping: dict[str, dict[str, str]] = {}
    for model in models:
        for region, account in model.image.accounts:
            mapping.setdefault(region, {})[model.logical_id] = account
    return dict(sorted(mapping.items()))


def image_account_variables(model: Model) -> Json:
    """``Fn::Sub``'s variables for ``image_account_variable(model)``: the account of the
    registry of the model's image in the stack's region."""
    return {
        f"{model.logical_id}ImageAccount": {"Fn::FindInMap": [IMAGE_ACCOUNTS, ref("AWS::Region"), model.logical_id]}
    }


def image_account_variable(model: Model) -> str:
    [name] = image_account_variables(model)
    return f"${{{name}}}"


def arn_patterns(pattern: str, models: tuple[Model, ...]) -> list[Json | str]:
    """An ArnGrant's pattern; one ARN per framework image of the stack's models for a pattern
    naming ``${ImageAccount}`` and ``${ImageRepository}`` (the image's registry in the region
    and its repository)."""
    if pattern == "*":
        return [pattern]
    if "${ImageAccount}" in pattern:
        pullers: dict[FrameworkImage, Model] = {}
        for model in models:
            pullers.setdefault(model.image, model)  # models of one image pull it once
        return [
            {
                "Fn::Sub": [
                    pattern.replace("${ImageRepository}", image.repository).replace(
                        "${ImageAccount}", image_account_variable(model)
                    ),
                    image_account_variables(model),
                ]
            }
            for image, model in pullers.items()
        ]
    return [sub(pattern)]


def arn_statement(grant: ArnGrant, models: tuple[Model, ...]) -> Json:
    result: Json = {
        "Effect": "Allow",
        "Action": list(grant.actions),
        "Resource": [arn for pattern in grant.arns for arn in arn_patterns(pattern, models)],
    }
    if grant.condition:
        result["Condition"] = grant.condition
    return result


def model_statement(grant: ModelGrant, stack: Stack, stage: str) -> Json:
    """The actions on the resources of each model of ``stack`` (a stack without models: no
    resource, and ``role`` leaves the statement out)."""
    arns = [sub(pattern) for kind in grant.kinds for model in stack.models for pattern in model.arns(kind, stage)]
    return {"Effect": "Allow", "Action": list(grant.actions), "Resource": arns}


def statement(grant: AnyGrant, stack: Stack, stage: str) -> Json:
    if isinstance(grant, ServiceGrant):
        return service_statement(grant)
    if isinstance(grant, ArnGrant):
        return arn_statement(grant, stack.models)
    if isinstance(grant, ModelGrant):
        return model_statement(grant, stack, stage)
    result: Json = {"Effect": "Allow", "Action": list(grant.actions), "Resource": grant_resources(grant, stack, stage)}
    target = declared(stack, grant.resource)
    if isinstance(target, ServiceRole) and "iam:PassRole" in grant.actions:
        result["Condition"] = {"StringEquals": {"iam:PassedToService": target.service}}
    return result


def role(service: str, statements: list[Json]) -> Json:
    granted = [s for s in statements if s["Resource"] != []]
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": trust(service),
            "Policies": [
                {"PolicyName": "least-privilege", "PolicyDocument": {"Version": "2012-10-17", "Statement": granted}}
            ],
        },
    }


def log_group(name: str, options: StageOptions) -> Json:
    return {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Delete",  # logs go with the stack, whatever retain_data says
        "UpdateReplacePolicy": "Delete",
        "Properties": {"LogGroupName": name, "RetentionInDays": options.log_retention_days},
    }


# --- resources ------------------------------------------------------------------------------


def data_policies(options: StageOptions) -> Json:
    policy = "Retain" if options.retain_data else "Delete"
    return {"DeletionPolicy": policy, "UpdateReplacePolicy": policy}


def notification_permission_id(bucket: Bucket, notification: LambdaNotification) -> str:
    return f"{bucket.logical_id}{notification.function}Permission"


def bucket_resources(bucket: Bucket, options: StageOptions) -> Json:
    stage = options.stage
    properties: Json = {
        "BucketName": sub(bucket_name(bucket, stage)),
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        },
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    }
    if bucket.browser_uploads and options.cors_origins:
        properties["CorsConfiguration"] = {
            "CorsRules": [
                {
                    "AllowedMethods": ["POST"],
                    "AllowedOrigins": list(options.cors_origins),
                    "AllowedHeaders": ["*"],
                    "MaxAge": 3000,
                }
            ]
        }
    if bucket.versioned:
        properties["VersioningConfiguration"] = {"Status": "Enabled"}
        properties["LifecycleConfiguration"] = {
            "Rules": [
                {
                    "Id": "DeleteReplacedVersions",
                    "Status": "Enabled",
                    "NoncurrentVersionExpiration": {"NoncurrentDays": bucket.noncurrent_days},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                }
            ]
        }
    resources: Json = {}
    if bucket.notifications:
        properties["NotificationConfiguration"] = {
            "LambdaConfigurations": [
                {
                    "Event": event,
                    "Function": arn(n.function),
                    "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": n.prefix}]}},
                }
                for n in bucket.notifications
                for event in n.events
            ]
        }
        for n in bucket.notifications:
            resources[notification_permission_id(bucket, n)] = {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": arn(n.function),
                    "Principal": "s3.amazonaws.com",
                    "SourceAccount": ref("AWS::AccountId"),
                    "SourceArn": bucket_arn(bucket, stage),
                },
            }
    resources[bucket.logical_id] = {"Type": "AWS::S3::Bucket", **data_policies(options), "Properties": properties}
    if bucket.notifications:
        # S3 checks it may invoke the functions when it saves the notification configuration.
        resources[bucket.logical_id]["DependsOn"] = [
            notification_permission_id(bucket, n) for n in bucket.notifications
        ]
    resources[f"{bucket.logical_id}Policy"] = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": ref(bucket.logical_id),
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "RequireTls",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [bucket_arn(bucket, stage), bucket_arn(bucket, stage, "*")],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            },
        },
    }
    return resources


def table_resource(table: Table, options: StageOptions) -> Json:
    properties: Json = {
        **table_definition(table),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
    }
    if table.ttl_attribute:
        properties["TimeToLiveSpecification"] = {"AttributeName": table.ttl_attribute, "Enabled": True}
    return {"Type": "AWS::DynamoDB::Table", **data_policies(options), "Properties": properties}


def queue_resources(queue: Queue, options: StageOptions) -> Json:
    """The queue and its dead-letter queue, both encrypted (SQS-managed keys)."""
    common: Json = {"SqsManagedSseEnabled": True}
    if queue.fifo:
        common["FifoQueue"] = True
    return {
        queue.dead_letter_id: {
            "Type": "AWS::SQS::Queue",
            **data_policies(options),
            "Properties": {
                **common,
                "QueueName": queue_name(options.stage, queue.dead_letter_id, queue.fifo),
                "MessageRetentionPeriod": queue.dead_letter_retention_days * 86400,
            },
        },
        queue.logical_id: {
            "Type": "AWS::SQS::Queue",
            **data_policies(options),
            "Properties": {
                **common,
                **{name: value for name, value in queue.attributes().items() if name != "FifoQueue"},
                "QueueName": queue_name(options.stage, queue.logical_id, queue.fifo),
                "VisibilityTimeout": queue.visibility_timeout,
                "MessageRetentionPeriod": queue.retention_days * 86400,
                "RedrivePolicy": {
                    "deadLetterTargetArn": arn(queue.dead_letter_id),
                    "maxReceiveCount": queue.max_receive_count,
                },
            },
        },
    }


def secret_resource(secret: Secret, options: StageOptions) -> Json:
    properties: Json = {
        "Name": physical_name(options.stage, secret.logical_id),
        "Description": secret.purpose,
    }
    if secret.generated:
        # 32 letters and digits: also a valid base64 key for Standard Webhooks.
        properties["GenerateSecretString"] = {"PasswordLength": 32, "ExcludePunctuation": True}
    else:
        properties["SecretString"] = "{}"  # the operator puts the real values in (docs/DEPLOY.md)
    return {"Type": "AWS::SecretsManager::Secret", **data_policies(options), "Properties": properties}


def bus_resource(bus: EventBus, options: StageOptions) -> Json:
    return {"Type": "AWS::Events::EventBus", "Properties": {"Name": physical_name(options.stage, bus.logical_id)}}


def topic_resource() -> Json:
    # The AWS managed key's policy lets principals of the account use it through SNS,
    # which covers Textract publishing with the TextractPublisher role.
    return {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "alias/aws/sns"}}


def function_resources(function: Function, stack: Stack, options: StageOptions) -> Json:
    """The function (whole, or the properties merged into Chalice's), its role and log group."""
    name = physical_name(options.stage, function.logical_id)
    # Chalice's two functions get these too: Chalice writes the Python it runs on as runtime,
    # a role of its own and the config's timeout and memory.
    properties: Json = {
        "FunctionName": name,
        "Runtime": RUNTIME,
        "Architectures": [ARCHITECTURE],
        "Role": arn(role_id(function.logical_id)),
        "Timeout": function.timeout,
        "MemorySize": function.memory,
        "Tracing": "Active",
        "Layers": [ref(LAYER), *(ref(stack.layer(name).logical_id) for name in function.layers)],
        "Environment": {"Variables": environment(stack, options)},
    }
    if not function.chalice:
        properties.update(Handler=function.handler, CodeUri=f"./{FUNCTIONS_DIR}/{function.logical_id}")
    subscriptions: Json = {
        topic.logical_id: {"Type": "SNS", "Properties": {"Topic": ref(topic.logical_id)}}
        for topic in stack.topics
        if function.logical_id in topic.subscribers
    }
    for queue in stack.queues:
        if queue.consumer == function.logical_id:
            subscriptions[queue.logical_id] = {
                "Type": "SQS",
                "Properties": {
                    "Queue": arn(queue.logical_id),
                    "BatchSize": queue.batch_size,
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                },
            }
    if subscriptions:
        properties["Events"] = subscriptions
    logs = logs_id(function.logical_id)
    statements = [
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": [arn(logs)]},
        *(statement(grant, stack, options.stage) for grant in (*function.grants, TRACING)),
    ]
    return {
        # Chalice's own functions have no Type here: the merge adds to what Chalice wrote.
        function.logical_id: {
            **({} if function.chalice else {"Type": "AWS::Serverless::Function"}),
            "Properties": properties,
        },
        role_id(function.logical_id): role("lambda.amazonaws.com", statements),
        logs: log_group(f"/aws/lambda/{name}", options),
    }


def state_machine_resources(machine: StateMachine, stack: Stack, options: StageOptions) -> Json:
    name = physical_name(options.stage, machine.logical_id)
    logs = logs_id(machine.logical_id)
    functions = [arn(f) for f in dict.fromkeys(machine.substitutions.values())]
    statements = [
        {"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": functions},
        *(statement(grant, stack, options.stage) for grant in machine.grants),
        *(service_statement(grant) for grant in PLATFORM_GRANTS),
    ]
    return {
        machine.logical_id: {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": name,
                "StateMachineType": "STANDARD",
                "Definition": json.loads(machine.definition.read_text()),
                "DefinitionSubstitutions": {
                    **{key: arn(function) for key, function in machine.substitutions.items()},
                    **{key: arn(resource) for key, resource in machine.resource_substitutions.items()},
                },
                "RoleArn": arn(role_id(machine.logical_id)),
                "LoggingConfiguration": {
                    "Level": "ALL",
                    "IncludeExecutionData": False,
                    "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": arn(logs)}}],
                },
                "TracingConfiguration": {"Enabled": True},
            },
        },
        role_id(machine.logical_id): role("states.amazonaws.com", statements),
        logs: log_group(f"/aws/vendedlogs/states/{name}", options),
    }


def event_pattern(rule: EventRule, stack: Stack, arn_of_machine: Any, name_of: Any) -> Json:
    """The rule's pattern in ``stack``; ``arn_of_machine`` gives a state machine's ARN for the
    target, ``name_of`` the physical name of a logical id (for ``rule.model_names``)."""
    detail: Json = dict(rule.detail)
    if rule.state_machines:
        detail["stateMachineArn"] = [arn_of_machine(logical_id) for logical_id in rule.state_machines]
    for field_name, attribute in rule.model_names.items():
        detail[field_name] = [name_of(getattr(model, attribute)) for model in stack.models]
    return {"source": [rule.source], "detail-type": [rule.detail_type], "detail": detail}


def rule_resources(rule: EventRule | Schedule, stack: Stack, options: StageOptions) -> Json:
    """The rule (an event pattern, or a schedule) and the permission to invoke its target."""

    def machine_arn(logical_id: str) -> Json:
        machine = declared(stack, logical_id)
        assert isinstance(machine, StateMachine)
        return state_machine_arn(machine, options.stage)

    properties: Json = {"Description": rule.purpose}
    if isinstance(rule, Schedule):
        properties["ScheduleExpression"] = rule.expression
        target_id = rule.function
    else:
        properties["EventPattern"] = event_pattern(
            rule, stack, machine_arn, lambda logical_id: physical_name(options.stage, logical_id)
        )
        target_id = rule.target
        if rule.bus:
            properties["EventBusName"] = ref(rule.bus)
    target: Json = {"Id": target_id, "Arn": arn(target_id)}
    if isinstance(rule, Schedule) and rule.input is not None:
        target["Input"] = json.dumps(rule.input)
    properties["Targets"] = [target]
    resources: Json = {rule.logical_id: {"Type": "AWS::Events::Rule", "Properties": properties}}
    if isinstance(declared(stack, target_id), Queue):
        resources[f"{rule.logical_id}QueuePolicy"] = {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [ref(target_id)],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": arn(target_id),
                            "Condition": {"ArnEquals": {"aws:SourceArn": arn(rule.logical_id)}},
                        }
                    ],
                },
            },
        }
    else:
        resources[f"{rule.logical_id}Permission"] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": ref(target_id),
                "Principal": "events.amazonaws.com",
                "SourceArn": arn(rule.logical_id),
            },
        }
    return resources


def layer_resource(description: str, content: str) -> Json:
    return {
        "Type": "AWS::Serverless::LayerVersion",
        "Properties": {
            "Description": description,
            "ContentUri": f"./{content}",
            "CompatibleRuntimes": [RUNTIME],
            "CompatibleArchitectures": [ARCHITECTURE],
            "RetentionPolicy": "Delete",
        },
    }


def declared_layer_resource(layer: Layer) -> Json:
    return layer_resource(layer.purpose, f"{LAYERS_DIR}/{layer.logical_id}")


def merge_template(stack: Stack, options: StageOptions) -> Json:
    """Everything but Chalice's REST API, plus overrides of Chalice's functions."""
    resources: Json = {
        LAYER: layer_resource("Insight's requirements.txt (but the packages of the declared layers)", LAYER_DIR),
        # X-Ray traces of API Gateway, joined to the handler's.
        "RestAPI": {"Properties": {"TracingEnabled": True}},
    }
    for layer in stack.layers:
        resources[layer.logical_id] = declared_layer_resource(layer)
    for bucket in stack.buckets:
        resources.update(bucket_resources(bucket, options))
    for table in stack.tables:
        resources[table.logical_id] = table_resource(table, options)
    for topic in stack.topics:
        resources[topic.logical_id] = topic_resource()
    for queue in stack.queues:
        resources.update(queue_resources(queue, options))
    for secret in stack.secrets:
        resources[secret.logical_id] = secret_resource(secret, options)
    for bus in stack.buses:
        resources[bus.logical_id] = bus_resource(bus, options)
    for service_role in stack.roles:
        statements = [statement(grant, stack, options.stage) for grant in service_role.grants]
        resources[service_role.logical_id] = role(service_role.service, statements)
    for function in stack.functions:
        resources.update(function_resources(function, stack, options))
    for machine in stack.state_machines:
        resources.update(state_machine_resources(machine, stack, options))
    for rule in (*stack.rules, *stack.every_schedule()):
        resources.update(rule_resources(rule, stack, options))
    for bot in stack.bots:
        resources.update(bot_resources(bot, options))
    for model in stack.models:
        resources.update(model_resources(model, options))
    outputs = {
        r.logical_id: {"Description": r.purpose, "Value": setting_value(r, options.stage)}
        for r in stack.settings_resources()
        if not isinstance(r, ServiceRole)
    }
    template: Json = {"Resources": resources, "Outputs": outputs}
    if stack.models:
        template["Mappings"] = {IMAGE_ACCOUNTS: image_accounts(stack.models)}
    return template


# --- after the merge -----------------------------------------------------------------------


def finish_template(template: Json, stack: Stack, options: StageOptions) -> Json:
    """Check Chalice wrote the functions the declarations expect; apply the stage's authorizer."""
    resources = template["Resources"]
    for function in stack.functions:
        if not function.chalice:
            continue
        written = resources.get(function.logical_id, {})
        handler = written.get("Properties", {}).get("Handler")
        if written.get("Type") != "AWS::Serverless::Function" or handler != function.handler:
            raise ValueError(
                f"Chalice wrote no function {function.logical_id} with handler {function.handler} "
                f"(found {written.get('Type')} with handler {handler}): align app.py and infra/resources.py"
            )
    if "Type" not in resources["RestAPI"]:
        raise ValueError("Chalice wrote no RestAPI: the merge left an incomplete resource")
    if options.auth == "cognito":
        use_cognito(resources["RestAPI"]["Properties"]["DefinitionBody"], str(options.user_pool_arn))
    return template


COGNITO = "cognito"


def use_cognito(swagger: Json, user_pool_arn: str) -> None:
    """Replace the IAM (SigV4) authorizer of every route with a Cognito user pool authorizer."""
    swagger["securityDefinitions"] = {
        COGNITO: {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": [user_pool_arn]},
        }
    }
    for methods in swagger["paths"].values():
        for operation in methods.values():
            if isinstance(operation, dict) and "security" in operation:
                operation["security"] = [{COGNITO: []}]
