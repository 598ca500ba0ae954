"""Create Insight's resources in the local AWS from the declarations in ``infra/resources.py``.

The same declarations make the AWS template; nothing here lists a resource of its own. Layers
(``Stack.layers``) have no local counterpart: the functions run in this process, with the
venv's packages (requirements-dev.txt includes requirements.txt).
"""

from __future__ import annotations

import base64
import io
import json
import secrets
import zipfile
from dataclasses import dataclass, field
from typing import Any

from infra import model_code
from infra.resources import (
    STACK,
    Bucket,
    EventBus,
    Function,
    Queue,
    Schedule,
    Secret,
    ServiceRole,
    Stack,
    StateMachine,
    Table,
    Topic,
    env_name,
    physical_name,
    queue_name,
    table_definition,
)
from infra.template import event_pattern
from insight_local.ai import missing_services
from insight_local.server import ACCOUNT, REGION, LocalAWS

LAMBDA_ROLE = "insight-local-lambda"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@dataclass(frozen=True)
class Deployment:
    """What provisioning made: physical names and the environment every function gets."""

    stage: str
    names: dict[str, str]  # logical id -> physical name
    arns: dict[str, str]  # logical id -> ARN
    environment: dict[str, str]
    #: logical id of a secret -> the development value provisioning put in it (never a real one)
    secrets: dict[str, str] = field(default_factory=dict)


def arn_of(resource: Any, name: str) -> str:
    if isinstance(resource, Bucket):
        return f"arn:aws:s3:::{name}"
    if isinstance(resource, Table):
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    if isinstance(resource, Topic):
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
    if isinstance(resource, ServiceRole):
        return f"arn:aws:iam::{ACCOUNT}:role/{name}"
    if isinstance(resource, Function):
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    if isinstance(resource, StateMachine):
        return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
    if isinstance(resource, Queue):
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    if isinstance(resource, EventBus):
        return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"
    if isinstance(resource, Secret):
        return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}"  # completed when it is made
    raise TypeError(resource)


def plan(stack: Stack = STACK, stage: str = "local", settings: dict[str, str] | None = None) -> Deployment:
    resources = [*stack.settings_resources(), *stack.functions]
    named = [*resources, *stack.rules, *stack.every_schedule()]
    names = {r.logical_id: physical_name(stage, r.logical_id) for r in named}
    for queue in stack.queues:
        names[queue.logical_id] = queue_name(stage, queue.logical_id, queue.fifo)
        names[queue.dead_letter_id] = queue_name(stage, queue.dead_letter_id, queue.fifo)
    arns = {r.logical_id: arn_of(r, names[r.logical_id]) for r in resources}
    for model in stack.models:
        names[model.package_group] = physical_name(stage, model.package_group)
        names[model.endpoint] = physical_name(stage, model.endpoint)
    environment = {"INSIGHT_STAGE": stage, **(settings or {})}
    if stack.models:
        declared = [model.setting(stage, REGION, model.image.account(REGION)) for model in stack.models]
        environment["INSIGHT_ML_MODELS"] = json.dumps(declared, separators=(",", ":"))
    for resource in stack.settings_resources():
        by_name = isinstance(resource, Bucket | Table | EventBus)
        environment[env_name(resource.setting)] = names[resource.logical_id] if by_name else arns[resource.logical_id]
    return Deployment(stage=stage, names=names, arns=arns, environment=environment)


def development_secret(secret: Secret, environment: dict[str, str]) -> str:
    """A random development value: a Standard Webhooks key for a generated secret, and for the
    webhook secrets one signing secret per configured source, in the form its scheme uses."""
    if secret.generated:
        return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    from chalicelib.settings import Settings

    values = {}
    for source in Settings.from_environment(environment).webhook_sources:
        if source.scheme == "github":
            values[source.name] = secrets.token_hex(20)
        else:  # Standard Webhooks and Stripe secrets both start whsec_
            values[source.name] = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    return json.dumps(values)


