"""Create Insight's resources in the local AWS from the declarations in ``infra/resources.py``.

The same declarations make the AWS template; nothing here lists a resource of its own.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from infra.resources import (
    STACK,
    Bucket,
    Function,
    Schedule,
    ServiceRole,
    Stack,
    StateMachine,
    Table,
    Topic,
    env_name,
    physical_name,
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
    raise TypeError(resource)


def plan(stack: Stack = STACK, stage: str = "local", settings: dict[str, str] | None = None) -> Deployment:
    resources = [*stack.settings_resources(), *stack.functions]
    names = {r.logical_id: physical_name(stage, r.logical_id) for r in [*resources, *stack.rules, *stack.schedules]}
    arns = {r.logical_id: arn_of(r, names[r.logical_id]) for r in resources}
    environment = {"INSIGHT_STAGE": stage, **(settings or {})}
    for resource in stack.settings_resources():
        by_name = isinstance(resource, Bucket | Table)
        environment[env_name(resource.setting)] = names[resource.logical_id] if by_name else arns[resource.logical_id]
    return Deployment(stage=stage, names=names, arns=arns, environment=environment)


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

    # Bots first: their ids come from CreateBot, and every function is told them.
    for bot in stack.bots:
        bot_role = iam.create_role(
            RoleName=physical_name(stage, f"{bot.logical_id}Role"),
            AssumeRolePolicyDocument=json.dumps(TRUST).replace("lambda.amazonaws.com", "lexv2.amazonaws.com"),
        )["Role"]["Arn"]
        bot_id, alias_id = missing_services.create_bot(
            aws.client("lexv2-models"), physical_name(stage, bot.logical_id), bot.declaration(), bot_role, bot.alias
        )
        deployment.environment[env_name(f"{bot.setting}_id")] = bot_id
        deployment.environment[env_name(f"{bot.setting}_alias_id")] = alias_id

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
            s3.put_bucket_versioning(
                Bucket=names[bucket.logical_id], VersioningConfiguration={"Status": "Enabled"}
            )
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

    for topic in stack.topics:
        for subscriber in topic.subscribers:
            sns.subscribe(TopicArn=arns[topic.logical_id], Protocol="lambda", Endpoint=arns[subscriber])

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

    events = aws.client("events")
    for rule in (*stack.rules, *stack.schedules):
        if isinstance(rule, Schedule):  # moto keeps it; insight_local.runtime.Scheduler fires it
            events.put_rule(Name=names[rule.logical_id], ScheduleExpression=rule.expression, Description=rule.purpose)
        else:
            pattern = event_pattern(rule, lambda logical_id: arns[logical_id])
            events.put_rule(Name=names[rule.logical_id], EventPattern=json.dumps(pattern), Description=rule.purpose)
        events.put_targets(Rule=names[rule.logical_id], Targets=[{"Id": rule.function, "Arn": arns[rule.function]}])

    states = aws.client("stepfunctions")
    for machine in stack.state_machines:
        definition = substitute(
            machine.definition.read_text(), {name: arns[function] for name, function in machine.substitutions.items()}
        )
        states.create_state_machine(
            name=names[machine.logical_id], definition=definition, roleArn=lambda_role, type="STANDARD"
        )
    return deployment