def _code_zip() -> bytes:
    """moto wants a code package; the handler runs from the project in process, not from it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Insight's local runtime runs this function from the project's source.\n")
    return buffer.getvalue()


def substitute(definition: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        definition = definition.replace("${" + name + "}", value)
    if "${" in definition:
        raise ValueError("the definition has a ${...} placeholder that no declaration fills")
    return definition


def provision(
    aws: LocalAWS, stack: Stack = STACK, stage: str = "local", settings: dict[str, str] | None = None
) -> Deployment:
    deployment = plan(stack, stage, settings)
    names, arns = deployment.names, deployment.arns
    iam, s3, dynamodb, sns = aws.client("iam"), aws.client("s3"), aws.client("dynamodb"), aws.client("sns")
    lambda_role = iam.create_role(RoleName=LAMBDA_ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]

    # Bots first: their ids come from CreateBot, and every function is told them. The alias
    # names its code hook function by ARN before the function exists, as the template does.
    bot_aliases: dict[str, str] = {}
    for bot in stack.bots:
        bot_role = iam.create_role(
            RoleName=physical_name(stage, f"{bot.logical_id}Role"),
            AssumeRolePolicyDocument=json.dumps(TRUST).replace("lambda.amazonaws.com", "lexv2.amazonaws.com"),
        )["Role"]["Arn"]
        bot_id, alias_id = missing_services.create_bot(
            aws.client("lexv2-models"),
            physical_name(stage, bot.logical_id),
            bot.declaration(),
            bot_role,
            bot.alias,
            code_hook_arn=arns[bot.code_hook] if bot.code_hook else None,
        )
        deployment.environment[env_name(f"{bot.setting}_id")] = bot_id
        deployment.environment[env_name(f"{bot.setting}_alias_id")] = alias_id
        bot_aliases[bot.logical_id] = f"arn:aws:lex:{REGION}:{ACCOUNT}:bot-alias/{bot_id}/{alias_id}"

    for role in stack.roles:
        trust = json.loads(json.dumps(TRUST).replace("lambda.amazonaws.com", role.service))
        iam.create_role(RoleName=names[role.logical_id], AssumeRolePolicyDocument=json.dumps(trust))

    for bucket in stack.buckets:
        s3.create_bucket(Bucket=names[bucket.logical_id])
        s3.put_public_access_block(
            Bucket=names[bucket.logical_id],
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        if bucket.versioned:
            s3.put_bucket_versioning(Bucket=names[bucket.logical_id], VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(
            Bucket=names[bucket.logical_id],
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )

    for table in stack.tables:
        dynamodb.create_table(TableName=names[table.logical_id], **table_definition(table))
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=names[table.logical_id],
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )

    for topic in stack.topics:
        sns.create_topic(Name=names[topic.logical_id])

    sqs = aws.client("sqs")
    for queue in stack.queues:
        fifo = {"FifoQueue": "true"} if queue.fifo else {}
        dead_letters = sqs.create_queue(
            QueueName=names[queue.dead_letter_id],
            Attributes={**fifo, "MessageRetentionPeriod": str(queue.dead_letter_retention_days * 86400)},
        )["QueueUrl"]
        dead_letters_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])
        url = sqs.create_queue(
            QueueName=names[queue.logical_id],
            Attributes={
                **queue.attributes(),
                "VisibilityTimeout": str(queue.visibility_timeout),
                "MessageRetentionPeriod": str(queue.retention_days * 86400),
                "RedrivePolicy": json.dumps(
                    {
                        "deadLetterTargetArn": dead_letters_arn["Attributes"]["QueueArn"],
                        "maxReceiveCount": queue.max_receive_count,
                    }
                ),
            },
        )["QueueUrl"]
        deployment.environment[env_name(queue.setting)] = url

    secrets_manager = aws.client("secretsmanager")
    for secret in stack.secrets:
        value = development_secret(secret, deployment.environment)
        made = secrets_manager.create_secret(Name=names[secret.logical_id], SecretString=value)
        arns[secret.logical_id] = made["ARN"]
        deployment.environment[env_name(secret.setting)] = made["ARN"]
        deployment.secrets[secret.logical_id] = value

    events = aws.client("events")
    for bus in stack.buses:
        events.create_event_bus(Name=names[bus.logical_id])

    functions = aws.client("lambda")
    code = _code_zip()
    for function in stack.functions:
        functions.create_function(
            FunctionName=names[function.logical_id],
            Runtime="python3.11",
            Role=lambda_role,
            Handler=function.handler,
            Code={"ZipFile": code},
            Timeout=function.timeout,
            MemorySize=function.memory,
            Environment={"Variables": deployment.environment},
        )

    for bot in stack.bots:
        if bot.code_hook:  # Lex may invoke the code hook of this alias only
            functions.add_permission(
                FunctionName=names[bot.code_hook],
                StatementId=f"{bot.logical_id}CodeHook",
                Action="lambda:InvokeFunction",
                Principal="lexv2.amazonaws.com",
                SourceArn=bot_aliases[bot.logical_id],
            )

    for topic in stack.topics:
        for subscriber in topic.subscribers:
            sns.subscribe(TopicArn=arns[topic.logical_id], Protocol="lambda", Endpoint=arns[subscriber])

    for queue in stack.queues:
        functions.create_event_source_mapping(
            EventSourceArn=arns[queue.logical_id],
            FunctionName=arns[queue.consumer],
            BatchSize=queue.batch_size,
            FunctionResponseTypes=["ReportBatchItemFailures"],
        )

    for bucket in stack.buckets:
        if bucket.notifications:
            s3.put_bucket_notification_configuration(
                Bucket=names[bucket.logical_id],
                NotificationConfiguration={
                    "LambdaFunctionConfigurations": [
                        {
                            "LambdaFunctionArn": arns[notification.function],
                            "Events": list(notification.events),
                            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": notification.prefix}]}},
                        }
                        for notification in bucket.notifications
                    ]
                },
            )

    for rule in (*stack.rules, *stack.every_schedule()):
        bus = {}
        given: dict[str, str] = {}
        if isinstance(rule, Schedule):  # moto keeps it; insight_local.scheduler.Scheduler fires it
            target = rule.function
            given = {"Input": json.dumps(rule.input)} if rule.input is not None else {}
            events.put_rule(Name=names[rule.logical_id], ScheduleExpression=rule.expression, Description=rule.purpose)
        else:
            target = rule.target
            bus = {"EventBusName": names[rule.bus]} if rule.bus else {}
            pattern = event_pattern(rule, stack, arns.__getitem__, names.__getitem__)
            events.put_rule(
                Name=names[rule.logical_id], EventPattern=json.dumps(pattern), Description=rule.purpose, **bus
            )
        events.put_targets(Rule=names[rule.logical_id], Targets=[{"Id": target, "Arn": arns[target], **given}], **bus)

    sagemaker = aws.client("sagemaker")
    model_bucket = next((names[b.logical_id] for b in stack.buckets if b.setting == "model_bucket"), None)
    for model in stack.models:
        sagemaker.create_model_package_group(
            ModelPackageGroupName=names[model.package_group], ModelPackageGroupDescription=model.purpose
        )
        if model_bucket:
            model_code.upload(s3, model_bucket, model)

    states = aws.client("stepfunctions")
    for machine in stack.state_machines:
        values = {name: arns[function] for name, function in machine.substitutions.items()}
        values.update({name: arns[resource] for name, resource in machine.resource_substitutions.items()})
        definition = substitute(machine.definition.read_text(), values)
        states.create_state_machine(
            name=names[machine.logical_id], definition=definition, roleArn=lambda_role, type="STANDARD"
        )
    return deployment
